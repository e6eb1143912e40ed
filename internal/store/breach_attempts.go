package store

import (
	"context"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
)

// Serious attempts (BRE-1). OpenAttemptDrafts reads a tenant's recent audit
// events for the signs of breach.AttemptCauses and opens a draft breach for
// review for each burst, one per cause and window (breach_attempts), in
// the same transaction as its "breach.open" and "breach.attempt" events.

// AttemptText writes the draft's description of attempt a, in the
// supplier's language: the store holds no texts.
type AttemptText func(a breach.Attempt) string

// attemptSigns are the audit events that may be signs, by cause: the
// action and outcome that make an event one.
func attemptCause(action, outcome, purpose string) string {
	switch {
	case action == "login.locked":
		return breach.CauseLockouts
	case action == "attachment.refused":
		return breach.CauseScanner
	case action == "audit.verify" && outcome == audit.OutcomeFailure:
		return breach.CauseChain
	case action == "portal.report.decide" && purpose == ReportBreachCandidate:
		return breach.CauseReport
	case outcome == audit.OutcomeDenied:
		return breach.CauseDenied
	}
	return ""
}

// DraftAttempt is an automatic draft as the breach list shows it: why it
// was opened.
type DraftAttempt struct {
	BreachID    string
	Cause       string
	WindowStart time.Time
	Events      int
}

// OpenAttemptDrafts opens a draft breach for each burst of signs among
// the tenant's audit events since since (breach.DetectAttempts), and
// returns the drafts it opened. A second run over the same events, or a
// run on another node, opens nothing twice: a window already recorded
// covers its events, and the primary key refuses a duplicate. The draft
// is not sent to the controller: a person reviews it first, while its
// 24-hour clock runs from the detection.
func (db *DB) OpenAttemptDrafts(ctx context.Context, actor audit.Actor, tenantID string, since time.Time, text AttemptText) ([]DraftAttempt, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	var opened []DraftAttempt
	err := db.write(ctx, func(tx *Tx) error {
		opened = nil
		now := tx.db.now()
		rows, err := tx.query(`SELECT at, action, outcome, actor_kind, actor_id, purpose FROM audit_events
			WHERE tenant_id = $1 AND at >= $2 AND at <= $3 AND (action IN ('login.locked', 'attachment.refused', 'audit.verify', 'portal.report.decide')
			OR outcome = 'denied') ORDER BY seq`, tenantID, micros(since), micros(now))
		if err != nil {
			return err
		}
		var events []breach.AttemptEvent
		for rows.Next() {
			var at int64
			var action, outcome, kind, id, purpose string
			if err := rows.Scan(&at, &action, &outcome, &kind, &id, &purpose); err != nil {
				rows.Close()
				return err
			}
			if c := attemptCause(action, outcome, purpose); c != "" {
				events = append(events, breach.AttemptEvent{Cause: c, At: fromMicros(at), Actor: kind + ":" + id})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(events) == 0 {
			return err
		}
		known := map[string][]time.Time{}
		prior, err := tx.query(`SELECT cause, window_start FROM breach_attempts WHERE tenant_id = $1 AND window_start > $2`,
			tenantID, micros(since.Add(-breach.AttemptWindow)))
		if err != nil {
			return err
		}
		for prior.Next() {
			var cause string
			var start int64
			if err := prior.Scan(&cause, &start); err != nil {
				prior.Close()
				return err
			}
			known[cause] = append(known[cause], fromMicros(start))
		}
		prior.Close()
		if err := prior.Err(); err != nil {
			return err
		}
		covered := func(cause string, at time.Time) bool {
			for _, s := range known[cause] {
				if !at.Before(s) && at.Before(s.Add(breach.AttemptWindow)) {
					return true
				}
			}
			return false
		}
		for _, a := range breach.DetectAttempts(events, covered) {
			r := breach.Report{Description: text(a), DiscoveredAt: now, Occurred: breach.OccurredBetween,
				OccurredFrom: a.WindowStart, OccurredUntil: a.Last}
			r.Normalize()
			if bad := r.Validate(now); len(bad) > 0 {
				return &BreachValidationError{bad}
			}
			b := Breach{ID: newID(now), DiscoveredAt: r.DiscoveredAt, Version: 1, OpenedByKind: string(actor.Kind), OpenedBy: actor.ID,
				OpenedAt: now, UpdatedAt: now, Report: r}
			if _, err := tx.exec(`INSERT INTO breaches (id, tenant_id, discovered_at, version, opened_by_kind, opened_by, opened_at, updated_at)
				VALUES ($1, $2, $3, 1, $4, $5, $6, $6)`, b.ID, tenantID, micros(b.DiscoveredAt), b.OpenedByKind, b.OpenedBy, micros(now)); err != nil {
				return err
			}
			if _, err := tx.exec(`INSERT INTO breach_attempts (tenant_id, cause, window_start, events, breach_id, created_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, tenantID, a.Cause, micros(a.WindowStart), a.Events, b.ID, micros(now)); err != nil {
				return err
			}
			if err := tx.saveBreachVersion(actor, tenantID, &b, "breach.open", nil); err != nil {
				return err
			}
			if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "breach.attempt", ObjectType: "breach", ObjectID: b.ID,
				Purpose: fmt.Sprintf("%s: %d events from %s", a.Cause, a.Events, a.WindowStart.UTC().Format(time.RFC3339))}); err != nil {
				return err
			}
			opened = append(opened, DraftAttempt{BreachID: b.ID, Cause: a.Cause, WindowStart: a.WindowStart, Events: a.Events})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open attempt drafts: %w", err)
	}
	return opened, nil
}

// BreachAttempts maps the tenant's automatically opened breaches to why
// they were opened, for the breach list. Ids, causes and counts: no
// personal data, not audited.
func (db *DB) BreachAttempts(ctx context.Context, tenantID string) (map[string]DraftAttempt, error) {
	return db.breachAttempts(ctx, `WHERE tenant_id = $1`, tenantID)
}

// AllBreachAttempts is BreachAttempts for every tenant, for the operators'
// list of breaches: a platform-level read of ids and causes.
func (db *DB) AllBreachAttempts(ctx context.Context) (map[string]DraftAttempt, error) {
	return db.breachAttempts(ctx, ``)
}

func (db *DB) breachAttempts(ctx context.Context, where string, args ...any) (map[string]DraftAttempt, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT breach_id, cause, window_start, events FROM breach_attempts `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("breach attempts: %w", err)
	}
	defer rows.Close()
	out := map[string]DraftAttempt{}
	for rows.Next() {
		var d DraftAttempt
		var start int64
		if err := rows.Scan(&d.BreachID, &d.Cause, &start, &d.Events); err != nil {
			return nil, fmt.Errorf("breach attempts: %w", err)
		}
		d.WindowStart = fromMicros(start)
		out[d.BreachID] = d
	}
	return out, rows.Err()
}
