package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
)

// The mail outbox's delivery policy.
const (
	// MaxMailAttempts is how many times a mail is tried before it fails.
	MaxMailAttempts = 8
	// MaxRelayBackoff caps the back-off while the relay itself is down: a
	// relay outage is retried for as long as it lasts (nothing is lost),
	// and mail goes out within this long of the relay's return.
	MaxRelayBackoff = time.Hour
	// MailSendingTimeout is how long a claimed mail may stay "sending"
	// before it counts as abandoned (the sender crashed) and is due again.
	MailSendingTimeout = 10 * time.Minute
	// mailClaimDefault is ClaimMail's limit when none is given.
	mailClaimDefault = 50
)

// Mail statuses.
const (
	MailStatusPending = "pending"
	MailStatusSending = "sending"
	MailStatusSent    = "sent"
	MailStatusFailed  = "failed"
)

// mailActor is the party that reads and delivers queued mail.
var mailActor = audit.System("mail.send")

// OutgoingMail is a message to queue. To, Subject and Body are personal data
// (sealed at rest); Body is text/plain. Lang is the recipient's language as a
// BCP 47 tag ("nl", "nl-BE", "fr-BE", "en"); Kind names what the mail is
// for ("account.invite") and is its audit purpose.
type OutgoingMail struct {
	To, Subject, Body, Lang, Kind string
}

// QueuedMail is a claimed mail, opened for the sender.
type QueuedMail struct {
	ID       string
	TenantID string
	OutgoingMail
	// Attempts counts the delivery attempts, this one included.
	Attempts  int
	CreatedAt time.Time
}

// MailStatus is a mail's delivery state, without its (sealed) content.
type MailStatus struct {
	ID, TenantID, Kind, Lang, Status string
	Attempts                         int
	NextAttemptAt                    time.Time
	// LastError is an SMTP status ("smtp: temporary failure (421)"), never
	// personal data.
	LastError string
	CreatedAt time.Time
	SentAt    *time.Time
}

var (
	langTag  = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	mailKind = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	// anAddress finds anything shaped like an e-mail address, so that a
	// careless failure reason cannot put one into last_error.
	anAddress = regexp.MustCompile(`[^\s<>"'(),;:]+@[^\s<>"'(),;:]+`)
)

// validate checks m without echoing any of its content in the error.
func (m OutgoingMail) validate() error {
	switch {
	case m.To == "" || len(m.To) > 320 || strings.ContainsAny(m.To, "\r\n"):
		return errors.New("queue mail: the recipient is not a valid e-mail address")
	case strings.TrimSpace(m.Subject) == "" || len(m.Subject) > 998 || strings.ContainsAny(m.Subject, "\r\n"):
		return errors.New("queue mail: the subject is empty, too long or has a line break")
	case m.Body == "" || len(m.Body) > 1<<20:
		return errors.New("queue mail: the body is empty or larger than 1 MiB")
	case !langTag.MatchString(m.Lang):
		return errors.New("queue mail: the language is not a language tag")
	case !mailKind.MatchString(m.Kind):
		return errors.New("queue mail: the kind must be lower-case letters, digits, '.', '_' or '-'")
	}
	if _, err := mail.ParseAddress(m.To); err != nil {
		return errors.New("queue mail: the recipient is not a valid e-mail address")
	}
	return nil
}

// recipientKey is what the recipient's blind index is computed over: the
// bare address, lower-cased, the way data subjects are looked up by e-mail.
func recipientKey(to string) []byte {
	if a, err := mail.ParseAddress(to); err == nil {
		to = a.Address
	}
	return []byte(strings.ToLower(strings.TrimSpace(to)))
}

func mailAD(tenantID, column, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "mail_outbox", Column: column, Row: id}
}

// enqueueMail seals m and queues it for tenantID inside tx, so that a mail
// is queued if and only if the change that causes it commits, and records
// "mail.queue" in the tenant's audit log. The recipient appears in the log
// only as the tenant's pseudonym of the address. It returns the mail's id.
func (tx *Tx) enqueueMail(tenantID string, m OutgoingMail, actor audit.Actor) (string, error) {
	m, err := tx.finalMail(tenantID, m)
	if err != nil {
		return "", err
	}
	return tx.queueFinalMail(tenantID, m, actor)
}

// finalMail checks m and gives it the text it is sent with: the tenant's
// footer appended. What it returns is what the recipient reads, so a proof
// of a mail's content (BRE-1) hashes it.
func (tx *Tx) finalMail(tenantID string, m OutgoingMail) (OutgoingMail, error) {
	if err := m.validate(); err != nil {
		return m, err
	}
	if err := tx.db.requireKeys(); err != nil {
		return m, err
	}
	var exists int
	if err := tx.queryRow(`SELECT count(*) FROM tenants WHERE id = $1`, tenantID).Scan(&exists); err != nil {
		return m, err
	}
	if exists == 0 {
		return m, fmt.Errorf("tenant %q: %w", tenantID, ErrNotFound)
	}
	// Every mail of a municipality ends with its name and contact block,
	// so that a citizen knows whom to answer (the look of issue 10).
	footer, err := tx.brandingFooter(tenantID, m.Lang)
	if err != nil {
		return m, err
	}
	if footer != "" && len(m.Body)+len(footer) <= 1<<20 {
		m.Body = strings.TrimRight(m.Body, "\n") + footer
	}
	return m, nil
}

// queueFinalMail seals and queues m as finalMail made it.
func (tx *Tx) queueFinalMail(tenantID string, m OutgoingMail, actor audit.Actor) (string, error) {
	if err := m.validate(); err != nil {
		return "", err
	}
	now := tx.db.now()
	id := newID(now)
	sm, err := tx.db.sealMail(tenantID, id, m)
	if err != nil {
		return "", err
	}
	to, subject, body, index := sm.to, sm.subject, sm.body, sm.index
	if _, err := tx.exec(`INSERT INTO mail_outbox (id, tenant_id, recipient, recipient_index, subject, body, lang, kind,
		status, attempts, next_attempt_at, last_error, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, '', $9)`,
		id, tenantID, to, index, subject, body, m.Lang, m.Kind, micros(now)); err != nil {
		return "", err
	}
	return id, tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "mail.queue",
		ObjectType: "mail", ObjectID: id, Subject: subjectPseudonym(index), Purpose: m.Kind})
}

// sealedMail is an outgoing mail as the outbox keeps it.
type sealedMail struct{ to, subject, body, index []byte }

// sealMail seals m's recipient, subject and body for the outbox row id and
// computes the recipient's blind index.
func (db *DB) sealMail(tenantID, id string, m OutgoingMail) (sealedMail, error) {
	var sm sealedMail
	var err error
	if sm.to, err = db.keys.Seal(tenantID, mailAD(tenantID, "recipient", id), []byte(m.To)); err != nil {
		return sm, err
	}
	if sm.subject, err = db.keys.Seal(tenantID, mailAD(tenantID, "subject", id), []byte(m.Subject)); err != nil {
		return sm, err
	}
	if sm.body, err = db.keys.Seal(tenantID, mailAD(tenantID, "body", id), []byte(m.Body)); err != nil {
		return sm, err
	}
	sm.index, err = db.keys.BlindIndex(tenantID, "subject", recipientKey(m.To))
	return sm, err
}

// QueueMail seals m and queues it for delivery by the mail.send job,
// recording "mail.queue" in the tenant's audit log in the same transaction.
// Errors: a validation error (which never repeats m's content) for bad
// input, ErrNotFound when the tenant does not exist.
func (db *DB) QueueMail(ctx context.Context, actor audit.Actor, tenantID string, m OutgoingMail) (id string, err error) {
	if err := m.validate(); err != nil {
		return "", err
	}
	err = db.write(ctx, func(tx *Tx) error {
		id, err = tx.enqueueMail(tenantID, m, actor)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("queue mail: %w", err)
	}
	return id, nil
}

// ClaimMail takes up to limit due mails of every tenant (a platform-level
// query for the sender: pending mails whose time has come, and mails left
// "sending" for MailSendingTimeout by a sender that died), marks them
// "sending", opens them and returns them. Each read is recorded as
// "mail.read" in its tenant's audit log in the same transaction. A mail that
// can no longer be opened (its tenant's keys are destroyed) or that was
// abandoned on its last attempt fails instead of being returned. The caller
// reports each outcome with MailSent or MailFailed.
func (db *DB) ClaimMail(ctx context.Context, limit int) ([]QueuedMail, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = mailClaimDefault
	}
	var claimed []QueuedMail
	var bad []unreadable // alerted once committed
	err := db.write(ctx, func(tx *Tx) error {
		claimed, bad = claimed[:0], nil // the writer may run fn again
		now := db.now()
		q := `SELECT id, tenant_id, recipient, recipient_index, subject, body, lang, kind, status, attempts, created_at
			FROM mail_outbox WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1
			ORDER BY next_attempt_at, id LIMIT $2`
		if db.dialect == Postgres {
			q += ` FOR UPDATE SKIP LOCKED`
		}
		type row struct {
			QueuedMail
			to, index, subject, body []byte
			status                   string
			created                  int64
		}
		var due []row
		rows, err := tx.tx.QueryContext(tx.ctx, q, micros(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.ID, &r.TenantID, &r.to, &r.index, &r.subject, &r.body, &r.Lang, &r.Kind,
				&r.status, &r.Attempts, &r.created); err != nil {
				rows.Close()
				return err
			}
			due = append(due, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range due {
			pseudonym := subjectPseudonym(r.index)
			if r.status == MailStatusSending && r.Attempts >= MaxMailAttempts {
				if err := tx.failMail(r.ID, r.TenantID, r.Kind, pseudonym, "abandoned: the sender stopped during the last attempt", now); err != nil {
					return err
				}
				continue
			}
			read := audit.Event{TenantID: r.TenantID, Actor: mailActor, Action: "mail.read", ObjectType: "mail",
				ObjectID: r.ID, Subject: pseudonym, Purpose: r.Kind}
			to, err1 := db.keys.Open(r.TenantID, mailAD(r.TenantID, "recipient", r.ID), r.to)
			subject, err2 := db.keys.Open(r.TenantID, mailAD(r.TenantID, "subject", r.ID), r.subject)
			body, err3 := db.keys.Open(r.TenantID, mailAD(r.TenantID, "body", r.ID), r.body)
			if err := errors.Join(err1, err2, err3); err != nil {
				bad = append(bad, unreadableOf(mailActor, r.TenantID, "mail", r.ID, r.body, err))
				read.Outcome = audit.OutcomeFailure
				if err := tx.appendAudit(read); err != nil {
					return err
				}
				if err := tx.failMail(r.ID, r.TenantID, r.Kind, pseudonym, "unreadable: the sealed mail cannot be opened", now); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.exec(`UPDATE mail_outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = $1
				WHERE id = $2`, micros(now.Add(MailSendingTimeout)), r.ID); err != nil {
				return err
			}
			if err := tx.appendAudit(read); err != nil {
				return err
			}
			m := r.QueuedMail
			m.To, m.Subject, m.Body = string(to), string(subject), string(body)
			m.Attempts++
			m.CreatedAt = fromMicros(r.created)
			claimed = append(claimed, m)
		}
		return nil
	})
	db.alertUnreadable(ctx, bad)
	if err != nil {
		return nil, fmt.Errorf("claim mail: %w", err)
	}
	return claimed, nil
}

// mailRow reads what MailSent and MailFailed need of a claimed mail.
func (tx *Tx) mailRow(id string) (tenantID, kind, pseudonym, status string, attempts int, err error) {
	q := `SELECT tenant_id, kind, recipient_index, status, attempts FROM mail_outbox WHERE id = $1`
	if tx.db.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var index []byte
	err = tx.queryRow(q, id).Scan(&tenantID, &kind, &index, &status, &attempts)
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("mail %s: %w", id, ErrNotFound)
	}
	return tenantID, kind, subjectPseudonym(index), status, attempts, err
}

// MailSent records that a claimed mail was handed to the relay, with
// "mail.sent" in its tenant's audit log. ErrNotFound when there is no such
// mail, ErrConflict when it is not being sent.
func (db *DB) MailSent(ctx context.Context, id string) error {
	err := db.write(ctx, func(tx *Tx) error {
		tenantID, kind, pseudonym, status, _, err := tx.mailRow(id)
		if err != nil {
			return err
		}
		if status != MailStatusSending {
			return fmt.Errorf("mail %s is %s, not sending: %w", id, status, ErrConflict)
		}
		if _, err := tx.exec(`UPDATE mail_outbox SET status = 'sent', sent_at = $1, last_error = '' WHERE id = $2`,
			micros(db.now()), id); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: mailActor, Action: "mail.sent", ObjectType: "mail",
			ObjectID: id, Subject: pseudonym, Purpose: kind})
	})
	if err != nil {
		return fmt.Errorf("mail sent: %w", err)
	}
	return nil
}

// MailFailed records a failed attempt at a claimed mail. reason must be an
// SMTP status, never personal data (anything shaped like an address is
// blanked out all the same). A permanent failure, or a temporary one on the
// last of MaxMailAttempts attempts, fails the mail ("mail.failed" in the
// audit log); otherwise it is due again after an exponential back-off of
// 1, 2, 4 … minutes ("mail.retry"). ErrNotFound when there is no such mail,
// ErrConflict when it is not being sent.
func (db *DB) MailFailed(ctx context.Context, id string, permanent bool, reason string) error {
	return db.mailNotSent(ctx, id, permanent, false, reason)
}

// MailDeferred records an attempt that failed because the relay was down
// or refused the session (not this mail's fault): the mail is due again
// after the same back-off, capped at MaxRelayBackoff, and it never fails
// for the number of attempts, so an outage of any length loses no mail
// ("mail.retry"). Errors as MailFailed.
func (db *DB) MailDeferred(ctx context.Context, id, reason string) error {
	return db.mailNotSent(ctx, id, false, true, reason)
}

func (db *DB) mailNotSent(ctx context.Context, id string, permanent, relayDown bool, reason string) error {
	reason = anAddress.ReplaceAllString(reason, "[address]")
	if len(reason) > 200 {
		reason = reason[:200]
	}
	err := db.write(ctx, func(tx *Tx) error {
		tenantID, kind, pseudonym, status, attempts, err := tx.mailRow(id)
		if err != nil {
			return err
		}
		if status != MailStatusSending {
			return fmt.Errorf("mail %s is %s, not sending: %w", id, status, ErrConflict)
		}
		now := db.now()
		if permanent || (attempts >= MaxMailAttempts && !relayDown) {
			return tx.failMail(id, tenantID, kind, pseudonym, reason, now)
		}
		backoff := time.Duration(1<<min(max(attempts-1, 0), 16)) * time.Minute
		if relayDown {
			backoff = min(backoff, MaxRelayBackoff)
		}
		if _, err := tx.exec(`UPDATE mail_outbox SET status = 'pending', next_attempt_at = $1, last_error = $2 WHERE id = $3`,
			micros(now.Add(backoff)), reason, id); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: mailActor, Action: "mail.retry", ObjectType: "mail",
			ObjectID: id, Subject: pseudonym, Purpose: kind, Outcome: audit.OutcomeFailure})
	})
	if err != nil {
		return fmt.Errorf("mail failed: %w", err)
	}
	return nil
}

// failMail gives up on a mail for good and records "mail.failed".
func (tx *Tx) failMail(id, tenantID, kind, pseudonym, reason string, now time.Time) error {
	if _, err := tx.exec(`UPDATE mail_outbox SET status = 'failed', last_error = $1, next_attempt_at = $2 WHERE id = $3`,
		reason, micros(now), id); err != nil {
		return err
	}
	return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: mailActor, Action: "mail.failed", ObjectType: "mail",
		ObjectID: id, Subject: pseudonym, Purpose: kind, Outcome: audit.OutcomeFailure})
}

// MailStatus returns the delivery state of tenant's mail id, without its
// content (which needs no audit to read). ErrNotFound when tenantID has no
// such mail.
func (db *DB) MailStatus(ctx context.Context, tenantID, id string) (MailStatus, error) {
	var s MailStatus
	var next, created int64
	var sent sql.NullInt64
	err := db.sql.QueryRowContext(ctx, `SELECT id, tenant_id, kind, lang, status, attempts, next_attempt_at, last_error,
		created_at, sent_at FROM mail_outbox WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(
		&s.ID, &s.TenantID, &s.Kind, &s.Lang, &s.Status, &s.Attempts, &next, &s.LastError, &created, &sent)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("mail %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("mail status: %w", err)
	}
	s.NextAttemptAt, s.CreatedAt = fromMicros(next), fromMicros(created)
	if sent.Valid {
		t := fromMicros(sent.Int64)
		s.SentAt = &t
	}
	return s, nil
}
