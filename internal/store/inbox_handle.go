package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/webhook"
)

// SubmissionDetail is one submission as its page shows it: answers,
// attachments (names, never content), history.
type SubmissionDetail struct {
	InboxRow
	RegisterVersion int
	UpdatedAt       time.Time
	Attachments     []AttachmentInfo
	History         []HistoryEntry
	// HasContact: the citizen gave an e-mail address (staff may reply);
	// ContactLang is the language the form was filled in ("" unknown).
	HasContact  bool
	ContactLang string
}

// AttachmentInfo describes one file of a submission.
type AttachmentInfo struct {
	ID, FieldKey, Name, ContentType string
	Size                            int64
	Unreadable                      bool // its name did not open (Name is "")
}

// HistoryEntry is one step of a submission's handling: a status change
// (Status, Body the reason), an assignment (AssigneeID, "" for nobody), a
// note (Body), a reply mailed to the citizen (Body, Lang) or a status mail
// (Status, Lang).
type HistoryEntry struct {
	Kind       string // status, assign, note, reply, status_mail
	ActorID    string
	Status     string
	AssigneeID string
	Body       string
	Lang       string
	MailStatus string // reply, status_mail: the mail's delivery (MailStatus…)
	At         time.Time
	Unreadable bool // its body (note or reason) did not open (Body is "")
}

// Attachment is one file, opened for download.
type Attachment struct {
	AttachmentInfo
	Data []byte
}

func eventAD(tenantID, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "submission_events", Column: "body", Row: id}
}

// denied records a refused read or change of a submission (unknown, of
// another tenant, or of a form the viewer holds no grant on: all look the
// same) and returns ErrNotFound, keeping the record.
func (tx *Tx) denied(ev audit.Event) error {
	ev.Outcome = audit.OutcomeFailure
	if err := tx.appendAudit(ev); err != nil {
		return err
	}
	return keep(ErrNotFound)
}

// visibleSubmission reads the row of submission id if the viewer holds a
// grant on its form; sql.ErrNoRows otherwise.
func (tx *Tx) visibleSubmission(tenantID string, viewer Viewer, id string) (sealedRow, int, int64, error) {
	var s sealedRow
	var ref, assignee sql.NullString
	var regVersion int
	var updated int64
	err := tx.queryRow(`SELECT `+prefixed("s.", inboxColumns)+`, s.register_version, s.updated_at, s.subject_index FROM submissions s
		`+viewer.grantJoin(2)+`
		WHERE s.tenant_id = $1 AND s.id = $3`, tenantID, viewer.arg(), id).Scan(&s.ID, &ref, &s.FormKey, &s.FormVersion, &s.Status,
		&assignee, &s.created, &s.due, &s.lang, &s.sealed, &regVersion, &updated, &s.index)
	s.Reference, s.AssigneeID, s.CreatedAt, s.DueAt = ref.String, assignee.String, fromMicros(s.created), dueFromMicros(s.due)
	return s, regVersion, updated, err
}

// OpenSubmission opens one submission for its page — answers, attachment
// names, history with notes — for a viewer holding a grant on its form,
// and records the read with purpose in the same transaction. ErrNotFound
// (recorded too) when the tenant has no such submission or the viewer no
// grant. When its answers do not open (damaged, unknown key id, keys gone):
// ErrUnreadable, recorded as a failed read and alerted, with the returned
// detail's InboxRow filled but for the answers (Unreadable set), so that a
// page can name the submission by its reference. A file name or a history
// entry that does not open fails alone: it is marked Unreadable, recorded
// as a failed read of that object and alerted, and the rest is shown.
func (db *DB) OpenSubmission(ctx context.Context, actor audit.Actor, tenantID string, viewer Viewer, id, purpose string) (SubmissionDetail, error) {
	if err := db.requireKeys(); err != nil {
		return SubmissionDetail{}, err
	}
	var d SubmissionDetail
	var bad []unreadable
	err := db.write(ctx, func(tx *Tx) error {
		d, bad = SubmissionDetail{}, nil
		ev := audit.Event{TenantID: tenantID, Actor: actor, Action: "submission.read", ObjectType: "submission", ObjectID: id, Purpose: purpose}
		s, regVersion, updated, err := tx.visibleSubmission(tenantID, viewer, id)
		if errors.Is(err, sql.ErrNoRows) {
			return tx.denied(ev)
		}
		if err != nil {
			return err
		}
		ev.Subject = subjectPseudonym(s.index)
		// failed records that the object named did not open, as a failed
		// read naming that object only.
		failed := func(objectType, objectID string, sealed []byte, err error) error {
			f := ev
			f.ObjectType, f.ObjectID, f.Outcome = objectType, objectID, audit.OutcomeFailure
			bad = append(bad, unreadableOf(actor, tenantID, objectType, objectID, sealed, err))
			return tx.appendAudit(f)
		}
		// opened is a sealed text of the submission opened, or "" and
		// unreadable, recorded as a failed read of that object only.
		opened := func(objectType, objectID string, ad seal.AD, sealed []byte) (text string, unreadable bool, err error) {
			b, err := db.keys.Open(tenantID, ad, sealed)
			if err != nil {
				return "", true, failed(objectType, objectID, sealed, err)
			}
			return string(b), false, nil
		}
		if err := db.openRow(tenantID, &s); err != nil {
			s.Answers, s.Unreadable = nil, true
			d = SubmissionDetail{InboxRow: s.InboxRow, RegisterVersion: regVersion, UpdatedAt: fromMicros(updated)}
			if err := failed("submission", id, s.sealed, err); err != nil {
				return err
			}
			return keep(ErrUnreadable)
		}
		d = SubmissionDetail{InboxRow: s.InboxRow, RegisterVersion: regVersion, UpdatedAt: fromMicros(updated)}
		rows, err := tx.query(`SELECT id, field_key, name, content_type, size FROM attachments WHERE tenant_id = $1 AND submission_id = $2
			ORDER BY created_at, id`, tenantID, id)
		if err != nil {
			return err
		}
		type sealedName struct {
			AttachmentInfo
			name []byte
		}
		var files []sealedName
		for rows.Next() {
			var f sealedName
			if err := rows.Scan(&f.ID, &f.FieldKey, &f.name, &f.ContentType, &f.Size); err != nil {
				rows.Close()
				return err
			}
			files = append(files, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, f := range files {
			if f.Name, f.Unreadable, err = opened("attachment", f.ID, attachmentAD(tenantID, f.ID, "name"), f.name); err != nil {
				return err
			}
			d.Attachments = append(d.Attachments, f.AttachmentInfo)
		}
		rows, err = tx.query(`SELECT id, kind, actor_id, status, assignee_id, body, created_at FROM submission_events
			WHERE tenant_id = $1 AND submission_id = $2 ORDER BY created_at, id`, tenantID, id)
		if err != nil {
			return err
		}
		type sealedEntry struct {
			HistoryEntry
			id   string
			body []byte
		}
		var entries []sealedEntry
		for rows.Next() {
			var e sealedEntry
			var status, assignee sql.NullString
			var at int64
			if err := rows.Scan(&e.id, &e.Kind, &e.ActorID, &status, &assignee, &e.body, &at); err != nil {
				rows.Close()
				return err
			}
			e.Status, e.AssigneeID, e.At = status.String, assignee.String, fromMicros(at)
			entries = append(entries, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, e := range entries {
			if len(e.body) > 0 {
				if e.Body, e.Unreadable, err = opened("submission_event", e.id, eventAD(tenantID, e.id), e.body); err != nil {
					return err
				}
			}
			d.History = append(d.History, e.HistoryEntry)
		}
		if err := tx.openReplies(tenantID, &d, opened); err != nil {
			return err
		}
		return tx.appendAudit(ev)
	})
	db.alertUnreadable(ctx, bad)
	if errors.Is(err, ErrUnreadable) {
		return d, fmt.Errorf("open submission %s: %w", id, err)
	}
	if err != nil {
		return SubmissionDetail{}, fmt.Errorf("open submission %s: %w", id, err)
	}
	return d, nil
}

// OpenAttachment opens one file of a submission for download by a viewer
// holding a grant on its form, and records the read with purpose in the
// same transaction. ErrNotFound (recorded) otherwise.
func (db *DB) OpenAttachment(ctx context.Context, actor audit.Actor, tenantID string, viewer Viewer, submissionID, attachmentID, purpose string) (Attachment, error) {
	if err := db.requireKeys(); err != nil {
		return Attachment{}, err
	}
	var a Attachment
	var bad []unreadable
	// A large file's sealed bytes come from the object store before the
	// transaction; they are opened only once the grant is checked in it.
	objKey, objData, err := db.fetchAttachmentObject(ctx, tenantID, submissionID, attachmentID)
	if err != nil {
		return Attachment{}, fmt.Errorf("open attachment %s: %w", attachmentID, err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		bad = nil
		ev := audit.Event{TenantID: tenantID, Actor: actor, Action: "attachment.read", ObjectType: "attachment", ObjectID: attachmentID,
			Purpose: purpose + " (submission " + submissionID + ")"}
		var index, name, data []byte
		var blobKey sql.NullString
		err := tx.queryRow(`SELECT s.subject_index, a.field_key, a.name, a.content_type, a.size, a.data, a.blob_key FROM attachments a
			JOIN submissions s ON s.tenant_id = a.tenant_id AND s.id = a.submission_id
			`+viewer.grantJoin(2)+`
			WHERE a.tenant_id = $1 AND a.submission_id = $3 AND a.id = $4`, tenantID, viewer.arg(), submissionID, attachmentID).
			Scan(&index, &a.FieldKey, &name, &a.ContentType, &a.Size, &data, &blobKey)
		if errors.Is(err, sql.ErrNoRows) {
			return tx.denied(ev)
		}
		if err != nil {
			return err
		}
		if blobKey.Valid {
			if blobKey.String != objKey {
				return errors.New("the attachment changed while it was opened; try again")
			}
			data = objData
		}
		ev.Subject = subjectPseudonym(index)
		n, err1 := db.keys.Open(tenantID, attachmentAD(tenantID, attachmentID, "name"), name)
		d, err2 := db.keys.Open(tenantID, attachmentAD(tenantID, attachmentID, "data"), data)
		if errors.Join(err1, err2) != nil {
			if err1 != nil {
				bad = append(bad, unreadableOf(actor, tenantID, "attachment", attachmentID, name, err1))
			} else {
				bad = append(bad, unreadableOf(actor, tenantID, "attachment", attachmentID, data, err2))
			}
			ev.Outcome = audit.OutcomeFailure
			if err := tx.appendAudit(ev); err != nil {
				return err
			}
			return keep(ErrUnreadable)
		}
		a.ID, a.Name, a.Data = attachmentID, string(n), d
		return tx.appendAudit(ev)
	})
	db.alertUnreadable(ctx, bad)
	if err != nil {
		return Attachment{}, fmt.Errorf("open attachment %s: %w", attachmentID, err)
	}
	return a, nil
}

// SubmissionChange is one step of handling: a new status (with a reason,
// required for rejected), a new assignee ("-" for nobody), or a note.
// Exactly one of Status, Assignee and Note is set.
type SubmissionChange struct {
	Status   string
	Reason   string
	Assignee string
	Note     string
	// StatusMail is the mail that tells the citizen of a new status, sent
	// (in the same transaction) when the form sends status mails; the
	// form's text for the status fills {text}. nil for none.
	StatusMail CitizenMail
}

// ChangeError says why a change was refused, as a locale key suffix per
// field ("inbox.error.<key>").
type ChangeError struct{ Field, Key string }

func (e *ChangeError) Error() string { return "submission change refused: " + e.Field + " " + e.Key }

// NoteMaxLength bounds notes and reasons, in characters.
const NoteMaxLength = 4000

// ChangeSubmission applies one step of handling to a submission the viewer
// holds a grant on, records it in the submission's history (reason and
// note sealed) and in the audit log, and keeps the form's statistics, in
// one transaction. ErrNotFound (recorded) for an unknown submission or
// none of the viewer's; *ChangeError for a move the workflow does not
// allow, a missing reason or note, or an assignee without a grant on the
// form.
func (db *DB) ChangeSubmission(ctx context.Context, actor audit.Actor, tenantID string, viewer Viewer, id string, ch SubmissionChange) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	ch.Reason, ch.Note = strings.TrimSpace(ch.Reason), strings.TrimSpace(ch.Note)
	var kind, body string
	switch {
	case ch.Status != "":
		kind, body = "status", ch.Reason
		if !slices.Contains(Statuses, ch.Status) {
			return &ChangeError{"status", "status_unknown"}
		}
		if ch.Status == StatusRejected && ch.Reason == "" {
			return &ChangeError{"reason", "reason_required"}
		}
	case ch.Assignee != "":
		kind = "assign"
	case ch.Note != "":
		kind, body = "note", ch.Note
	default:
		return &ChangeError{"note", "note_required"}
	}
	if len([]rune(body)) > NoteMaxLength {
		return &ChangeError{map[string]string{"status": "reason", "note": "note"}[kind], "too_long"}
	}
	now := db.now()
	evID := newID(now)
	var sealed []byte
	var keyID int64
	if body != "" {
		var err error
		if sealed, keyID, err = db.sealForSubmission(ctx, tenantID, id, eventAD(tenantID, evID), []byte(body)); err != nil {
			return fmt.Errorf("change submission %s: %w", id, err)
		}
	}
	err := db.write(ctx, func(tx *Tx) error {
		ev := audit.Event{TenantID: tenantID, Actor: actor, Action: "submission." + kind, ObjectType: "submission", ObjectID: id}
		var index []byte
		var status, formKey string
		var assignee, ref sql.NullString
		var created int64
		var formVersion int
		err := tx.queryRow(`SELECT s.subject_index, s.status, s.form_key, s.assignee_id, s.created_at, s.reference, s.form_version FROM submissions s
			`+viewer.grantJoin(2)+`
			WHERE s.tenant_id = $1 AND s.id = $3`, tenantID, viewer.arg(), id).Scan(&index, &status, &formKey, &assignee, &created, &ref, &formVersion)
		if errors.Is(err, sql.ErrNoRows) {
			return tx.denied(ev)
		}
		if err != nil {
			return err
		}
		ev.Subject = subjectPseudonym(index)
		if sealed != nil {
			if err := tx.sameSubmissionKey(tenantID, id, keyID); err != nil {
				return err
			}
		}
		if kind == "status" {
			// Art. 18 GDPR: a restricted person's case is not moved on.
			restricted, err := tx.restrictedAmong(tenantID, []string{id})
			if err != nil {
				return err
			}
			if restricted[id] {
				return tx.refuseRestricted(ev, "status change")
			}
		}
		var newStatus, newAssignee any
		switch kind {
		case "status":
			if !slices.Contains(statusMoves[status], ch.Status) {
				return &ChangeError{"status", "status_move"}
			}
			ev.Purpose = status + " -> " + ch.Status
			newStatus = ch.Status
			// closed_at starts the retention of categories counted from
			// "case closed" (SEC-1); reopening stops that clock.
			var closed any
			if ch.Status == StatusDone || ch.Status == StatusRejected {
				closed = micros(now)
			}
			if _, err := tx.exec(`UPDATE submissions SET status = $1, updated_at = $2, closed_at = $5 WHERE tenant_id = $3 AND id = $4`,
				ch.Status, micros(now), tenantID, id, closed); err != nil {
				return err
			}
			day := statsDay(fromMicros(created))
			if err := tx.countStat(tenantID, formKey, day, status, -1); err != nil {
				return err
			}
			if err := tx.countStat(tenantID, formKey, day, ch.Status, 1); err != nil {
				return err
			}
		case "assign":
			to := ch.Assignee
			if to == "-" {
				to = ""
			} else {
				var n int
				if err := tx.queryRow(`SELECT count(*) FROM form_access fa JOIN users u ON u.tenant_id = fa.tenant_id AND u.id = fa.user_id
					WHERE fa.tenant_id = $1 AND fa.user_id = $2 AND fa.form_key = $3 AND u.status = 'active'`,
					tenantID, to, formKey).Scan(&n); err != nil {
					return err
				}
				if n == 0 {
					return &ChangeError{"assignee", "assignee_unknown"}
				}
			}
			ev.Purpose = "assignee " + orDash(assignee.String) + " -> " + orDash(to)
			var toArg any
			if to != "" {
				toArg, newAssignee = to, to
			}
			if _, err := tx.exec(`UPDATE submissions SET assignee_id = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4`,
				toArg, micros(now), tenantID, id); err != nil {
				return err
			}
		case "note":
			if _, err := tx.exec(`UPDATE submissions SET updated_at = $1 WHERE tenant_id = $2 AND id = $3`, micros(now), tenantID, id); err != nil {
				return err
			}
		}
		if kind == "status" {
			// The controller's case system hears of the move (thin: no
			// content, no reason); notes and assignments stay internal.
			if err := tx.enqueueWebhooks(tenantID, webhook.EventSubmissionUpdated, WebhookSubmission{ID: id, Reference: ref.String,
				FormKey: formKey, FormVersion: formVersion, Status: ch.Status}); err != nil {
				return err
			}
			if err := tx.queueStatusMail(tenantID, id, formKey, formVersion, ch.Status, ch.StatusMail, actor); err != nil {
				return err
			}
		}
		if _, err := tx.exec(`INSERT INTO submission_events (id, tenant_id, submission_id, kind, actor_id, status, assignee_id, body, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, evID, tenantID, id, kind, actor.ID, newStatus, newAssignee, sealed, micros(now)); err != nil {
			return err
		}
		return tx.appendAudit(ev)
	})
	if err != nil {
		return fmt.Errorf("change submission %s: %w", id, err)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
