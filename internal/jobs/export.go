package jobs

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/export"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/locale"
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

// ExportBuildHandler writes export files under dir: it streams the
// export's submissions (store.ExportSubmissions, which reads only for an
// export already audited) through the format's writer and the chunked
// AES-256-GCM encryption into a file only the export's data key opens,
// recording progress as it goes. Nothing in clear touches the disk: every
// format streams into the encryption. An export deleted meanwhile is left
// deleted.
func ExportBuildHandler(dir string) Handler {
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		if dir == "" {
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
		done, size, runErr := buildExport(ctx, db, dir, e, key, actor)
		if err := db.FinishExport(ctx, actor, tenantID, id, done, size, runErr); err != nil {
			os.Remove(ExportPath(dir, tenantID, id))
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

func buildExport(ctx context.Context, db *store.DB, dir string, e store.Export, key []byte, actor audit.Actor) (done, size int64, err error) {
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
	path := ExportPath(dir, e.TenantID, e.ID)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return 0, 0, err
	}
	part := path + ".part"
	f, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(part)
		}
	}()
	bw := bufio.NewWriterSize(f, 256<<10)
	enc, err := export.Encrypt(bw, key, e.ID)
	if err != nil {
		return 0, 0, err
	}
	w, err := export.New(e.Format, enc, table, db.Now())
	if err != nil {
		return 0, 0, err
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
	if err != nil {
		return done, 0, err
	}
	if err = enc.Close(); err != nil {
		return done, 0, err
	}
	if err = bw.Flush(); err != nil {
		return done, 0, err
	}
	if err = f.Sync(); err != nil {
		return done, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return done, 0, err
	}
	if err = f.Close(); err != nil {
		return done, 0, err
	}
	if err = os.Rename(part, path); err != nil {
		return done, 0, err
	}
	return done, st.Size(), nil
}

// ExportSweepHandler deletes, by the store's clock, every export older
// than store.ExportTTL: its file under dir and, by shredding its data key,
// any copy of it (audited as "export.expire" in the tenant's log).
func ExportSweepHandler(dir string) Handler {
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		expired, err := db.ExpiredExports(ctx)
		if err != nil {
			return err
		}
		actor := audit.System(KindExportSweep)
		actor.RequestID = "job-" + j.ID
		var errs []error
		for _, e := range expired {
			if dir != "" {
				for _, p := range []string{ExportPath(dir, e.TenantID, e.ID), ExportPath(dir, e.TenantID, e.ID) + ".part"} {
					if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
						errs = append(errs, err)
					}
				}
			}
			if err := db.ExpireExport(ctx, actor, e.TenantID, e.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
}
