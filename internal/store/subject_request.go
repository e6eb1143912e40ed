package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/tenant"
)

// Data-subject requests (DSR-1, DSR-2). A request names a person (sealed)
// and is found, with the person's submissions, through the tenant's blind
// index; it runs only after an admin or the DPO of the tenant approved it,
// and every step is audited in the transaction that takes it.

// SubjectPerson is who a request is about, as the request names them: a
// name, an e-mail address and/or a national register number (its 11
// digits), and the language to answer in. Details is what the person asked,
// in their words.
type SubjectPerson struct {
	Name    string `json:"name"`
	Email   string `json:"email,omitempty"`
	INSZ    string `json:"insz,omitempty"`
	Lang    string `json:"lang"`
	Details string `json:"details,omitempty"`
	// The kind's own fields: for a rectification which value is wrong and
	// what it should be; for an erasure, a restriction or an objection the
	// person's grounds (art. 16-18, 21 GDPR).
	Wrong      string `json:"wrong,omitempty"`
	Correction string `json:"correction,omitempty"`
	Grounds    string `json:"grounds,omitempty"`
}

// NewSubjectRequest is a request as filed. Report is the mail to the
// controller's DPO (its To is filled by the store from the tenant's sealed
// contact) that a request filed by supplier staff causes (DSR-2); it is
// required then and ignored otherwise.
type NewSubjectRequest struct {
	Kind   dsr.Kind
	Person SubjectPerson
	Report OutgoingMail
}

// SubjectRequest is one request, opened.
type SubjectRequest struct {
	ID string
	// Reference is the short reference people read (VZ-2026-0042).
	Reference    string
	Kind         dsr.Kind
	Person       SubjectPerson
	FiledByKind  string // user or operator
	FiledBy      string
	Status       string
	Reason       string // the approval's or refusal's reason
	DecidedBy    string
	DecidedAt    time.Time
	ReceivedAt   time.Time
	DueAt        time.Time
	ExtendReason string // "" while not extended
	ExecutedBy   string
	ExecutedAt   time.Time
	// Erasure is what an executed erasure did; nil otherwise.
	Erasure *ErasureOutcome
	// Objection is the controller's decision on an objection: "" none yet,
	// ObjectionUpheld or ObjectionCompelling; ObjectionPurpose the register
	// purpose objected to ("" all processing) and ObjectionEffect what an
	// upheld one does (EffectRestrict or EffectErase).
	Objection        string
	ObjectionPurpose string
	ObjectionEffect  string
}

// Overdue reports whether the request is open past its deadline at now.
func (r SubjectRequest) Overdue(now time.Time) bool {
	return dsr.Open(r.Status) && !now.Before(r.DueAt)
}

// DuplicateRequestError: the person already has an open request of the
// same kind; ID is that request.
type DuplicateRequestError struct{ ID string }

func (e *DuplicateRequestError) Error() string { return "an open request of this kind exists: " + e.ID }

// ErrNotApproved: a request was to be executed before the controller
// approved it (DSR-2), or after it was refused, executed or closed.
var ErrNotApproved = errors.New("request not approved")

// RequestReasonMax bounds reasons, in characters.
const RequestReasonMax = 2000

func requestAD(tenantID, column, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "subject_requests", Column: column, Row: id}
}

// personIndexes are the blind indexes the person's data is found by: the
// national register number's digits and the lower-cased address, the
// values intake indexes a submission's subject and contact by.
func (db *DB) personIndexes(tenantID string, p SubjectPerson) (subject, email []byte, err error) {
	if p.INSZ != "" {
		if subject, err = db.keys.BlindIndex(tenantID, "subject", []byte(p.INSZ)); err != nil {
			return nil, nil, err
		}
	}
	if p.Email != "" {
		if email, err = db.keys.BlindIndex(tenantID, "subject", recipientKey(p.Email)); err != nil {
			return nil, nil, err
		}
	}
	return subject, email, nil
}

// pseudonymOf is the person's pseudonym in the audit log: their number's
// when they gave one, else their address's (what intake recorded).
func pseudonymOf(subject, email []byte) string {
	if len(subject) > 0 {
		return subjectPseudonym(subject)
	}
	return subjectPseudonym(email)
}

// FileSubjectRequest records a request received today, due in one month,
// and audits it ("dsr.file"). A request filed by supplier staff (an
// operator actor) is reported at once to the controller's DPO by mail and
// recorded as "dsr.report" (DSR-2). The person must be named and found by
// an e-mail address or a national register number (*ChangeError
// otherwise). An open request of the same kind for the same person is not
// filed twice (*DuplicateRequestError naming it).
func (db *DB) FileSubjectRequest(ctx context.Context, actor audit.Actor, tenantID string, in NewSubjectRequest) (SubjectRequest, error) {
	if err := db.requireKeys(); err != nil {
		return SubjectRequest{}, err
	}
	p := in.Person
	p.Name, p.Email, p.INSZ, p.Details = strings.TrimSpace(p.Name), strings.ToLower(strings.TrimSpace(p.Email)), strings.TrimSpace(p.INSZ), strings.TrimSpace(p.Details)
	switch {
	case !in.Kind.Valid():
		return SubjectRequest{}, &ChangeError{"kind", "required"}
	case p.Name == "" || len([]rune(p.Name)) > 200:
		return SubjectRequest{}, &ChangeError{"name", "required"}
	case p.Email == "" && p.INSZ == "":
		return SubjectRequest{}, &ChangeError{"email", "identifier_required"}
	case len([]rune(p.Details)) > RequestReasonMax:
		return SubjectRequest{}, &ChangeError{"details", "too_long"}
	}
	if err := checkKindFields(in.Kind, &p); err != nil {
		return SubjectRequest{}, err
	}
	switch {
	case actor.Kind != audit.KindUser && actor.Kind != audit.KindOperator:
		return SubjectRequest{}, fmt.Errorf("file subject request: actor kind %q may not file", actor.Kind)
	}
	if actor.Kind == audit.KindOperator && (in.Report.Subject == "" || in.Report.Body == "") {
		return SubjectRequest{}, errors.New("file subject request: a request filed by supplier staff needs its report to the controller")
	}
	subject, email, err := db.personIndexes(tenantID, p)
	if err != nil {
		return SubjectRequest{}, fmt.Errorf("file subject request: %w", err)
	}
	now := db.now()
	r := SubjectRequest{ID: newID(now), Kind: in.Kind, Person: p, FiledByKind: string(actor.Kind), FiledBy: actor.ID,
		Status: dsr.StatusReceived, ReceivedAt: now, DueAt: dsr.DueAt(now)}
	plain, _ := json.Marshal(p)
	person, err := db.keys.Seal(tenantID, requestAD(tenantID, "person", r.ID), plain)
	if err != nil {
		return SubjectRequest{}, fmt.Errorf("file subject request: %w", err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		ev, err := tx.insertRequest(actor, tenantID, &r, person, subject, email)
		if err != nil {
			return err
		}
		if actor.Kind != audit.KindOperator {
			return nil
		}
		// DSR-2: a request that reaches the processor is reported to the
		// controller without delay, in this transaction.
		_, to, err := tx.tenantContact(tenantID, actor, "dsr.report")
		if err != nil {
			return err
		}
		m := in.Report
		m.To, m.Kind = to, "dsr.report"
		mailID, err := tx.enqueueMail(tenantID, m, actor)
		if err != nil {
			return err
		}
		ev.Action, ev.Purpose = "dsr.report", "mail "+mailID
		return tx.appendAudit(ev)
	})
	if err != nil {
		return SubjectRequest{}, fmt.Errorf("file subject request: %w", err)
	}
	return r, nil
}

// insertRequest files r unless the person has an open request of the same
// kind (*DuplicateRequestError), and audits it ("dsr.file") in tx: the one
// path staff and citizens file by (DSR-1).
func (tx *Tx) insertRequest(actor audit.Actor, tenantID string, r *SubjectRequest, person, subject, email []byte) (audit.Event, error) {
	var dup string
	err := tx.queryRow(`SELECT id FROM subject_requests WHERE tenant_id = $1 AND kind = $2 AND status IN ('received', 'approved')
		AND ((subject_index IS NOT NULL AND subject_index = $3) OR (email_index IS NOT NULL AND email_index = $4))
		ORDER BY received_at LIMIT 1`, tenantID, string(r.Kind), subject, email).Scan(&dup)
	switch {
	case err == nil:
		return audit.Event{}, &DuplicateRequestError{ID: dup}
	case !errors.Is(err, sql.ErrNoRows):
		return audit.Event{}, err
	}
	ref, err := tx.nextRequestReference(tenantID, r.ReceivedAt)
	if err != nil {
		return audit.Event{}, err
	}
	r.Reference = ref
	if _, err := tx.exec(`INSERT INTO subject_requests (id, tenant_id, kind, person, subject_index, email_index, filed_by_kind,
		filed_by, status, received_at, due_at, updated_at, reference) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, $12)`,
		r.ID, tenantID, string(r.Kind), person, subject, email, r.FiledByKind, r.FiledBy, r.Status, micros(r.ReceivedAt), micros(r.DueAt),
		ref); err != nil {
		return audit.Event{}, err
	}
	ev := audit.Event{TenantID: tenantID, Actor: actor, Action: "dsr.file", ObjectType: "subject_request", ObjectID: r.ID,
		Subject: pseudonymOf(subject, email), Purpose: string(r.Kind)}
	return ev, tx.appendAudit(ev)
}

const requestColumns = `id, kind, person, filed_by_kind, filed_by, status, reason, decided_by, decided_at, received_at, due_at,
	extend_reason, executed_by, executed_at, outcome, COALESCE(reference, ''), objection, objection_purpose, objection_effect`

type sealedRequest struct {
	r                        SubjectRequest
	person, reason, extend   []byte
	decidedBy, executedBy    sql.NullString
	decidedAt, executedAt    sql.NullInt64
	subjectIndex, emailIndex []byte
	receivedAt, dueAt        int64
	kind                     string
	outcome                  string
}

func scanRequest(row interface{ Scan(...any) error }, s *sealedRequest, extra ...any) error {
	dest := append([]any{&s.r.ID, &s.kind, &s.person, &s.r.FiledByKind, &s.r.FiledBy, &s.r.Status, &s.reason, &s.decidedBy,
		&s.decidedAt, &s.receivedAt, &s.dueAt, &s.extend, &s.executedBy, &s.executedAt, &s.outcome, &s.r.Reference, &s.r.Objection,
		&s.r.ObjectionPurpose, &s.r.ObjectionEffect}, extra...)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	s.r.Kind, s.r.DecidedBy, s.r.ExecutedBy = dsr.Kind(s.kind), s.decidedBy.String, s.executedBy.String
	s.r.ReceivedAt, s.r.DueAt = fromMicros(s.receivedAt), fromMicros(s.dueAt)
	if s.decidedAt.Valid {
		s.r.DecidedAt = fromMicros(s.decidedAt.Int64)
	}
	if s.executedAt.Valid {
		s.r.ExecutedAt = fromMicros(s.executedAt.Int64)
	}
	if (s.r.Kind == dsr.Erasure || s.r.Kind == dsr.Objection) && s.outcome != "" {
		s.r.Erasure = &ErasureOutcome{}
		if err := json.Unmarshal([]byte(s.outcome), s.r.Erasure); err != nil {
			return fmt.Errorf("request %s outcome: %w", s.r.ID, err)
		}
	}
	return nil
}

// open opens the request's sealed person and reasons.
func (db *DB) openRequest(tenantID string, s *sealedRequest) error {
	b, err := db.keys.Open(tenantID, requestAD(tenantID, "person", s.r.ID), s.person)
	if err != nil {
		return fmt.Errorf("request %s: %w", s.r.ID, ErrUnreadable)
	}
	if err := json.Unmarshal(b, &s.r.Person); err != nil {
		return err
	}
	for _, c := range []struct {
		col  string
		in   []byte
		into *string
	}{{"reason", s.reason, &s.r.Reason}, {"extend_reason", s.extend, &s.r.ExtendReason}} {
		if len(c.in) == 0 {
			continue
		}
		b, err := db.keys.Open(tenantID, requestAD(tenantID, c.col, s.r.ID), c.in)
		if err != nil {
			return fmt.Errorf("request %s: %w", s.r.ID, ErrUnreadable)
		}
		*c.into = string(b)
	}
	return nil
}

// readRequest reads and opens request id of tenantID in tx, with its
// indexes; sql.ErrNoRows when there is none.
func (tx *Tx) readRequest(tenantID, id string) (sealedRequest, error) {
	return tx.readRequestBy(tenantID, "id", id)
}

// readRequestBy is readRequest by column (id or reference).
func (tx *Tx) readRequestBy(tenantID, column, value string) (sealedRequest, error) {
	var s sealedRequest
	err := scanRequest(tx.queryRow(`SELECT `+requestColumns+`, subject_index, email_index FROM subject_requests
		WHERE tenant_id = $1 AND `+column+` = $2`, tenantID, value), &s, &s.subjectIndex, &s.emailIndex)
	if err != nil {
		return s, err
	}
	return s, tx.db.openRequest(tenantID, &s)
}

// SubjectRequests lists the tenant's requests, open ones first by
// deadline, then the others newest first (at most limit), opened and
// recorded as "dsr.list" with the ids shown.
func (db *DB) SubjectRequests(ctx context.Context, actor audit.Actor, tenantID string, limit int) ([]SubjectRequest, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	limit = max(1, limit)
	var out []SubjectRequest
	err := db.write(ctx, func(tx *Tx) error {
		out = nil
		rows, err := tx.query(`SELECT `+requestColumns+` FROM subject_requests WHERE tenant_id = $1
			ORDER BY CASE WHEN status IN ('received', 'approved') THEN 0 ELSE 1 END, CASE WHEN status IN ('received', 'approved') THEN due_at ELSE -received_at END, id
			LIMIT `+fmt.Sprint(limit), tenantID)
		if err != nil {
			return err
		}
		var ss []sealedRequest
		for rows.Next() {
			var s sealedRequest
			if err := scanRequest(rows, &s); err != nil {
				rows.Close()
				return err
			}
			ss = append(ss, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		ids := make([]string, len(ss))
		for i := range ss {
			if err := db.openRequest(tenantID, &ss[i]); err != nil {
				return err
			}
			out, ids[i] = append(out, ss[i].r), ss[i].r.ID
		}
		return tx.appendListed(audit.Event{TenantID: tenantID, Actor: actor, Action: "dsr.list", ObjectType: "subject_request"},
			ids, fmt.Sprintf("%d shown", len(ids)))
	})
	if err != nil {
		return nil, fmt.Errorf("subject requests: %w", err)
	}
	return out, nil
}

// SubjectRequestByID opens request id — or the request whose short
// reference (VZ-2026-0042) id is, as people quote it — for the
// controller's page, recorded as "dsr.read". ErrNotFound for none of the
// tenant's.
func (db *DB) SubjectRequestByID(ctx context.Context, actor audit.Actor, tenantID, id string) (SubjectRequest, error) {
	if err := db.requireKeys(); err != nil {
		return SubjectRequest{}, err
	}
	var r SubjectRequest
	err := db.write(ctx, func(tx *Tx) error {
		column := "id"
		if strings.HasPrefix(id, RequestReferencePrefix+"-") {
			column = "reference"
		}
		s, err := tx.readRequestBy(tenantID, column, id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		r = s.r
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "dsr.read", ObjectType: "subject_request",
			ObjectID: r.ID, Subject: pseudonymOf(s.subjectIndex, s.emailIndex), Purpose: string(r.Kind)})
	})
	if err != nil {
		return SubjectRequest{}, fmt.Errorf("subject request %s: %w", id, err)
	}
	return r, nil
}

// mayDecide reports whether actor is the controller: a user of the tenant
// in the role admin or dpo (DSR-2). Supplier staff never decide.
func mayDecide(actor audit.Actor) bool {
	return actor.Kind == audit.KindUser && (actor.Role == "admin" || actor.Role == "dpo")
}

// requestStep runs one of the controller's steps on request id in one
// transaction: it reads the request (ErrNotFound for none of the
// tenant's) and prepares the step's audit event ev (the person's
// pseudonym, the kind); an actor who is not the controller — an admin or
// the DPO of the tenant (DSR-2) — is refused with ErrNotApproved, the
// attempt recorded as denied. Otherwise step runs; it appends ev when it
// succeeds, or refuses with tx.deniedStep(ev).
func (db *DB) requestStep(ctx context.Context, actor audit.Actor, tenantID, id, action string,
	step func(tx *Tx, s sealedRequest, ev audit.Event) error) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		s, err := tx.readRequest(tenantID, id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		ev := audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: "subject_request", ObjectID: id,
			Subject: pseudonymOf(s.subjectIndex, s.emailIndex), Purpose: string(s.r.Kind)}
		if !mayDecide(actor) {
			return tx.deniedStep(ev)
		}
		return step(tx, s, ev)
	})
}

// deniedStep records ev as denied and refuses the step with ErrNotApproved
// (the record is kept, the rest undone).
func (tx *Tx) deniedStep(ev audit.Event) error {
	ev.Outcome = audit.OutcomeDenied
	if err := tx.appendAudit(ev); err != nil {
		return err
	}
	return keep(ErrNotApproved)
}

// DecideSubjectRequest records the controller's approval (approve true) or
// refusal of a received request, with its reason (sealed), as "dsr.approve"
// or "dsr.refuse" (DSR-2). Only an admin or the DPO of the tenant decides
// (ErrNotApproved, the attempt recorded as refused, otherwise); a request
// already decided is not decided again (ErrConflict); the reason is
// required (*ChangeError).
func (db *DB) DecideSubjectRequest(ctx context.Context, actor audit.Actor, tenantID, id string, approve bool, reason string) error {
	return db.decideRequest(ctx, actor, tenantID, id, approve, reason, ObjectionChoice{})
}

func (db *DB) decideRequest(ctx context.Context, actor audit.Actor, tenantID, id string, approve bool, reason string, choice ObjectionChoice) error {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return &ChangeError{"reason", "reason_required"}
	case len([]rune(reason)) > RequestReasonMax:
		return &ChangeError{"reason", "too_long"}
	}
	action, status := "dsr.refuse", dsr.StatusRefused
	if approve {
		action, status = "dsr.approve", dsr.StatusApproved
	}
	if err := db.requireKeys(); err != nil {
		return err
	}
	sealed, err := db.keys.Seal(tenantID, requestAD(tenantID, "reason", id), []byte(reason))
	if err != nil {
		return fmt.Errorf("decide subject request %s: %w", id, err)
	}
	err = db.requestStep(ctx, actor, tenantID, id, action, func(tx *Tx, s sealedRequest, ev audit.Event) error {
		if s.r.Status != dsr.StatusReceived {
			return ErrConflict
		}
		now := tx.db.now()
		// An objection is decided by the controller itself (art. 21 GDPR):
		// approving it upholds it, refusing it states compelling
		// legitimate grounds, which the citizen is told with the reason.
		objection := ""
		if s.r.Kind == dsr.Objection {
			objection = ObjectionCompelling
			if approve {
				objection = ObjectionUpheld
				if err := tx.checkObjectionChoice(tenantID, &choice); err != nil {
					return err
				}
			} else {
				choice = ObjectionChoice{}
			}
			ev.Purpose = strings.TrimSpace(fmt.Sprintf("objection %s %s %s", objection, choice.Effect, choice.Purpose))
		}
		if _, err := tx.exec(`UPDATE subject_requests SET status = $1, reason = $2, decided_by = $3, decided_at = $4, updated_at = $4,
			objection = $7, objection_purpose = $8, objection_effect = $9 WHERE tenant_id = $5 AND id = $6 AND status = 'received'`,
			status, sealed, actor.ID, micros(now), tenantID, id, objection, choice.Purpose, choice.Effect); err != nil {
			return err
		}
		if err := tx.appendAudit(ev); err != nil {
			return err
		}
		if !approve {
			s.r.Status, s.r.Reason, s.r.Objection = status, reason, objection
			return tx.tellCitizenOutcome(tenantID, actor, s, ev)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("decide subject request %s: %w", id, err)
	}
	return nil
}

// ExtendSubjectRequest moves an open request's deadline once by two months
// (art. 12.3 GDPR), with its reason (sealed), as "dsr.extend"; only the
// controller (ErrNotApproved, recorded, otherwise). A second extension or
// a request no longer open: ErrConflict; no reason: *ChangeError.
func (db *DB) ExtendSubjectRequest(ctx context.Context, actor audit.Actor, tenantID, id, reason string) error {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return &ChangeError{"extend_reason", "reason_required"}
	case len([]rune(reason)) > RequestReasonMax:
		return &ChangeError{"extend_reason", "too_long"}
	}
	if err := db.requireKeys(); err != nil {
		return err
	}
	sealed, err := db.keys.Seal(tenantID, requestAD(tenantID, "extend_reason", id), []byte(reason))
	if err != nil {
		return fmt.Errorf("extend subject request %s: %w", id, err)
	}
	err = db.requestStep(ctx, actor, tenantID, id, "dsr.extend", func(tx *Tx, s sealedRequest, ev audit.Event) error {
		if !dsr.Open(s.r.Status) || s.r.ExtendReason != "" {
			return ErrConflict
		}
		due := dsr.Extended(s.r.ReceivedAt)
		if _, err := tx.exec(`UPDATE subject_requests SET due_at = $1, extend_reason = $2, reminded = 0, updated_at = $3
			WHERE tenant_id = $4 AND id = $5`, micros(due), sealed, micros(tx.db.now()), tenantID, id); err != nil {
			return err
		}
		return tx.appendAudit(ev)
	})
	if err != nil {
		return fmt.Errorf("extend subject request %s: %w", id, err)
	}
	return nil
}

// ExecuteSubjectRequest carries out an approved request (DSR-1) as
// "dsr.execute": for access and portability the package is from then on
// downloadable (SubjectAccessPackage); an erasure erases (eraseFor); a
// restriction flags the person's submissions until the request is closed
// (RestrictedSubmissions); for rectification and objection, in this first
// increment, the controller's decision is recorded as carried out. Nothing
// runs before the controller's approval (DSR-2): a request that is not
// approved — received, refused, executed or closed — or an actor who is not
// an admin or the DPO is refused with ErrNotApproved, the attempt recorded
// as denied, and nothing changes.
func (db *DB) ExecuteSubjectRequest(ctx context.Context, actor audit.Actor, tenantID, id string) error {
	return db.ExecuteSubjectRequestWith(ctx, actor, tenantID, id, PackageOptions{})
}

// ExecuteSubjectRequestWith is ExecuteSubjectRequest with the options an
// access or portability package is built with: for those kinds the
// package is built in the execution's transaction, stored sealed until
// PackageTTL (buildPackage), and a citizen who filed the request is mailed
// its link.
func (db *DB) ExecuteSubjectRequestWith(ctx context.Context, actor audit.Actor, tenantID, id string, opts PackageOptions) error {
	// Large files in the object store are fetched before the transaction
	// that packages or re-seals them (attachment_objects.go).
	err := db.withObjects(ctx, func(c *objectCache) error {
		return db.requestStep(ctx, actor, tenantID, id, "dsr.execute", func(tx *Tx, s sealedRequest, ev audit.Event) error {
			return tx.withObjects(c, func() error { return tx.executeRequest(tenantID, id, actor, s, ev, opts) })
		})
	})
	if err != nil {
		return fmt.Errorf("execute subject request %s: %w", id, err)
	}
	// The keyring forgets the destroyed person keys once the erasure has
	// committed (DSR-1); a failure here is left for the next erasure.
	if err := db.punctureDestroyed(ctx, tenantID); err != nil {
		return fmt.Errorf("execute subject request %s: erased, but %w", id, err)
	}
	return nil
}

// executeRequest is the transaction of ExecuteSubjectRequestWith.
func (tx *Tx) executeRequest(tenantID, id string, actor audit.Actor, s sealedRequest, ev audit.Event, opts PackageOptions) error {
	if s.r.Status != dsr.StatusApproved {
		return tx.deniedStep(ev)
	}
	now := tx.db.now()
	var outcome []byte
	switch {
	case s.r.Kind == dsr.Erasure || (s.r.Kind == dsr.Objection && s.r.ObjectionEffect == EffectErase):
		// An objection upheld with erasure erases what the objected
		// purpose collected (art. 17.1(c) GDPR).
		only, err := tx.formsForPurpose(tenantID, s.r.ObjectionPurpose)
		if err != nil {
			return err
		}
		o, err := tx.eraseFor(tenantID, actor, s.subjectIndex, s.emailIndex, ev.Subject, only)
		if err != nil {
			return err
		}
		if err := tx.dropPackagesOf(tenantID, s.subjectIndex, s.emailIndex); err != nil {
			return err
		}
		outcome, _ = json.Marshal(o)
	case s.r.Kind == dsr.Objection:
		if err := tx.fixObjectionForms(tenantID, id, s.r.ObjectionPurpose); err != nil {
			return err
		}
	}
	res, err := tx.exec(`UPDATE subject_requests SET status = 'executed', executed_by = $1, executed_at = $2, updated_at = $2, outcome = $5
			WHERE tenant_id = $3 AND id = $4 AND status = 'approved'`, actor.ID, micros(now), tenantID, id, string(outcome))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrConflict
	}
	if err := tx.appendAudit(ev); err != nil {
		return err
	}
	if s.r.Kind != dsr.Access && s.r.Kind != dsr.Portability {
		s.r.Status = dsr.StatusExecuted
		if len(outcome) > 0 {
			s.r.Erasure = &ErasureOutcome{}
			_ = json.Unmarshal(outcome, s.r.Erasure)
		}
		return tx.tellCitizenOutcome(tenantID, actor, s, ev)
	}
	token, until, err := tx.buildPackage(tenantID, s, ev, opts)
	if err != nil {
		return err
	}
	return tx.tellCitizen(tenantID, actor, s, ev, opts.LinkBase, token, until)
}

// SubjectAccessPackage gathers everything the tenant holds in Kluis on the
// person of an executed access or portability request (DSR-1): every
// submission whose subject or contact address has the person's blind
// index, across all forms, with its answers, files (names, sizes), history,
// mails and the audit events about it. Nothing about anyone else: rows are
// chosen by the keyed index only. The read is recorded as "dsr.package"
// naming the submissions. Only an admin or the DPO, and only once the
// request is executed (ErrNotApproved, recorded as denied, otherwise).
func (db *DB) SubjectAccessPackage(ctx context.Context, actor audit.Actor, tenantID, id, controller string) (dsr.Package, error) {
	var p dsr.Package
	err := db.requestStep(ctx, actor, tenantID, id, "dsr.package", func(tx *Tx, s sealedRequest, ev audit.Event) error {
		if s.r.Status != dsr.StatusExecuted || (s.r.Kind != dsr.Access && s.r.Kind != dsr.Portability) {
			return tx.deniedStep(ev)
		}
		subs, err := tx.personSubmissions(tenantID, s.subjectIndex, s.emailIndex)
		if err != nil {
			return err
		}
		p = dsr.Package{Schema: dsr.PackageSchema, Controller: controller, RequestID: id, Reference: s.r.Reference, Kind: s.r.Kind, GeneratedAt: tx.db.now(),
			Submissions: subs}
		ids := make([]string, len(subs))
		for i, sub := range subs {
			ids[i] = sub.ID
		}
		// The events name the submissions the package read.
		ev.ObjectType = "submission"
		return tx.appendListed(ev, ids, fmt.Sprintf("request %s, %d submissions", id, len(ids)))
	})
	if err != nil {
		return dsr.Package{}, fmt.Errorf("subject access package %s: %w", id, err)
	}
	return p, nil
}

// personSubmissions reads and opens the submissions whose subject or
// contact index is one of the person's, oldest first, with their files,
// history, mails and audit events.
func (tx *Tx) personSubmissions(tenantID string, subject, email []byte) ([]dsr.Submission, error) {
	out := []dsr.Submission{}
	var sealed [][]byte
	for _, index := range [][]byte{subject, email} {
		if len(index) == 0 {
			continue
		}
		rows, err := tx.query(`SELECT id, COALESCE(reference, ''), form_key, form_version, created_at, status, data FROM submissions
			WHERE tenant_id = $1 AND (subject_index = $2 OR contact_index = $2) ORDER BY created_at, id`, tenantID, index)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var s dsr.Submission
			var at int64
			var data []byte
			if err := rows.Scan(&s.ID, &s.Reference, &s.Form, &s.FormVersion, &at, &s.Status, &data); err != nil {
				rows.Close()
				return nil, err
			}
			s.ReceivedAt = fromMicros(at)
			out, sealed = append(out, s), append(sealed, data)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	// A submission found by both indexes is the person's once.
	seen := map[string]bool{}
	var uniq []dsr.Submission
	for i, s := range out {
		if seen[s.ID] {
			continue
		}
		seen[s.ID] = true
		answers, err := tx.db.keys.Open(tenantID, submissionAD(tenantID, s.ID), sealed[i])
		if err != nil {
			return nil, fmt.Errorf("submission %s: %w", s.ID, ErrUnreadable)
		}
		s.Answers = answers
		uniq = append(uniq, s)
	}
	if uniq == nil {
		uniq = []dsr.Submission{}
	}
	if err := tx.packageParts(tenantID, uniq); err != nil {
		return nil, err
	}
	sort.Slice(uniq, func(i, j int) bool {
		if !uniq[i].ReceivedAt.Equal(uniq[j].ReceivedAt) {
			return uniq[i].ReceivedAt.Before(uniq[j].ReceivedAt)
		}
		return uniq[i].ID < uniq[j].ID
	})
	return uniq, nil
}

// packagePartsChunk is how many submissions one query of packageParts
// names: few round trips for a person with a thousand submissions (the
// package's benchmark), well under either database's parameter limit.
const packagePartsChunk = 500

// packageParts fills the package submissions' files, history, mails and
// audit events, a chunk of submissions per query.
func (tx *Tx) packageParts(tenantID string, subs []dsr.Submission) error {
	at := make(map[string]int, len(subs))
	for i := range subs {
		subs[i].Attachments, subs[i].History, subs[i].Replies, subs[i].Events = []dsr.Attachment{}, []dsr.Entry{}, []dsr.Entry{}, []dsr.Event{}
		at[subs[i].ID] = i
	}
	for start := 0; start < len(subs); start += packagePartsChunk {
		chunk := subs[start:min(start+packagePartsChunk, len(subs))]
		args := []any{tenantID}
		marks := make([]string, len(chunk))
		for i, s := range chunk {
			args = append(args, s.ID)
			marks[i] = fmt.Sprintf("$%d", i+2)
		}
		in := "(" + strings.Join(marks, ", ") + ")"
		if err := tx.packageFiles(tenantID, subs, at, in, args); err != nil {
			return err
		}
		if err := tx.packageHistory(tenantID, subs, at, in, args); err != nil {
			return err
		}
		if err := tx.packageEvents(subs, at, in, args); err != nil {
			return err
		}
		if err := tx.packageRectifications(tenantID, subs, at, in, args); err != nil {
			return err
		}
	}
	return nil
}

// packageFiles fills the files' names and sizes of the submissions in in.
func (tx *Tx) packageFiles(tenantID string, subs []dsr.Submission, at map[string]int, in string, args []any) error {
	rows, err := tx.query(`SELECT submission_id, id, field_key, name, content_type, size FROM attachments WHERE tenant_id = $1
		AND submission_id IN `+in+` ORDER BY created_at, id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a dsr.Attachment
		var sid, fid string
		var name []byte
		if err := rows.Scan(&sid, &fid, &a.Field, &name, &a.ContentType, &a.Size); err != nil {
			return err
		}
		n, err := tx.db.keys.Open(tenantID, attachmentAD(tenantID, fid, "name"), name)
		if err != nil {
			return fmt.Errorf("attachment %s: %w", fid, ErrUnreadable)
		}
		a.Name = string(n)
		subs[at[sid]].Attachments = append(subs[at[sid]].Attachments, a)
	}
	return rows.Err()
}

// packageHistory fills the history (notes, reasons) and the mails of the
// submissions in in.
func (tx *Tx) packageHistory(tenantID string, subs []dsr.Submission, at map[string]int, in string, args []any) error {
	for _, part := range []struct {
		table string
		ad    func(string, string) seal.AD
		into  func(*dsr.Submission) *[]dsr.Entry
	}{
		{"submission_events", eventAD, func(s *dsr.Submission) *[]dsr.Entry { return &s.History }},
		{"submission_replies", replyAD, func(s *dsr.Submission) *[]dsr.Entry { return &s.Replies }},
	} {
		rows, err := tx.query(`SELECT submission_id, id, kind, COALESCE(status, ''), body, created_at FROM `+part.table+`
			WHERE tenant_id = $1 AND submission_id IN `+in+` ORDER BY created_at, id`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e dsr.Entry
			var sid, eid string
			var body []byte
			var when int64
			if err := rows.Scan(&sid, &eid, &e.Kind, &e.Status, &body, &when); err != nil {
				rows.Close()
				return err
			}
			e.At = fromMicros(when)
			if len(body) > 0 {
				b, err := tx.db.keys.Open(tenantID, part.ad(tenantID, eid), body)
				if err != nil {
					rows.Close()
					return fmt.Errorf("history %s: %w", eid, ErrUnreadable)
				}
				e.Text = string(b)
			}
			into := part.into(&subs[at[sid]])
			*into = append(*into, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// packageEvents fills the audit events about the submissions in in: those
// naming one of them, and the lists that showed it (audit_list_objects),
// each once per submission in the log's order.
func (tx *Tx) packageEvents(subs []dsr.Submission, at map[string]int, in string, args []any) error {
	rows, err := tx.query(`SELECT object_id, seq, at, action, actor_kind, actor_role, outcome FROM audit_events
		WHERE tenant_id = $1 AND object_id IN `+in+`
		UNION
		SELECT l.object_id, e.seq, e.at, e.action, e.actor_kind, e.actor_role, e.outcome FROM audit_list_objects l
		JOIN audit_events e ON e.tenant_id = l.tenant_id AND e.seq = l.seq
		WHERE l.tenant_id = $1 AND l.object_id IN `+in+`
		ORDER BY 2`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e dsr.Event
		var sid string
		var seq, when int64
		if err := rows.Scan(&sid, &seq, &when, &e.Action, &e.Actor, &e.Role, &e.Outcome); err != nil {
			return err
		}
		e.At = fromMicros(when)
		subs[at[sid]].Events = append(subs[at[sid]].Events, e)
	}
	return rows.Err()
}

// ReminderCompose writes the reminder to the tenant's DPO (contact opened)
// that request r has daysLeft days left (7 or fewer, 2 or fewer).
type ReminderCompose func(t tenant.Tenant, r SubjectRequest, daysLeft int) OutgoingMail

// reminderStages are the reminders before a deadline, in days, latest
// first: a request is reminded of once per stage it reaches.
var reminderStages = []int{2, 7}

// RemindSubjectRequests mails the tenant's DPO about each open request
// whose deadline is 7 days away, and again at 2 (DSR-1: the statutory
// clock). Each reminder is queued with the request's reminded stage and
// "dsr.remind" in one transaction, so that a run after a crash or on
// another node mails nothing twice; an extension starts the stages again.
// It returns how many reminders it queued.
func (db *DB) RemindSubjectRequests(ctx context.Context, actor audit.Actor, tenantID string, compose ReminderCompose) (int, error) {
	if err := db.requireKeys(); err != nil {
		return 0, err
	}
	var sent int
	err := db.write(ctx, func(tx *Tx) error {
		sent = 0
		now := tx.db.now()
		// Only requests within the widest stage (7 days and a margin for
		// the time of day) are read.
		horizon := now.AddDate(0, 0, reminderStages[len(reminderStages)-1]+2)
		rows, err := tx.query(`SELECT id, kind, due_at, reminded, subject_index, email_index FROM subject_requests
			WHERE tenant_id = $1 AND status IN ('received', 'approved') AND due_at <= $2 ORDER BY due_at, id`, tenantID, micros(horizon))
		if err != nil {
			return err
		}
		type due struct {
			r               SubjectRequest
			reminded, stage int
			subject, email  []byte
		}
		var todo []due
		for rows.Next() {
			var d due
			var kind string
			var at int64
			if err := rows.Scan(&d.r.ID, &kind, &at, &d.reminded, &d.subject, &d.email); err != nil {
				rows.Close()
				return err
			}
			d.r.Kind, d.r.DueAt = dsr.Kind(kind), fromMicros(at)
			left := dsr.DaysLeft(d.r.DueAt, now)
			for _, s := range reminderStages {
				if left <= s {
					d.stage = s
					break
				}
			}
			// Stages count down: 0 (none yet), then 7, then 2.
			if d.stage != 0 && (d.reminded == 0 || d.stage < d.reminded) {
				todo = append(todo, d)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(todo) == 0 {
			return nil
		}
		t, err := tx.openContact(tenantID, actor, "data-subject request reminder to the DPO")
		if err != nil {
			return err
		}
		for _, d := range todo {
			m := compose(t, d.r, dsr.DaysLeft(d.r.DueAt, now))
			m.To, m.Kind = t.DPOEmail, "dsr.remind"
			if _, err := tx.enqueueMail(tenantID, m, actor); err != nil {
				return err
			}
			if _, err := tx.exec(`UPDATE subject_requests SET reminded = $1 WHERE tenant_id = $2 AND id = $3`, d.stage, tenantID, d.r.ID); err != nil {
				return err
			}
			if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "dsr.remind", ObjectType: "subject_request",
				ObjectID: d.r.ID, Subject: pseudonymOf(d.subject, d.email), Purpose: fmt.Sprintf("%d days before the deadline", d.stage)}); err != nil {
				return err
			}
			sent++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("remind subject requests: %w", err)
	}
	return sent, nil
}

// ErasureOutcome is what an executed erasure did (DSR-1): how many of the
// person's submissions were erased, and those kept because the register
// says the law obliges the controller to keep them (art. 17.3(b) GDPR),
// per form with the obliging purpose. No personal data.
type ErasureOutcome struct {
	Erased int         `json:"erased"`
	Kept   []KeptByLaw `json:"kept"`
	// Places says per place that holds personal data what the erasure
	// removed and what it kept, and why (erasurePlaces).
	Places []ErasurePlace `json:"places,omitempty"`
}

// KeptByLaw is one form's submissions kept by legal obligation.
type KeptByLaw struct {
	Form    string `json:"form"`
	Count   int    `json:"count"`
	Purpose string `json:"purpose"` // the register purpose's key
}

// eraseFor erases, in tx, the person's submissions (answers, files,
// history, mails about them) except those whose form collects for a
// purpose the current register bases on a legal obligation; the figures
// per form (form_stats) stay, and the audit log keeps its events, which
// name the person only by pseudonym. The erased ids are recorded as
// "dsr.erase".
//
// only, when not nil, limits the erasure to the submissions of those forms
// (an objection upheld for one purpose).
func (tx *Tx) eraseFor(tenantID string, actor audit.Actor, subject, email []byte, pseudonym string, only map[string]bool) (ErasureOutcome, error) {
	out := ErasureOutcome{Kept: []KeptByLaw{}}
	reg, _, err := tx.currentRegister(tenantID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return out, err
	}
	obliged := map[string]bool{}
	for _, p := range reg.Purposes {
		if p.LegalBasis == "legal_obligation" {
			obliged[p.Key] = true
		}
	}
	type sub struct {
		id, form string
		version  int
		created  int64
	}
	var subs []sub
	seen := map[string]bool{}
	for _, index := range [][]byte{subject, email} {
		if len(index) == 0 {
			continue
		}
		rows, err := tx.query(`SELECT id, form_key, form_version, created_at FROM submissions WHERE tenant_id = $1 AND (subject_index = $2 OR contact_index = $2)
			ORDER BY created_at, id`, tenantID, index)
		if err != nil {
			return out, err
		}
		for rows.Next() {
			var s sub
			if err := rows.Scan(&s.id, &s.form, &s.version, &s.created); err != nil {
				rows.Close()
				return out, err
			}
			if !seen[s.id] && (only == nil || only[s.form]) {
				seen[s.id] = true
				subs = append(subs, s)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return out, err
		}
	}
	// The person keys that sealed any of them (DSR-1), before rows go.
	personKeys := map[uint64]bool{}
	subIDs := make([]string, len(subs))
	for i, sb := range subs {
		subIDs[i] = sb.id
	}
	if err := tx.personKeyIDsOf(tenantID, subIDs, personKeys); err != nil {
		return out, err
	}
	kept := map[string]*KeptByLaw{}
	var erased []string
	var reach erasureReach
	for _, s := range subs {
		purpose := ""
		if f, err := tx.formDefinition(tenantID, s.form, s.version); err == nil {
			for _, fl := range f.Fields() {
				if obliged[fl.Purpose] {
					purpose = fl.Purpose
					break
				}
			}
		} else if !errors.Is(err, ErrNotFound) {
			return out, err
		}
		if purpose != "" {
			if kept[s.form] == nil {
				kept[s.form] = &KeptByLaw{Form: s.form, Purpose: purpose}
			}
			kept[s.form].Count++
			continue
		}
		for i, q := range []string{
			`DELETE FROM attachments WHERE tenant_id = $1 AND submission_id = $2`,
			`DELETE FROM submission_events WHERE tenant_id = $1 AND submission_id = $2`,
			`DELETE FROM submission_replies WHERE tenant_id = $1 AND submission_id = $2`,
			`DELETE FROM submission_rectifications WHERE tenant_id = $1 AND submission_id = $2`,
			`DELETE FROM submissions WHERE tenant_id = $1 AND id = $2`,
		} {
			res, err := tx.exec(q, tenantID, s.id)
			if err != nil {
				return out, err
			}
			n, _ := res.RowsAffected()
			switch i {
			case 0:
				reach.files += int(n)
			case 1, 2, 3:
				reach.history += int(n)
			}
		}
		if err := tx.eraseCopies(tenantID, actor, s.id, s.form, s.created, &reach); err != nil {
			return out, err
		}
		erased = append(erased, s.id)
	}
	// The kept forms in the order first met.
	done := map[string]bool{}
	for _, s := range subs {
		if k := kept[s.form]; k != nil && !done[s.form] {
			done[s.form] = true
			out.Kept = append(out.Kept, *k)
		}
	}
	out.Erased = len(erased)
	// Mails to the person (receipts, replies, status mails) go with their
	// submissions, except one a sender holds right now.
	if out.Erased > 0 {
		for _, index := range [][]byte{subject, email} {
			if len(index) == 0 {
				continue
			}
			res, err := tx.exec(`DELETE FROM mail_outbox WHERE tenant_id = $1 AND recipient_index = $2 AND status <> 'sending'`,
				tenantID, index)
			if err != nil {
				return out, err
			}
			n, _ := res.RowsAffected()
			reach.mails += int(n)
		}
	}
	// Destroying the person's keys reaches the copies made before (what
	// the law keeps is re-sealed with the tenant key first).
	if err := tx.destroyPersonKeys(tenantID, actor, pseudonym, [][]byte{subject, email}, personKeys); err != nil {
		return out, err
	}
	out.Places = reach.places(out)
	return out, tx.appendListed(audit.Event{TenantID: tenantID, Actor: actor, Action: "dsr.erase", ObjectType: "submission",
		Subject: pseudonym}, erased, fmt.Sprintf("%d erased, %d kept by legal obligation", out.Erased, len(subs)-out.Erased))
}

// appendListed records ev naming ids in parts (listedObjects; one event
// with no object for none), each with purpose and, when there are
// several, its part.
func (tx *Tx) appendListed(ev audit.Event, ids []string, purpose string) error {
	parts := listedObjects(ids)
	for i, obj := range parts {
		ev.ObjectID, ev.Purpose = obj, purpose
		if len(parts) > 1 {
			ev.Purpose = fmt.Sprintf("%s (part %d of %d)", purpose, i+1, len(parts))
		}
		if err := tx.appendAudit(ev); err != nil {
			return err
		}
	}
	return nil
}

// RestrictedSubmissions reports which of the submissions ids belong to a
// person whose processing is restricted (art. 18 GDPR): an executed
// restriction request, not yet closed, whose number or address index is
// the submission's subject or contact index. It returns ids only, no
// personal data, so it is not itself audited; the inbox shows the flag.
func (db *DB) RestrictedSubmissions(ctx context.Context, tenantID string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{tenantID}
	marks := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		marks[i] = fmt.Sprintf("$%d", i+2)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT s.id FROM submissions s WHERE s.tenant_id = $1 AND s.id IN (`+strings.Join(marks, ", ")+`)
		AND `+restrictedClause, args...)
	if err != nil {
		return nil, fmt.Errorf("restricted submissions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("restricted submissions: %w", err)
		}
		out[id] = true
	}
	return out, rows.Err()
}

// CloseSubjectRequest closes an executed or refused request, as
// "dsr.close"; closing an executed restriction lifts it, and a citizen
// who filed it is told (art. 18.3 GDPR). Only the
// controller (an admin or the DPO: ErrNotApproved, recorded, otherwise);
// a request still open or closed already: ErrConflict.
func (db *DB) CloseSubjectRequest(ctx context.Context, actor audit.Actor, tenantID, id string) error {
	err := db.requestStep(ctx, actor, tenantID, id, "dsr.close", func(tx *Tx, s sealedRequest, ev audit.Event) error {
		if s.r.Status != dsr.StatusExecuted && s.r.Status != dsr.StatusRefused {
			return ErrConflict
		}
		if _, err := tx.exec(`UPDATE subject_requests SET status = 'closed', updated_at = $1 WHERE tenant_id = $2 AND id = $3`,
			micros(tx.db.now()), tenantID, id); err != nil {
			return err
		}
		if err := tx.appendAudit(ev); err != nil {
			return err
		}
		// Art. 18.3 GDPR: the citizen is told when their restriction is
		// lifted.
		if s.r.Kind == dsr.Restriction && s.r.Status == dsr.StatusExecuted {
			s.r.Status = dsr.StatusClosed
			return tx.tellCitizenOutcome(tenantID, actor, s, ev)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("close subject request %s: %w", id, err)
	}
	return nil
}
