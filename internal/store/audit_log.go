package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
)

// ErrBadFilter: a filter holds characters no id or action has.
var ErrBadFilter = errors.New("invalid filter")

// AuditLogLimit is the most events one page of the log holds;
// AuditExportLimit the most one download (AuditQuery.Export) holds.
const (
	AuditLogLimit    = 200
	AuditExportLimit = 10000
)

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
	// Export marks a download (up to AuditExportLimit events), recorded
	// as audit.export instead of audit.read.
	Export bool
}

// AuditPage is one page of the log and where the next one starts (0: the
// end).
type AuditPage struct {
	Events []audit.Event
	Next   int64
	Head   int64 // the newest sequence number of the chain
}

// AuditLog reads a page of the tenant's audit log for its controller (the
// admins and the DPO) and records that read — with the filter, never a
// subject's identifier — in the same transaction. Events hold ids and
// pseudonyms, never content.
func (db *DB) AuditLog(ctx context.Context, actor audit.Actor, tenantID string, q AuditQuery) (AuditPage, error) {
	if strings.ContainsAny(q.ObjectID+q.Action+q.ActorID+strings.Join(q.Actions, ""), "%\\") {
		return AuditPage{}, fmt.Errorf("audit log: %w", ErrBadFilter)
	}
	switch {
	case q.Export && q.Limit > 0 && q.Limit <= AuditExportLimit:
	case q.Export:
		q.Limit = AuditExportLimit
	case q.Limit <= 0 || q.Limit > AuditLogLimit:
		q.Limit = 50
	}
	where := []string{"tenant_id = $1"}
	args := []any{tenantID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	var described []string
	if q.Action != "" {
		add(fmt.Sprintf("substr(action, 1, %d) = ?", len(q.Action)), q.Action)
		described = append(described, "action "+q.Action)
	}
	if len(q.Actions) > 0 {
		marks := make([]string, len(q.Actions))
		for i, code := range q.Actions {
			args = append(args, code)
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		where = append(where, "action IN ("+strings.Join(marks, ", ")+")")
		described = append(described, "actions "+strings.Join(q.Actions, " "))
	}
	if q.ActorID != "" {
		add("actor_id = ?", q.ActorID)
		described = append(described, "actor "+q.ActorID)
	}
	if q.ObjectID != "" {
		// A list event names its rows as "id,id,…". ("_" in an id also
		// matches any one character there: at worst a few more rows.)
		args = append(args, q.ObjectID, "%,"+q.ObjectID+",%")
		where = append(where, fmt.Sprintf("(object_id = $%d OR ',' || object_id || ',' LIKE $%d)", len(args)-1, len(args)))
		described = append(described, "object "+q.ObjectID)
	}
	if q.Subject != "" {
		index, err := db.keys.BlindIndex(tenantID, "subject", []byte(q.Subject))
		if err != nil {
			return AuditPage{}, fmt.Errorf("audit log: %w", err)
		}
		add("subject = ?", subjectPseudonym(index))
		described = append(described, "data subject "+subjectPseudonym(index))
	}
	if !q.From.IsZero() {
		add("at >= ?", micros(q.From))
	}
	if !q.To.IsZero() {
		add("at < ?", micros(q.To))
	}
	if q.Before > 0 {
		add("seq < ?", q.Before)
	}
	var page AuditPage
	err := db.write(ctx, func(tx *Tx) error {
		page = AuditPage{}
		if err := tx.queryRow(`SELECT COALESCE(MAX(seq), 0) FROM audit_events WHERE tenant_id = $1`, tenantID).Scan(&page.Head); err != nil {
			return err
		}
		rows, err := tx.query(`SELECT `+auditEventColumns+` FROM audit_events WHERE `+strings.Join(where, " AND ")+
			fmt.Sprintf(` ORDER BY seq DESC LIMIT %d`, q.Limit+1), args...)
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
		purpose, action := "audit log review", "audit.read"
		if q.Export {
			purpose, action = fmt.Sprintf("audit log download, %d events", len(page.Events)), "audit.export"
		}
		if len(described) > 0 {
			purpose += ": " + strings.Join(described, ", ")
		}
		ev := audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: "audit_log", Purpose: purpose}
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
