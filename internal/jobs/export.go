package jobs

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/export"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/store"
)

// Export job kinds: the build of one export's file (queued by
// store.CreateExport) and the periodic sweep that deletes exports after
// store.ExportTTL.
const (
	KindExportBuild = store.ExportJobKind
	KindExportSweep = "export.sweep"
)

// ExportPath is where the encrypted file of export id of tenantID lives
// under dir (see export.Path).
func ExportPath(dir, tenantID, id string) string { return export.Path(dir, tenantID, id) }

// progressEvery is how many rows the build writes between progress
// updates.
const progressEvery = 1000

// ExportBuildHandler writes export files under the directory dir (see
// ExportBuildIn); "" means none is configured, and the job fails.
func ExportBuildHandler(dir string) Handler { return inDir(dir, ExportBuildIn) }

// ExportSweepHandler sweeps the export files under the directory dir (see
// ExportSweepIn).
func ExportSweepHandler(dir string) Handler { return inDir(dir, ExportSweepIn) }

// inDir makes the handler of the export store of directory dir; for ""
// the handler gets none.
func inDir(dir string, h func(objstore.Store) Handler) Handler {
	if dir == "" {
		return h(nil)
	}
	s, err := objstore.Dir(dir)
	if err != nil {
		return func(context.Context, *store.DB, store.Job) error { return err }
	}
	return h(s)
}

// ExportBuildIn writes export files into s (the data directory's
// "exports", or the object store the nodes share, so that any node serves
// the download): it streams the export's submissions
// (store.ExportSubmissions, which reads only for an export already
// audited) through the format's writer and the chunked AES-256-GCM
// encryption into an object only the export's data key opens, recording
// progress as it goes. Nothing in clear touches a disk or a bucket: every
// format streams into the encryption. The object appears only when it is
// complete (objstore.Store.Put). An export deleted meanwhile is left
// deleted.
func ExportBuildIn(s objstore.Store) Handler {
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		if s == nil {
			return errors.New("export build: no export directory configured")
		}
		tenantID, id, ok := strings.Cut(j.Payload, "/")
		if !ok {
			return fmt.Errorf("export build: malformed payload of job %s", j.ID)
		}
		e, key, err := db.ExportJob(ctx, tenantID, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		actor := audit.System(KindExportBuild)
		actor.RequestID = "job-" + j.ID
		done, size, runErr := buildExport(ctx, db, s, e, key, actor)
		if err := db.FinishExport(ctx, actor, tenantID, id, done, size, runErr); err != nil {
			_ = s.Delete(ctx, export.Key(tenantID, id))
			if errors.Is(err, store.ErrNotFound) {
				return nil // deleted while it was built
			}
			return err
		}
		if runErr != nil {
			return fmt.Errorf("export %s: %w", id, runErr)
		}
		return nil
	}
}

func buildExport(ctx context.Context, db *store.DB, s objstore.Store, e store.Export, key []byte, actor audit.Actor) (done, size int64, err error) {
	versions, err := db.FormVersions(ctx, e.TenantID, e.FormKey)
	if err != nil {
		return 0, 0, err
	}
	forms := map[int]form.Form{}
	for _, v := range versions {
		forms[v.Version] = v.Form
	}
	lang, ok := locale.Parse(e.Lang)
	if !ok {
		lang = locale.NL
	}
	table := export.NewTable(lang, forms)
	size, err = putEncrypted(ctx, s, export.Key(e.TenantID, e.ID), key, e.ID, func(enc io.Writer) error {
		w, err := export.New(e.Format, enc, table, db.Now())
		if err != nil {
			return err
		}
		err = db.ExportSubmissions(ctx, actor, e.TenantID, e.UserID, e.ID, func(r store.ExportRow) error {
			var answers form.Answers
			if !r.Unreadable {
				if err := json.Unmarshal(r.Answers, &answers); err != nil {
					return fmt.Errorf("decode answers of submission %s: %w", r.ID, err)
				}
			}
			var files map[string][]string
			if len(r.Files) > 0 {
				files = map[string][]string{}
				for _, fl := range r.Files {
					name := fl.Name
					if fl.Unreadable {
						name = table.Unreadable()
					}
					files[fl.FieldKey] = append(files[fl.FieldKey], name)
				}
			}
			var due time.Time
			if !r.DueAt.IsZero() {
				due = store.DueDay(r.DueAt)
			}
			if err := w.Write(table.Cells(export.Row{ID: r.ID, Reference: r.Reference, Status: r.Status, ReceivedAt: r.CreatedAt,
				FormVersion: r.FormVersion, DueDay: due, Lang: r.Lang, Answers: answers, Files: files, Unreadable: r.Unreadable})); err != nil {
				return err
			}
			done++
			if done%progressEvery == 0 {
				return db.ExportProgress(ctx, e.TenantID, e.ID, done)
			}
			return nil
		})
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err != nil {
		return done, 0, err
	}
	return done, size, nil
}

// putEncrypted streams what write writes through the chunked AES-256-GCM
// encryption with key (export.Encrypt, bound to id) into the object objKey
// of s, and returns the object's size. The encrypted stream goes through a
// pipe into the store's Put, which streams it on (a file, or an S3
// multipart upload) and makes it visible only when the writer closes
// without an error: a failed write leaves no object.
func putEncrypted(ctx context.Context, s objstore.Store, objKey string, key []byte, id string, write func(io.Writer) error) (size int64, err error) {
	pr, pw := io.Pipe()
	put := make(chan error, 1)
	go func() {
		err := s.Put(ctx, objKey, pr, -1)
		// A Put that ends early must not leave the writer blocked.
		pr.CloseWithError(cmp.Or(err, io.ErrClosedPipe))
		put <- err
	}()
	putOpen := true
	defer func() {
		if putOpen {
			pw.CloseWithError(cmp.Or(err, io.ErrUnexpectedEOF))
			<-put
		}
	}()
	bw := bufio.NewWriterSize(pw, 256<<10)
	enc, err := export.Encrypt(bw, key, id)
	if err != nil {
		return 0, err
	}
	if err = write(enc); err != nil {
		return 0, err
	}
	if err = enc.Close(); err != nil {
		return 0, err
	}
	if err = bw.Flush(); err != nil {
		return 0, err
	}
	pw.Close()
	putOpen = false
	if err = <-put; err != nil {
		return 0, err
	}
	o, err := s.Stat(ctx, objKey)
	if err != nil {
		return 0, err
	}
	return o.Size, nil
}

// ExportSweepIn deletes, by the store's clock, every export older than
// store.ExportTTL: its file in s and, by shredding its data key, any copy
// of it (audited as "export.expire" in the tenant's log); full exports
// likewise ("fullexport.expire").
func ExportSweepIn(s objstore.Store) Handler {
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		expired, err := db.ExpiredExports(ctx)
		if err != nil {
			return err
		}
		actor := audit.System(KindExportSweep)
		actor.RequestID = "job-" + j.ID
		var errs []error
		for _, e := range expired {
			if s != nil {
				if err := s.Delete(ctx, export.Key(e.TenantID, e.ID)); err != nil {
					errs = append(errs, err)
				}
			}
			if err := db.ExpireExport(ctx, actor, e.TenantID, e.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				errs = append(errs, err)
			}
		}
		// Full exports (END-3) live in the same store for as long.
		full, err := db.ExpiredFullExports(ctx)
		if err != nil {
			errs = append(errs, err)
		}
		for _, e := range full {
			if s != nil {
				if err := s.Delete(ctx, export.FullKey(e.TenantID, e.ID)); err != nil {
					errs = append(errs, err)
				}
			}
			if err := db.ExpireFullExport(ctx, actor, e.TenantID, e.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
}
