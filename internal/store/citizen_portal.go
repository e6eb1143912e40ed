package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/seal"
)

// The citizen's own view, "Mijn gegevens" (DSR-1): a citizen signs in with
// a one-time code mailed to an address their submissions hold, or with FAS
// eID/itsme (found by their national register number's blind index), and
// sees their submissions, their requests and every access to those
// submissions straight from the audit log. Every view is audited in the
// transaction that reads it; the session holds only the person's keyed
// blind index, never an address or a number.

// PortalCodeKind is the kind of a one-time code that signs in to the
// citizen's own view (subject_request_codes.kind); a request's code cannot
// sign in, nor this one file a request.
const PortalCodeKind = "portal"

// CitizenSessionIdle ends a citizen's session without activity;
// CitizenSessionAbsolute whatever the activity.
const (
	CitizenSessionIdle     = 20 * time.Minute
	CitizenSessionAbsolute = 2 * time.Hour
)

// PortalAccessesPerPage is how many accesses one page of the view shows.
const PortalAccessesPerPage = 20

// AccessReportMax bounds a report's and a decision's text, in characters.
const AccessReportMax = 2000

// The states of an access report (BRE-1: a breach candidate is the DPO's
// judgement that the access may be a breach; the breach register itself
// is not built yet).
const (
	ReportOpen            = "open"
	ReportBreachCandidate = "breach_candidate"
	ReportNoIssue         = "no_issue"
)

// ErrNotController: only the controller (an admin or the DPO) reads and
// judges citizens' reports of suspicious access.
var ErrNotController = errors.New("only the controller's admin or DPO may handle access reports")

// CitizenSession is a signed-in citizen, as the store found them by the
// session's token. It names them only by pseudonym.
type CitizenSession struct {
	Pseudonym string
	Via       string // "code" or "fas"
	index     []byte
	idHash    []byte
}

func (s CitizenSession) actor(requestID string) audit.Actor {
	return audit.Actor{Kind: audit.KindCitizen, ID: s.Pseudonym, Role: "citizen", RequestID: requestID}
}

// PortalCodeMail is the mail that carries a sign-in code, in lang.
func PortalCodeMail(legalName, lang, code string) OutgoingMail {
	l, ok := locale.Parse(lang)
	if !ok {
		l = locale.NL
	}
	return OutgoingMail{Subject: locale.T(l, "portal.mail.code.subject", legalName),
		Body: locale.T(l, "portal.mail.code.body", legalName, code, int(CitizenCodeTTL/time.Minute)), Lang: string(l)}
}

// RequestPortalCode mails a sign-in code to address when the tenant's
// submissions hold it and returns a challenge id whatever the address
// (the page answers the same), audited as "portal.code".
func (db *DB) RequestPortalCode(ctx context.Context, tenantID, legalName, address, lang string) (string, error) {
	return db.mailCitizenCode(ctx, tenantID, address, PortalCodeKind, lang, "portal.code", KindFields{}, func(code string) OutgoingMail {
		return PortalCodeMail(legalName, lang, code)
	})
}

// OpenPortalWithCode opens a citizen session when code is challenge id's
// sign-in code, using the code up (ErrWrongCode for a wrong, expired, used
// or exhausted code: an attempt counts and nothing opens).
func (db *DB) OpenPortalWithCode(ctx context.Context, tenantID, id, code, requestID string) (SessionToken, error) {
	if err := db.requireKeys(); err != nil {
		return "", err
	}
	want, err := db.codeHash(tenantID, id, strings.TrimSpace(code))
	if err != nil {
		return "", fmt.Errorf("portal sign-in: %w", err)
	}
	var tok SessionToken
	var wrong bool
	err = db.write(ctx, func(tx *Tx) error {
		c, ok, err := tx.spendCode(tenantID, id, want, true)
		if err != nil || !ok {
			wrong = err == nil
			return err
		}
		address, err := db.keys.Open(tenantID, codeAD(tenantID, id), c.sealed)
		if err != nil {
			return fmt.Errorf("code %s: %w", id, ErrUnreadable)
		}
		tok, err = tx.openCitizenSession(tenantID, c.index, address, "code", requestID)
		return err
	})
	switch {
	case err != nil:
		return "", fmt.Errorf("portal sign-in: %w", err)
	case wrong:
		return "", ErrWrongCode
	}
	return tok, nil
}

// OpenPortalWithNumber opens a citizen session for the holder of national
// register number insz, proven by FAS eID or itsme: their submissions are
// found by the number's blind index, as intake indexed their subject.
func (db *DB) OpenPortalWithNumber(ctx context.Context, tenantID, insz, requestID string) (SessionToken, error) {
	if err := db.requireKeys(); err != nil {
		return "", err
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, insz)
	if len(digits) != 11 {
		return "", &ChangeError{"insz", "invalid"}
	}
	index, err := db.keys.BlindIndex(tenantID, "subject", []byte(digits))
	if err != nil {
		return "", fmt.Errorf("portal sign-in: %w", err)
	}
	var tok SessionToken
	err = db.write(ctx, func(tx *Tx) error {
		tok, err = tx.openCitizenSession(tenantID, index, nil, "fas", requestID)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("portal sign-in: %w", err)
	}
	return tok, nil
}

// openCitizenSession stores a new session of the person with index (and
// the address a code proved, sealed; nil for FAS) and audits
// "portal.signin"; the tenant's expired sessions go on the way.
func (tx *Tx) openCitizenSession(tenantID string, index, address []byte, via, requestID string) (SessionToken, error) {
	now := tx.db.now()
	if _, err := tx.exec(`DELETE FROM citizen_sessions WHERE tenant_id = $1 AND (expires_at <= $2 OR last_seen_at <= $3)`,
		tenantID, micros(now), micros(now.Add(-CitizenSessionIdle))); err != nil {
		return "", err
	}
	tok, hash, err := newSessionToken()
	if err != nil {
		return "", err
	}
	var sealed []byte
	if len(address) > 0 {
		if sealed, err = tx.db.keys.Seal(tenantID, sessionEmailAD(tenantID, hash), address); err != nil {
			return "", err
		}
	}
	if _, err := tx.exec(`INSERT INTO citizen_sessions (id_hash, tenant_id, person_index, via, created_at, last_seen_at, expires_at, email)
		VALUES ($1, $2, $3, $4, $5, $5, $6, $7)`, hash, tenantID, index, via, micros(now), micros(now.Add(CitizenSessionAbsolute)), sealed); err != nil {
		return "", err
	}
	s := CitizenSession{Pseudonym: subjectPseudonym(index), Via: via}
	return tok, tx.appendAudit(audit.Event{TenantID: tenantID, Actor: s.actor(requestID), Action: "portal.signin",
		ObjectType: "citizen_session", Subject: s.Pseudonym, Purpose: via})
}

// CitizenSession returns the citizen of token on tenantID and marks it
// active; ErrSessionInvalid when unknown, idle for CitizenSessionIdle,
// past CitizenSessionAbsolute or of another tenant.
func (db *DB) CitizenSession(ctx context.Context, tenantID, token string) (CitizenSession, error) {
	if token == "" {
		return CitizenSession{}, ErrSessionInvalid
	}
	hash := sessionHash(token)
	var s CitizenSession
	var invalid bool
	err := db.write(ctx, func(tx *Tx) error {
		now := db.now()
		var seen, expires int64
		err := tx.queryRow(`SELECT person_index, via, last_seen_at, expires_at FROM citizen_sessions WHERE id_hash = $1 AND tenant_id = $2`,
			hash, tenantID).Scan(&s.index, &s.Via, &seen, &expires)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (!now.Before(fromMicros(expires)) || !now.Before(fromMicros(seen).Add(CitizenSessionIdle)))) {
			invalid = true
			return nil
		}
		if err != nil {
			return err
		}
		_, err = tx.exec(`UPDATE citizen_sessions SET last_seen_at = $1 WHERE id_hash = $2`, micros(now), hash)
		return err
	})
	if err != nil {
		return CitizenSession{}, fmt.Errorf("citizen session: %w", err)
	}
	if invalid {
		return CitizenSession{}, ErrSessionInvalid
	}
	s.Pseudonym, s.idHash = subjectPseudonym(s.index), hash
	return s, nil
}

// EndCitizenSession signs the citizen out, audited as "portal.signout".
func (db *DB) EndCitizenSession(ctx context.Context, tenantID string, s CitizenSession, requestID string) error {
	err := db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`DELETE FROM citizen_sessions WHERE id_hash = $1 AND tenant_id = $2`, s.idHash, tenantID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: s.actor(requestID), Action: "portal.signout",
			ObjectType: "citizen_session", Subject: s.Pseudonym})
	})
	if err != nil {
		return fmt.Errorf("end citizen session: %w", err)
	}
	return nil
}

// PortalSubmission is one of the citizen's submissions.
type PortalSubmission struct {
	ID, Reference, FormKey string
	FormVersion            int
	Status                 string
	ReceivedAt             time.Time
}

// PortalRequest is one of the citizen's data-subject requests.
type PortalRequest struct {
	ID, Reference     string
	Kind              dsr.Kind
	Status            string
	ReceivedAt, DueAt time.Time
	// Package: an executed access or portability request whose package
	// is still downloadable (PortalPackage).
	Package bool
}

// PortalAccess is one access to one of the citizen's submissions, from
// the audit log: who in words (the kind of actor, the department, the
// staff member's name only when the tenant shows names), when, what.
type PortalAccess struct {
	Seq        int64
	At         time.Time
	Action     string
	ActorKind  audit.ActorKind
	OnBehalfOf string // an operator's grant
	Outcome    string // audit.OutcomeSuccess, or a refused or failed attempt
	Department string
	StaffName  string // "" unless the tenant shows names to citizens
	Submission PortalSubmission
	Reported   bool // the citizen reported it already
}

// PortalView is what the citizen sees on one page of their view.
type PortalView struct {
	Submissions []PortalSubmission
	Requests    []PortalRequest
	Accesses    []PortalAccess // this page's, newest first
	Total       int            // accesses on every page
	Page, Pages int
}

// CitizenView reads the citizen's submissions, requests and page (from 1)
// of the accesses to those submissions, and audits the view as
// "portal.view" naming the submissions shown, in the same transaction
// (AUD-1). An access is every audit event that names one of the
// person's submissions — directly, in a list, or through one of its files
// — by anyone but a citizen (the person's own filing and viewing).
func (db *DB) CitizenView(ctx context.Context, tenantID string, s CitizenSession, page int, requestID string) (PortalView, error) {
	if page < 1 {
		page = 1
	}
	v := PortalView{Page: page, Submissions: []PortalSubmission{}, Requests: []PortalRequest{}, Accesses: []PortalAccess{}}
	err := db.write(ctx, func(tx *Tx) error {
		subs, err := tx.personSubmissionList(tenantID, s.index)
		if err != nil {
			return err
		}
		v.Submissions = subs
		if v.Requests, err = tx.personRequests(tenantID, s.index); err != nil {
			return err
		}
		if v.Total, err = tx.countAccesses(tenantID, subs); err != nil {
			return err
		}
		v.Pages = (v.Total + PortalAccessesPerPage - 1) / PortalAccessesPerPage
		if v.Accesses, err = tx.accesses(tenantID, subs, "", PortalAccessesPerPage, (page-1)*PortalAccessesPerPage); err != nil {
			return err
		}
		if err := tx.markReported(tenantID, s.index, v.Accesses); err != nil {
			return err
		}
		ids := make([]string, len(subs))
		for i, sub := range subs {
			ids[i] = sub.ID
		}
		ev := audit.Event{TenantID: tenantID, Actor: s.actor(requestID), Action: "portal.view", ObjectType: "submission", Subject: s.Pseudonym}
		return tx.appendListed(ev, ids, fmt.Sprintf("page %d, %d accesses", page, len(v.Accesses)))
	})
	if err != nil {
		return PortalView{}, fmt.Errorf("citizen view: %w", err)
	}
	return v, nil
}

// personSubmissionList lists the submissions whose subject or contact
// index is index, newest first; no values are opened.
func (tx *Tx) personSubmissionList(tenantID string, index []byte) ([]PortalSubmission, error) {
	rows, err := tx.query(`SELECT id, COALESCE(reference, ''), form_key, form_version, status, created_at FROM submissions
		WHERE tenant_id = $1 AND (subject_index = $2 OR contact_index = $2) ORDER BY created_at DESC, id`, tenantID, index)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PortalSubmission{}
	for rows.Next() {
		var p PortalSubmission
		var at int64
		if err := rows.Scan(&p.ID, &p.Reference, &p.FormKey, &p.FormVersion, &p.Status, &at); err != nil {
			return nil, err
		}
		p.ReceivedAt = fromMicros(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// personRequests lists the data-subject requests filed for the person
// with index (by number or address), newest first.
func (tx *Tx) personRequests(tenantID string, index []byte) ([]PortalRequest, error) {
	rows, err := tx.query(`SELECT r.id, COALESCE(r.reference, ''), r.kind, r.status, r.received_at, r.due_at,
		EXISTS (SELECT 1 FROM subject_packages p WHERE p.tenant_id = r.tenant_id AND p.request_id = r.id AND p.expires_at > $3 AND p.downloads < $4)
		FROM subject_requests r WHERE r.tenant_id = $1 AND (r.subject_index = $2 OR r.email_index = $2) ORDER BY r.received_at DESC, r.id`,
		tenantID, index, micros(tx.db.now()), PackageDownloadsMax)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PortalRequest{}
	for rows.Next() {
		var r PortalRequest
		var kind string
		var at, due int64
		if err := rows.Scan(&r.ID, &r.Reference, &kind, &r.Status, &at, &due, &r.Package); err != nil {
			return nil, err
		}
		r.Kind, r.ReceivedAt, r.DueAt = dsr.Kind(kind), fromMicros(at), fromMicros(due)
		out = append(out, r)
	}
	return out, rows.Err()
}

// accessQuery is the union of the events that name one of the
// submissions: by object, in a list (audit_list_objects), or through a
// file of theirs; citizens' own events left out. Its arguments are the
// tenant ($1) and the submission ids ($2…); extra is a further condition
// on the union's rows.
func accessQuery(n int, extra string) string {
	marks := make([]string, n)
	for i := range marks {
		marks[i] = fmt.Sprintf("$%d", i+2)
	}
	in := strings.Join(marks, ", ")
	cols := `e.seq, e.at, e.action, e.actor_kind, e.actor_id, e.on_behalf_of, e.outcome`
	q := `SELECT seq, at, action, actor_kind, actor_id, on_behalf_of, outcome, sub FROM (
		SELECT ` + cols + `, e.object_id AS sub FROM audit_events e WHERE e.tenant_id = $1 AND e.object_id IN (` + in + `)
		UNION SELECT ` + cols + `, l.object_id AS sub FROM audit_list_objects l
			JOIN audit_events e ON e.tenant_id = l.tenant_id AND e.seq = l.seq WHERE l.tenant_id = $1 AND l.object_id IN (` + in + `)
		UNION SELECT ` + cols + `, a.submission_id AS sub FROM attachments a
			JOIN audit_events e ON e.tenant_id = a.tenant_id AND e.object_id = a.id WHERE a.tenant_id = $1 AND a.submission_id IN (` + in + `)
	) x WHERE actor_kind <> 'citizen'`
	if extra != "" {
		q += " AND " + extra
	}
	return q
}

func accessArgs(tenantID string, subs []PortalSubmission) []any {
	args := []any{tenantID}
	for _, s := range subs {
		args = append(args, s.ID)
	}
	return args
}

func (tx *Tx) countAccesses(tenantID string, subs []PortalSubmission) (int, error) {
	if len(subs) == 0 {
		return 0, nil
	}
	var n int
	err := tx.queryRow(`SELECT count(*) FROM (`+accessQuery(len(subs), "")+`) c`, accessArgs(tenantID, subs)...).Scan(&n)
	return n, err
}

// accesses reads limit accesses from offset, newest first (extra: a
// further condition, see accessQuery), with each staff actor's department
// and, when the tenant shows names to citizens, their name.
func (tx *Tx) accesses(tenantID string, subs []PortalSubmission, extra string, limit, offset int, extraArgs ...any) ([]PortalAccess, error) {
	out := []PortalAccess{}
	if len(subs) == 0 {
		return out, nil
	}
	args := append(accessArgs(tenantID, subs), extraArgs...)
	args = append(args, limit, offset)
	q := accessQuery(len(subs), extra) + fmt.Sprintf(` ORDER BY at DESC, seq DESC, sub LIMIT $%d OFFSET $%d`, len(args)-1, len(args))
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil, err
	}
	byID := map[string]PortalSubmission{}
	for _, s := range subs {
		byID[s.ID] = s
	}
	actors := map[string][]int{}
	for rows.Next() {
		var a PortalAccess
		var at int64
		var kind, actorID, sub string
		if err := rows.Scan(&a.Seq, &at, &a.Action, &kind, &actorID, &a.OnBehalfOf, &a.Outcome, &sub); err != nil {
			rows.Close()
			return nil, err
		}
		a.At, a.ActorKind, a.Submission = fromMicros(at), audit.ActorKind(kind), byID[sub]
		if a.ActorKind == audit.KindUser || a.ActorKind == audit.KindOperator {
			actors[actorID] = append(actors[actorID], len(out))
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	names, err := tx.citizenStaffNames(tenantID)
	if err != nil {
		return nil, err
	}
	for id, at := range actors {
		var userTenant, department string
		var name []byte
		err := tx.queryRow(`SELECT tenant_id, department, name FROM users WHERE id = $1`, id).Scan(&userTenant, &department, &name)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var shown string
		if names && userTenant == tenantID && len(name) > 0 {
			if n, err := tx.db.keys.Open(tenantID, userAD(tenantID, id, "name"), name); err == nil {
				shown = string(n)
			}
		}
		for _, i := range at {
			out[i].Department, out[i].StaffName = department, shown
		}
	}
	return out, nil
}

// markReported flags the accesses the person reported already.
func (tx *Tx) markReported(tenantID string, index []byte, as []PortalAccess) error {
	if len(as) == 0 {
		return nil
	}
	rows, err := tx.query(`SELECT audit_seq FROM access_reports WHERE tenant_id = $1 AND person_index = $2`, tenantID, index)
	if err != nil {
		return err
	}
	defer rows.Close()
	seen := map[int64]bool{}
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return err
		}
		seen[seq] = true
	}
	for i := range as {
		as[i].Reported = seen[as[i].Seq]
	}
	return rows.Err()
}

func (tx *Tx) citizenStaffNames(tenantID string) (bool, error) {
	var on int
	err := tx.queryRow(`SELECT citizen_staff_names FROM tenants WHERE id = $1`, tenantID).Scan(&on)
	return on != 0, err
}

// CitizenAccess returns the access with audit sequence number seq when it
// is an access to one of the citizen's submissions (ErrNotFound
// otherwise: nothing about anyone else), audited as "portal.view".
func (db *DB) CitizenAccess(ctx context.Context, tenantID string, s CitizenSession, seq int64, requestID string) (PortalAccess, error) {
	var a PortalAccess
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		if a, err = tx.personAccess(tenantID, s.index, seq); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: s.actor(requestID), Action: "portal.view", ObjectType: "submission",
			ObjectID: a.Submission.ID, Subject: s.Pseudonym, Purpose: fmt.Sprintf("access %d", seq)})
	})
	if errors.Is(err, ErrNotFound) {
		return PortalAccess{}, err
	}
	if err != nil {
		return PortalAccess{}, fmt.Errorf("citizen access %d: %w", seq, err)
	}
	return a, nil
}

func (tx *Tx) personAccess(tenantID string, index []byte, seq int64) (PortalAccess, error) {
	subs, err := tx.personSubmissionList(tenantID, index)
	if err != nil {
		return PortalAccess{}, err
	}
	as, err := tx.accesses(tenantID, subs, fmt.Sprintf("seq = $%d", len(subs)+2), 1, 0, seq)
	if err != nil {
		return PortalAccess{}, err
	}
	if len(as) == 0 {
		return PortalAccess{}, ErrNotFound
	}
	if err := tx.markReported(tenantID, index, as); err != nil {
		return PortalAccess{}, err
	}
	return as[0], nil
}

// ReportAccess records the citizen's report that access seq (one of the
// accesses to their submissions: ErrNotFound otherwise) looks suspicious,
// with their reason sealed, audited as "portal.report", and mails the
// controller's DPO at once that a report waits — without the person's
// data or the reason in the mail (BRE-1). A reason that is empty or
// longer than AccessReportMax: *ChangeError, nothing stored; an access the
// person reported already: ErrConflict.
func (db *DB) ReportAccess(ctx context.Context, tenantID string, s CitizenSession, seq int64, reason, requestID string) (string, error) {
	return db.ReportAccessAsking(ctx, tenantID, s, seq, reason, "", "", requestID)
}

// ReportAccessAsking is ReportAccess that also files, in the same
// transaction, the citizen's request of kind ask (an objection or a
// restriction; "" for none) in lang with the report's reason as its
// grounds, linked to the report (access_reports.request_id). When the
// person has such a request open already, the report is linked to that
// one and nothing is filed twice.
func (db *DB) ReportAccessAsking(ctx context.Context, tenantID string, s CitizenSession, seq int64, reason string, ask dsr.Kind, lang,
	requestID string) (string, error) {
	if ask != "" && ask != dsr.Objection && ask != dsr.Restriction {
		return "", &ChangeError{"ask", "invalid"}
	}
	if err := db.requireKeys(); err != nil {
		return "", err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", &ChangeError{"reason", "required"}
	case utf8.RuneCountInString(reason) > AccessReportMax:
		return "", &ChangeError{"reason", "too_long"}
	}
	now := db.now()
	id := newID(now)
	sealed, err := db.keys.Seal(tenantID, reportAD(tenantID, "reason", id), []byte(reason))
	if err != nil {
		return "", fmt.Errorf("report access: %w", err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		a, err := tx.personAccess(tenantID, s.index, seq)
		if err != nil {
			return err
		}
		if a.Reported {
			return ErrConflict
		}
		if _, err := tx.exec(`INSERT INTO access_reports (id, tenant_id, person_index, audit_seq, reason, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, tenantID, s.index, seq, sealed, ReportOpen, micros(now)); err != nil {
			return err
		}
		actor := s.actor(requestID)
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "portal.report", ObjectType: "access_report",
			ObjectID: id, Subject: s.Pseudonym, Purpose: fmt.Sprintf("access %d", seq)}); err != nil {
			return err
		}
		if ask != "" {
			var linked string
			r, err := tx.filePortalRequest(tenantID, s, ask, lang, KindFields{Grounds: reason}, requestID)
			var dup *DuplicateRequestError
			switch {
			case errors.As(err, &dup):
				linked = dup.ID
			case err != nil:
				return err
			default:
				linked = r.ID
			}
			if _, err := tx.exec(`UPDATE access_reports SET request_id = $1 WHERE tenant_id = $2 AND id = $3`, linked, tenantID, id); err != nil {
				return err
			}
		}
		var legalName, lang string
		if err := tx.queryRow(`SELECT legal_name, default_lang FROM tenants WHERE id = $1`, tenantID).Scan(&legalName, &lang); err != nil {
			return err
		}
		_, to, err := tx.tenantContact(tenantID, actor, "portal.report")
		if err != nil {
			return err
		}
		l, _ := locale.Parse(lang)
		m := OutgoingMail{To: to, Kind: "portal.report", Lang: string(l),
			Subject: locale.T(l, "portal.mail.report.subject", legalName), Body: locale.T(l, "portal.mail.report.body", legalName, id)}
		_, err = tx.enqueueMail(tenantID, m, actor)
		return err
	})
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("report access: %w", err)
	}
	return id, nil
}

func reportAD(tenantID, column, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "access_reports", Column: column, Row: id}
}

// AccessReport is a citizen's report as the controller's DPO handles it:
// the reported access (no person named but by pseudonym) and the reason.
type AccessReport struct {
	ID        string
	Pseudonym string
	Access    PortalAccess
	Reason    string
	Status    string
	Decision  string
	DecidedBy string
	DecidedAt time.Time
	CreatedAt time.Time
	Request   string // the reference of the request the report opened, if any
}

// AccessReports lists the tenant's access reports, newest first, with
// their reasons opened, audited as "portal.report.list" (the reasons are a
// citizen's words). Only the controller (an admin or the DPO).
func (db *DB) AccessReports(ctx context.Context, actor audit.Actor, tenantID string) ([]AccessReport, error) {
	if !mayDecide(actor) {
		return nil, ErrNotController
	}
	var out []AccessReport
	err := db.write(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT a.id, a.person_index, a.audit_seq, a.reason, a.status, a.decision, COALESCE(a.decided_by, ''), a.decided_at,
			a.created_at, COALESCE(r.reference, '')
			FROM access_reports a LEFT JOIN subject_requests r ON r.tenant_id = a.tenant_id AND r.id = a.request_id
			WHERE a.tenant_id = $1 ORDER BY a.created_at DESC, a.id`, tenantID)
		if err != nil {
			return err
		}
		var indexes [][]byte
		var seqs []int64
		for rows.Next() {
			var r AccessReport
			var index, reason, decision []byte
			var seq, created int64
			var decided sql.NullInt64
			if err := rows.Scan(&r.ID, &index, &seq, &reason, &r.Status, &decision, &r.DecidedBy, &decided, &created, &r.Request); err != nil {
				rows.Close()
				return err
			}
			plain, err := db.keys.Open(tenantID, reportAD(tenantID, "reason", r.ID), reason)
			if err != nil {
				rows.Close()
				return fmt.Errorf("report %s: %w", r.ID, ErrUnreadable)
			}
			r.Reason, r.Pseudonym, r.CreatedAt = string(plain), subjectPseudonym(index), fromMicros(created)
			if len(decision) > 0 {
				d, err := db.keys.Open(tenantID, reportAD(tenantID, "decision", r.ID), decision)
				if err != nil {
					rows.Close()
					return fmt.Errorf("report %s: %w", r.ID, ErrUnreadable)
				}
				r.Decision = string(d)
			}
			if decided.Valid {
				r.DecidedAt = fromMicros(decided.Int64)
			}
			out, indexes, seqs = append(out, r), append(indexes, index), append(seqs, seq)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		ids := make([]string, len(out))
		for i := range out {
			ids[i] = out[i].ID
			a, err := tx.personAccess(tenantID, indexes[i], seqs[i])
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			a.Seq = seqs[i]
			out[i].Access = a
		}
		ev := audit.Event{TenantID: tenantID, Actor: actor, Action: "portal.report.list", ObjectType: "access_report"}
		return tx.appendListed(ev, ids, fmt.Sprintf("%d reports", len(ids)))
	})
	if err != nil {
		return nil, fmt.Errorf("access reports: %w", err)
	}
	return out, nil
}

// DecideAccessReport records the controller's judgement of open report
// id: a breach candidate (breach true) or no issue, with a reason, sealed,
// audited as "portal.report.decide". Only an admin or the DPO
// (ErrNotController); a report decided already: ErrConflict; an unknown one:
// ErrNotFound; an empty or too long reason: *ChangeError.
func (db *DB) DecideAccessReport(ctx context.Context, actor audit.Actor, tenantID, id string, breach bool, reason string) error {
	if !mayDecide(actor) {
		return ErrNotController
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return &ChangeError{"reason", "required"}
	case utf8.RuneCountInString(reason) > AccessReportMax:
		return &ChangeError{"reason", "too_long"}
	}
	status := ReportNoIssue
	if breach {
		status = ReportBreachCandidate
	}
	sealed, err := db.keys.Seal(tenantID, reportAD(tenantID, "decision", id), []byte(reason))
	if err != nil {
		return fmt.Errorf("decide access report: %w", err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		var cur string
		var index []byte
		err := tx.queryRow(`SELECT status, person_index FROM access_reports WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&cur, &index)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if cur != ReportOpen {
			return ErrConflict
		}
		if _, err := tx.exec(`UPDATE access_reports SET status = $1, decision = $2, decided_by = $3, decided_at = $4 WHERE tenant_id = $5 AND id = $6`,
			status, sealed, actor.ID, micros(db.now()), tenantID, id); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "portal.report.decide", ObjectType: "access_report",
			ObjectID: id, Subject: subjectPseudonym(index), Purpose: status})
	})
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
		return err
	}
	if err != nil {
		return fmt.Errorf("decide access report %s: %w", id, err)
	}
	return nil
}

// CitizenStaffNames reports whether the tenant shows citizens the names
// of the staff who used their data (else only the service). A setting,
// no personal data: not audited.
func (db *DB) CitizenStaffNames(ctx context.Context, tenantID string) (bool, error) {
	var on int
	err := db.sql.QueryRowContext(ctx, `SELECT citizen_staff_names FROM tenants WHERE id = $1`, tenantID).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return false, ErrNotFound
	}
	if err != nil {
		return false, fmt.Errorf("citizen staff names: %w", err)
	}
	return on != 0, nil
}

// SetCitizenStaffNames turns the names on or off, audited as
// "policy.citizen_names" (on or off in the purpose).
func (db *DB) SetCitizenStaffNames(ctx context.Context, actor audit.Actor, tenantID string, on bool) error {
	v, word := 0, "off"
	if on {
		v, word = 1, "on"
	}
	err := db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`UPDATE tenants SET citizen_staff_names = $1 WHERE id = $2`, v, tenantID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "policy.citizen_names", ObjectType: "tenant",
			ObjectID: tenantID, Purpose: word})
	})
	if err != nil {
		return fmt.Errorf("set citizen staff names: %w", err)
	}
	return nil
}
