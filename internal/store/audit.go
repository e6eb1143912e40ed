package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
)

// appendAudit writes e as the next event of its tenant's chain, in tx.
//
// The writer keeps each tenant's head in memory and moves the head row
// only if it still holds the cached sequence number (optimistic
// concurrency): when another process appended in between (a CLI command on
// SQLite, another node on PostgreSQL) the update matches no row, and the
// head is read again — FOR UPDATE on PostgreSQL, where the row lock then
// orders the writers — before one more try. The chain never forks.
func (tx *Tx) appendAudit(e audit.Event) error {
	if e.Outcome == "" {
		e.Outcome = audit.OutcomeSuccess
	}
	if err := e.Validate(); err != nil {
		return err
	}
	head, cached := tx.heads[e.TenantID]
	if !cached {
		head, cached = tx.db.heads[e.TenantID]
	}
	for attempt := 0; ; attempt++ {
		if !cached {
			var err error
			if head, err = tx.readHead(e.TenantID, true); err != nil {
				return err
			}
		}
		next := e
		next.Seq = head.Seq + 1
		next.PrevHash = head.Hash
		next.Time = fromMicros(micros(tx.db.now())) // the precision that is stored
		next.Hash = next.ComputeHash()
		// The Merkle tree moves with the chain, in the same statement
		// (AUD-2): a checkpoint can then be signed at any moment without
		// reading the log.
		tree, err := auditproof.ResumeLogBytes(uint64(head.Seq), head.tree)
		if err != nil {
			return fmt.Errorf("audit: tree of tenant %s: %w", e.TenantID, err)
		}
		if err := tree.AppendEvent(&next); err != nil {
			return fmt.Errorf("audit: tree of tenant %s: %w", e.TenantID, err)
		}
		frontier := tree.FrontierBytes()
		res, err := tx.exec(`UPDATE audit_heads SET seq = $1, hash = $2, tree = $3 WHERE tenant_id = $4 AND seq = $5`,
			next.Seq, next.Hash, frontier, e.TenantID, head.Seq)
		if err != nil {
			return fmt.Errorf("audit: move head: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			if !cached || attempt > 0 {
				return fmt.Errorf("audit: head of tenant %s moved concurrently", e.TenantID)
			}
			cached = false // stale cache: read the head and try once more
			continue
		}
		if _, err := tx.exec(`INSERT INTO audit_events (tenant_id, seq, at, actor_kind, actor_id, actor_role, on_behalf_of,
		request_id, action, object_type, object_id, subject, purpose, outcome, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			next.TenantID, next.Seq, micros(next.Time), string(next.Actor.Kind), next.Actor.ID, next.Actor.Role, next.Actor.OnBehalfOf,
			next.Actor.RequestID, next.Action, next.ObjectType, next.ObjectID, next.Subject, next.Purpose, next.Outcome,
			next.PrevHash, next.Hash); err != nil {
			return fmt.Errorf("audit: append: %w", err)
		}
		if err := tx.indexListObjects(next); err != nil {
			return err
		}
		tx.heads[e.TenantID] = chainHead{Head: audit.Head{Seq: next.Seq, Hash: next.Hash}, tree: frontier}
		return tx.staffChanged(next) // AUD-5: a change of the supplier's staff list is told to every controller
	}
}

// chainHead is the end of a tenant's log as the writer caches it: the
// chain's head and the frontier of the Merkle tree over events 1…Seq
// (auditproof.Log.FrontierBytes; never changed in place, so a cached copy
// survives a rolled-back savepoint).
type chainHead struct {
	audit.Head
	tree []byte
}

// readHead reads tenant's head and tree, locking the row on PostgreSQL when
// lock is set. A tree that is missing (a log written before the tree
// existed) or does not fit the head's size is built again from the events:
// it is derived data, and the signed checkpoints the controller keeps, not
// this column, are what a rewritten log fails against.
func (tx *Tx) readHead(tenantID string, lock bool) (chainHead, error) {
	var h chainHead
	q := `SELECT seq, hash, tree FROM audit_heads WHERE tenant_id = $1`
	if lock && tx.db.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	if err := tx.queryRow(q, tenantID).Scan(&h.Seq, &h.Hash, &h.tree); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return h, fmt.Errorf("audit: tenant %s has no audit log", tenantID)
		}
		return h, fmt.Errorf("audit: read head: %w", err)
	}
	if _, err := auditproof.ResumeLogBytes(uint64(max(h.Seq, 0)), h.tree); err == nil {
		return h, nil
	}
	// A pruned log's tree resumes from its pruning record (AUD-2).
	p, err := tx.latestPruning(tenantID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return h, err
	}
	tree, _, err := resumeAt(tenantID, p)
	if err != nil {
		return h, err
	}
	rows, err := tx.query(`SELECT seq, hash FROM audit_events WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`, tenantID, p.Size, h.Seq)
	if err != nil {
		return h, fmt.Errorf("audit: build tree: %w", err)
	}
	defer rows.Close()
	var e audit.Event
	for rows.Next() {
		if err := rows.Scan(&e.Seq, &e.Hash); err != nil {
			return h, fmt.Errorf("audit: build tree: %w", err)
		}
		if err := tree.AppendEvent(&e); err != nil {
			return h, fmt.Errorf("audit: build tree of tenant %s: %w", tenantID, err)
		}
	}
	if err := rows.Err(); err != nil {
		return h, fmt.Errorf("audit: build tree: %w", err)
	}
	if tree.Size() != uint64(h.Seq) {
		return h, fmt.Errorf("audit: build tree of tenant %s: %d events up to head %d", tenantID, tree.Size(), h.Seq)
	}
	h.tree = tree.FrontierBytes()
	return h, nil
}

// listedPerEvent is how many ids one event lists in its object: a longer
// list (an inbox page of 200 rows, a package of a person with 1,000
// submissions) is recorded as several events, so that no object outgrows
// the log's object index (PostgreSQL's b-tree rows stop at 2,704 bytes;
// 60 ids of 32 characters and their commas stay under 2,000).
const listedPerEvent = 60

// listedObjects splits ids into the objects of the events that list them,
// listedPerEvent at a time: always at least one, "" for no ids.
func listedObjects(ids []string) []string {
	objs := []string{""}
	if len(ids) > 0 {
		objs = objs[:0]
	}
	for i := 0; i < len(ids); i += listedPerEvent {
		objs = append(objs, strings.Join(ids[i:min(i+listedPerEvent, len(ids))], ","))
	}
	return objs
}

// actorName is how a row names who made it ("user:ID", "operator:cli:NAME").
func actorName(a audit.Actor) string { return string(a.Kind) + ":" + a.ID }

// createAuditHead starts a tenant's chain.
func (tx *Tx) createAuditHead(tenantID string) error {
	_, err := tx.exec(`INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 0, $2)`, tenantID, audit.Genesis(tenantID))
	return err
}

// Audit records an event that accompanies no data change of its own, such
// as a refused request or a verification run.
func (db *DB) Audit(ctx context.Context, e audit.Event) error {
	return db.write(ctx, func(tx *Tx) error { return tx.appendAudit(e) })
}

// AuditHead returns the recorded end of tenant's chain. ErrNotFound when the
// tenant has no log.
func (db *DB) AuditHead(ctx context.Context, tenantID string) (audit.Head, error) {
	var h audit.Head
	err := db.sql.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE tenant_id = $1`, tenantID).Scan(&h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return h, ErrNotFound
	}
	if err != nil {
		return h, fmt.Errorf("audit head: %w", err)
	}
	return h, nil
}

// auditEventColumns are the columns of audit_events that make an
// audit.Event of a known tenant, in the order EachAuditEvent scans them.
const auditEventColumns = `seq, at, actor_kind, actor_id, actor_role, on_behalf_of, request_id,
	action, object_type, object_id, subject, purpose, outcome, prev_hash, hash`

// EachAuditEvent calls fn for tenant's events in sequence order, streaming
// them from the database. Audit events hold no personal data (pseudonyms
// only), so reading them is not itself audited here; the web layer records
// who consulted the log.
func (db *DB) EachAuditEvent(ctx context.Context, tenantID string, fn func(*audit.Event) error) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+auditEventColumns+`
		FROM audit_events WHERE tenant_id = $1 ORDER BY seq`, tenantID)
	if err != nil {
		return fmt.Errorf("read audit log: %w", err)
	}
	return scanAuditEvents(rows, tenantID, fn)
}

// scanAuditEvent reads one row of auditEventColumns into e (all but its
// tenant).
func scanAuditEvent(rows *sql.Rows, e *audit.Event) error {
	var at int64
	var kind string
	if err := rows.Scan(&e.Seq, &at, &kind, &e.Actor.ID, &e.Actor.Role, &e.Actor.OnBehalfOf, &e.Actor.RequestID,
		&e.Action, &e.ObjectType, &e.ObjectID, &e.Subject, &e.Purpose, &e.Outcome, &e.PrevHash, &e.Hash); err != nil {
		return fmt.Errorf("read audit log: %w", err)
	}
	e.Time, e.Actor.Kind = fromMicros(at), audit.ActorKind(kind)
	return nil
}

// scanAuditEvents calls fn for each row of auditEventColumns and closes
// rows. fn's event is reused from row to row.
func scanAuditEvents(rows *sql.Rows, tenantID string, fn func(*audit.Event) error) error {
	defer rows.Close()
	var e audit.Event
	e.TenantID = tenantID
	for rows.Next() {
		if err := scanAuditEvent(rows, &e); err != nil {
			return err
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AuditEvents is EachAuditEvent as a pull iterator (auditproof.Events):
// next reads tenant's next event into e and reports false at the end; stop
// closes the read, and must be called.
func (db *DB) AuditEvents(ctx context.Context, tenantID string) (next func(e *audit.Event) (bool, error), stop func(), err error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+auditEventColumns+`
		FROM audit_events WHERE tenant_id = $1 ORDER BY seq`, tenantID)
	if err != nil {
		return nil, nil, fmt.Errorf("read audit log: %w", err)
	}
	next = func(e *audit.Event) (bool, error) {
		if !rows.Next() {
			return false, rows.Err()
		}
		e.TenantID = tenantID
		return true, scanAuditEvent(rows, e)
	}
	return next, func() { rows.Close() }, nil
}
