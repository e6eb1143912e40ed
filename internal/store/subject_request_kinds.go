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
	"unicode/utf8"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/seal"
)

// The execution of every kind of data-subject request (DSR-1): the short
// reference, the kind's own fields, rectification with a sealed history,
// restriction (and an upheld objection) freezing the person's submissions,
// and the citizen's outcome mail. Every step runs behind the controller's
// approval (requestStep, DSR-2).

// The controller's decisions on an objection (art. 21 GDPR).
const (
	ObjectionUpheld     = "upheld"     // processing stops, as the effect says
	ObjectionCompelling = "compelling" // compelling legitimate grounds override, with the reason
)

// What an upheld objection does to the person's submissions on the
// objected purpose.
const (
	EffectRestrict = "restrict" // frozen as by a restriction, for good
	EffectErase    = "erase"    // erased, except what the law keeps (art. 17.1(c))
)

// ObjectionChoice is the controller's choice when upholding an objection:
// the register purpose objected to ("" all processing) and the effect
// (EffectRestrict when empty).
type ObjectionChoice struct {
	Purpose, Effect string
}

// DecideObjection records the controller's decision on an objection (art.
// 21 GDPR), as DecideSubjectRequest does: upheld, with the purpose objected
// to and the effect, or overridden by compelling legitimate grounds with
// the reason, which the citizen is mailed. An unknown purpose or effect:
// *ChangeError, nothing changed.
func (db *DB) DecideObjection(ctx context.Context, actor audit.Actor, tenantID, id string, upheld bool, reason string, c ObjectionChoice) error {
	return db.decideRequest(ctx, actor, tenantID, id, upheld, reason, c)
}

// checkObjectionChoice defaults the effect to EffectRestrict and refuses an
// unknown effect or a purpose the current register does not have.
func (tx *Tx) checkObjectionChoice(tenantID string, c *ObjectionChoice) error {
	switch c.Effect {
	case "":
		c.Effect = EffectRestrict
	case EffectRestrict, EffectErase:
	default:
		return &ChangeError{"effect", "unknown"}
	}
	if c.Purpose == "" {
		return nil
	}
	reg, _, err := tx.currentRegister(tenantID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	for _, p := range reg.Purposes {
		if p.Key == c.Purpose {
			return nil
		}
	}
	return &ChangeError{"purpose", "unknown"}
}

// formsForPurpose returns the forms of the tenant with a field collected
// for purpose in any version; nil (every form) for "".
func (tx *Tx) formsForPurpose(tenantID, purpose string) (map[string]bool, error) {
	if purpose == "" {
		return nil, nil
	}
	rows, err := tx.query(`SELECT form_key, version FROM forms WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return nil, err
	}
	type fv struct {
		key     string
		version int
	}
	var all []fv
	for rows.Next() {
		var f fv
		if err := rows.Scan(&f.key, &f.version); err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, f := range all {
		def, err := tx.formDefinition(tenantID, f.key, f.version)
		if err != nil {
			return nil, err
		}
		for _, fl := range def.Fields() {
			if fl.Purpose == purpose {
				out[f.key] = true
			}
		}
	}
	return out, nil
}

// fixObjectionForms records, when an upheld objection that restricts is
// executed, which forms it restricts: those collecting for its purpose
// then ("" every form, for an objection to all processing).
func (tx *Tx) fixObjectionForms(tenantID, id, purpose string) error {
	forms := ""
	if purpose != "" {
		only, err := tx.formsForPurpose(tenantID, purpose)
		if err != nil {
			return err
		}
		keys := make([]string, 0, len(only))
		for k := range only {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		// A purpose no form collects for restricts nothing: "," matches none.
		forms = "," + strings.Join(keys, ",") + ","
	}
	_, err := tx.exec(`UPDATE subject_requests SET objection_forms = $1 WHERE tenant_id = $2 AND id = $3`, forms, tenantID, id)
	return err
}

// KindFields are the fields a kind asks for beyond the person: what is
// wrong and what it should be (rectification), or the grounds (erasure,
// restriction, objection).
type KindFields struct {
	Wrong      string `json:"wrong,omitempty"`
	Correction string `json:"correction,omitempty"`
	Grounds    string `json:"grounds,omitempty"`
}

// checkKindFields trims the kind's own fields of p, refuses a missing or
// too long one (*ChangeError naming it) and drops those of other kinds.
func checkKindFields(kind dsr.Kind, p *SubjectPerson) error {
	p.Wrong, p.Correction, p.Grounds = strings.TrimSpace(p.Wrong), strings.TrimSpace(p.Correction), strings.TrimSpace(p.Grounds)
	type input struct{ field, value string }
	var need []input
	switch kind {
	case dsr.Rectification:
		p.Grounds = ""
		need = []input{{"wrong", p.Wrong}, {"correction", p.Correction}}
	case dsr.Erasure, dsr.Restriction, dsr.Objection:
		p.Wrong, p.Correction = "", ""
		need = []input{{"grounds", p.Grounds}}
	default:
		p.Wrong, p.Correction, p.Grounds = "", "", ""
	}
	for _, n := range need {
		switch {
		case n.value == "":
			return &ChangeError{n.field, "required"}
		case utf8.RuneCountInString(n.value) > RequestReasonMax:
			return &ChangeError{n.field, "too_long"}
		}
	}
	return nil
}

func codeDetailsAD(tenantID, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "subject_request_codes", Column: "details", Row: id}
}

// RequestReferencePrefix starts every request's short reference
// ("verzoek"), followed by the year and a number sequential per tenant
// and year.
const RequestReferencePrefix = "VZ"

// nextRequestReference gives the tenant's next short reference for a
// request received at: VZ-2026-0042. The counter row is taken in the
// filing transaction, so two requests never share a number.
func (tx *Tx) nextRequestReference(tenantID string, at time.Time) (string, error) {
	year := at.In(brussels).Year()
	var n int
	err := tx.queryRow(`INSERT INTO subject_request_numbers (tenant_id, year, last) VALUES ($1, $2, 1)
		ON CONFLICT (tenant_id, year) DO UPDATE SET last = subject_request_numbers.last + 1 RETURNING last`, tenantID, year).Scan(&n)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%d-%04d", RequestReferencePrefix, year, n), nil
}

// restrictedClause is true when processing of submission s is restricted
// (art. 18 GDPR): an executed restriction not yet lifted (closing it lifts
// it), or an upheld objection that restricts, on the forms of the objected
// purpose (art. 21: it stays after closing), whose
// number or address index is the submission's subject or contact index.
const restrictedClause = `EXISTS (SELECT 1 FROM subject_requests r WHERE r.tenant_id = s.tenant_id
	AND ((r.kind = 'restriction' AND r.status = 'executed')
		OR (r.kind = 'objection' AND r.objection = 'upheld' AND r.objection_effect = 'restrict' AND r.status IN ('executed', 'closed')
			AND (r.objection_forms = '' OR r.objection_forms LIKE '%,' || s.form_key || ',%')))
	AND (r.subject_index = s.subject_index OR r.subject_index = s.contact_index
		OR r.email_index = s.subject_index OR r.email_index = s.contact_index))`

// ErrRestricted: the submission's person restricted its processing (or
// their objection was upheld); it may not be edited, exported or erased by
// retention until the restriction is lifted.
var ErrRestricted = errors.New("processing restricted")

// restrictedAmong returns which of ids (submissions of the tenant) are
// restricted, in tx.
func (tx *Tx) restrictedAmong(tenantID string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, chunk := range chunkStrings(ids, 200) {
		args := []any{tenantID}
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			args = append(args, id)
			marks[i] = fmt.Sprintf("$%d", i+2)
		}
		rows, err := tx.query(`SELECT s.id FROM submissions s WHERE s.tenant_id = $1 AND s.id IN (`+strings.Join(marks, ", ")+`)
			AND `+restrictedClause, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func chunkStrings(ids []string, n int) [][]string {
	var out [][]string
	for len(ids) > n {
		out, ids = append(out, ids[:n]), ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

// refuseRestricted records ev as denied because the submission is
// restricted ("dsr.restricted" names what was refused) and refuses with
// ErrRestricted; the record is kept, the rest undone.
func (tx *Tx) refuseRestricted(ev audit.Event, what string) error {
	ev.Action, ev.Outcome, ev.Purpose = "dsr.restricted", audit.OutcomeDenied, what+" refused: processing restricted"
	if err := tx.appendAudit(ev); err != nil {
		return err
	}
	return keep(ErrRestricted)
}

// RetentionRestrictedIn adds to held the submissions of form formKey whose
// processing is restricted: retention does not erase them while the
// restriction is in force, as a legal hold (art. 18.1 GDPR). The hook the
// retention engine calls when it reads its holds.
func (tx *Tx) retentionRestrictedIn(tenantID, formKey string, held map[string]bool) error {
	return restrictedOfForm(tx.query, tenantID, formKey, held)
}

// restrictedOfForm adds to into the submissions of form formKey whose
// processing is restricted (restrictedClause), found from the few
// restrictions in force through the submissions' index columns rather than
// by testing every submission of the form: a sweep or an export of a large
// form pays one small query when nobody restricted anything.
func restrictedOfForm(query func(string, ...any) (*sql.Rows, error), tenantID, formKey string, into map[string]bool) error {
	rows, err := query(`SELECT subject_index, email_index, kind, objection_forms FROM subject_requests WHERE tenant_id = $1
		AND ((kind = 'restriction' AND status = 'executed')
			OR (kind = 'objection' AND objection = 'upheld' AND objection_effect = 'restrict' AND status IN ('executed', 'closed')))`, tenantID)
	if err != nil {
		return err
	}
	var indexes [][]byte
	for rows.Next() {
		var subject, email []byte
		var kind, forms string
		if err := rows.Scan(&subject, &email, &kind, &forms); err != nil {
			rows.Close()
			return err
		}
		if kind == string(dsr.Objection) && forms != "" && !strings.Contains(forms, ","+formKey+",") {
			continue
		}
		for _, ix := range [][]byte{subject, email} {
			if len(ix) > 0 {
				indexes = append(indexes, ix)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, ix := range indexes {
		for _, col := range []string{"subject_index", "contact_index"} {
			rows, err := query(`SELECT id FROM submissions WHERE tenant_id = $1 AND `+col+` = $2 AND form_key = $3`, tenantID, ix, formKey)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				into[id] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// RectifyError is a rectification refused field by field: Field is the
// input ("submission", "field" or "value"), Key a message key under
// "form.error." (the form field's own validation) or "kinds.error.".
type RectifyError struct {
	Field string
	Key   string
	Args  []any
	// FormKey is true when Key is the form's validation message.
	FormKey bool
}

func (e *RectifyError) Error() string { return "rectification refused: " + e.Field + " " + e.Key }

// Rectification is one rectified value with its history: which submission
// and field, the value before and after, who, when, under which request.
type Rectification struct {
	ID           string
	SubmissionID string
	Reference    string // the submission's reference
	RequestID    string
	Field        string
	Old, New     string
	ActorID      string
	At           time.Time
}

func rectificationAD(tenantID, column, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "submission_rectifications", Column: column, Row: id}
}

// rectifiable reports whether a field's value can be rectified here: one
// value of a type the form checks on its own. The identifying fields (the
// national register number, the contact address) are also the blind
// index the person is found by, and files are replaced, not rectified.
func rectifiable(f form.Form, fl form.Field) bool {
	switch fl.Type {
	case form.TypeFile, form.TypeAddress, form.TypeMultiChoice, form.TypeINSZ:
		return false
	}
	if c, ok := f.ContactField(); ok && c.Key == fl.Key {
		return false
	}
	return true
}

// RectifySubmission carries out one correction of an approved
// rectification request (art. 16 GDPR): the value of field in submission
// (one of the person's, found by the request's blind index) becomes value,
// validated exactly as the form field validates; the old value is kept,
// sealed, in the rectification history with who, when and the request, and
// the step is recorded as "dsr.rectify". Refused, with nothing changed:
// an actor who is not the controller or a request not approved
// (ErrNotApproved, recorded), a submission that is not the person's
// (ErrNotFound, recorded), a restricted one (ErrRestricted, recorded), a
// field that cannot be rectified or a value the field refuses
// (*RectifyError with the field's message).
func (db *DB) RectifySubmission(ctx context.Context, actor audit.Actor, tenantID, requestID, submissionID, fieldKey, value string) error {
	value = strings.TrimSpace(value)
	err := db.requestStep(ctx, actor, tenantID, requestID, "dsr.rectify", func(tx *Tx, s sealedRequest, ev audit.Event) error {
		if s.r.Kind != dsr.Rectification || s.r.Status != dsr.StatusApproved {
			return tx.deniedStep(ev)
		}
		ev.ObjectType, ev.ObjectID = "submission", submissionID
		var formKey string
		var version int
		var data, subject, contact []byte
		err := tx.queryRow(`SELECT form_key, form_version, data, subject_index, contact_index FROM submissions WHERE tenant_id = $1 AND id = $2`,
			tenantID, submissionID).Scan(&formKey, &version, &data, &subject, &contact)
		mine := err == nil && personOwns(s, subject, contact)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !mine) {
			ev.Outcome, ev.Purpose = audit.OutcomeDenied, "request "+requestID+": not the person's submission"
			if err := tx.appendAudit(ev); err != nil {
				return err
			}
			return keep(ErrNotFound)
		}
		if err != nil {
			return err
		}
		restricted, err := tx.restrictedAmong(tenantID, []string{submissionID})
		if err != nil {
			return err
		}
		if restricted[submissionID] {
			return tx.refuseRestricted(ev, "rectification")
		}
		f, err := tx.formDefinition(tenantID, formKey, version)
		if err != nil {
			return err
		}
		fl, ok := f.Field(fieldKey)
		if !ok || !rectifiable(f, fl) {
			return &RectifyError{Field: "field", Key: "not_rectifiable"}
		}
		one := form.Form{Pages: []form.Page{{Fields: []form.Field{fl}}}}
		clean, errs := one.Check(form.Input{fl.Key: {value}})
		if len(errs) > 0 {
			return &RectifyError{Field: "value", Key: errs[0].Key, Args: errs[0].Args, FormKey: true}
		}
		plain, err := db.keys.Open(tenantID, submissionAD(tenantID, submissionID), data)
		if err != nil {
			return fmt.Errorf("submission %s: %w", submissionID, ErrUnreadable)
		}
		answers := map[string]json.RawMessage{}
		if err := json.Unmarshal(plain, &answers); err != nil {
			return err
		}
		var old form.Answer
		if raw, ok := answers[fl.Key]; ok {
			if err := json.Unmarshal(raw, &old); err != nil {
				return err
			}
		}
		next, had := clean[fl.Key]
		if (!had && old.Value == "") || (had && next.Value == old.Value) {
			return &RectifyError{Field: "value", Key: "unchanged"}
		}
		if had {
			b, _ := json.Marshal(next)
			answers[fl.Key] = b
		} else {
			delete(answers, fl.Key)
		}
		b, _ := json.Marshal(answers)
		resealed, err := db.keys.Seal(tenantID, submissionAD(tenantID, submissionID), b)
		if err != nil {
			return err
		}
		now := tx.db.now()
		rid := newID(now)
		sealedOld, err1 := db.keys.Seal(tenantID, rectificationAD(tenantID, "old_value", rid), []byte(old.Value))
		sealedNew, err2 := db.keys.Seal(tenantID, rectificationAD(tenantID, "new_value", rid), []byte(next.Value))
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE submissions SET data = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4`,
			resealed, micros(now), tenantID, submissionID); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO submission_rectifications (id, tenant_id, submission_id, request_id, field_key, old_value, new_value,
			actor_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, rid, tenantID, submissionID, requestID, fl.Key,
			sealedOld, sealedNew, actor.ID, micros(now)); err != nil {
			return err
		}
		// The case's history says it too (who, when, under which
		// request), as a note sealed like every note, in the tenant's
		// language.
		var lang string
		if err := tx.queryRow(`SELECT default_lang FROM tenants WHERE id = $1`, tenantID).Scan(&lang); err != nil {
			return err
		}
		l, ok := locale.Parse(lang)
		if !ok {
			l = locale.NL
		}
		shown := func(v string) string {
			if v == "" {
				return locale.T(l, "kinds.rectify.empty")
			}
			return v
		}
		note := locale.T(l, "kinds.history.rectified", s.r.Reference, fl.Label.In(string(l)), shown(old.Value), shown(next.Value))
		nid := newID(now)
		sealedNote, err := db.keys.Seal(tenantID, eventAD(tenantID, nid), []byte(note))
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO submission_events (id, tenant_id, submission_id, kind, actor_id, body, created_at)
			VALUES ($1, $2, $3, 'note', $4, $5, $6)`, nid, tenantID, submissionID, actor.ID, sealedNote, micros(now)); err != nil {
			return err
		}
		ev.Purpose = "request " + requestID + ", field " + fl.Key
		return tx.appendAudit(ev)
	})
	if err != nil {
		return fmt.Errorf("rectify %s: %w", submissionID, err)
	}
	return nil
}

// personOwns reports whether a submission with these indexes is the
// request's person's.
func personOwns(s sealedRequest, subject, contact []byte) bool {
	for _, mine := range [][]byte{s.subjectIndex, s.emailIndex} {
		if len(mine) == 0 {
			continue
		}
		if string(mine) == string(subject) || string(mine) == string(contact) {
			return true
		}
	}
	return false
}

// PersonCase is what the controller's page shows to carry out a
// rectification: the person's submissions with the fields that can be
// rectified and their values, and the history of rectified values.
type PersonCase struct {
	Submissions    []CaseSubmission
	Rectifications []Rectification
}

// CaseSubmission is one of the person's submissions.
type CaseSubmission struct {
	ID, Reference, Form string
	Restricted          bool
	Fields              []CaseField
}

// CaseField is one rectifiable field and its current value.
type CaseField struct {
	Key   string
	Label map[string]string
	Value string
}

// SubjectRequestCase opens, for an approved or executed rectification
// request, the person's submissions (by the request's blind index) with
// their rectifiable values and the request's rectification history,
// recorded as "dsr.case" naming the submissions read. Only the controller
// (ErrNotApproved, recorded, otherwise); other kinds and statuses get an
// empty case without a read.
func (db *DB) SubjectRequestCase(ctx context.Context, actor audit.Actor, tenantID, id string) (PersonCase, error) {
	var pc PersonCase
	err := db.requestStep(ctx, actor, tenantID, id, "dsr.case", func(tx *Tx, s sealedRequest, ev audit.Event) error {
		pc = PersonCase{}
		if s.r.Kind != dsr.Rectification || (s.r.Status != dsr.StatusApproved && s.r.Status != dsr.StatusExecuted) {
			return nil
		}
		subs, err := tx.personSubmissions(tenantID, s.subjectIndex, s.emailIndex)
		if err != nil {
			return err
		}
		ids := make([]string, len(subs))
		for i, sub := range subs {
			ids[i] = sub.ID
		}
		restricted, err := tx.restrictedAmong(tenantID, ids)
		if err != nil {
			return err
		}
		for _, sub := range subs {
			f, err := tx.formDefinition(tenantID, sub.Form, sub.FormVersion)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			var answers form.Answers
			_ = json.Unmarshal(sub.Answers, &answers)
			cs := CaseSubmission{ID: sub.ID, Reference: sub.Reference, Form: sub.Form, Restricted: restricted[sub.ID]}
			for _, fl := range f.Fields() {
				if rectifiable(f, fl) {
					cs.Fields = append(cs.Fields, CaseField{Key: fl.Key, Label: fl.Label, Value: answers[fl.Key].Value})
				}
			}
			pc.Submissions = append(pc.Submissions, cs)
			for _, r := range sub.Rectifications {
				if r.Request == id {
					pc.Rectifications = append(pc.Rectifications, Rectification{SubmissionID: sub.ID, Reference: sub.Reference,
						RequestID: r.Request, Field: r.Field, Old: r.Old, New: r.New, ActorID: r.By, At: r.At})
				}
			}
		}
		ev.ObjectType = "submission"
		return tx.appendListed(ev, ids, fmt.Sprintf("request %s, %d submissions", id, len(ids)))
	})
	if err != nil {
		return PersonCase{}, fmt.Errorf("subject request case %s: %w", id, err)
	}
	return pc, nil
}

// packageRectifications fills the rectification history of the package
// submissions in in, oldest first (DSR-1: the person sees what was
// corrected, by whom, under which request).
func (tx *Tx) packageRectifications(tenantID string, subs []dsr.Submission, at map[string]int, in string, args []any) error {
	rows, err := tx.query(`SELECT submission_id, id, request_id, field_key, old_value, new_value, actor_id, created_at
		FROM submission_rectifications WHERE tenant_id = $1 AND submission_id IN `+in+` ORDER BY created_at, id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r dsr.Correction
		var sid, id string
		var old, nw []byte
		var when int64
		if err := rows.Scan(&sid, &id, &r.Request, &r.Field, &old, &nw, &r.By, &when); err != nil {
			return err
		}
		o, err1 := tx.db.keys.Open(tenantID, rectificationAD(tenantID, "old_value", id), old)
		n, err2 := tx.db.keys.Open(tenantID, rectificationAD(tenantID, "new_value", id), nw)
		if errors.Join(err1, err2) != nil {
			return fmt.Errorf("rectification %s: %w", id, ErrUnreadable)
		}
		r.Old, r.New, r.At = string(o), string(n), fromMicros(when)
		subs[at[sid]].Rectifications = append(subs[at[sid]].Rectifications, r)
	}
	return rows.Err()
}

// tellCitizenOutcome mails a citizen who filed a request of a kind other
// than access or portability its outcome in their language, as
// "dsr.answer" (DSR-1): executed (what was done), refused (with the
// reason), an objection upheld or overridden by compelling legitimate
// grounds (with the reason). Requests filed by staff are answered by staff.
func (tx *Tx) tellCitizenOutcome(tenantID string, actor audit.Actor, s sealedRequest, ev audit.Event) error {
	if s.r.FiledByKind != string(audit.KindCitizen) || s.r.Kind == dsr.Access || s.r.Kind == dsr.Portability {
		return nil
	}
	reason := s.r.Reason
	if err := tx.db.openRequest(tenantID, &s); err != nil {
		return err
	}
	if reason != "" {
		s.r.Reason = reason
	}
	if s.r.Person.Email == "" {
		return nil // filed from the view after FAS: no address, the view shows the outcome
	}
	legalName, l, err := tx.addressee(tenantID, s.r.Person)
	if err != nil {
		return err
	}
	kind := locale.T(l, "dsr.kind."+string(s.r.Kind))
	var body string
	switch {
	case s.r.Kind == dsr.Objection && s.r.Objection == ObjectionCompelling:
		body = locale.T(l, "kinds.mail.objection.compelling", legalName, s.r.Reference, s.r.Reason)
	case s.r.Kind == dsr.Objection && s.r.ObjectionEffect == EffectErase:
		erased := 0
		if s.r.Erasure != nil {
			erased = s.r.Erasure.Erased
		}
		body = locale.T(l, "kinds.mail.objection.erased", legalName, s.r.Reference, erased)
	case s.r.Kind == dsr.Objection:
		body = locale.T(l, "kinds.mail.objection.upheld", legalName, s.r.Reference)
	case s.r.Kind == dsr.Restriction && s.r.Status == dsr.StatusClosed:
		body = locale.T(l, "kinds.mail.lifted", legalName, s.r.Reference)
	case s.r.Status == dsr.StatusRefused:
		body = locale.T(l, "kinds.mail.refused", legalName, kind, s.r.Reference, s.r.Reason)
	case s.r.Kind == dsr.Erasure && s.r.Erasure != nil && len(s.r.Erasure.Kept) > 0:
		body = locale.T(l, "kinds.mail.erased_kept", legalName, s.r.Reference, s.r.Erasure.Erased)
	default:
		body = locale.T(l, "kinds.mail.executed."+string(s.r.Kind), legalName, s.r.Reference)
	}
	m := OutgoingMail{To: s.r.Person.Email, Kind: "dsr.answer", Lang: string(l),
		Subject: locale.T(l, "kinds.mail.subject", kind, s.r.Reference, legalName), Body: body}
	mailID, err := tx.enqueueMail(tenantID, m, actor)
	if err != nil {
		return err
	}
	ev.Action, ev.Purpose, ev.Outcome = "dsr.outcome", "mail "+mailID, audit.OutcomeSuccess
	return tx.appendAudit(ev)
}

// ErasurePlace is what an erasure did in one place that holds personal
// data (DSR-1): how many rows it removed, how many it kept, and why it
// kept them — a message key suffix ("kinds.erasure.why.<why>"), no
// personal data.
type ErasurePlace struct {
	Place   string `json:"place"`
	Removed int    `json:"removed"`
	Kept    int    `json:"kept"`
	Why     string `json:"why,omitempty"`
}

// erasureReach counts what an erasure removed besides the submissions.
type erasureReach struct {
	files, history, mails, exports, deliveries int
}

// places states the erasure per place, in the order the report shows
// them: the submissions (kept by the register's legal obligation), their
// files, history and rectified values, the mails to the person, the
// export files held for staff, the webhook delivery logs, the drafts (a
// draft names no person: only its sweep removes it) and the audit log
// (kept, naming the person by pseudonym only, AUD-2).
func (r erasureReach) places(o ErasureOutcome) []ErasurePlace {
	kept := 0
	for _, k := range o.Kept {
		kept += k.Count
	}
	subs := ErasurePlace{Place: "submissions", Removed: o.Erased, Kept: kept}
	if kept > 0 {
		subs.Why = "legal_obligation"
	}
	return []ErasurePlace{
		subs,
		{Place: "files", Removed: r.files},
		{Place: "history", Removed: r.history},
		{Place: "mails", Removed: r.mails},
		{Place: "exports", Removed: r.exports},
		{Place: "webhooks", Removed: r.deliveries},
		{Place: "drafts", Why: "drafts"},
		{Place: "audit", Why: "audit"},
	}
}

// eraseCopies removes, in tx, the copies of an erased submission held
// elsewhere: export files held for staff that contain it are shredded
// (their key destroyed, as an expired export), and webhook deliveries
// whose body names it are deleted (except one a sender holds right now).
// Each shredded export is recorded as "dsr.erase" naming the export.
func (tx *Tx) eraseCopies(tenantID string, actor audit.Actor, submissionID, formKey string, created int64, reach *erasureReach) error {
	rows, err := tx.query(`SELECT id, selection FROM exports WHERE tenant_id = $1 AND form_key = $2 AND status <> 'deleted'
		AND until_at >= $3`, tenantID, formKey, created)
	if err != nil {
		return err
	}
	var shred []string
	for rows.Next() {
		var id, sel string
		if err := rows.Scan(&id, &sel); err != nil {
			rows.Close()
			return err
		}
		if sel == "" || containsLine(sel, submissionID) {
			shred = append(shred, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range shred {
		if _, err := tx.exec(`UPDATE exports SET status = 'deleted', data_key = $1 WHERE tenant_id = $2 AND id = $3`, []byte{}, tenantID, id); err != nil {
			return err
		}
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "dsr.erase", ObjectType: "export", ObjectID: id,
			Purpose: "export shredded: it held an erased submission"}); err != nil {
			return err
		}
		reach.exports++
	}
	res, err := tx.exec(`DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND status <> 'sending' AND body LIKE $2`,
		tenantID, `%"`+submissionID+`"%`)
	if err != nil {
		return err
	}
	n, _ := res.RowsAffected()
	reach.deliveries += int(n)
	return nil
}

func containsLine(lines, s string) bool {
	for _, l := range strings.Split(lines, "\n") {
		if l == s {
			return true
		}
	}
	return false
}

// restrictedInForm returns the restricted submissions of a form: what an
// export withholds. Ids only.
func (db *DB) restrictedInForm(ctx context.Context, tenantID, formKey string) (map[string]bool, error) {
	out := map[string]bool{}
	return out, restrictedOfForm(func(q string, args ...any) (*sql.Rows, error) { return db.sql.QueryContext(ctx, q, args...) },
		tenantID, formKey, out)
}

// RefuseIfRestricted refuses, with ErrRestricted recorded as a denied
// "dsr.restricted" naming what was refused, a step on a submission whose
// person restricted processing (art. 18 GDPR); nil otherwise, without a
// record (the ids only are read).
func (db *DB) RefuseIfRestricted(ctx context.Context, actor audit.Actor, tenantID, submissionID, what string) error {
	return db.write(ctx, func(tx *Tx) error {
		var index []byte
		err := tx.queryRow(`SELECT subject_index FROM submissions WHERE tenant_id = $1 AND id = $2`, tenantID, submissionID).Scan(&index)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		restricted, err := tx.restrictedAmong(tenantID, []string{submissionID})
		if err != nil || !restricted[submissionID] {
			return err
		}
		return tx.refuseRestricted(audit.Event{TenantID: tenantID, Actor: actor, ObjectType: "submission", ObjectID: submissionID,
			Subject: subjectPseudonym(index)}, what)
	})
}

// addressee is what a mail to the request's person needs: the tenant's
// legal name and the person's language (Dutch when unknown).
func (tx *Tx) addressee(tenantID string, p SubjectPerson) (string, locale.Lang, error) {
	var legalName string
	if err := tx.queryRow(`SELECT legal_name FROM tenants WHERE id = $1`, tenantID).Scan(&legalName); err != nil {
		return "", "", err
	}
	l, ok := locale.Parse(p.Lang)
	if !ok {
		l = locale.NL
	}
	return legalName, l, nil
}
