package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/kluis/kluis/internal/seal"
)

// Casework: a due date per submission, the citizen's language, counts per
// status and the home page's summary, for the forms a viewer may see
// (ORG-6).

// noDue is due_at for a submission without a handling time: it sorts last
// and is never overdue (see migration 0018).
const noDue = math.MaxInt64

// DueAt is when a submission received at received, with a handling time
// of days calendar days, becomes overdue: the start, in Belgium, of the
// day after its due day (received's day plus days). Zero for no handling
// time (days 0). The due date is fixed at intake — a change of the form's
// handling time applies to new submissions only, so that the date a
// handler planned on (or the citizen was told) does not move — and stored,
// so that counting, filtering and sorting by it use indexes.
func DueAt(received time.Time, days int) time.Time {
	if days <= 0 {
		return time.Time{}
	}
	y, m, d := received.In(brussels).Date()
	return time.Date(y, m, d+days+1, 0, 0, 0, 0, brussels)
}

// DueDay is the last day, in Belgium, a submission becoming overdue at due
// is on time: the day a due date names.
func DueDay(due time.Time) time.Time {
	y, m, d := due.In(brussels).Date()
	return time.Date(y, m, d-1, 0, 0, 0, 0, brussels)
}

func dueMicros(due time.Time) int64 {
	if due.IsZero() {
		return noDue
	}
	return micros(due)
}

func dueFromMicros(v int64) time.Time {
	if v == noDue {
		return time.Time{}
	}
	return fromMicros(v)
}

// IsOpen reports whether a submission in status still waits for handling.
func IsOpen(status string) bool { return status == StatusNew || status == StatusInProgress }

// overdue reports whether a submission in status, due at due, is overdue
// by the store's clock.
func (db *DB) overdue(status string, due time.Time) bool {
	return IsOpen(status) && !due.IsZero() && !db.now().Before(due)
}

func langAD(tenantID, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "submissions", Column: "lang", Row: id}
}

// CountCap bounds each count of InboxCounts and InboxSummary: counting
// stops there, so that a count costs at most that many index entries
// however large the tenant (a to-do needs "more than a thousand", not the
// exact figure; the statistics page has those). A count equal to CountCap
// means "CountCap or more".
const CountCap = 1000

// StatusCounts are the submissions a viewer may see per status, and how
// many of the open ones are overdue; each at most CountCap.
type StatusCounts struct {
	ByStatus map[string]int
	Overdue  int
}

// openTerm and closedTerm are spelled out in every query that should use
// the partial indexes submissions_open and submissions_closed: the
// planners use a partial index only when the query names its condition.
const (
	openTerm   = `s.status IN ('new', 'in_progress')`
	closedTerm = `s.status IN ('done', 'rejected')`
)

// countCapped runs a count of the rows cond selects among the viewer's
// submissions, stopping at CountCap. Args start at $3 ($1 the tenant, $2
// the viewer).
func (db *DB) countCapped(ctx context.Context, tenantID string, viewer Viewer, cond string, args ...any) (int, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM submissions s `+viewer.grantJoin(2)+`
		WHERE s.tenant_id = $1 AND `+cond+fmt.Sprintf(` LIMIT %d) c`, CountCap),
		append([]any{tenantID, viewer.arg()}, args...)...).Scan(&n)
	return n, err
}

// InboxCounts counts the submissions the viewer may see (ORG-6) per
// status, and the overdue ones by the store's clock; formKey "" counts
// every form the viewer may see. Counts hold no personal data and are not
// audited. Each count stops at CountCap.
func (db *DB) InboxCounts(ctx context.Context, tenantID string, viewer Viewer, formKey string) (StatusCounts, error) {
	c := StatusCounts{ByStatus: map[string]int{}}
	form, args := "", []any{}
	if formKey != "" {
		form, args = " AND s.form_key = $3", []any{formKey}
	}
	for _, st := range Statuses {
		term := closedTerm
		if IsOpen(st) {
			term = openTerm
		}
		// The status is a constant of ours, never input: spelled out so
		// that the partial index's columns serve the count.
		n, err := db.countCapped(ctx, tenantID, viewer, term+` AND s.status = '`+st+`'`+form, args...)
		if err != nil {
			return StatusCounts{}, fmt.Errorf("inbox counts: %w", err)
		}
		c.ByStatus[st] = n
	}
	n, err := db.countCapped(ctx, tenantID, viewer, openTerm+fmt.Sprintf(` AND s.due_at <= $%d`, len(args)+3)+form,
		append(args, micros(db.now()))...)
	if err != nil {
		return StatusCounts{}, fmt.Errorf("inbox counts: %w", err)
	}
	c.Overdue = n
	return c, nil
}

// FormSummary is one form's line of the staff home page: how many of its
// submissions are new and how many are overdue, each at most CountCap.
type FormSummary struct {
	FormKey string
	New     int
	Overdue int
}

// InboxSummary returns, for each form the viewer may see (ORG-6) in the
// order of its key, the number of new and of overdue submissions, by the
// store's clock: the to-do of the staff home page. It reads no personal
// data and is not audited.
func (db *DB) InboxSummary(ctx context.Context, tenantID string, viewer Viewer) ([]FormSummary, error) {
	var keys []string
	switch viewer.kind {
	case "user":
		var err error
		if keys, err = db.FormAccess(ctx, tenantID, viewer.id); err != nil {
			return nil, fmt.Errorf("inbox summary: %w", err)
		}
	case "key":
		rows, err := db.sql.QueryContext(ctx, `SELECT fa.form_key FROM api_key_forms fa JOIN api_keys ak ON ak.id = fa.key_id
			AND ak.tenant_id = fa.tenant_id AND ak.revoked_at IS NULL WHERE fa.tenant_id = $1 AND fa.key_id = $2 ORDER BY fa.form_key`,
			tenantID, viewer.id)
		if err == nil {
			keys, err = scanStrings(rows)
		}
		if err != nil {
			return nil, fmt.Errorf("inbox summary: %w", err)
		}
	}
	now := micros(db.now())
	out := make([]FormSummary, 0, len(keys))
	for _, k := range keys {
		s := FormSummary{FormKey: k}
		var err1, err2 error
		s.New, err1 = db.countCapped(ctx, tenantID, viewer, openTerm+` AND s.status = 'new' AND s.form_key = $3`, k)
		s.Overdue, err2 = db.countCapped(ctx, tenantID, viewer, openTerm+` AND s.form_key = $3 AND s.due_at <= $4`, k, now)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("inbox summary: %w", err)
		}
		out = append(out, s)
	}
	return out, nil
}
