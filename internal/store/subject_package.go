package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/seal"
)

// The package of an executed access or portability request (DSR-1): built
// once when the controller executes the approved request, stored as one
// ZIP sealed with the tenant key, and fetched by the citizen behind an
// expiring link whose token is stored only as a keyed hash. Each download
// asks a one-time code mailed to the request's address (the mechanism of
// RequestCitizenCode: a keyed hash, CitizenCodeTTL, CitizenCodeAttempts)
// and is audited, under the citizen's pseudonym, in the transaction that
// reads the package. At expires_at the retention run deletes it.

// PackageTTL is how long a package can be downloaded after execution.
const PackageTTL = 30 * 24 * time.Hour

// PackageDownloadsMax is how many downloads use a link up.
const PackageDownloadsMax = 5

// ErrPackageGone: the link's package expired, was deleted or is used up.
// ErrNotFound is returned for a token that never was one.
var ErrPackageGone = errors.New("package expired or used up")

// OverviewInput is what the readable overview of a package is drawn from:
// the package, the language of the request, and the form versions its
// submissions were filed on (by FormRef), for their titles and labels.
type OverviewInput struct {
	Package dsr.Package
	Lang    string
	Forms   map[string]form.Form
}

// FormRef names a form version in OverviewInput.Forms.
func FormRef(key string, version int) string { return fmt.Sprintf("%s@%d", key, version) }

// PackageOptions is how ExecuteSubjectRequestWith builds the package.
type PackageOptions struct {
	// Overview draws the readable PDF in the person's language; nil: the
	// package has no PDF.
	Overview func(OverviewInput) ([]byte, error)
	// LinkBase is the public address the download link in the mail starts
	// with (https://host); "": the link is a path.
	LinkBase string
}

func packageAD(tenantID, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "subject_packages", Column: "content", Row: id}
}

func (db *DB) packageTokenHash(tenantID, token string) ([]byte, error) {
	return db.keys.BlindIndex(tenantID, "dsr-package", []byte(token))
}

// buildPackage gathers the person's data in tx (audited as "dsr.package.build"
// naming the submissions read), renders and seals the ZIP and stores it
// with a new link token, which it returns with the package's expiry.
func (tx *Tx) buildPackage(tenantID string, s sealedRequest, ev audit.Event, opts PackageOptions) (string, time.Time, error) {
	var controller string
	if err := tx.queryRow(`SELECT legal_name FROM tenants WHERE id = $1`, tenantID).Scan(&controller); err != nil {
		return "", time.Time{}, err
	}
	subs, err := tx.personSubmissions(tenantID, s.subjectIndex, s.emailIndex)
	if err != nil {
		return "", time.Time{}, err
	}
	now := tx.db.now()
	p := dsr.Package{Schema: dsr.PackageSchema, Controller: controller, RequestID: s.r.ID, Reference: s.r.Reference, Kind: s.r.Kind, GeneratedAt: now, Submissions: subs}
	lang := s.r.Person.Lang
	if _, ok := locale.Parse(lang); !ok {
		lang = string(locale.NL)
	}
	in := OverviewInput{Package: p, Lang: lang, Forms: map[string]form.Form{}}
	var files []dsr.File
	ids := make([]string, len(subs))
	for i, sub := range subs {
		ids[i] = sub.ID
		ref := FormRef(sub.Form, sub.FormVersion)
		if _, ok := in.Forms[ref]; !ok {
			f, err := tx.formDefinition(tenantID, sub.Form, sub.FormVersion)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return "", time.Time{}, err
			}
			in.Forms[ref] = f
		}
		if len(sub.Attachments) == 0 {
			continue
		}
		fs, err := tx.attachmentFiles(tenantID, sub)
		if err != nil {
			return "", time.Time{}, err
		}
		files = append(files, fs...)
	}
	if err := tx.lacksObjects(); err != nil {
		return "", time.Time{}, err
	}
	var overview []byte
	if opts.Overview != nil {
		if overview, err = opts.Overview(in); err != nil {
			return "", time.Time{}, err
		}
	}
	var buf bytes.Buffer
	if err := dsr.WriteZip(&buf, p, overview, lang, files); err != nil {
		return "", time.Time{}, err
	}
	id := newID(now)
	sealed, err := tx.db.keys.Seal(tenantID, packageAD(tenantID, id), buf.Bytes())
	if err != nil {
		return "", time.Time{}, err
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", time.Time{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	hash, err := tx.db.packageTokenHash(tenantID, token)
	if err != nil {
		return "", time.Time{}, err
	}
	expires := now.Add(PackageTTL)
	if _, err := tx.exec(`INSERT INTO subject_packages (id, tenant_id, request_id, lang, content, size, token_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id, tenantID, s.r.ID, lang, sealed, buf.Len(), hash, micros(now), micros(expires)); err != nil {
		return "", time.Time{}, err
	}
	ev.Action, ev.ObjectType = "dsr.package.build", "submission"
	if err := tx.appendListed(ev, ids, fmt.Sprintf("request %s, %d submissions, package built", s.r.ID, len(ids))); err != nil {
		return "", time.Time{}, err
	}
	return token, expires, nil
}

// attachmentFiles opens the files of a package's submission.
func (tx *Tx) attachmentFiles(tenantID string, sub dsr.Submission) ([]dsr.File, error) {
	folder := sub.Reference
	if folder == "" {
		folder = sub.ID
	}
	// A large file's sealed bytes come from the object store, fetched
	// before the transaction (withObjects): this transaction makes no
	// network call.
	rows, err := tx.query(`SELECT id, field_key, name, data, blob_key FROM attachments WHERE tenant_id = $1 AND submission_id = $2 ORDER BY created_at, id`,
		tenantID, sub.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dsr.File
	for rows.Next() {
		var id string
		var f dsr.File
		var name, data []byte
		var blobKey sql.NullString
		if err := rows.Scan(&id, &f.Field, &name, &data, &blobKey); err != nil {
			return nil, err
		}
		if blobKey.Valid {
			if data, err = tx.object(blobKey.String); err != nil {
				return nil, err
			}
			if data == nil && tx.lacksObjects() != nil {
				continue // fetched before the next run
			}
		}
		n, err := tx.db.keys.Open(tenantID, attachmentAD(tenantID, id, "name"), name)
		if err != nil {
			return nil, fmt.Errorf("attachment %s: %w", id, ErrUnreadable)
		}
		if f.Data, err = tx.db.keys.Open(tenantID, attachmentAD(tenantID, id, "data"), data); err != nil {
			return nil, fmt.Errorf("attachment %s: %w", id, ErrUnreadable)
		}
		f.Submission, f.Name = folder, string(n)
		out = append(out, f)
	}
	return out, rows.Err()
}

// PackageLink is what a download link's page may say before the citizen
// proved the address: no personal data.
type PackageLink struct {
	Lang      string
	Kind      dsr.Kind
	ExpiresAt time.Time
	Size      int64
	Left      int // downloads left
}

// packageRow is a package found by its link's token.
type packageRow struct {
	id, requestID, lang string
	size                int64
	downloads, attempts int
	expires             int64
	codeHash            []byte
	codeExpires         sql.NullInt64
}

// packageByToken finds the package of token in tx: ErrNotFound for a
// token that is none, ErrPackageGone for one expired or used up.
func (tx *Tx) packageByToken(tenantID, token string) (packageRow, error) {
	var p packageRow
	hash, err := tx.db.packageTokenHash(tenantID, token)
	if err != nil {
		return p, err
	}
	err = tx.queryRow(`SELECT id, request_id, lang, size, downloads, code_attempts, expires_at, code_hash, code_expires_at
		FROM subject_packages WHERE tenant_id = $1 AND token_hash = $2`, tenantID, hash).
		Scan(&p.id, &p.requestID, &p.lang, &p.size, &p.downloads, &p.attempts, &p.expires, &p.codeHash, &p.codeExpires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return p, ErrNotFound
	case err != nil:
		return p, err
	case !tx.db.now().Before(fromMicros(p.expires)) || p.downloads >= PackageDownloadsMax:
		return p, ErrPackageGone
	}
	return p, nil
}

// SubjectPackageLink says what the link of token leads to, without
// personal data and so without an audit event: ErrNotFound for a token
// that is none, ErrPackageGone for an expired or used-up link.
func (db *DB) SubjectPackageLink(ctx context.Context, tenantID, token string) (PackageLink, error) {
	if err := db.requireKeys(); err != nil {
		return PackageLink{}, err
	}
	var l PackageLink
	err := db.write(ctx, func(tx *Tx) error {
		p, err := tx.packageByToken(tenantID, token)
		if err != nil {
			return err
		}
		var kind string
		if err := tx.queryRow(`SELECT kind FROM subject_requests WHERE tenant_id = $1 AND id = $2`, tenantID, p.requestID).Scan(&kind); err != nil {
			return err
		}
		l = PackageLink{Lang: p.lang, Kind: dsr.Kind(kind), ExpiresAt: fromMicros(p.expires), Size: p.size, Left: PackageDownloadsMax - p.downloads}
		return nil
	})
	if err != nil {
		return PackageLink{}, fmt.Errorf("package link: %w", err)
	}
	return l, nil
}

// PackageCodeMail is the mail that carries a download code, in lang; the
// store fills in the code.
func PackageCodeMail(legalName, lang, code string) OutgoingMail {
	l, ok := locale.Parse(lang)
	if !ok {
		l = locale.NL
	}
	return OutgoingMail{Subject: locale.T(l, "package.mail.code.subject", legalName),
		Body: locale.T(l, "package.mail.code.body", legalName, code, int(CitizenCodeTTL/time.Minute)), Lang: string(l)}
}

// RequestPackageCode mails a new one-time code for the link of token to
// the request's address, in the request's language, replacing any earlier
// code, audited as "dsr.package.code" under the citizen's pseudonym.
// ErrNotFound or ErrPackageGone for a link that is none or no more.
func (db *DB) RequestPackageCode(ctx context.Context, tenantID, legalName, token string) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1000000))
	if err != nil {
		return err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	err = db.write(ctx, func(tx *Tx) error {
		p, err := tx.packageByToken(tenantID, token)
		if err != nil {
			return err
		}
		s, err := tx.readRequest(tenantID, p.requestID)
		if err != nil {
			return err
		}
		if s.r.Person.Email == "" {
			return ErrNotFound // a request without an address has no link to use
		}
		hash, err := tx.db.codeHash(tenantID, p.id, code)
		if err != nil {
			return err
		}
		now := tx.db.now()
		if _, err := tx.exec(`UPDATE subject_packages SET code_hash = $1, code_expires_at = $2, code_attempts = 0 WHERE tenant_id = $3 AND id = $4`,
			hash, micros(now.Add(CitizenCodeTTL)), tenantID, p.id); err != nil {
			return err
		}
		pseudonym := pseudonymOf(s.subjectIndex, s.emailIndex)
		actor := audit.Actor{Kind: audit.KindCitizen, ID: pseudonym, Role: "citizen"}
		m := PackageCodeMail(legalName, p.lang, code)
		m.To, m.Kind = s.r.Person.Email, "dsr.package.code"
		mailID, err := tx.enqueueMail(tenantID, m, actor)
		if err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "dsr.package.code", ObjectType: "subject_request",
			ObjectID: p.requestID, Subject: pseudonym, Purpose: "mail " + mailID})
	})
	if err != nil {
		return fmt.Errorf("package code: %w", err)
	}
	return nil
}

// DownloadSubjectPackage opens the package of the link of token when code
// is the one mailed last: the read, the code used up, the download counted
// and "dsr.download" (the citizen's pseudonym as actor) in one
// transaction. It returns the ZIP and the package's language. A wrong code
// counts an attempt (ErrWrongCode, the same for an expired or exhausted
// one); ErrNotFound or ErrPackageGone for a link that is none or no more.
func (db *DB) DownloadSubjectPackage(ctx context.Context, tenantID, token, code string) ([]byte, string, error) {
	if err := db.requireKeys(); err != nil {
		return nil, "", err
	}
	var zip []byte
	var lang string
	var wrong bool
	err := db.write(ctx, func(tx *Tx) error {
		zip, wrong = nil, false
		p, err := tx.packageByToken(tenantID, token)
		if err != nil {
			return err
		}
		want, err := tx.db.codeHash(tenantID, p.id, code)
		if err != nil {
			return err
		}
		s, err := tx.readRequest(tenantID, p.requestID)
		if err != nil {
			return err
		}
		dead := len(p.codeHash) == 0 || p.attempts >= CitizenCodeAttempts || !p.codeExpires.Valid ||
			!tx.db.now().Before(fromMicros(p.codeExpires.Int64))
		right := len(p.codeHash) > 0 && hmac.Equal(p.codeHash, want)
		switch {
		case dead && right:
			wrong = true
			return nil
		case !right:
			// Every guess is counted, also after the code died (SEC-1).
			wrong = true
			if !dead {
				if _, err := tx.exec(`UPDATE subject_packages SET code_attempts = code_attempts + 1 WHERE tenant_id = $1 AND id = $2`, tenantID, p.id); err != nil {
					return err
				}
			}
			return tx.wrongCode(tenantID, "dsr.package.code.wrong", "subject_request", p.requestID, pseudonymOf(s.subjectIndex, s.emailIndex))
		}
		var sealed []byte
		if err := tx.queryRow(`SELECT content FROM subject_packages WHERE tenant_id = $1 AND id = $2`, tenantID, p.id).Scan(&sealed); err != nil {
			return err
		}
		if zip, err = tx.db.keys.Open(tenantID, packageAD(tenantID, p.id), sealed); err != nil {
			return fmt.Errorf("package %s: %w", p.id, ErrUnreadable)
		}
		if _, err := tx.exec(`UPDATE subject_packages SET code_hash = NULL, code_expires_at = NULL, code_attempts = 0, downloads = downloads + 1
			WHERE tenant_id = $1 AND id = $2`, tenantID, p.id); err != nil {
			return err
		}
		lang = p.lang
		pseudonym := pseudonymOf(s.subjectIndex, s.emailIndex)
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: audit.Actor{Kind: audit.KindCitizen, ID: pseudonym, Role: "citizen"},
			Action: "dsr.download", ObjectType: "subject_request", ObjectID: p.requestID, Subject: pseudonym,
			Purpose: fmt.Sprintf("download %d of %d", p.downloads+1, PackageDownloadsMax)})
	})
	switch {
	case err != nil:
		return nil, "", fmt.Errorf("download package: %w", err)
	case wrong:
		return nil, "", ErrWrongCode
	}
	return zip, lang, nil
}

// SubjectPackageZip opens the stored package of executed request id for
// the controller (an admin or the DPO: ErrNotApproved, recorded as denied,
// otherwise), as "dsr.download". ErrPackageGone when it expired or the
// request has none (executed before packages were stored).
func (db *DB) SubjectPackageZip(ctx context.Context, actor audit.Actor, tenantID, id string) ([]byte, string, error) {
	var zip []byte
	var lang string
	err := db.requestStep(ctx, actor, tenantID, id, "dsr.download", func(tx *Tx, s sealedRequest, ev audit.Event) error {
		if s.r.Status != dsr.StatusExecuted && s.r.Status != dsr.StatusClosed {
			return tx.deniedStep(ev)
		}
		var pid string
		var err error
		if pid, lang, _, zip, err = tx.latestPackage(tenantID, id, false); err != nil {
			return err
		}
		ev.Purpose = "package " + pid
		return tx.appendAudit(ev)
	})
	if err != nil {
		return nil, "", fmt.Errorf("subject package %s: %w", id, err)
	}
	return zip, lang, nil
}

// latestPackage opens the newest unexpired package of request id (for
// the citizen, limited: one not used up either) with its language and
// downloads so far; ErrPackageGone when there is none.
func (tx *Tx) latestPackage(tenantID, id string, limited bool) (pid, lang string, downloads int, zip []byte, err error) {
	max := int(^uint32(0) >> 1)
	if limited {
		max = PackageDownloadsMax
	}
	var sealed []byte
	err = tx.queryRow(`SELECT id, lang, downloads, content FROM subject_packages WHERE tenant_id = $1 AND request_id = $2 AND expires_at > $3
		AND downloads < $4 ORDER BY created_at DESC LIMIT 1`, tenantID, id, micros(tx.db.now()), max).Scan(&pid, &lang, &downloads, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", 0, nil, ErrPackageGone
	}
	if err != nil {
		return "", "", 0, nil, err
	}
	if zip, err = tx.db.keys.Open(tenantID, packageAD(tenantID, pid), sealed); err != nil {
		return "", "", 0, nil, fmt.Errorf("package %s: %w", pid, ErrUnreadable)
	}
	return pid, lang, downloads, zip, nil
}

// dropPackagesOf deletes the stored packages of the person's requests: an
// erasure reaches the copies made for access or portability too, before
// their PackageTTL ends (art. 17 GDPR).
func (tx *Tx) dropPackagesOf(tenantID string, subject, email []byte) error {
	for _, index := range [][]byte{subject, email} {
		if len(index) == 0 {
			continue
		}
		if _, err := tx.exec(`DELETE FROM subject_packages WHERE tenant_id = $1 AND request_id IN (SELECT id FROM subject_requests
			WHERE tenant_id = $1 AND (subject_index = $2 OR email_index = $2))`, tenantID, index); err != nil {
			return err
		}
	}
	return nil
}
