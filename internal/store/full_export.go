package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
)

// Full exports from the web (END-3): a tenant admin asks for the whole
// tenant, behind the step-up, with a reason; CreateFullExport records the
// request in the tenant's audit log and queues the job in one
// transaction. The job (jobs.FullExportBuild) writes the archive of
// tenantexport into the export store, encrypted with a data key of its
// own kept here sealed with the tenant key; deleting or expiring the
// export shreds that key, so that no copy of the file opens any more.
// Every admin of the tenant sees the list; only the admin who asked
// downloads.

// FullExportJobKind is the durable job that writes a full export; its
// payload is "tenantID/exportID".
const FullExportJobKind = "tenant.export"

// FullExport is one full export as the page shows it (never its content).
type FullExport struct {
	ID       string
	TenantID string
	UserID   string
	// Recipient is the controller's age public key the archive is
	// encrypted to ("" when none was given).
	Recipient string
	Status    string // ExportPending, ExportRunning, ExportReady, ExportFailed
	Size      int64
	// Entities is the manifest's rows per entity, in the archive's order;
	// empty until ready.
	Entities   []EntityCount
	CreatedAt  time.Time
	FinishedAt *time.Time
	ExpiresAt  time.Time
}

// EntityCount is one entity of a full export's manifest and its rows.
type EntityCount struct {
	Entity string `json:"entity"`
	Rows   int64  `json:"rows"`
}

// Rows is the sum of the rows of all entities.
func (e FullExport) Rows() int64 {
	var n int64
	for _, c := range e.Entities {
		n += c.Rows
	}
	return n
}

func fullExportKeyAD(tenantID, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "full_exports", Column: "data_key", Row: id}
}

// CreateFullExport records userID's request for a full export of the
// tenant and queues its job. An empty or too long reason is refused with
// *ExportInvalidError (field "reason") and nothing written. The audit event
// "fullexport.create" names the reason and whether the archive is
// encrypted to a recipient, and is committed with the row and its job.
// The recipient must already be checked (tenantexport.ParseRecipients).
// ErrConflict, with nothing written, while another full export of the
// tenant is pending or running.
func (db *DB) CreateFullExport(ctx context.Context, actor audit.Actor, tenantID, userID, reason, recipient string) (FullExport, error) {
	if err := db.requireKeys(); err != nil {
		return FullExport{}, err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return FullExport{}, &ExportInvalidError{"reason", "reason"}
	case len(reason) > 500:
		return FullExport{}, &ExportInvalidError{"reason", "reason_long"}
	}
	now := db.now()
	e := FullExport{ID: newID(now), TenantID: tenantID, UserID: userID, Recipient: strings.TrimSpace(recipient), Status: ExportPending,
		CreatedAt: fromMicros(micros(now)), ExpiresAt: fromMicros(micros(now.Add(ExportTTL)))}
	key := make([]byte, 32)
	rand.Read(key)
	sealedKey, err := db.keys.Seal(tenantID, fullExportKeyAD(tenantID, e.ID), key)
	if err != nil {
		return FullExport{}, fmt.Errorf("create full export: %w", err)
	}
	enc := "not encrypted to a recipient (encrypted at rest)"
	if e.Recipient != "" {
		enc = "encrypted to age recipient " + e.Recipient
	}
	err = db.write(ctx, func(tx *Tx) error {
		// One at a time per tenant: a full export reads everything, and a
		// second one queued behind it would only repeat it.
		var busy int
		if err := tx.queryRow(`SELECT count(*) FROM full_exports WHERE tenant_id = $1 AND status IN ('pending', 'running')`,
			tenantID).Scan(&busy); err != nil {
			return err
		}
		if busy > 0 {
			return keep(ErrConflict)
		}
		if _, err := tx.exec(`INSERT INTO full_exports (id, tenant_id, user_id, recipient, status, data_key, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.ID, tenantID, userID, e.Recipient, ExportPending, sealedKey, micros(now),
			micros(e.ExpiresAt)); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO jobs (id, tenant_id, kind, dedupe_key, payload, status, run_at, max_attempts, created_at)
			VALUES ($1, $2, $3, $4, $5, 'pending', $6, 1, $6)`,
			newID(now), tenantID, FullExportJobKind, FullExportJobKind+"@"+e.ID, tenantID+"/"+e.ID, micros(now)); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "fullexport.create", ObjectType: "full_export",
			ObjectID: e.ID, Purpose: "reason: " + reason + "; " + enc})
	})
	if err != nil {
		return FullExport{}, fmt.Errorf("create full export: %w", err)
	}
	return e, nil
}

const fullExportColumns = `id, tenant_id, user_id, recipient, status, size, summary, created_at, finished_at, expires_at`

func scanFullExport(row interface{ Scan(...any) error }) (FullExport, error) {
	var e FullExport
	var summary string
	var created, expires int64
	var finished sql.NullInt64
	if err := row.Scan(&e.ID, &e.TenantID, &e.UserID, &e.Recipient, &e.Status, &e.Size, &summary, &created, &finished, &expires); err != nil {
		return e, err
	}
	if summary != "" {
		if err := json.Unmarshal([]byte(summary), &e.Entities); err != nil {
			return e, err
		}
	}
	e.CreatedAt, e.ExpiresAt = fromMicros(created), fromMicros(expires)
	if finished.Valid {
		t := fromMicros(finished.Int64)
		e.FinishedAt = &t
	}
	return e, nil
}

// FullExports lists the tenant's full exports that are not deleted,
// newest first.
func (db *DB) FullExports(ctx context.Context, tenantID string) ([]FullExport, error) {
	return db.listFullExports(ctx, `WHERE tenant_id = $1 AND status <> 'deleted' ORDER BY created_at DESC, id DESC`, tenantID)
}

// ExpiredFullExports lists, across tenants (a platform-level query for the
// sweep job), the full exports not yet deleted whose time ran out.
func (db *DB) ExpiredFullExports(ctx context.Context) ([]FullExport, error) {
	return db.listFullExports(ctx, `WHERE status <> 'deleted' AND expires_at <= $1 ORDER BY expires_at`, micros(db.now()))
}

func (db *DB) listFullExports(ctx context.Context, where string, args ...any) ([]FullExport, error) {
	out, err := queryList(ctx, db, scanFullExport, `SELECT `+fullExportColumns+` FROM full_exports `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list full exports: %w", err)
	}
	return out, nil
}

// FullExportJob returns a pending full export with its data key opened,
// for the job that writes it, and marks it running. ErrNotFound when it is
// unknown, deleted or already past pending (a job that runs again after a
// crash leaves it as it is: the sweep removes it).
func (db *DB) FullExportJob(ctx context.Context, tenantID, id string) (FullExport, []byte, error) {
	if err := db.requireKeys(); err != nil {
		return FullExport{}, nil, err
	}
	var e FullExport
	var sealed []byte
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		e, err = scanFullExport(tx.queryRow(`SELECT `+fullExportColumns+` FROM full_exports WHERE tenant_id = $1 AND id = $2
			AND status = 'pending'`, tenantID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := tx.queryRow(`SELECT data_key FROM full_exports WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&sealed); err != nil {
			return err
		}
		_, err = tx.exec(`UPDATE full_exports SET status = 'running' WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		e.Status = ExportRunning
		return err
	})
	if err != nil {
		return FullExport{}, nil, fmt.Errorf("full export %s: %w", id, err)
	}
	key, err := db.keys.Open(tenantID, fullExportKeyAD(tenantID, id), sealed)
	if err != nil {
		return FullExport{}, nil, fmt.Errorf("full export %s: %w", id, ErrUnreadable)
	}
	return e, key, nil
}

// FinishFullExport records the end of the job: ready with the archive's
// size and the manifest's rows per entity, or failed (runErr is not
// stored: it may name anything), audited as "fullexport.ready" or
// "fullexport.fail". ErrNotFound when the export was deleted meanwhile.
func (db *DB) FinishFullExport(ctx context.Context, actor audit.Actor, tenantID, id string, size int64, entities []EntityCount, runErr error) error {
	status, action, outcome := ExportReady, "fullexport.ready", audit.OutcomeSuccess
	if runErr != nil {
		status, action, outcome, size, entities = ExportFailed, "fullexport.fail", audit.OutcomeFailure, 0, nil
	}
	summary := ""
	var rows int64
	if len(entities) > 0 {
		b, err := json.Marshal(entities)
		if err != nil {
			return fmt.Errorf("finish full export %s: %w", id, err)
		}
		summary = string(b)
		for _, c := range entities {
			rows += c.Rows
		}
	}
	err := db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE full_exports SET status = $1, size = $2, summary = $3, finished_at = $4
			WHERE tenant_id = $5 AND id = $6 AND status IN ('pending', 'running')`, status, size, summary, micros(db.now()), tenantID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotFound
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: "full_export", ObjectID: id,
			Purpose: fmt.Sprintf("entities %d, rows %d, bytes %d", len(entities), rows, size), Outcome: outcome})
	})
	if err != nil {
		return fmt.Errorf("finish full export %s: %w", id, err)
	}
	return nil
}

// DownloadFullExport gives the admin who asked for a ready full export its
// data key, to decrypt the archive while it streams, and records the
// download ("fullexport.download") in the same transaction, before the key
// leaves the store. ErrNotFound for anyone else (audited as denied), or
// when the export is not ready, is deleted or has expired.
func (db *DB) DownloadFullExport(ctx context.Context, actor audit.Actor, tenantID, userID, id string) (FullExport, []byte, error) {
	if err := db.requireKeys(); err != nil {
		return FullExport{}, nil, err
	}
	var e FullExport
	var key []byte
	err := db.write(ctx, func(tx *Tx) error {
		ev := audit.Event{TenantID: tenantID, Actor: actor, Action: "fullexport.download", ObjectType: "full_export", ObjectID: id}
		var err error
		key, err = tx.openExportKey(ev, "full_exports", fullExportKeyAD(tenantID, id), func() error {
			e, err = scanFullExport(tx.queryRow(`SELECT `+fullExportColumns+` FROM full_exports WHERE tenant_id = $1 AND user_id = $2
				AND id = $3 AND status = 'ready' AND expires_at > $4`, tenantID, userID, id, micros(db.now())))
			return err
		}, func() string { return fmt.Sprintf("entities %d, rows %d, bytes %d", len(e.Entities), e.Rows(), e.Size) })
		return err
	})
	if err != nil {
		return FullExport{}, nil, fmt.Errorf("download full export %s: %w", id, err)
	}
	return e, key, nil
}

// DeleteFullExport deletes a full export of the tenant (any admin may: a
// deletion only lessens what exists): its data key is shredded and the
// deletion audited; the caller removes the file. ErrNotFound for an
// unknown export or one already deleted.
func (db *DB) DeleteFullExport(ctx context.Context, actor audit.Actor, tenantID, id string) error {
	return db.shredExport(ctx, actor, "full_exports", tenantID, "", id, "fullexport.delete", "by an admin")
}

// ExpireFullExport deletes a full export whose time ran out, for the sweep
// job.
func (db *DB) ExpireFullExport(ctx context.Context, actor audit.Actor, tenantID, id string) error {
	return db.shredExport(ctx, actor, "full_exports", tenantID, "", id, "fullexport.expire", "after "+ExportTTL.String())
}
