package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
	"golang.org/x/mod/sumdb/note"
)

// A tenant's audit log keeps its events for the tenant's audit retention
// (AUD-2): the processing register's "audit-log" category when it has
// one, else the tenant's setting, else two years; never less than six
// months. Pruning removes the oldest events only up to a signed checkpoint
// all of whose events are older than that, and leaves a signed pruning
// record in their place (audit_prunings, docs/audit.md) from which what
// remains is still verified: the chain resumes after the record's last
// hash, the Merkle tree from its frontier.

// AuditRetention is a tenant's audit retention and where it comes from.
type AuditRetention struct {
	Months       int    // the tenant's setting, or the default
	RegisterDays int    // > 0: the register's audit-log category sets it, in days, and Months does not apply
	Source       string // "default", "setting" or "register"
	Version      int    // the setting's version (0: never set)
	SetAt        time.Time
	SetBy        string
}

// Cutoff is the moment before which events may be pruned.
func (r AuditRetention) Cutoff(now time.Time) time.Time {
	return audit.RetentionCutoff(now, r.Months, r.RegisterDays)
}

// AuditRetention returns tenant's audit retention.
func (db *DB) AuditRetention(ctx context.Context, tenantID string) (AuditRetention, error) {
	r := AuditRetention{Months: audit.DefaultRetentionMonths, Source: "default"}
	var at int64
	err := db.sql.QueryRowContext(ctx, `SELECT version, months, created_at, created_by FROM audit_retention
		WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1`, tenantID).Scan(&r.Version, &r.Months, &at, &r.SetBy)
	switch {
	case err == nil:
		r.Source, r.SetAt = "setting", fromMicros(at)
	case !errors.Is(err, sql.ErrNoRows):
		return r, fmt.Errorf("audit retention: %w", err)
	}
	reg, err := db.CurrentRegister(ctx, tenantID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return r, fmt.Errorf("audit retention: %w", err)
	}
	for _, c := range reg.Register.Categories {
		if c.Key == audit.RegisterCategory && c.RetentionDays > 0 {
			r.RegisterDays, r.Source = c.RetentionDays, "register"
		}
	}
	return r, nil
}

// SetAuditRetention stores tenant's audit retention in months as its next
// version, audited as audit.retention in the same transaction. An
// *audit.RetentionError, and nothing saved, below six months or above the
// maximum. The handler checks that actor may change it.
func (db *DB) SetAuditRetention(ctx context.Context, actor audit.Actor, tenantID string, months int) error {
	if err := audit.ValidateRetentionMonths(months); err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		if err := tx.lockTenant(tenantID); err != nil {
			return err
		}
		var version, old int
		err := tx.queryRow(`SELECT version, months FROM audit_retention WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1`,
			tenantID).Scan(&version, &old)
		if errors.Is(err, sql.ErrNoRows) {
			old = audit.DefaultRetentionMonths
		} else if err != nil {
			return fmt.Errorf("audit retention: %w", err)
		}
		if version > 0 && old == months {
			return nil
		}
		if _, err := tx.exec(`INSERT INTO audit_retention (tenant_id, version, months, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5)`, tenantID, version+1, months, micros(db.now()), actor.ID); err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("audit retention changed meanwhile: %w", ErrConflict)
			}
			return fmt.Errorf("audit retention: %w", err)
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "audit.retention",
			ObjectType: "audit_log", ObjectID: fmt.Sprint(months), Outcome: audit.OutcomeSuccess,
			Purpose: fmt.Sprintf("audit retention %d → %d months", old, months)})
	})
}

// AuditPruning is a pruning record as the store keeps it.
type AuditPruning struct {
	TenantID   string
	Size       int64
	LastHash   []byte
	Frontier   []byte // auditproof.Log.FrontierBytes of size Size
	Checkpoint []byte // the signed checkpoint of size Size
	Note       []byte // the signed pruning record
	PrunedAt   time.Time
}

// Pruned is the record as an export carries it.
func (p AuditPruning) Pruned() *auditproof.Pruned {
	return &auditproof.Pruned{Record: p.Note, Checkpoint: p.Checkpoint}
}

// Start is where the chain resumes after the record.
func (p AuditPruning) Start() audit.Head { return audit.Head{Seq: p.Size, Hash: p.LastHash} }

func scanPruning(row interface{ Scan(...any) error }, tenantID string) (AuditPruning, error) {
	p := AuditPruning{TenantID: tenantID}
	var cp, n string
	var at int64
	if err := row.Scan(&p.Size, &p.LastHash, &p.Frontier, &cp, &n, &at); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return p, ErrNotFound
		}
		return p, fmt.Errorf("audit pruning: %w", err)
	}
	p.Checkpoint, p.Note, p.PrunedAt = []byte(cp), []byte(n), fromMicros(at)
	return p, nil
}

const latestPruning = `SELECT size, last_hash, frontier, checkpoint, note, pruned_at FROM audit_prunings
	WHERE tenant_id = $1 ORDER BY size DESC LIMIT 1`

// LatestAuditPruning is tenant's latest pruning record, the one what
// remains of its log starts after; ErrNotFound when it was never pruned.
func (db *DB) LatestAuditPruning(ctx context.Context, tenantID string) (AuditPruning, error) {
	return scanPruning(db.sql.QueryRowContext(ctx, latestPruning, tenantID), tenantID)
}

func (tx *Tx) latestPruning(tenantID string) (AuditPruning, error) {
	return scanPruning(tx.queryRow(latestPruning, tenantID), tenantID)
}

// PruneAudit prunes tenant's log as its retention allows (AUD-2): it finds
// the largest signed checkpoint of size N all of whose events are older
// than the retention's cutoff and, in one transaction, records a pruning
// record of size N signed by signer, deletes events 1…N and nothing else,
// and appends audit.prune to the log. Before it deletes, it checks that
// the events it removes still chain from the previous record (or the
// genesis) and have the checkpoint's root: a log that no longer matches
// its checkpoint is not pruned (an error). It returns the record, or
// ErrNotFound when nothing may be pruned (no checkpoint old enough, or
// none beyond the previous record).
func (db *DB) PruneAudit(ctx context.Context, tenantID string, signer note.Signer) (AuditPruning, error) {
	ret, err := db.AuditRetention(ctx, tenantID)
	if err != nil {
		return AuditPruning{}, err
	}
	var rec AuditPruning
	err = db.write(ctx, func(tx *Tx) error {
		head, err := tx.head(tenantID) // locks the head: no append in between
		if err != nil {
			return err
		}
		now := fromMicros(micros(db.now()))
		cutoff := ret.Cutoff(now)
		prev, err := tx.latestPruning(tenantID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		// The largest prefix of events all older than the cutoff ends
		// before the first younger one.
		var young sql.NullInt64
		if err := tx.queryRow(`SELECT min(seq) FROM audit_events WHERE tenant_id = $1 AND seq > $2 AND at >= $3`,
			tenantID, prev.Size, micros(cutoff)).Scan(&young); err != nil {
			return fmt.Errorf("audit prune: %w", err)
		}
		old := head.Seq
		if young.Valid {
			old = young.Int64 - 1
		}
		var size sql.NullInt64
		if err := tx.queryRow(`SELECT max(size) FROM audit_checkpoints WHERE tenant_id = $1 AND size > $2 AND size <= $3`,
			tenantID, prev.Size, old).Scan(&size); err != nil {
			return fmt.Errorf("audit prune: %w", err)
		}
		if !size.Valid {
			return ErrNotFound
		}
		n := size.Int64
		cp, err := scanCheckpoint(tx.queryRow(`SELECT `+checkpointColumns+` FROM audit_checkpoints
			WHERE tenant_id = $1 AND size = $2`, tenantID, n))
		if err != nil {
			return fmt.Errorf("audit prune: checkpoint %d: %w", n, err)
		}
		tree, chain, err := resumeAt(tenantID, prev)
		if err != nil {
			return err
		}
		rows, err := tx.query(`SELECT `+auditEventColumns+` FROM audit_events
			WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`, tenantID, prev.Size, n)
		if err != nil {
			return fmt.Errorf("audit prune: %w", err)
		}
		last := prev.LastHash
		if err := scanAuditEvents(rows, tenantID, func(e *audit.Event) error {
			if err := chain.Next(e); err != nil {
				return err
			}
			last = bytes.Clone(e.Hash)
			return tree.AppendEvent(e)
		}); err != nil {
			return fmt.Errorf("audit prune of tenant %s: the log no longer verifies, not pruned: %w", tenantID, err)
		}
		if int64(tree.Size()) != n || !bytes.Equal(tree.Root(), cp.Root) {
			return fmt.Errorf("audit prune of tenant %s: events 1-%d no longer have the root of their checkpoint, not pruned", tenantID, n)
		}
		signed, err := auditproof.SignPruning(auditproof.Pruning{Origin: CheckpointOrigin(signer, tenantID), Size: uint64(n),
			Root: cp.Root, LastHash: last, Frontier: tree.Frontier()}, signer)
		if err != nil {
			return fmt.Errorf("audit prune: sign: %w", err)
		}
		rec = AuditPruning{TenantID: tenantID, Size: n, LastHash: last, Frontier: tree.FrontierBytes(),
			Checkpoint: cp.Note, Note: signed, PrunedAt: now}
		// The record first: the trigger lets only the events it covers go.
		if _, err := tx.exec(`INSERT INTO audit_prunings (tenant_id, size, last_hash, frontier, checkpoint, note, pruned_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, tenantID, n, rec.LastHash, rec.Frontier, string(rec.Checkpoint),
			string(rec.Note), micros(now)); err != nil {
			return fmt.Errorf("audit prune: record: %w", err)
		}
		res, err := tx.exec(`DELETE FROM audit_events WHERE tenant_id = $1 AND seq > $2 AND seq <= $3`, tenantID, prev.Size, n)
		if err != nil {
			return fmt.Errorf("audit prune: delete: %w", err)
		}
		if gone, _ := res.RowsAffected(); gone != n-prev.Size {
			return fmt.Errorf("audit prune of tenant %s: deleted %d events, want %d", tenantID, gone, n-prev.Size)
		}
		// The ids of the list events it removed, which the audit page's
		// object filter reads (AUD-1).
		if _, err := tx.exec(`DELETE FROM audit_list_objects WHERE tenant_id = $1 AND seq > $2 AND seq <= $3`, tenantID, prev.Size, n); err != nil {
			return fmt.Errorf("audit prune: delete list ids: %w", err)
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: audit.System("retention"),
			Action: "audit.prune", ObjectType: "audit_log", ObjectID: fmt.Sprint(n), Outcome: audit.OutcomeSuccess,
			Purpose: fmt.Sprintf("audit retention: events %d-%d, older than %s, pruned at their checkpoint",
				prev.Size+1, n, cutoff.UTC().Format(time.DateOnly))})
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return rec, ErrNotFound
		}
		return rec, err
	}
	return rec, nil
}

// resumeAt is the tree and the chain verifier where tenant's log starts:
// after pruning record p, or (p.Size == 0) at the genesis.
func resumeAt(tenantID string, p AuditPruning) (*auditproof.Log, *audit.Verifier, error) {
	if p.Size == 0 {
		return auditproof.NewLog(), audit.NewVerifier(tenantID), nil
	}
	tree, err := auditproof.ResumeLogBytes(uint64(p.Size), p.Frontier)
	if err != nil {
		return nil, nil, fmt.Errorf("audit: pruning record %d of tenant %s: %w", p.Size, tenantID, err)
	}
	return tree, audit.ResumeVerifier(tenantID, p.Start()), nil
}

// PrunableLogs lists the tenants with a checkpoint beyond their latest
// pruning record: the only ones PruneAudit may have work for.
func (db *DB) PrunableLogs(ctx context.Context) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT c.tenant_id FROM audit_checkpoints c
		LEFT JOIN (SELECT tenant_id, max(size) AS size FROM audit_prunings GROUP BY tenant_id) p ON p.tenant_id = c.tenant_id
		GROUP BY c.tenant_id, p.size HAVING max(c.size) > COALESCE(p.size, 0) ORDER BY c.tenant_id`)
	if err != nil {
		return nil, fmt.Errorf("logs to prune: %w", err)
	}
	return scanStrings(rows)
}
