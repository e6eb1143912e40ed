package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
)

// BulkAuditEvents appends n events to tenantID's chain for the tests and
// benchmarks of the audit log at scale: gen fills each event's actor,
// action, object, subject, purpose, outcome and time; the sequence
// numbers, hashes and Merkle tree move as appendAudit moves them (the
// result verifies), list events' ids go to audit_list_objects, and the head moves
// once at the end. Rows go many per statement on SQLite and by COPY on
// PostgreSQL, 50,000 per transaction. With dropIndexes the secondary
// indexes of audit_events are dropped for the load and built again after
// it, as a restore would: much faster for millions of rows. Test data
// only, never a product path (it lives in a _test.go file).
func (db *DB) BulkAuditEvents(ctx context.Context, tenantID string, n int, dropIndexes bool, gen func(i int, e *audit.Event)) error {
	var head audit.Head
	var frontier []byte
	if err := db.sql.QueryRowContext(ctx, `SELECT seq, hash, tree FROM audit_heads WHERE tenant_id = $1`, tenantID).Scan(&head.Seq, &head.Hash, &frontier); err != nil {
		return err
	}
	// The Merkle tree moves with the chain, as appendAudit moves it.
	tree, err := auditproof.ResumeLogBytes(uint64(head.Seq), frontier)
	if err != nil {
		return err
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var rebuild []string
	if dropIndexes {
		q := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events' AND sql IS NOT NULL`
		if db.dialect == Postgres {
			q = `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'audit_events'
				AND indexname <> 'audit_events_pkey'`
		}
		rows, err := conn.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		var names []string
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				rows.Close()
				return err
			}
			names, rebuild = append(names, name), append(rebuild, def)
		}
		rows.Close()
		for _, name := range names {
			if _, err := conn.ExecContext(ctx, `DROP INDEX `+name); err != nil {
				return err
			}
		}
	}
	const perTx = 50_000
	events := make([]audit.Event, 0, perTx)
	for start := 0; start < n; start += perTx {
		events = events[:0]
		for i := start; i < min(n, start+perTx); i++ {
			e := audit.Event{TenantID: tenantID, Outcome: audit.OutcomeSuccess}
			gen(i, &e)
			e.Time = fromMicros(micros(e.Time))
			e.Seq, e.PrevHash = head.Seq+1, head.Hash
			e.Hash = e.ComputeHash()
			if err := tree.AppendEvent(&e); err != nil {
				return err
			}
			head = audit.Head{Seq: e.Seq, Hash: e.Hash}
			events = append(events, e)
		}
		if db.dialect == Postgres {
			err = bulkAuditPostgres(ctx, conn, events)
		} else {
			err = bulkAuditSQLite(ctx, conn, events)
		}
		if err != nil {
			return err
		}
	}
	if db.dialect == Postgres {
		conn.ExecContext(ctx, `SET maintenance_work_mem = '256MB'`)
	}
	for _, def := range rebuild {
		if _, err := conn.ExecContext(ctx, def); err != nil {
			return err
		}
	}
	_, err = conn.ExecContext(ctx, `UPDATE audit_heads SET seq = $1, hash = $2, tree = $3 WHERE tenant_id = $4`,
		head.Seq, head.Hash, tree.FrontierBytes(), tenantID)
	return err
}

// listIDs are the distinct ids a list event names.
func listIDs(objectID string) []string {
	if !strings.Contains(objectID, ",") {
		return nil
	}
	seen := map[string]bool{}
	var ids []string
	for _, id := range strings.Split(objectID, ",") {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

func auditRow(e *audit.Event) []any {
	return []any{e.TenantID, e.Seq, micros(e.Time), string(e.Actor.Kind), e.Actor.ID, e.Actor.Role, e.Actor.OnBehalfOf,
		e.Actor.RequestID, e.Action, e.ObjectType, e.ObjectID, e.Subject, e.Purpose, e.Outcome, e.PrevHash, e.Hash}
}

var auditInsertColumns = []string{"tenant_id", "seq", "at", "actor_kind", "actor_id", "actor_role", "on_behalf_of",
	"request_id", "action", "object_type", "object_id", "subject", "purpose", "outcome", "prev_hash", "hash"}

func bulkAuditPostgres(ctx context.Context, conn *sql.Conn, events []audit.Event) error {
	return conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		tx, err := c.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		i := 0
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"audit_events"}, auditInsertColumns, pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(events) {
				return nil, nil
			}
			i++
			return auditRow(&events[i-1]), nil
		})); err != nil {
			return err
		}
		var listed [][]any
		for _, e := range events {
			for _, id := range listIDs(e.ObjectID) {
				listed = append(listed, []any{e.TenantID, id, e.Seq})
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"audit_list_objects"}, []string{"tenant_id", "object_id", "seq"},
			pgx.CopyFromRows(listed)); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}

func bulkAuditSQLite(ctx context.Context, conn *sql.Conn, events []audit.Event) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	const perStmt = 100
	var listed *sql.Stmt
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(auditInsertColumns)), ", ") + ")"
	insert := func(batch []audit.Event) error {
		q := `INSERT INTO audit_events (` + strings.Join(auditInsertColumns, ", ") + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat(row+", ", len(batch)), ", ")
		args := make([]any, 0, len(batch)*len(auditInsertColumns))
		for i := range batch {
			args = append(args, auditRow(&batch[i])...)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		for _, e := range batch {
			for _, id := range listIDs(e.ObjectID) {
				if _, err := listed.ExecContext(ctx, e.TenantID, id, e.Seq); err != nil {
					return fmt.Errorf("list objects: %w", err)
				}
			}
		}
		return nil
	}
	listed, err = tx.PrepareContext(ctx, `INSERT INTO audit_list_objects (tenant_id, object_id, seq) VALUES (?, ?, ?)`)
	if err != nil {
		return err
	}
	defer listed.Close()
	for s := 0; s < len(events); s += perStmt {
		if err := insert(events[s:min(len(events), s+perStmt)]); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// AuditLogPlan is the database's plan for a page of q (the first page, or
// with next a page after a cursor), one line per step: EXPLAIN QUERY PLAN
// on SQLite, EXPLAIN on PostgreSQL.
func (db *DB) AuditLogPlan(ctx context.Context, tenantID string, q AuditQuery, next bool) (string, error) {
	f, err := db.auditFilter(tenantID, q)
	if err != nil {
		return "", err
	}
	var cur *auditCursor
	if next {
		cur = &auditCursor{at: micros(db.now()), seq: 1 << 40}
	}
	query, args := f.sql(db, tenantID, cur, 0, 51)
	explain := "EXPLAIN "
	if db.dialect == SQLite {
		explain = "EXPLAIN QUERY PLAN "
	}
	rows, err := db.sql.QueryContext(ctx, explain+query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		lines = append(lines, fmt.Sprint(vals[len(vals)-1])) // SQLite: the detail column; PostgreSQL: the one column
	}
	return strings.Join(lines, "\n"), rows.Err()
}
