package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
)

// Submission statuses: the staff workflow. A submission arrives new;
// staff move it to in progress and end it done or rejected (with a
// reason); an ended one can be reopened (in progress).
const (
	StatusNew        = "new"
	StatusInProgress = "in_progress"
	StatusDone       = "done"
	StatusRejected   = "rejected"
)

// Statuses lists the workflow's statuses in order.
var Statuses = []string{StatusNew, StatusInProgress, StatusDone, StatusRejected}

// statusMoves is the workflow: which status may follow which.
var statusMoves = map[string][]string{
	StatusNew:        {StatusInProgress, StatusDone, StatusRejected},
	StatusInProgress: {StatusNew, StatusDone, StatusRejected},
	StatusDone:       {StatusInProgress},
	StatusRejected:   {StatusInProgress},
}

// NextStatuses lists the statuses a submission in status may move to.
func NextStatuses(status string) []string { return statusMoves[status] }

// InboxLimit is the most rows one inbox page holds.
const InboxLimit = 200

// Viewer is whose grants scope a read or change of submissions: a user of
// the tenant with the forms an admin granted them, or an API key with the
// forms it was issued for (ORG-6). The zero Viewer sees nothing.
type Viewer struct{ kind, id string }

// UserViewer is the viewer for a user of the tenant.
func UserViewer(userID string) Viewer { return Viewer{"user", userID} }

// KeyViewer is the viewer for an API key of the tenant: it sees the forms
// the key was issued for, and nothing once the key is revoked.
func KeyViewer(keyID string) Viewer { return Viewer{"key", keyID} }

// grantJoin joins the viewer's form grants to submissions s as fa; the
// viewer's id is query parameter n (see arg).
func (v Viewer) grantJoin(n int) string {
	if v.kind == "user" {
		return fmt.Sprintf(`JOIN form_access fa ON fa.tenant_id = s.tenant_id AND fa.form_key = s.form_key AND fa.user_id = $%d`, n)
	}
	if v.kind == "key" {
		// The revocation check repeats the API's authentication on
		// purpose: a revoked key reads nothing, whoever forgets to check.
		return fmt.Sprintf(`JOIN api_key_forms fa ON fa.tenant_id = s.tenant_id AND fa.form_key = s.form_key AND fa.key_id = $%d
			JOIN api_keys ak ON ak.id = fa.key_id AND ak.tenant_id = s.tenant_id AND ak.revoked_at IS NULL`, n)
	}
	return fmt.Sprintf(`JOIN form_access fa ON fa.user_id = $%d AND 1 = 0`, n)
}

func (v Viewer) arg() string { return v.id }

// InboxQuery selects a page of the inbox in Sort order (newest first by
// default). Viewer decides which forms are shown (ORG-6). Empty fields
// do not filter. Assignee "-" means unassigned. From and To bound the time
// of receipt (From inclusive, To exclusive). Overdue keeps only open
// submissions past their due date by the store's clock. Before is the
// cursor of the previous page's last row (InboxPage.Next), valid only
// with the same Sort.
type InboxQuery struct {
	Viewer   Viewer
	Form     string
	Status   string
	Assignee string
	From, To time.Time
	Overdue  bool
	Sort     string // SortNewest (""), SortOldest or SortDue
	Before   string
	Limit    int
	Purpose  string // recorded with the list; "inbox" when empty
}

// The inbox's orders. SortDue puts open submissions first, soonest due
// date first (those without one last), then the ended ones the same way.
const (
	SortNewest = "newest"
	SortOldest = "oldest"
	SortDue    = "due"
)

// Sorts lists the orders, the default first.
var Sorts = []string{SortNewest, SortOldest, SortDue}

// InboxRow is one submission as a list shows it, answers opened.
type InboxRow struct {
	ID          string
	Reference   string
	FormKey     string
	FormVersion int
	Status      string
	AssigneeID  string
	CreatedAt   time.Time
	DueAt       time.Time // when it becomes overdue (see DueAt); zero: no handling time
	Overdue     bool      // open and past DueAt by the store's clock
	Lang        string    // the language the citizen used; "" when not recorded
	Answers     []byte    // JSON of form.Answers; nil when Unreadable
	// Unreadable: the answers did not open (damaged ciphertext, unknown
	// key id, keys gone). The row is still listed; the failure is audited
	// and alerted.
	Unreadable bool
}

// InboxPage is one page of rows and the cursor of the next ("" at the end).
type InboxPage struct {
	Rows []InboxRow
	Next string
}

// ErrBadCursor: the paging cursor is not one Inbox made.
var ErrBadCursor = errors.New("invalid page cursor")

// encodeCursor and decodeCursor carry the last row's sort key between
// pages: the order's mark (n newest, o oldest, d due and open, c due and
// ended), then created_at or due_at, then id. A cursor of another order is
// refused.
func encodeCursor(mark byte, key int64, id string) string {
	b := binary.BigEndian.AppendUint64([]byte{mark}, uint64(key))
	return base64.RawURLEncoding.EncodeToString(append(b, id...))
}

func decodeCursor(s string) (byte, int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 10 || len(b) > 9+64 {
		return 0, 0, "", ErrBadCursor
	}
	return b[0], int64(binary.BigEndian.Uint64(b[1:9])), string(b[9:]), nil
}

// rankExpr is the first key of SortDue, as the index submissions_due has
// it: 0 for open submissions, 1 for ended ones.
const rankExpr = `(CASE WHEN s.status IN ('done', 'rejected') THEN 1 ELSE 0 END)`

// inboxColumns are the columns scanInboxRow reads, in order.
const inboxColumns = `id, reference, form_key, form_version, status, assignee_id, created_at, due_at, lang, data`

type sealedRow struct {
	InboxRow
	sealed, lang []byte
	index        []byte // the subject's blind index: read for one submission only
	created, due int64
}

func scanInboxRows(rows *sql.Rows) ([]sealedRow, error) {
	defer rows.Close()
	var out []sealedRow
	for rows.Next() {
		var s sealedRow
		var ref, assignee sql.NullString
		if err := rows.Scan(&s.ID, &ref, &s.FormKey, &s.FormVersion, &s.Status, &assignee, &s.created, &s.due, &s.lang, &s.sealed); err != nil {
			return nil, err
		}
		s.Reference, s.AssigneeID, s.CreatedAt, s.DueAt = ref.String, assignee.String, fromMicros(s.created), dueFromMicros(s.due)
		out = append(out, s)
	}
	return out, rows.Err()
}

// Inbox returns a page of the submissions the viewer may see, answers
// opened for display, and records in the same transaction which
// submissions were shown (their ids, never content). ErrBadCursor for a
// cursor Inbox did not make. A row whose answers do not open is returned
// Unreadable (see openRows), never failing the page.
func (db *DB) Inbox(ctx context.Context, actor audit.Actor, tenantID string, q InboxQuery) (InboxPage, error) {
	if err := db.requireKeys(); err != nil {
		return InboxPage{}, err
	}
	if q.Limit <= 0 || q.Limit > InboxLimit {
		q.Limit = 50
	}
	where := []string{"s.tenant_id = $1"}
	args := []any{tenantID, q.Viewer.arg()}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if q.Form != "" {
		add("s.form_key = ?", q.Form)
	}
	switch q.Status {
	case "":
	case StatusNew:
		add("s.status = ?", q.Status)
	default:
		// Spelled out so that the planners can use the partial index on
		// the statuses other than new (a bound value proves nothing).
		add("s.status = ? AND s.status <> 'new'", q.Status)
	}
	switch q.Assignee {
	case "":
	case "-":
		where = append(where, "s.assignee_id IS NULL")
	default:
		add("s.assignee_id = ?", q.Assignee)
	}
	if !q.From.IsZero() {
		add("s.created_at >= ?", micros(q.From))
	}
	if !q.To.IsZero() {
		add("s.created_at < ?", micros(q.To))
	}
	if q.Overdue {
		// Overdue cases are the open ones past their due date. Along the
		// due-date order they come first, so the scan of submissions_due
		// stops early: the condition is spelled so that the planners do
		// not take the partial index instead. Newest or oldest first,
		// the partial index finds the overdue cases and they are sorted,
		// which is cheap while there are fewer than CountCap (a backlog);
		// beyond that, scanning in the list's order meets them soon.
		now := micros(db.now())
		narrow := q.Sort != SortDue
		if narrow {
			cond, cargs := openTerm+" AND s.due_at <= $3", []any{now}
			if q.Form != "" {
				cond, cargs = cond+" AND s.form_key = $4", append(cargs, q.Form)
			}
			n, err := db.countCapped(ctx, tenantID, q.Viewer, cond, cargs...)
			if err != nil {
				return InboxPage{}, fmt.Errorf("inbox: %w", err)
			}
			narrow = n < CountCap
		}
		if narrow {
			add(openTerm+" AND s.due_at <= ?", now)
		} else {
			add("s.status <> 'done' AND s.status <> 'rejected' AND s.due_at + 0 <= ?", now)
		}
	}
	var order string
	var mark func(sealedRow) (byte, int64)
	switch q.Sort {
	case "", SortNewest:
		order, mark = "s.created_at DESC, s.id DESC", func(r sealedRow) (byte, int64) { return 'n', r.created }
	case SortOldest:
		order, mark = "s.created_at, s.id", func(r sealedRow) (byte, int64) { return 'o', r.created }
	case SortDue:
		order = rankExpr + ", s.due_at, s.id"
		mark = func(r sealedRow) (byte, int64) {
			if IsOpen(r.Status) {
				return 'd', r.due
			}
			return 'c', r.due
		}
	default:
		return InboxPage{}, fmt.Errorf("inbox: unknown order %q", q.Sort)
	}
	if q.Before != "" {
		m, key, id, err := decodeCursor(q.Before)
		if err != nil {
			return InboxPage{}, err
		}
		args = append(args, key, id)
		k, i := len(args)-1, len(args)
		switch {
		case m == 'n' && (q.Sort == "" || q.Sort == SortNewest):
			where = append(where, fmt.Sprintf("(s.created_at < $%d OR (s.created_at = $%d AND s.id < $%d))", k, k, i))
		case m == 'o' && q.Sort == SortOldest:
			where = append(where, fmt.Sprintf("(s.created_at > $%d OR (s.created_at = $%d AND s.id > $%d))", k, k, i))
		case (m == 'd' || m == 'c') && q.Sort == SortDue:
			rank := map[byte]int{'d': 0, 'c': 1}[m]
			where = append(where, fmt.Sprintf("(%[1]s > %[2]d OR (%[1]s = %[2]d AND (s.due_at > $%[3]d OR (s.due_at = $%[3]d AND s.id > $%[4]d))))",
				rankExpr, rank, k, i))
		default:
			return InboxPage{}, ErrBadCursor
		}
	}
	query := `SELECT ` + prefixed("s.", inboxColumns) + ` FROM submissions s
		` + q.Viewer.grantJoin(2) + `
		WHERE ` + strings.Join(where, " AND ") + fmt.Sprintf(` ORDER BY %s LIMIT %d`, order, q.Limit+1)
	var page InboxPage
	var bad []unreadable
	err := db.write(ctx, func(tx *Tx) error {
		page, bad = InboxPage{}, nil
		rows, err := tx.query(query, args...)
		if err != nil {
			return err
		}
		found, err := scanInboxRows(rows)
		if err != nil {
			return err
		}
		if len(found) > q.Limit {
			last := found[q.Limit-1]
			m, key := mark(last)
			page.Next = encodeCursor(m, key, last.ID)
			found = found[:q.Limit]
		}
		purpose := q.Purpose
		if purpose == "" {
			purpose = "inbox"
		}
		page.Rows, bad, err = db.openRows(tx, audit.Event{TenantID: tenantID, Actor: actor, Action: "submission.list", Purpose: purpose}, found)
		return err
	})
	if err != nil {
		return InboxPage{}, fmt.Errorf("inbox: %w", err)
	}
	db.alertUnreadable(ctx, bad)
	return page, nil
}

// prefixed qualifies each of a comma-separated column list.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// openRows opens the rows' answers and records ev naming every row shown
// (also none). A row that does not open fails alone (SEC-3): it is shown
// Unreadable, without answers, and recorded as a failed ev naming only its
// id, in the same transaction; bad lists what the caller alerts on.
func (db *DB) openRows(tx *Tx, ev audit.Event, found []sealedRow) (out []InboxRow, bad []unreadable, err error) {
	ids := make([]string, len(found))
	for i, s := range found {
		ids[i] = s.ID
	}
	out = make([]InboxRow, len(found))
	for i, s := range found {
		if err := db.openRow(ev.TenantID, &s); err != nil {
			failed := ev
			failed.ObjectType, failed.ObjectID, failed.Outcome = "submission", s.ID, audit.OutcomeFailure
			if err := tx.appendAudit(failed); err != nil {
				return nil, nil, err
			}
			bad = append(bad, unreadableOf(ev.Actor, ev.TenantID, "submission", s.ID, s.sealed, err))
			s.Answers, s.Unreadable = nil, true
		}
		out[i] = s.InboxRow
	}
	// The list is recorded in parts (listedObjects), each keeping the
	// list's purpose, so that it reads as the same list (AUD-1).
	ev.ObjectType = "submission"
	for _, obj := range listedObjects(ids) {
		ev.ObjectID = obj
		if err := tx.appendAudit(ev); err != nil {
			return nil, nil, err
		}
	}
	return out, bad, nil
}

// openRow opens a row's answers and language and marks it overdue by the
// store's clock; an error when either cannot be opened.
func (db *DB) openRow(tenantID string, s *sealedRow) error {
	var err error
	if s.Answers, err = db.keys.Open(tenantID, submissionAD(tenantID, s.ID), s.sealed); err != nil {
		return err
	}
	if len(s.lang) > 0 {
		lang, err := db.keys.Open(tenantID, langAD(tenantID, s.ID), s.lang)
		if err != nil {
			return err
		}
		s.Lang = string(lang)
	}
	s.Overdue = db.overdue(s.Status, s.DueAt)
	return nil
}

// SearchLimit is the most submissions a citizen search returns.
const SearchLimit = 200

// SearchSubject finds the submissions about one data subject — subject is
// the normalised national register number or e-mail address, as the
// e-loket indexed it — by the tenant's keyed blind index, across the
// forms the viewer may see, newest first. The search is recorded with the
// subject's pseudonym and the ids found, never the identifier.
func (db *DB) SearchSubject(ctx context.Context, actor audit.Actor, tenantID string, viewer Viewer, subject string) ([]InboxRow, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	index, err := db.keys.BlindIndex(tenantID, "subject", []byte(subject))
	if err != nil {
		return nil, fmt.Errorf("search subject: %w", err)
	}
	var out []InboxRow
	var bad []unreadable
	err = db.write(ctx, func(tx *Tx) error {
		out, bad = nil, nil
		rows, err := tx.query(`SELECT `+prefixed("s.", inboxColumns)+` FROM submissions s
			`+viewer.grantJoin(2)+`
			WHERE s.tenant_id = $1 AND s.subject_index = $3 ORDER BY s.created_at DESC, s.id DESC LIMIT `+fmt.Sprint(SearchLimit),
			tenantID, viewer.arg(), index)
		if err != nil {
			return err
		}
		found, err := scanInboxRows(rows)
		if err != nil {
			return err
		}
		out, bad, err = db.openRows(tx, audit.Event{TenantID: tenantID, Actor: actor, Action: "submission.search",
			Subject: subjectPseudonym(index), Purpose: fmt.Sprintf("citizen search, %d found", len(found))}, found)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("search subject: %w", err)
	}
	db.alertUnreadable(ctx, bad)
	return out, nil
}
