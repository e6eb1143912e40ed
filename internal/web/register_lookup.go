package web

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/ident"
	"github.com/kluis/kluis/internal/magda"
	"github.com/kluis/kluis/internal/store"
)

// The civil servant's look-up in the national register (Rijksregister,
// through MAGDA's GeefPersoon) from a submission: a user an admin
// authorised (register.lookup) asks for the citizen's address with the
// form's register purpose and a stated reason, and sees the register's
// address next to what the citizen typed. The answer is shown, never
// stored (REG-4: no copies); only "Bewaar in het dossier" keeps the
// register's address, as a sealed note on the submission (AUD-1). Every
// call is audited by the one MAGDA call function with its reference,
// purpose, reason, actor and the subject's pseudonym. Nothing but the
// submission id is ever in a URL: the INSZ and the reason are posted.

// rrAnswerTTL is how long a shown answer may be saved into the file:
// long enough to read it and decide, short enough that an old page does
// not become a fresh register answer.
const rrAnswerTTL = 30 * time.Minute

// rrPart is one part of an address: what the citizen typed, what the
// register holds, and whether they differ (said in words, not colour).
type rrPart struct {
	Label, Typed, Register string
	Differs                bool
}

// rrAnswer is a found person's address as the page shows it.
type rrAnswer struct {
	Reference string
	Address   string // the register's address on one line
	Parts     []rrPart
	Differs   int  // how many parts differ
	NoTyped   bool // the form has no address answer to compare with
	Warnings  bool // the register passed warnings (incomplete data)
	Token     string
}

type rrPage struct {
	Slug, TenantName, ID, Reference, Form string
	Purpose                               string // the form's register purpose, by name
	INSZ, Reason                          string // as typed (posted back)
	Errors                                fieldErrors
	Outcome                               string // a failed call, in words
	OutcomeRef                            string // its MAGDA reference, when it left
	Answer                                *rrAnswer
	Expired                               bool // a save from a page too old
}

// rrSubject is what the look-up needs of a submission: the form's
// register purpose, the citizen's INSZ and typed address when the form
// asked for them.
type rrSubject struct {
	page    rrPage
	purpose string // register purpose key
	typed   *form.Address
}

// openLookup opens the submission (an audited read with the look-up as
// purpose, AUD-1) and finds what the look-up needs of it.
func (a *App) openLookup(w http.ResponseWriter, r *http.Request, me account.User) (rrSubject, bool) {
	t := tenantFrom(r.Context())
	d, fv, ok := a.openSubmission(w, r, me, "national register look-up")
	if !ok {
		return rrSubject{}, false
	}
	var answers form.Answers
	if err := json.Unmarshal(d.Answers, &answers); err != nil {
		a.internalError(w, r, "decode answers", err)
		return rrSubject{}, false
	}
	lang := string(LangFrom(r.Context()))
	s := rrSubject{page: rrPage{Slug: t.Slug, TenantName: t.LegalName, ID: d.ID, Reference: d.Reference, Form: fv.Form.Title.In(lang)}}
	// The purpose is the form's register purpose for the data the register
	// answers: the INSZ field's, else the address field's, else the first
	// field's (REG-4: the look-up serves what the form was made for).
	var inszPurpose, addrPurpose, firstPurpose string
	for _, fl := range fv.Form.Fields() {
		if firstPurpose == "" {
			firstPurpose = fl.Purpose
		}
		switch fl.Type {
		case form.TypeINSZ:
			if inszPurpose == "" {
				inszPurpose = fl.Purpose
				s.page.INSZ = answers[fl.Key].Value
			}
		case form.TypeAddress:
			if addrPurpose == "" {
				addrPurpose = fl.Purpose
				s.typed = answers[fl.Key].Address
			}
		}
	}
	s.purpose = firstNonEmpty(inszPurpose, addrPurpose, firstPurpose)
	s.page.Purpose = a.purposeNames(r)(s.purpose)
	return s, true
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// registerLookupShow is the look-up form, the INSZ prefilled from the
// submission when the form asked for it.
func (a *App) registerLookupShow(w http.ResponseWriter, r *http.Request, me account.User) {
	s, ok := a.openLookup(w, r, me)
	if !ok {
		return
	}
	a.render(w, r, http.StatusOK, "register-lookup", s.page)
}

// registerLookupCreate checks the input field by field, makes the one
// audited call and shows its answer or its outcome in words; the page
// stays usable whatever happened.
func (a *App) registerLookupCreate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	s, ok := a.openLookup(w, r, me)
	if !ok {
		return
	}
	p := &s.page
	p.Reason = strings.TrimSpace(echoUpTo(r.PostForm.Get("reason"), rrReasonMax))
	raw := strings.TrimSpace(r.PostForm.Get("insz"))
	n, err := ident.INSZ(raw)
	p.INSZ = n.Digits
	var bad *ident.Invalid
	switch {
	case err == nil:
	case errors.As(err, &bad) && bad.Problem == ident.Empty:
		p.Errors = append(p.Errors, fieldError{"insz", a.t(r, "mlookup.error.insz_required")})
	case errors.As(err, &bad) && bad.Problem == ident.Format:
		p.INSZ = echoUpTo(raw, 40)
		p.Errors = append(p.Errors, fieldError{"insz", a.t(r, "mlookup.error.insz_length")})
	default:
		p.INSZ = echoUpTo(raw, 40)
		p.Errors = append(p.Errors, fieldError{"insz", a.t(r, "mlookup.error.insz_check")})
	}
	switch reason := strings.TrimSpace(r.PostForm.Get("reason")); {
	case reason == "":
		p.Errors = append(p.Errors, fieldError{"reason", a.t(r, "mlookup.error.reason_required")})
	case len([]rune(reason)) > rrReasonMax:
		p.Errors = append(p.Errors, fieldError{"reason", a.t(r, "robust.too_long", rrReasonMax)})
	}
	if len(p.Errors) > 0 {
		a.render(w, r, http.StatusUnprocessableEntity, "register-lookup", *p)
		return
	}
	// Art. 18 GDPR (DSR-1): a person who had processing restricted is not
	// looked up in the register for this case until it is lifted.
	if restricted, err := a.opts.Store.RestrictedSubmissions(r.Context(), tenantFrom(r.Context()).ID, []string{p.ID}); err != nil {
		a.internalError(w, r, "restriction", err)
		return
	} else if restricted[p.ID] {
		p.Outcome = a.t(r, "mlookup.restricted")
		a.render(w, r, http.StatusConflict, "register-lookup", *p)
		return
	}
	res, out, err := a.registerAsk(r, me, s.purpose, p.Reason, p.INSZ)
	if err != nil {
		msg, status := a.registerOutcome(r, err)
		if status == http.StatusInternalServerError {
			a.internalError(w, r, "register look-up", err)
			return
		}
		p.Outcome = msg
		if out != nil {
			p.OutcomeRef = out.Reference
		}
		a.render(w, r, status, "register-lookup", *p)
		return
	}
	p.Answer = a.lookupAnswerOf(r, me, s, res)
	a.render(w, r, http.StatusOK, "register-lookup", *p)
}

// rrReasonMax bounds the stated reason, in characters.
const rrReasonMax = 500

// lookupAnswerOf compares the register's address with the typed one, part
// by part, and signs what the page may save.
func (a *App) lookupAnswerOf(r *http.Request, me account.User, s rrSubject, res *magda.Result) *rrAnswer {
	ans := &rrAnswer{Reference: res.Reference, Warnings: len(res.Warnings) > 0, NoTyped: s.typed == nil}
	reg := magda.Address{}
	if res.Person.Adres != nil {
		reg = *res.Person.Adres
	}
	typed := form.Address{}
	if s.typed != nil {
		typed = *s.typed
	}
	for _, part := range []struct{ key, typed, reg string }{
		{"street", typed.Street, reg.Straat}, {"number", typed.Number, reg.Huisnummer}, {"box", typed.Box, reg.Busnummer},
		{"postcode", typed.Postcode, reg.Postcode}, {"municipality", typed.Municipality, reg.Gemeente},
	} {
		lp := rrPart{Label: a.t(r, "form.address."+part.key), Typed: part.typed, Register: part.reg}
		lp.Differs = s.typed != nil && !sameAddressPart(part.typed, part.reg)
		if lp.Differs {
			ans.Differs++
		}
		ans.Parts = append(ans.Parts, lp)
	}
	ans.Address = registerAddressLine(r, a, reg)
	ans.Token = a.lookupToken(r, me, s.page.ID, s.purpose, ans.Reference, ans.Address)
	return ans
}

// sameAddressPart compares as people read addresses: case and spacing
// aside.
func sameAddressPart(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

func registerAddressLine(r *http.Request, a *App, ad magda.Address) string {
	s := strings.TrimSpace(ad.Straat + " " + ad.Huisnummer)
	if ad.Busnummer != "" {
		s += " " + a.t(r, "form.address.box") + " " + ad.Busnummer
	}
	return s + ", " + strings.TrimSpace(ad.Postcode+" "+ad.Gemeente)
}

// rrSaved is what the save button carries: the register's address as
// shown, its call's reference and purpose, and when it was shown, signed
// with the tenant's keyed MAC so that only an answer Kluis showed this
// user, for this submission, recently, becomes a note "from the register".
type rrSaved struct {
	User, Submission, Purpose, Reference, Address string
	At                                            int64
}

func (a *App) lookupToken(r *http.Request, me account.User, id, purpose, ref, address string) string {
	v := rrSaved{User: me.ID, Submission: id, Purpose: purpose, Reference: ref, Address: address, At: a.opts.Store.Now().Unix()}
	b, _ := json.Marshal(v)
	payload := base64.RawURLEncoding.EncodeToString(b)
	mac, err := a.opts.Store.RegisterAnswerMAC(tenantFrom(r.Context()).ID, []byte(payload))
	if err != nil {
		return "" // no keys: the save button is not shown
	}
	return payload + "." + base64.RawURLEncoding.EncodeToString(mac)
}

// lookupFromToken checks a posted token: signed, this user's, this
// submission's, not older than rrAnswerTTL.
func (a *App) lookupFromToken(r *http.Request, me account.User, id, tok string) (rrSaved, bool) {
	var v rrSaved
	payload, mac, ok := strings.Cut(tok, ".")
	if !ok {
		return v, false
	}
	want, err := a.opts.Store.RegisterAnswerMAC(tenantFrom(r.Context()).ID, []byte(payload))
	got, err2 := base64.RawURLEncoding.DecodeString(mac)
	if err != nil || err2 != nil || !hmac.Equal(want, got) {
		return v, false
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(b, &v) != nil {
		return v, false
	}
	age := a.opts.Store.Now().Unix() - v.At
	return v, v.User == me.ID && v.Submission == id && age >= 0 && age <= int64(rrAnswerTTL/time.Second)
}

// registerLookupSave keeps the register's address shown on the page as a
// note on the submission: sealed and audited like every note
// (submission.note), naming the call's reference so that the note traces
// back to the audited call.
func (a *App) registerLookupSave(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	id := r.PathValue("id")
	v, ok := a.lookupFromToken(r, me, id, r.PostForm.Get("answer"))
	if !ok {
		s, ok := a.openLookup(w, r, me)
		if !ok {
			return
		}
		s.page.Expired = true
		s.page.Errors = fieldErrors{{"insz", a.t(r, "mlookup.error.expired")}}
		a.render(w, r, http.StatusUnprocessableEntity, "register-lookup", s.page)
		return
	}
	note := a.t(r, "mlookup.note", v.Address, v.Reference, a.purposeNames(r)(v.Purpose))
	err := a.opts.Store.ChangeSubmission(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, store.UserViewer(me.ID), id,
		store.SubmissionChange{Note: note})
	switch {
	case err == nil:
		http.Redirect(w, r, "/"+t.Slug+"/inbox/submissions/"+id+"?done=register", http.StatusSeeOther)
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	default:
		a.internalError(w, r, "save register address", err)
	}
}
