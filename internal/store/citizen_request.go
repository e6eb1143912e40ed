package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/tenant"
)

// A citizen files a data-subject request on the tenant's public page by
// proving an e-mail address with a one-time code (DSR-1). The page answers
// the same whether or not the tenant holds data under the address; only an
// address found in the tenant's submissions (through the blind index) gets
// a code. The code is stored only as a keyed hash, lives CitizenCodeTTL and
// dies after CitizenCodeAttempts wrong tries.

// CitizenCodeTTL is how long a one-time code is valid.
const CitizenCodeTTL = 15 * time.Minute

// CitizenCodeAttempts is how many wrong codes kill a challenge.
const CitizenCodeAttempts = 5

// ErrWrongCode: the code is wrong, expired, used or exhausted, or the
// challenge never existed; the citizen is told the same in every case.
var ErrWrongCode = errors.New("wrong or expired code")

// CitizenCodeMail is the mail that carries the code, in lang; the store
// fills in the code.
func CitizenCodeMail(legalName, lang, code string) OutgoingMail {
	l, ok := locale.Parse(lang)
	if !ok {
		l = locale.NL
	}
	return OutgoingMail{Subject: locale.T(l, "citizen.mail.code.subject", legalName),
		Body: locale.T(l, "citizen.mail.code.body", legalName, code, int(CitizenCodeTTL/time.Minute)), Lang: string(l)}
}

func codeAD(tenantID, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "subject_request_codes", Column: "email", Row: id}
}

func (db *DB) codeHash(tenantID, id, code string) ([]byte, error) {
	return db.keys.BlindIndex(tenantID, "dsr-code", []byte(id+":"+code))
}

// RequestCitizenCode starts a citizen's request of kind for address: it
// returns a challenge id whatever the address, and, only when the tenant's
// submissions hold the address, stores the code's hash and queues the code
// mail (composed by CitizenCodeMail in lang), audited as "dsr.code" under
// the person's pseudonym. Expired challenges of the tenant are deleted on
// the way (their own sweep).
func (db *DB) RequestCitizenCode(ctx context.Context, tenantID, legalName, address string, kind dsr.Kind, lang string) (string, error) {
	return db.RequestCitizenCodeWith(ctx, tenantID, legalName, address, kind, lang, KindFields{})
}

// RequestCitizenCodeWith is RequestCitizenCode for a kind with its own
// fields (what is wrong and the correction, or the grounds): they are
// checked (*ChangeError naming the missing one) before anything is stored,
// and kept sealed with the challenge until the code files the request.
func (db *DB) RequestCitizenCodeWith(ctx context.Context, tenantID, legalName, address string, kind dsr.Kind, lang string,
	fields KindFields) (string, error) {
	if !kind.Valid() {
		return "", &ChangeError{"kind", "required"}
	}
	fp := SubjectPerson{Wrong: fields.Wrong, Correction: fields.Correction, Grounds: fields.Grounds}
	if err := checkKindFields(kind, &fp); err != nil {
		return "", err
	}
	fields = KindFields{Wrong: fp.Wrong, Correction: fp.Correction, Grounds: fp.Grounds}
	return db.mailCitizenCode(ctx, tenantID, address, string(kind), lang, "dsr.code", fields, func(code string) OutgoingMail {
		return CitizenCodeMail(legalName, lang, code)
	})
}

// mailCitizenCode is the one-time code both the request page and the
// citizen's own view sign in with (DSR-1): a challenge id whatever the
// address; a stored hash, a row of kind with its sealed fields and a mail
// (compose, audited as action) only when the tenant's submissions hold
// the address.
func (db *DB) mailCitizenCode(ctx context.Context, tenantID, address, kind, lang, action string, fields KindFields,
	compose func(code string) OutgoingMail) (string, error) {
	if err := db.requireKeys(); err != nil {
		return "", err
	}
	address = strings.ToLower(strings.TrimSpace(address))
	now := db.now()
	id := newID(now)
	index, err := db.keys.BlindIndex(tenantID, "subject", recipientKey(address))
	if err != nil {
		return "", fmt.Errorf("citizen code: %w", err)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1000000))
	if err != nil {
		return "", err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	hash, err := db.codeHash(tenantID, id, code)
	if err != nil {
		return "", fmt.Errorf("citizen code: %w", err)
	}
	sealed, err := db.keys.Seal(tenantID, codeAD(tenantID, id), []byte(address))
	if err != nil {
		return "", fmt.Errorf("citizen code: %w", err)
	}
	plainFields, _ := json.Marshal(fields)
	sealedFields, err := db.keys.Seal(tenantID, codeDetailsAD(tenantID, id), plainFields)
	if err != nil {
		return "", fmt.Errorf("citizen code: %w", err)
	}
	pseudonym := subjectPseudonym(index)
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`DELETE FROM subject_request_codes WHERE tenant_id = $1 AND expires_at < $2`, tenantID, micros(now)); err != nil {
			return err
		}
		var one int
		err := tx.queryRow(`SELECT 1 FROM submissions WHERE tenant_id = $1 AND (subject_index = $2 OR contact_index = $2) LIMIT 1`,
			tenantID, index).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // the same answer; nothing stored, nothing sent
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO subject_request_codes (id, tenant_id, kind, lang, email, email_index, code_hash, created_at, expires_at,
			details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, id, tenantID, string(kind), lang, sealed, index, hash,
			micros(now), micros(now.Add(CitizenCodeTTL)), sealedFields); err != nil {
			return err
		}
		actor := audit.Actor{Kind: audit.KindCitizen, ID: pseudonym, Role: "citizen"}
		m := compose(code)
		m.To, m.Kind = address, action
		mailID, err := tx.enqueueMail(tenantID, m, actor)
		if err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: "subject_request_code",
			ObjectID: id, Subject: pseudonym, Purpose: "mail " + mailID})
	})
	if err != nil {
		return "", fmt.Errorf("citizen code: %w", err)
	}
	return id, nil
}

// spentCode is a challenge whose right code was just used up.
type spentCode struct {
	kind, lang             string
	sealed, index, details []byte
}

// spendCode uses up challenge id of the sign-in (portal) or of a request
// (not portal) when want is its code's hash: ok false when the code is
// wrong (an attempt counted), expired, used or exhausted, or the challenge
// unknown or of the other use.
func (tx *Tx) spendCode(tenantID, id string, want []byte, portal bool) (c spentCode, ok bool, err error) {
	use := `kind <> 'portal'`
	if portal {
		use = `kind = 'portal'`
	}
	var hash []byte
	var attempts int
	var expires int64
	var used sql.NullInt64
	err = tx.queryRow(`SELECT kind, lang, email, email_index, code_hash, attempts, expires_at, used_at, details FROM subject_request_codes
		WHERE tenant_id = $1 AND id = $2 AND `+use, tenantID, id).Scan(&c.kind, &c.lang, &c.sealed, &c.index, &hash, &attempts, &expires, &used,
		&c.details)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, err
	}
	now := tx.db.now()
	action := "dsr.code.wrong"
	if portal {
		action = "portal.code.wrong"
	}
	right := hmac.Equal(hash, want)
	if used.Valid || attempts >= CitizenCodeAttempts || !now.Before(fromMicros(expires)) {
		if right {
			return c, false, nil
		}
		// Guesses go on being counted after the challenge died (SEC-1).
		return c, false, tx.wrongCode(tenantID, action, "subject_request_code", id, subjectPseudonym(c.index))
	}
	if !right {
		if _, err := tx.exec(`UPDATE subject_request_codes SET attempts = attempts + 1 WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
			return c, false, err
		}
		return c, false, tx.wrongCode(tenantID, action, "subject_request_code", id, subjectPseudonym(c.index))
	}
	_, err = tx.exec(`UPDATE subject_request_codes SET used_at = $1 WHERE tenant_id = $2 AND id = $3`, micros(now), tenantID, id)
	return c, err == nil, err
}

// CodeBurstWindow and CodeBurstMin: this many wrong one-time codes for
// one tenant within the window are a burst the controller is warned of
// (SEC-1: someone may be guessing codes).
const (
	CodeBurstWindow = 10 * time.Minute
	CodeBurstMin    = 20
)

// wrongCodeActions are the audit actions of a wrong one-time code.
var wrongCodeActions = []string{"dsr.code.wrong", "portal.code.wrong", "dsr.package.code.wrong"}

// wrongCode audits a wrong one-time code under the pseudonym of the
// challenge's person, never the code itself (AUD-1): a wrong guess is
// an attempt on that person's data.
func (tx *Tx) wrongCode(tenantID, action, objectType, objectID, pseudonym string) error {
	return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: audit.Actor{Kind: audit.KindCitizen, ID: pseudonym, Role: "citizen"},
		Action: action, ObjectType: objectType, ObjectID: objectID, Subject: pseudonym, Outcome: audit.OutcomeDenied})
}

// WrongCodeBurst counts the tenant's wrong one-time codes (request, view
// and package paths) in the CodeBurstWindow up to now; burst is true at
// CodeBurstMin or more.
func (db *DB) WrongCodeBurst(ctx context.Context, tenantID string) (n int, burst bool, err error) {
	// A count, no personal data: no audit event of its own.
	err = db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE tenant_id = $1 AND action IN ($2, $3, $4) AND at >= $5`,
		tenantID, wrongCodeActions[0], wrongCodeActions[1], wrongCodeActions[2], micros(db.now().Add(-CodeBurstWindow))).Scan(&n)
	if err != nil {
		return 0, false, fmt.Errorf("wrong code burst: %w", err)
	}
	return n, n >= CodeBurstMin, nil
}

// FileCitizenRequest files the request of challenge id when code is right:
// as the citizen (actor kind citizen, the pseudonym as id), through the
// path staff filing takes (duplicates detected, "dsr.file" audited), in
// the transaction that uses the code up. A wrong code counts an attempt
// and files nothing (ErrWrongCode); so do an expired, used or exhausted
// challenge and one that was never stored.
func (db *DB) FileCitizenRequest(ctx context.Context, tenantID, id, code string) (SubjectRequest, error) {
	if err := db.requireKeys(); err != nil {
		return SubjectRequest{}, err
	}
	code = strings.TrimSpace(code)
	want, err := db.codeHash(tenantID, id, code)
	if err != nil {
		return SubjectRequest{}, fmt.Errorf("file citizen request: %w", err)
	}
	now := db.now()
	var r SubjectRequest
	var wrong bool
	err = db.write(ctx, func(tx *Tx) error {
		c, ok, err := tx.spendCode(tenantID, id, want, false)
		if err != nil || !ok {
			wrong = err == nil
			return err
		}
		kind, lang, index := c.kind, c.lang, c.index
		address, err := db.keys.Open(tenantID, codeAD(tenantID, id), c.sealed)
		if err != nil {
			return fmt.Errorf("code %s: %w", id, ErrUnreadable)
		}
		pseudonym := subjectPseudonym(index)
		actor := audit.Actor{Kind: audit.KindCitizen, ID: pseudonym, Role: "citizen"}
		var fields KindFields
		if len(c.details) > 0 {
			plain, err := db.keys.Open(tenantID, codeDetailsAD(tenantID, id), c.details)
			if err != nil {
				return fmt.Errorf("code %s: %w", id, ErrUnreadable)
			}
			if err := json.Unmarshal(plain, &fields); err != nil {
				return err
			}
		}
		r = SubjectRequest{ID: newID(now), Kind: dsr.Kind(kind), Person: SubjectPerson{Email: string(address), Lang: lang,
			Wrong: fields.Wrong, Correction: fields.Correction, Grounds: fields.Grounds},
			FiledByKind: string(audit.KindCitizen), FiledBy: pseudonym, Status: dsr.StatusReceived, ReceivedAt: now, DueAt: dsr.DueAt(now)}
		plain, _ := json.Marshal(r.Person)
		person, err := db.keys.Seal(tenantID, requestAD(tenantID, "person", r.ID), plain)
		if err != nil {
			return err
		}
		_, err = tx.insertRequest(actor, tenantID, &r, person, nil, index)
		return err
	})
	switch {
	case err != nil:
		return SubjectRequest{}, fmt.Errorf("file citizen request: %w", err)
	case wrong:
		return SubjectRequest{}, ErrWrongCode
	}
	return r, nil
}

// tellCitizen mails a citizen who filed an access or portability request
// that the answer is ready, in their language, and audits it as
// "dsr.answer" (DSR-1: the citizen gets the outcome by mail), with the
// package's expiring link (no personal data in it: a random token and the
// language). Requests filed by staff are answered by staff.
func (tx *Tx) tellCitizen(tenantID string, actor audit.Actor, s sealedRequest, ev audit.Event, linkBase, token string, until time.Time) error {
	if s.r.FiledByKind != string(audit.KindCitizen) || (s.r.Kind != dsr.Access && s.r.Kind != dsr.Portability) {
		return nil
	}
	if err := tx.db.openRequest(tenantID, &s); err != nil {
		return err
	}
	if s.r.Person.Email == "" {
		return nil // filed from the view after FAS: no address, the view shows the outcome
	}
	var legalName, slug, primary string
	if err := tx.queryRow(`SELECT legal_name, slug, COALESCE((SELECT h.host FROM tenant_hosts h WHERE h.tenant_id = tenants.id
		AND h.is_primary = 1), '') FROM tenants WHERE id = $1`, tenantID).Scan(&legalName, &slug, &primary); err != nil {
		return err
	}
	l, ok := locale.Parse(s.r.Person.Lang)
	if !ok {
		l = locale.NL
	}
	m := OutgoingMail{To: s.r.Person.Email, Kind: "dsr.answer", Lang: string(l),
		Subject: locale.T(l, "citizen.mail.ready.subject", legalName),
		Body: locale.T(l, "package.mail.ready.body", legalName, s.r.Reference, PackageURL(linkBase, slug, primary, token, string(l)),
			until.Add(-time.Second).In(brussels).Format("02.01.2006"), PackageDownloadsMax, legalName)}
	mailID, err := tx.enqueueMail(tenantID, m, actor)
	if err != nil {
		return err
	}
	ev.Action, ev.Purpose = "dsr.answer", "mail "+mailID
	return tx.appendAudit(ev)
}

// PackageURL is the download link of a package's token: base (the site's
// public address), the tenant's slug and primary host (tenant.Link), the
// token and the language the page opens in.
func PackageURL(base, slug, primaryHost, token, lang string) string {
	return tenant.Link(base, slug, primaryHost, "/privacy/package/"+token+"?lang="+lang)
}
