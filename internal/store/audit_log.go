package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
)

// ErrBadFilter: a filter holds characters no id or action has.
var ErrBadFilter = errors.New("invalid filter")

// AuditLogLimit is the most events one page of the log holds.
const AuditLogLimit = 200

// auditExportBatch is how many events one read of a download holds: a
// download of any size pages through the log in batches of this many, in
// constant memory.
const auditExportBatch = 1000

// AuditQuery selects a page of a tenant's audit log, newest first. Empty
// fields do not filter. Action matches from the start ("submission."
// finds every submission event); ObjectID finds the object also inside
// a list event's ids; Subject is a data subject's normalised identifier
// (INSZ digits or e-mail address), matched by its pseudonym — never
// stored, never in a URL. Before is the sequence number the previous
// page ended at.
type AuditQuery struct {
	Action string
	// Actions, when any, are the exact codes to show (a group of the
	// registry, or one action chosen from it).
	Actions  []string
	ActorID  string
	ObjectID string
	Subject  string
	From, To time.Time
	Before   int64
	Limit    int
}

// AuditPage is one page of the log and where the next one starts (0: the
// end).
type AuditPage struct {
	Events []audit.Event
	Next   int64
	Head   int64 // the newest sequence number of the chain
}

// auditFilter is an AuditQuery made ready for SQL: the subject as its
// pseudonym, and a description for the record of the read (never a
// subject's identifier).
type auditFilter struct {
	q         AuditQuery
	subject   string
	aliases   []string // the person's pseudonyms before an import (tenant.reindex)
	described []string
}

func (db *DB) auditFilter(tenantID string, q AuditQuery) (auditFilter, error) {
	if strings.ContainsAny(q.ObjectID+q.Action+q.ActorID+strings.Join(q.Actions, ""), "%\\") {
		return auditFilter{}, ErrBadFilter
	}
	f := auditFilter{q: q}
	if q.Action != "" {
		f.described = append(f.described, "action "+q.Action)
	}
	if len(q.Actions) > 0 {
		f.described = append(f.described, "actions "+strings.Join(q.Actions, " "))
	}
	if q.ActorID != "" {
		f.described = append(f.described, "actor "+q.ActorID)
	}
	if q.ObjectID != "" {
		f.described = append(f.described, "object "+q.ObjectID)
	}
	if q.Subject != "" {
		index, err := db.keys.BlindIndex(tenantID, "subject", []byte(q.Subject))
		if err != nil {
			return auditFilter{}, err
		}
		f.subject = subjectPseudonym(index)
		f.described = append(f.described, "data subject "+f.subject)
		// END-3: events from before an import name the person by the
		// old instance's pseudonym, which the import mapped.
		if f.aliases, err = db.subjectAliases(tenantID, f.subject); err != nil {
			return auditFilter{}, err
		}
	}
	return f, nil
}

// auditCursor is where a read of the log, newest first, goes on: the
// events before (at, seq).
type auditCursor struct{ at, seq int64 }

// sql is the query for at most limit events of f after cur (nil: from the
// newest) with seq <= maxSeq (0: any), in the page's order: newest first
// by time, then by sequence number.
//
// Every filter of the page is a range of one index of migration 0025, read
// in that order, so the query reads about as many index entries as it
// returns however large the log is (AUD-1): the citizen filter drives on
// audit_events_subject, the object filter on audit_events_object plus
// audit_list_objects (a list event's ids), the action filter on
// audit_events_action — or audit_events_actor_action with an actor —, the
// actor filter on audit_events_actor, and the period alone on
// audit_events_at. A filter of several actions (a group) is one branch per
// action, each an ordered range of at most limit rows, merged: neither
// planner can merge ordered ranges of an IN list itself, and a sort of
// every matching row is what made the page slow. The other filters are
// checked on the rows the driving range yields.
func (f auditFilter) sql(db *DB, tenantID string, cur *auditCursor, maxSeq int64, limit int) (string, []any) {
	q := f.q
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	listed := func(id string) string {
		return "seq IN (SELECT seq FROM audit_list_objects WHERE tenant_id = $1 AND object_id = " + id + ")"
	}
	codes := slices.Compact(slices.Sorted(slices.Values(q.Actions)))
	// Each branch names its index: SQLite, without statistics (Kluis runs
	// no ANALYZE), may prefer the period's range on audit_events_at to an
	// equality and the same range on another index. PostgreSQL chooses
	// by cost and finds the same.
	type branch struct{ index, cond string }
	var branches []branch
	var rest []string
	switch {
	case f.subject != "":
		// subject <> '' lets SQLite use the partial index.
		branches = []branch{{"audit_events_subject", "subject = " + arg(f.subject) + " AND subject <> ''"}}
		for _, old := range f.aliases {
			branches = append(branches, branch{"audit_events_subject", "subject = " + arg(old) + " AND subject <> ''"})
		}
	case q.ObjectID != "":
		id := arg(q.ObjectID)
		branches = []branch{{"audit_events_object", "object_id = " + id}, {"", listed(id)}}
	case len(codes) > 0:
		index, actor := "audit_events_action", ""
		if q.ActorID != "" {
			index, actor = "audit_events_actor_action", "actor_id = "+arg(q.ActorID)+" AND "
		}
		for _, code := range codes {
			branches = append(branches, branch{index, actor + "action = " + arg(code)})
		}
	case q.ActorID != "":
		branches = []branch{{"audit_events_actor", "actor_id = " + arg(q.ActorID)}}
	default:
		branches = []branch{{"audit_events_at", ""}}
	}
	// The filters the driving range does not hold.
	if f.subject != "" && q.ObjectID != "" {
		id := arg(q.ObjectID)
		rest = append(rest, "(object_id = "+id+" OR "+listed(id)+")")
	}
	if (f.subject != "" || q.ObjectID != "") && len(codes) > 0 {
		marks := make([]string, len(codes))
		for i, code := range codes {
			marks[i] = arg(code)
		}
		rest = append(rest, "action IN ("+strings.Join(marks, ", ")+")")
	}
	if (f.subject != "" || q.ObjectID != "") && q.ActorID != "" {
		rest = append(rest, "actor_id = "+arg(q.ActorID))
	}
	if q.Action != "" {
		rest = append(rest, fmt.Sprintf("substr(action, 1, %d) = %s", len(q.Action), arg(q.Action)))
	}
	if !q.From.IsZero() {
		rest = append(rest, "{at} >= "+arg(micros(q.From)))
	}
	if !q.To.IsZero() {
		rest = append(rest, "{at} < "+arg(micros(q.To)))
	}
	if cur != nil {
		rest = append(rest, "({at}, seq) < ("+arg(cur.at)+", "+arg(cur.seq)+")")
	}
	if maxSeq > 0 {
		rest = append(rest, "seq <= "+arg(maxSeq))
	}
	order := fmt.Sprintf(" ORDER BY at DESC, seq DESC LIMIT %d", limit)
	selects := make([]string, len(branches))
	for i, b := range branches {
		where := append([]string{"tenant_id = $1"}, rest...)
		if b.cond != "" {
			where = append(where, b.cond)
		}
		from, at := "audit_events", "at"
		switch {
		case db.dialect != SQLite:
		case b.index != "":
			from += " INDEXED BY " + b.index
		default:
			// A list event's few rows by primary key, then sorted: "+at"
			// keeps SQLite from reading audit_events_at instead, for its
			// order or for a period.
			at = "+at"
		}
		selects[i] = "SELECT " + auditEventColumns + " FROM " + from + " WHERE " +
			strings.ReplaceAll(strings.Join(where, " AND "), "{at}", at) + strings.Replace(order, "at DESC", at+" DESC", 1)
	}
	if len(selects) == 1 {
		return selects[0], args
	}
	for i, s := range selects {
		selects[i] = fmt.Sprintf("SELECT * FROM (%s) AS b%d", s, i)
	}
	return strings.Join(selects, " UNION ALL ") + order, args
}

// AuditLog reads a page of the tenant's audit log for its controller (the
// admins and the DPO) and records that read — with the filter, never a
// subject's identifier — in the same transaction. Events hold ids and
// pseudonyms, never content.
func (db *DB) AuditLog(ctx context.Context, actor audit.Actor, tenantID string, q AuditQuery) (AuditPage, error) {
	f, err := db.auditFilter(tenantID, q)
	if err != nil {
		return AuditPage{}, fmt.Errorf("audit log: %w", err)
	}
	if q.Limit <= 0 || q.Limit > AuditLogLimit {
		q.Limit = 50
	}
	var page AuditPage
	err = db.write(ctx, func(tx *Tx) error {
		page = AuditPage{}
		if err := tx.queryRow(`SELECT COALESCE(MAX(seq), 0) FROM audit_events WHERE tenant_id = $1`, tenantID).Scan(&page.Head); err != nil {
			return err
		}
		var cur *auditCursor
		if q.Before > 0 {
			cur = &auditCursor{seq: q.Before}
			err := tx.queryRow(`SELECT at FROM audit_events WHERE tenant_id = $1 AND seq = $2`, tenantID, q.Before).Scan(&cur.at)
			if errors.Is(err, sql.ErrNoRows) {
				cur = &auditCursor{at: math.MinInt64} // no such event: nothing comes after it
			} else if err != nil {
				return err
			}
		}
		query, args := f.sql(db, tenantID, cur, 0, q.Limit+1)
		rows, err := tx.query(query, args...)
		if err != nil {
			return err
		}
		if err := scanAuditEvents(rows, tenantID, func(e *audit.Event) error {
			page.Events = append(page.Events, *e)
			return nil
		}); err != nil {
			return err
		}
		if len(page.Events) > q.Limit {
			page.Events = page.Events[:q.Limit]
			page.Next = page.Events[q.Limit-1].Seq
		}
		purpose := "audit log review"
		if len(f.described) > 0 {
			purpose += ": " + strings.Join(f.described, ", ")
		}
		ev := audit.Event{TenantID: tenantID, Actor: actor, Action: "audit.read", ObjectType: "audit_log", Purpose: purpose}
		if len(page.Events) > 0 {
			ev.ObjectID = fmt.Sprintf("%d-%d", page.Events[len(page.Events)-1].Seq, page.Events[0].Seq)
		}
		return tx.appendAudit(ev)
	})
	if err != nil {
		return AuditPage{}, fmt.Errorf("audit log: %w", err)
	}
	return page, nil
}

// AuditExport hands fn every event of q (Before and Limit aside), newest
// first, in batches, for a download of the log: however many there are,
// in constant memory. The download is recorded (audit.export, with the
// filter and the newest event it can hold) in the transaction of the first
// read, before any event leaves the store (AUD-1); the batches after it
// read up to that event, so that the download is the log as it was when it
// began. fn's slice is reused from batch to batch. It returns the number
// of events handed over.
func (db *DB) AuditExport(ctx context.Context, actor audit.Actor, tenantID string, q AuditQuery, fn func([]audit.Event) error) (int64, error) {
	f, err := db.auditFilter(tenantID, q)
	if err != nil {
		return 0, fmt.Errorf("audit export: %w", err)
	}
	var head, n int64
	var cur *auditCursor
	batch := make([]audit.Event, 0, auditExportBatch)
	keep := func(e *audit.Event) error {
		batch = append(batch, *e) // Scan copied the hashes
		return nil
	}
	err = db.write(ctx, func(tx *Tx) error {
		batch = batch[:0]
		if err := tx.queryRow(`SELECT COALESCE(MAX(seq), 0) FROM audit_events WHERE tenant_id = $1`, tenantID).Scan(&head); err != nil {
			return err
		}
		query, args := f.sql(db, tenantID, nil, head, auditExportBatch)
		rows, err := tx.query(query, args...)
		if err != nil {
			return err
		}
		if err := scanAuditEvents(rows, tenantID, keep); err != nil {
			return err
		}
		purpose := fmt.Sprintf("audit log download up to event %d", head)
		if len(f.described) > 0 {
			purpose += ": " + strings.Join(f.described, ", ")
		}
		ev := audit.Event{TenantID: tenantID, Actor: actor, Action: "audit.export", ObjectType: "audit_log", Purpose: purpose}
		if head > 0 {
			ev.ObjectID = fmt.Sprintf("1-%d", head)
		}
		return tx.appendAudit(ev)
	})
	for err == nil && len(batch) > 0 {
		n += int64(len(batch))
		last := batch[len(batch)-1]
		if err = fn(batch); err != nil || len(batch) < auditExportBatch {
			break
		}
		cur = &auditCursor{at: micros(last.Time), seq: last.Seq}
		batch = batch[:0]
		query, args := f.sql(db, tenantID, cur, head, auditExportBatch)
		var rows *sql.Rows
		if rows, err = db.sql.QueryContext(ctx, query, args...); err == nil {
			err = scanAuditEvents(rows, tenantID, keep)
		}
	}
	if err != nil {
		return n, fmt.Errorf("audit export: %w", err)
	}
	return n, nil
}

// indexListObjects records the ids a list event names ("id,id,…") in
// audit_list_objects, so that the object filter finds the event by any of
// them through an index (AUD-1). Other events have nothing to record.
func (tx *Tx) indexListObjects(e audit.Event) error {
	if !strings.Contains(e.ObjectID, ",") {
		return nil
	}
	seen := map[string]bool{}
	var values []string
	args := []any{e.TenantID, e.Seq}
	for _, id := range strings.Split(e.ObjectID, ",") {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		args = append(args, id)
		values = append(values, fmt.Sprintf("($1, $%d, $2)", len(args)))
	}
	if len(values) == 0 {
		return nil
	}
	// On SQLite, OR IGNORE spares the statement journal that a statement
	// inserting many rows which may abort halfway needs: every page it
	// touched was copied there first, a tenth of a list's CPU. Nothing is
	// ignored in fact: seq is the new event's, so no row can conflict, and
	// no value is NULL.
	insert := `INSERT INTO`
	if tx.db.dialect == SQLite {
		insert = `INSERT OR IGNORE INTO`
	}
	if _, err := tx.exec(insert+` audit_list_objects (tenant_id, object_id, seq) VALUES `+strings.Join(values, ", "), args...); err != nil {
		return fmt.Errorf("audit: list objects: %w", err)
	}
	return nil
}

// SubmissionRef is how the audit log names a submission: its reference
// (empty for one that has none), its form, and whether the reader may open
// it (a grant on its form, ORG-6) — so the log links only what the reader
// can follow.
type SubmissionRef struct {
	Reference string
	FormKey   string
	Visible   bool
}

// auditRefBatch is how many ids one look-up of AuditSubmissionRefs binds.
const auditRefBatch = 200

// AuditSubmissionRefs names the submissions ids of tenantID for the audit
// log page read by userID, in a few queries for a whole page of events.
// It reads no sealed column — a reference and a form key are not personal
// data — so it records nothing itself: the page's look at the log is
// recorded by AuditLog. Ids not in the tenant are left out.
func (db *DB) AuditSubmissionRefs(ctx context.Context, tenantID, userID string, ids []string) (map[string]SubmissionRef, error) {
	out := make(map[string]SubmissionRef, len(ids))
	for start := 0; start < len(ids); start += auditRefBatch {
		batch := ids[start:min(start+auditRefBatch, len(ids))]
		args := []any{tenantID, userID}
		marks := make([]string, len(batch))
		for i, id := range batch {
			args = append(args, id)
			marks[i] = fmt.Sprintf("$%d", i+3)
		}
		rows, err := db.sql.QueryContext(ctx, `SELECT s.id, COALESCE(s.reference, ''), s.form_key,
			(SELECT count(*) FROM form_access fa WHERE fa.tenant_id = s.tenant_id AND fa.form_key = s.form_key AND fa.user_id = $2)
			FROM submissions s WHERE s.tenant_id = $1 AND s.id IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("audit submission refs: %w", err)
		}
		for rows.Next() {
			var id string
			var ref SubmissionRef
			var grants int
			if err := rows.Scan(&id, &ref.Reference, &ref.FormKey, &grants); err != nil {
				rows.Close()
				return nil, fmt.Errorf("audit submission refs: %w", err)
			}
			ref.Visible = grants > 0
			out[id] = ref
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("audit submission refs: %w", err)
		}
	}
	return out, nil
}

// SubmissionIDByReference returns the id of the tenant's submission with
// reference ref (as the receipt shows it; case and spaces do not matter),
// so the audit log can be filtered on a reference. ErrNotFound when there
// is none. Nothing is opened, so nothing is recorded.
func (db *DB) SubmissionIDByReference(ctx context.Context, tenantID, ref string) (string, error) {
	ref = strings.ToUpper(strings.Join(strings.Fields(ref), ""))
	if len(ref) == 10 && !strings.Contains(ref, "-") {
		ref = ref[:5] + "-" + ref[5:]
	}
	var id string
	err := db.sql.QueryRowContext(ctx, `SELECT id FROM submissions WHERE tenant_id = $1 AND reference = $2`, tenantID, ref).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("submission by reference: %w", err)
	}
	return id, nil
}
