package store

import (
	"context"
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
	Action   string
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
	if strings.ContainsAny(q.ObjectID+q.Action+q.ActorID, "%\\") {
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
