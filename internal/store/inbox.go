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

// InboxQuery selects a page of the inbox, newest first. Viewer decides
// which forms are shown (ORG-6). Empty fields
// do not filter. Assignee "-" means unassigned. From and To bound the time
// of receipt (From inclusive, To exclusive). Before is the cursor of the
// previous page's last row (InboxPage.Next).
type InboxQuery struct {
	Viewer   Viewer
	Form     string
	Status   string
	Assignee string
	From, To time.Time
	Before   string
	Limit    int
	Purpose  string // recorded with the list; "inbox" when empty
}

// InboxRow is one submission as a list shows it, answers opened.
type InboxRow struct {
	ID          string
	Reference   string
	FormKey     string
	FormVersion int
	Status      string
	AssigneeID  string
	CreatedAt   time.Time
	Answers     []byte // JSON of form.Answers; nil when Unreadable
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

// encodeCursor and decodeCursor carry (created_at, id) between pages.
func encodeCursor(created int64, id string) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(created))
	return base64.RawURLEncoding.EncodeToString(append(b, id...))
}

func decodeCursor(s string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 9 || len(b) > 8+64 {
		return 0, "", ErrBadCursor
	}
	return int64(binary.BigEndian.Uint64(b[:8])), string(b[8:]), nil
}

// inboxColumns are the columns scanInboxRow reads, in order.
const inboxColumns = `id, reference, form_key, form_version, status, assignee_id, created_at, subject_index, data`

type sealedRow struct {
	InboxRow
	index, sealed []byte
	created       int64
}

func scanInboxRows(rows *sql.Rows) ([]sealedRow, error) {
	defer rows.Close()
	var out []sealedRow
	for rows.Next() {
		var s sealedRow
		var ref, assignee sql.NullString
		if err := rows.Scan(&s.ID, &ref, &s.FormKey, &s.FormVersion, &s.Status, &assignee, &s.created, &s.index, &s.sealed); err != nil {
			return nil, err
		}
		s.Reference, s.AssigneeID, s.CreatedAt = ref.String, assignee.String, fromMicros(s.created)
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
	if q.Before != "" {
		created, id, err := decodeCursor(q.Before)
		if err != nil {
			return InboxPage{}, err
		}
		args = append(args, created, id)
		n := len(args)
		where = append(where, fmt.Sprintf("(s.created_at < $%d OR (s.created_at = $%d AND s.id < $%d))", n-1, n-1, n))
	}
	query := `SELECT ` + prefixed("s.", inboxColumns) + ` FROM submissions s
		` + q.Viewer.grantJoin(2) + `
		WHERE ` + strings.Join(where, " AND ") + fmt.Sprintf(` ORDER BY s.created_at DESC, s.id DESC LIMIT %d`, q.Limit+1)
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
			page.Next = encodeCursor(last.created, last.ID)
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
		data, err := db.keys.Open(ev.TenantID, submissionAD(ev.TenantID, s.ID), s.sealed)
		if err != nil {
			failed := ev
			failed.ObjectType, failed.ObjectID, failed.Outcome = "submission", s.ID, audit.OutcomeFailure
			if err := tx.appendAudit(failed); err != nil {
				return nil, nil, err
			}
			bad = append(bad, unreadableOf(ev.Actor, ev.TenantID, "submission", s.ID, s.sealed, err))
			s.Unreadable = true
		} else {
			s.Answers = data
		}
		out[i] = s.InboxRow
	}
	ev.ObjectType, ev.ObjectID = "submission", strings.Join(ids, ",")
	return out, bad, tx.appendAudit(ev)
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
