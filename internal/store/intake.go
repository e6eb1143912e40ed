package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/webhook"
)

// NewFormSubmission is what the e-loket hands to SubmitForm: the cleaned
// answers (JSON of form.Answers), the versions they were made under, the
// data subject for the blind index (an INSZ's digits or a normalised
// e-mail address), the form page's idempotency token and the attachments,
// each already scanned clean.
type NewFormSubmission struct {
	FormKey         string
	FormVersion     int
	RegisterVersion int
	Answers         []byte
	Subject         string
	Idempotency     string
	Attachments     []NewAttachment
	// Receipt is the capability the citizen's browser gets to see its own
	// submission once more (receipt page and PDF) until ReceiptTTL.
	Receipt string
	// Mail is the confirmation the citizen asked for, queued (sealed) in
	// the same transaction; nil for none.
	Mail *OutgoingMail
	// Contact is the e-mail address the citizen gave ("" for none), sealed
	// with its blind index: staff reply to it and the citizen looks the
	// request up with it. Lang is the language the form was filled in
	// ("nl", "fr", "en"), kept sealed for the inbox and the language of
	// every mail to the citizen.
	Contact, Lang string
	// HandlingDays is the published form version's handling time in
	// calendar days (0: none): the submission's due date is fixed from it.
	HandlingDays int
}

// NewAttachment is one scanned-clean file of a submission.
type NewAttachment struct {
	FieldKey    string
	Name        string
	ContentType string // sniffed
	Data        []byte
	Scanner     string // what judged it clean ("clamd 1.4.6 …")
	ScannedAt   time.Time
}

// ReceiptTTL is how long the citizen's browser may open its receipt.
const ReceiptTTL = time.Hour

// referenceAlphabet is Crockford's base 32: no I, L, O or U, so a
// reference read aloud or typed from paper cannot be mistaken.
const referenceAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// referenceOf is a receipt reference such as "K7M4Q-2XD9P": 50 bits of
// mac in Crockford base 32.
func referenceOf(mac []byte) string {
	b := mac[:10]
	out := make([]byte, 0, 11)
	for i, c := range b {
		if i == 5 {
			out = append(out, '-')
		}
		out = append(out, referenceAlphabet[c&31])
	}
	return string(out)
}

func attachmentAD(tenantID, id, column string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "attachments", Column: column, Row: id}
}

// SubmitForm seals and stores a citizen's submission with its attachments
// and audits it, in one transaction, and returns its reference. The form
// version must still be the published one (ErrFormChanged). The same
// idempotency token stores nothing new and returns the first reference
// (created false): a double click submits once.
//
// With per-person keys on (DSR-1), the answers, language, contact address
// and files are sealed with the key of the person the subject's index
// (else the contact address's) names, made at their first submission; the
// row records its id. Without a known person, the tenant key seals them.
func (db *DB) SubmitForm(ctx context.Context, actor audit.Actor, tenantID string, in NewFormSubmission) (string, bool, error) {
	if err := db.requireKeys(); err != nil {
		return "", false, err
	}
	if in.FormKey == "" || in.Idempotency == "" || in.Receipt == "" {
		return "", false, errors.New("submit form: form key, idempotency token and receipt are required")
	}
	// A person's key that is not the one to use (see intakeKeyFor) makes
	// the first attempt fail before anything is written; the next looks
	// the key up.
	for attempt := 0; ; attempt++ {
		ref, created, err := db.submitForm(ctx, actor, tenantID, in, attempt > 0)
		if !errors.Is(err, errPersonKeyRace) || attempt == 2 {
			return ref, created, err
		}
	}
}

func (db *DB) submitForm(ctx context.Context, actor audit.Actor, tenantID string, in NewFormSubmission, lookup bool) (string, bool, error) {
	// The writer holds its batch open for this submission while it is
	// sealed: it then shares a durable commit with the others.
	ann := db.announce()
	defer ann.withdraw()
	now := db.now()
	id := newID(now)
	// The cryptography runs here, in the caller's goroutine, not in the writer.
	var index, contactIndex []byte
	var err error
	if in.Subject != "" {
		if index, err = db.keys.BlindIndex(tenantID, "subject", []byte(in.Subject)); err != nil {
			return "", false, fmt.Errorf("submit form: %w", err)
		}
	}
	if strings.TrimSpace(in.Contact) != "" {
		if contactIndex, err = db.keys.BlindIndex(tenantID, "subject", recipientKey(in.Contact)); err != nil {
			return "", false, fmt.Errorf("submit form: %w", err)
		}
	}
	person := index
	if len(person) == 0 {
		person = contactIndex
	}
	key, err := db.intakeKeyFor(ctx, tenantID, person, lookup)
	if err != nil {
		return "", false, fmt.Errorf("submit form: %w", err)
	}
	answers, err := db.sealWith(key, tenantID, submissionAD(tenantID, id), in.Answers)
	if err != nil {
		return "", false, fmt.Errorf("submit form: %w", err)
	}
	var lang []byte
	if in.Lang != "" {
		if lang, err = db.sealWith(key, tenantID, langAD(tenantID, id), []byte(in.Lang)); err != nil {
			return "", false, fmt.Errorf("submit form: %w", err)
		}
	}
	type sealedFile struct {
		id, field, contentType, scanner string
		name, data                      []byte
		size, scannedAt                 int64
		blobKey                         sql.NullString
	}
	files := make([]sealedFile, len(in.Attachments))
	// A large file's sealed bytes go to the shared object store before the
	// transaction (attachment_objects.go); they are deleted again unless
	// the rows naming them commit.
	var objects []string
	committed := false
	defer func() {
		if !committed && len(objects) > 0 {
			db.deleteAttachmentObjects(ctx, objects)
		}
	}()
	for i, a := range in.Attachments {
		fid := newID(now)
		name, err1 := db.sealWith(key, tenantID, attachmentAD(tenantID, fid, "name"), []byte(a.Name))
		data, err2 := db.sealWith(key, tenantID, attachmentAD(tenantID, fid, "data"), a.Data)
		if err := errors.Join(err1, err2); err != nil {
			return "", false, fmt.Errorf("submit form: %w", err)
		}
		f := sealedFile{fid, a.FieldKey, a.ContentType, a.Scanner, name, data, int64(len(a.Data)), micros(a.ScannedAt), sql.NullString{}}
		if db.inObjectStore(len(a.Data)) {
			k := attachmentObjectKey(tenantID, fid)
			objects = append(objects, k)
			if err := db.blobs.Put(ctx, k, bytes.NewReader(data), int64(len(data))); err != nil {
				return "", false, fmt.Errorf("submit form: attachment object: %w", err)
			}
			f.data, f.blobKey = []byte{}, sql.NullString{String: k, Valid: true}
		}
		files[i] = f
	}
	receipt := sha256.Sum256([]byte(in.Receipt))
	// The reference is derived from the page token with the tenant's keyed
	// index: a second post of the same page gets the same reference, and
	// the unique reference index finds it — no idempotency column, and no
	// query before the insert on the common path.
	mac, err := db.keys.BlindIndex(tenantID, "submission-reference", []byte(in.Idempotency))
	if err != nil {
		return "", false, fmt.Errorf("submit form: %w", err)
	}
	ref := referenceOf(mac)
	contact, err := db.sealContact(key, tenantID, id, in.Contact, contactIndex)
	if err != nil {
		return "", false, fmt.Errorf("submit form: %w", err)
	}
	hook, err := newWebhookEvent(now, webhook.EventSubmissionCreated, WebhookSubmission{ID: id, Reference: ref, FormKey: in.FormKey,
		FormVersion: in.FormVersion, Status: StatusNew})
	if err != nil {
		return "", false, fmt.Errorf("submit form: %w", err)
	}
	err = db.writeAnnounced(ctx, ann, func(tx *Tx) error {
		// One statement inserts only into an active tenant and only while
		// the form version is the published one; why not is looked up
		// only when it did not.
		res, err := tx.insertSubmission(tenantID, key, id, in.FormKey, index, answers, micros(now), in.FormVersion, in.RegisterVersion,
			ref, receipt[:], micros(now.Add(ReceiptTTL)), contact.sealed, contact.index, dueMicros(DueAt(now, in.HandlingDays)), lang,
			sql.NullInt64{Int64: key.id(), Valid: key.pk != nil})
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			var active bool
			if err := tx.queryRow(`SELECT count(*) > 0 FROM tenants WHERE id = $1 AND status = 'active'`, tenantID).Scan(&active); err != nil {
				return err
			}
			if !active {
				return fmt.Errorf("tenant %q is not active: %w", tenantID, ErrConflict)
			}
			if err := tx.refuseFrozen(tenantID); err != nil {
				return err
			}
			if key.pk != nil {
				// The person's key may have been destroyed since it was
				// cached (an erasure on another node): seal again.
				var live int
				if err := tx.queryRow(`SELECT count(*) FROM person_keys WHERE tenant_id = $1 AND id = $2 AND wrapped IS NOT NULL`,
					tenantID, key.id()).Scan(&live); err != nil {
					return err
				}
				if live == 0 {
					return errPersonKeyRace
				}
			}
			return ErrFormChanged
		}
		if err := tx.countStat(tenantID, in.FormKey, statsDay(now), StatusNew, 1); err != nil {
			return err
		}
		for _, f := range files {
			if _, err := tx.exec(`INSERT INTO attachments (id, tenant_id, submission_id, field_key, name, content_type, size, data,
				scanned_at, scanner, created_at, blob_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
				f.id, tenantID, id, f.field, f.name, f.contentType, f.size, f.data, f.scannedAt, f.scanner, micros(now), f.blobKey); err != nil {
				return err
			}
		}
		if in.Mail != nil {
			m := *in.Mail
			m.Body = strings.ReplaceAll(m.Body, "{reference}", ref)
			m.Subject = strings.ReplaceAll(m.Subject, "{reference}", ref)
			mailID, err := tx.enqueueMail(tenantID, m, actor)
			if err != nil {
				return err
			}
			// The receipt says whether the confirmation went out.
			if _, err := tx.exec(`UPDATE submissions SET confirmation_mail_id = $1 WHERE id = $2`, mailID, id); err != nil {
				return err
			}
		}
		// The case system hears of it in the same transaction (issue 5).
		if err := tx.queueWebhookEvent(tenantID, hook); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "submission.create", ObjectType: "submission",
			ObjectID: id, Subject: subjectPseudonym(index),
			Purpose: fmt.Sprintf("form %s version %d, register version %d, %d attachment(s)", in.FormKey, in.FormVersion,
				in.RegisterVersion, len(files))})
	})
	switch {
	case err == nil:
		committed = true
		db.remember(tenantID, key)
		return ref, true, nil
	case isUniqueViolation(err):
		// The same page posted twice, when the receipt matches; a
		// different page whose 50-bit reference is taken (about once in
		// a thousand tenants of a million submissions) must post again.
		var stored []byte
		if qerr := db.sql.QueryRowContext(ctx, `SELECT receipt_hash FROM submissions WHERE tenant_id = $1 AND reference = $2`,
			tenantID, ref).Scan(&stored); qerr != nil {
			return "", false, fmt.Errorf("submit form: %w", qerr)
		}
		if subtle.ConstantTimeCompare(stored, receipt[:]) == 1 {
			return ref, false, nil
		}
		return "", false, ErrFormChanged
	case errors.Is(err, ErrFormChanged):
		return "", false, ErrFormChanged
	case errors.Is(err, errPersonKeyRace):
		db.keys.persons.drop(func(pk *seal.PersonKey) bool { return pk == key.pk })
		return "", false, err
	}
	return "", false, fmt.Errorf("submit form: %w", err)
}

// Receipt is what the citizen's own receipt shows.
type Receipt struct {
	Reference       string
	FormKey         string
	FormVersion     int
	RegisterVersion int
	CreatedAt       time.Time
	Answers         []byte // JSON of form.Answers, opened
	Attachments     []ReceiptFile
	// Mail is the delivery state of the confirmation mail (MailStatus…),
	// "" when none was queued.
	Mail string
}

// ReceiptFile names an attachment on the receipt (never its content).
type ReceiptFile struct {
	FieldKey, Name, ContentType string
	Size                        int64
}

// ErrReceiptGone: the receipt capability is unknown or expired.
var ErrReceiptGone = errors.New("this receipt can no longer be opened")

// OpenReceipt opens a submission for the citizen who made it — found by its
// reference, proven by the receipt capability their browser holds — until
// the capability expires; the read is audited as the citizen's
// ("submission.read", purpose "receipt").
func (db *DB) OpenReceipt(ctx context.Context, actor audit.Actor, tenantID, reference, capability string) (Receipt, error) {
	if err := db.requireKeys(); err != nil {
		return Receipt{}, err
	}
	h := sha256.Sum256([]byte(capability))
	var rc Receipt
	err := db.write(ctx, func(tx *Tx) error {
		var id string
		var sealed, index, stored []byte
		var created int64
		var expires sql.NullInt64
		var mailStatus sql.NullString
		err := tx.queryRow(`SELECT s.id, s.reference, s.form_key, s.form_version, s.register_version, s.created_at, s.data, s.subject_index,
			s.receipt_hash, s.receipt_expires_at, m.status FROM submissions s
			LEFT JOIN mail_outbox m ON m.tenant_id = s.tenant_id AND m.id = s.confirmation_mail_id
			WHERE s.tenant_id = $1 AND s.reference = $2`, tenantID, reference).
			Scan(&id, &rc.Reference, &rc.FormKey, &rc.FormVersion, &rc.RegisterVersion, &created, &sealed, &index, &stored, &expires, &mailStatus)
		rc.Mail = mailStatus.String
		if errors.Is(err, sql.ErrNoRows) {
			return ErrReceiptGone
		}
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(stored, h[:]) != 1 || !expires.Valid || expires.Int64 <= micros(db.now()) {
			return ErrReceiptGone
		}
		rc.CreatedAt = fromMicros(created)
		if rc.Answers, err = db.keys.Open(tenantID, submissionAD(tenantID, id), sealed); err != nil {
			return ErrUnreadable
		}
		rows, err := tx.tx.QueryContext(tx.ctx, `SELECT id, field_key, name, content_type, size FROM attachments
			WHERE tenant_id = $1 AND submission_id = $2 ORDER BY created_at, id`, tenantID, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var fid string
			var f ReceiptFile
			var name []byte
			if err := rows.Scan(&fid, &f.FieldKey, &name, &f.ContentType, &f.Size); err != nil {
				return err
			}
			plain, err := db.keys.Open(tenantID, attachmentAD(tenantID, fid, "name"), name)
			if err != nil {
				return ErrUnreadable
			}
			f.Name = string(plain)
			rc.Attachments = append(rc.Attachments, f)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "submission.read", ObjectType: "submission",
			ObjectID: id, Subject: subjectPseudonym(index), Purpose: "receipt"})
	})
	if errors.Is(err, ErrReceiptGone) || errors.Is(err, ErrUnreadable) {
		return Receipt{}, err
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("open receipt: %w", err)
	}
	return rc, nil
}
