package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/seal"
)

// The citizen kept informed: the e-mail address a citizen gave is kept
// beside the submission (sealed, with its blind index: SEC-2) so that staff
// can reply by mail, a status change can tell the citizen, and the citizen
// can look the request up by its reference and that address — compared
// through the blind index, never in plaintext. Every mail goes through the
// outbox in the transaction that causes it, in the language the form was
// filled in, and never holds the answers (REG-4: the citizen learns only
// what is new). Every reply, look-up and read of a reply is in the audit
// log in the same transaction (AUD-1).

// CitizenLangs are the languages a mail to a citizen can be in.
var CitizenLangs = []string{"nl", "fr", "en"}

// CitizenMail is a mail to the citizen about their submission, prepared in
// each of CitizenLangs (by "nl", "fr", "en"); the store sends the one in
// the language the form was filled in (Dutch when unknown or missing) to
// the address the citizen gave. Subject and Body may hold the placeholders
// {reference}, {form} (the form's title), {text} (a status mail: the
// form's own text for the new status) and {message} (a reply: its text),
// replaced in one pass, so that what a person typed is never read as a
// placeholder. To is ignored.
type CitizenMail map[string]OutgoingMail

// StatusMail is the mail that tells a citizen their case moved to status,
// in every language, for SubmissionChange.StatusMail: the tenant's name,
// the status as people read it and lookupURL (the tenant's look-up page)
// filled in, the form's text left to the store ({text}). The web and the
// API move cases; both send the same mail.
func StatusMail(legalName, lookupURL, status string) CitizenMail {
	m := CitizenMail{}
	for _, l := range locale.Supported() {
		name := locale.T(l, "inbox.status."+status)
		m[string(l)] = OutgoingMail{Subject: locale.T(l, "informed.mail.status.subject", "{form}", name, "{reference}"),
			Body: locale.T(l, "informed.mail.status.body", "{form}", "{reference}", legalName, name, "{text}", lookupURL, legalName)}
	}
	return m
}

// ReplyMail is the mail that carries a staff member's reply ({message})
// to the citizen, in every language, for ReplyToSubmission.
func ReplyMail(legalName, lookupURL string) CitizenMail {
	m := CitizenMail{}
	for _, l := range locale.Supported() {
		m[string(l)] = OutgoingMail{Subject: locale.T(l, "informed.mail.reply.subject", "{form}", "{reference}"),
			Body: locale.T(l, "informed.mail.reply.body", legalName, "{form}", "{reference}", "{message}", lookupURL, legalName)}
	}
	return m
}

// ReplyMaxLength bounds a reply to a citizen, in characters.
const ReplyMaxLength = 4000

// ErrNoContact: the citizen gave no e-mail address on this submission.
var ErrNoContact = errors.New("the citizen gave no e-mail address")

func contactAD(tenantID, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "submissions", Column: "contact", Row: id}
}

func replyAD(tenantID, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "submission_replies", Column: "body", Row: id}
}

// sealedContact is a submission's contact address as stored.
type sealedContact struct{ sealed, index []byte }

// sealContact seals address for submission id with key (the person's or the
// tenant's) and pairs it with its blind index, index (the "subject" index
// of the lower-cased address: the same pseudonym as the outbox's
// recipient); nothing for "".
func (db *DB) sealContact(key intakeKey, tenantID, id, address string, index []byte) (sealedContact, error) {
	var c sealedContact
	if strings.TrimSpace(address) == "" {
		return c, nil
	}
	var err error
	if c.sealed, err = db.sealWith(key, tenantID, contactAD(tenantID, id), []byte(strings.TrimSpace(address))); err != nil {
		return c, err
	}
	c.index = index
	return c, nil
}

// NormalizeReference reads a reference as people type it: any case, with
// or without the dash and spaces, and O, I and L for 0, 1 and 1 (Crockford
// base 32 has none of them). ok is false when it cannot be a reference.
func NormalizeReference(s string) (string, bool) {
	var b []byte
	for _, c := range strings.ToUpper(s) {
		switch {
		case c == ' ' || c == '-' || c == '.':
			continue
		case c == 'O':
			c = '0'
		case c == 'I' || c == 'L':
			c = '1'
		}
		if c > 127 || !strings.ContainsRune(referenceAlphabet, c) {
			return "", false
		}
		b = append(b, byte(c))
	}
	if len(b) != 10 {
		return "", false
	}
	return string(b[:5]) + "-" + string(b[5:]), true
}

// LookupResult is what a citizen sees of their request: never its answers.
type LookupResult struct {
	ID          string
	Reference   string
	FormKey     string
	FormVersion int
	Status      string
	CreatedAt   time.Time
}

// lookupDummy is compared when no submission has the reference, so that an
// unknown reference costs what a wrong address costs.
var lookupDummy = make([]byte, 32)

// LookupSubmission finds a submission by its reference and the e-mail
// address the citizen gave on it, for the citizen themself: the address is
// compared through the tenant's blind index in constant time. An unknown
// reference and a wrong address are the same ErrNotFound. Each look-up is
// recorded as "submission.lookup": found with the submission and the
// citizen's pseudonym, or a failure naming nothing (never the address).
// reference must be normalised (NormalizeReference).
func (db *DB) LookupSubmission(ctx context.Context, actor audit.Actor, tenantID, reference, email string) (LookupResult, error) {
	if err := db.requireKeys(); err != nil {
		return LookupResult{}, err
	}
	index, err := db.keys.BlindIndex(tenantID, "subject", recipientKey(email))
	if err != nil {
		return LookupResult{}, fmt.Errorf("look up submission: %w", err)
	}
	var res LookupResult
	err = db.write(ctx, func(tx *Tx) error {
		ev := audit.Event{TenantID: tenantID, Actor: actor, Action: "submission.lookup", Purpose: "status"}
		var contact, subject []byte
		var created int64
		err := tx.queryRow(`SELECT id, reference, form_key, form_version, status, created_at, contact_index, subject_index
			FROM submissions WHERE tenant_id = $1 AND reference = $2`, tenantID, reference).
			Scan(&res.ID, &res.Reference, &res.FormKey, &res.FormVersion, &res.Status, &created, &contact, &subject)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// Before the contact address was kept, an e-mail-only form's
		// subject index was the address's: the same index.
		want := contact
		if want == nil {
			want = subject
		}
		if err != nil || len(want) != len(index) {
			want = lookupDummy
		}
		if subtle.ConstantTimeCompare(want, index) != 1 || err != nil {
			res = LookupResult{}
			ev.Outcome = audit.OutcomeFailure
			if err := tx.appendAudit(ev); err != nil {
				return err
			}
			return keep(ErrNotFound)
		}
		res.CreatedAt = fromMicros(created)
		// The submission's own pseudonym (an INSZ's, when it has one), so
		// that the look-up stands with everything else about the citizen.
		if subject == nil {
			subject = index
		}
		ev.ObjectType, ev.ObjectID, ev.Subject = "submission", res.ID, subjectPseudonym(subject)
		return tx.appendAudit(ev)
	})
	if errors.Is(err, ErrNotFound) {
		return LookupResult{}, ErrNotFound
	}
	if err != nil {
		return LookupResult{}, fmt.Errorf("look up submission: %w", err)
	}
	return res, nil
}

// citizenMail fills m for submission id in the citizen's language: the
// address opened, the placeholders replaced. texts are the form's status
// texts (by language) for a status mail, message a reply's text. It
// returns ErrNoContact when the citizen gave no address.
func (tx *Tx) citizenMail(tenantID, id string, m CitizenMail, texts map[string]string, message string) (OutgoingMail, string, error) {
	var sealed, sealedLang []byte
	var ref sql.NullString
	var formKey string
	var formVersion int
	if err := tx.queryRow(`SELECT contact, lang, reference, form_key, form_version FROM submissions
		WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&sealed, &sealedLang, &ref, &formKey, &formVersion); err != nil {
		return OutgoingMail{}, "", err
	}
	if len(sealed) == 0 {
		return OutgoingMail{}, "", ErrNoContact
	}
	// The citizen's language is kept sealed beside the answers (the
	// inbox shows it); the mail is in it, Dutch when it is not known.
	l := ""
	if len(sealedLang) > 0 {
		b, err := tx.db.keys.Open(tenantID, langAD(tenantID, id), sealedLang)
		if err != nil {
			return OutgoingMail{}, "", ErrUnreadable
		}
		l = string(b)
	}
	if _, ok := m[l]; !ok {
		l = "nl"
	}
	out, ok := m[l]
	if !ok {
		return OutgoingMail{}, "", errors.New("citizen mail: no Dutch text")
	}
	to, err := tx.db.keys.Open(tenantID, contactAD(tenantID, id), sealed)
	if err != nil {
		return OutgoingMail{}, "", ErrUnreadable
	}
	f, err := tx.formDefinition(tenantID, formKey, formVersion)
	if err != nil {
		return OutgoingMail{}, "", err
	}
	r := strings.NewReplacer("{reference}", ref.String, "{form}", f.Title.In(l), "{text}", texts[l], "{message}", message)
	out.To, out.Lang = string(to), l
	// A title with a line break (a JSON import) must not break the header.
	out.Subject, out.Body = strings.Join(strings.Fields(r.Replace(out.Subject)), " "), r.Replace(out.Body)
	// An empty {text} leaves an empty paragraph behind.
	for strings.Contains(out.Body, "\n\n\n") {
		out.Body = strings.ReplaceAll(out.Body, "\n\n\n", "\n\n")
	}
	return out, l, nil
}

// formDefinition reads one version of a form's definition in tx.
func (tx *Tx) formDefinition(tenantID, key string, version int) (form.Form, error) {
	var def string
	if err := tx.queryRow(`SELECT definition FROM forms WHERE tenant_id = $1 AND form_key = $2 AND version = $3`,
		tenantID, key, version).Scan(&def); err != nil {
		return form.Form{}, fmt.Errorf("form %s version %d: %w", key, version, err)
	}
	var f form.Form
	if err := json.Unmarshal([]byte(def), &f); err != nil {
		return form.Form{}, fmt.Errorf("form %s version %d: %w", key, version, err)
	}
	return f, nil
}

// ReplyToSubmission sends the citizen a staff member's reply by mail, for a
// viewer holding a grant on the submission's form: the mail (m, with
// {message}) is queued to the address the citizen gave, in their language;
// the text is kept sealed in the submission's history; "submission.reply"
// (no content) is recorded — all in one transaction. ErrNotFound (recorded)
// for an unknown submission or none of the viewer's; *ChangeError for an
// empty or too long message or a submission without an address.
func (db *DB) ReplyToSubmission(ctx context.Context, actor audit.Actor, tenantID string, viewer Viewer, id, message string, m CitizenMail) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	message = strings.TrimSpace(message)
	switch {
	case message == "":
		return &ChangeError{"message", "message_required"}
	case len([]rune(message)) > ReplyMaxLength:
		return &ChangeError{"message", "too_long"}
	}
	now := db.now()
	replyID := newID(now)
	body, keyID, err := db.sealForSubmission(ctx, tenantID, id, replyAD(tenantID, replyID), []byte(message))
	if err != nil {
		return fmt.Errorf("reply to submission %s: %w", id, err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		ev := audit.Event{TenantID: tenantID, Actor: actor, Action: "submission.reply", ObjectType: "submission", ObjectID: id}
		var index []byte
		err := tx.queryRow(`SELECT s.subject_index FROM submissions s `+viewer.grantJoin(2)+`
			WHERE s.tenant_id = $1 AND s.id = $3`, tenantID, viewer.arg(), id).Scan(&index)
		if errors.Is(err, sql.ErrNoRows) {
			return tx.denied(ev)
		}
		if err != nil {
			return err
		}
		ev.Subject = subjectPseudonym(index)
		if err := tx.sameSubmissionKey(tenantID, id, keyID); err != nil {
			return err
		}
		out, lang, err := tx.citizenMail(tenantID, id, m, nil, message)
		if errors.Is(err, ErrNoContact) {
			return &ChangeError{"message", "no_contact"}
		}
		if err != nil {
			return err
		}
		out.Kind = "submission.reply"
		if out.validate() != nil {
			return &ChangeError{"message", "no_contact"}
		}
		mailID, err := tx.enqueueMail(tenantID, out, actor)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO submission_replies (id, tenant_id, submission_id, kind, actor_id, mail_id, lang, body, created_at)
			VALUES ($1, $2, $3, 'reply', $4, $5, $6, $7, $8)`, replyID, tenantID, id, actor.ID, mailID, lang, body, micros(now)); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE submissions SET updated_at = $1 WHERE tenant_id = $2 AND id = $3`, micros(now), tenantID, id); err != nil {
			return err
		}
		ev.Purpose = "mail " + mailID + " (" + lang + ")"
		return tx.appendAudit(ev)
	})
	if err != nil {
		return fmt.Errorf("reply to submission %s: %w", id, err)
	}
	return nil
}

// queueStatusMail tells the citizen of submission id that it moved to
// status, when the form (its published version, else the version it was
// made under) sends status mails: m filled with the form's text for the
// status, queued in tx, kept in the history. Nothing when the form sends
// none, the move is back to "new" or the citizen gave no address.
func (tx *Tx) queueStatusMail(tenantID, id, formKey string, formVersion int, status string, m CitizenMail, actor audit.Actor) error {
	if len(m) == 0 || status == StatusNew {
		return nil
	}
	var version int
	err := tx.queryRow(`SELECT version FROM forms WHERE tenant_id = $1 AND form_key = $2 AND status = 'published'`,
		tenantID, formKey).Scan(&version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		version = formVersion
	case err != nil:
		return err
	}
	f, err := tx.formDefinition(tenantID, formKey, version)
	if err != nil {
		return err
	}
	if f.StatusMail == nil || !f.StatusMail.Enabled {
		return nil
	}
	out, lang, err := tx.citizenMail(tenantID, id, m, f.StatusMail.Texts[status], "")
	if errors.Is(err, ErrNoContact) || errors.Is(err, ErrUnreadable) {
		// No address, or its keys are gone: the move goes on without a mail.
		return nil
	}
	if err != nil {
		return err
	}
	out.Kind = "submission.status"
	if out.validate() != nil {
		// An address the outbox refuses must not block the case's handling.
		return nil
	}
	mailID, err := tx.enqueueMail(tenantID, out, actor)
	if err != nil {
		return err
	}
	now := tx.db.now()
	_, err = tx.exec(`INSERT INTO submission_replies (id, tenant_id, submission_id, kind, actor_id, mail_id, lang, status, created_at)
		VALUES ($1, $2, $3, 'status', $4, $5, $6, $7, $8)`, newID(now), tenantID, id, actor.ID, mailID, lang, status, micros(now))
	return err
}

// openReplies adds to d, inside OpenSubmission's audited read, the mails
// sent to the citizen (replies opened) and whether and in which language
// the citizen can be written to. ErrUnreadable when a reply cannot be
// opened.
func (tx *Tx) openReplies(tenantID string, d *SubmissionDetail,
	opened func(objectType, objectID string, ad seal.AD, sealed []byte) (string, bool, error)) error {
	var contact []byte
	if err := tx.queryRow(`SELECT contact FROM submissions WHERE tenant_id = $1 AND id = $2`, tenantID, d.ID).
		Scan(&contact); err != nil {
		return err
	}
	// The language was opened with the answers (d.Lang, sealed).
	d.HasContact, d.ContactLang = len(contact) > 0, d.Lang
	rows, err := tx.query(`SELECT r.id, r.kind, r.actor_id, r.lang, r.status, r.body, r.created_at, m.status FROM submission_replies r
		LEFT JOIN mail_outbox m ON m.tenant_id = r.tenant_id AND m.id = r.mail_id
		WHERE r.tenant_id = $1 AND r.submission_id = $2 ORDER BY r.created_at, r.id`, tenantID, d.ID)
	if err != nil {
		return err
	}
	type sealedReply struct {
		HistoryEntry
		id   string
		body []byte
	}
	var replies []sealedReply
	for rows.Next() {
		var e sealedReply
		var status, mailStatus sql.NullString
		var at int64
		if err := rows.Scan(&e.id, &e.Kind, &e.ActorID, &e.Lang, &status, &e.body, &at, &mailStatus); err != nil {
			rows.Close()
			return err
		}
		if e.Kind == "status" {
			e.Kind = "status_mail"
		}
		e.Status, e.At, e.MailStatus = status.String, fromMicros(at), mailStatus.String
		replies = append(replies, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, e := range replies {
		if len(e.body) > 0 {
			// One reply that does not open fails alone (SEC-3), audited
			// and alerted like a note.
			var err error
			if e.Body, e.Unreadable, err = opened("submission_reply", e.id, replyAD(tenantID, e.id), e.body); err != nil {
				return err
			}
		}
		d.History = append(d.History, e.HistoryEntry)
	}
	slices.SortStableFunc(d.History, func(a, b HistoryEntry) int { return a.At.Compare(b.At) })
	return nil
}
