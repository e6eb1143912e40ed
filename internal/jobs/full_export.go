package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/export"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenantexport"
)

// KindFullExportBuild writes the archive of a full export asked for from
// the web (queued by store.CreateFullExport); the export sweep removes it
// after store.ExportTTL.
const KindFullExportBuild = store.FullExportJobKind

// FullExportBuildIn writes full exports into s, the export store: the
// archive of tenantexport (a .tar, or a .tar.age when the admin gave the
// controller's age recipient) streams through the chunked AES-256-GCM
// encryption with the export's own data key into one object, so that no
// plaintext touches a disk or a bucket and deleting the export (shredding
// the key) makes every copy unreadable (END-3). The object appears only
// when complete. The manifest's rows per entity are kept for the page.
func FullExportBuildIn(s objstore.Store) Handler {
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		tenantID, id, ok := strings.Cut(j.Payload, "/")
		if !ok {
			return fmt.Errorf("full export: malformed payload of job %s", j.ID)
		}
		e, key, err := db.FullExportJob(ctx, tenantID, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil // deleted, or already run
		}
		if err != nil {
			return err
		}
		actor := audit.System(KindFullExportBuild)
		actor.RequestID = "job-" + j.ID
		size, counts, runErr := buildFullExport(ctx, db, s, e, key, actor)
		err = db.FinishFullExport(ctx, actor, tenantID, id, size, counts, runErr)
		if (runErr != nil || err != nil) && s != nil {
			_ = s.Delete(ctx, export.FullKey(tenantID, id))
		}
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil // deleted while it was built
			}
			return err
		}
		if runErr != nil {
			return fmt.Errorf("full export %s: %w", id, runErr)
		}
		return nil
	}
}

func buildFullExport(ctx context.Context, db *store.DB, s objstore.Store, e store.FullExport, key []byte, actor audit.Actor) (size int64, counts []store.EntityCount, err error) {
	if s == nil {
		return 0, nil, errors.New("no export store configured")
	}
	opts := tenantexport.Options{Actor: actor, Purpose: "full export " + e.ID + " asked for from the web (END-3)", Now: db.Now}
	if e.Recipient != "" {
		if opts.Recipients, err = tenantexport.ParseRecipients([]string{e.Recipient}); err != nil {
			return 0, nil, err
		}
	}
	var m tenantexport.Manifest
	size, err = putEncrypted(ctx, s, export.FullKey(e.TenantID, e.ID), key, e.ID, func(w io.Writer) error {
		var err error
		m, err = tenantexport.ExportArchive(ctx, db, e.TenantID, w, opts)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	for _, f := range m.Files {
		if f.Entity != "" && strings.HasSuffix(f.Path, ".jsonl") {
			counts = append(counts, store.EntityCount{Entity: f.Entity, Rows: f.Rows})
		}
	}
	return size, counts, nil
}
