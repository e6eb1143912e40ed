package web

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/magda"
	"github.com/kluis/kluis/internal/oidc"
	"github.com/kluis/kluis/internal/store"
)

// Prefill from the national register (LOC-2, REG-4). A published form with
// prefilled fields offers, when the tenant has a FAS eID or itsme
// provider, to sign in "to prefill"; /{tenant}/prefill/{form}/{provider}
// starts an OpenID flow with purpose prefill (the national register number
// asked for, as for the citizen's own view), and the callback asks MAGDA's
// GeefPersoon about that number for the form's register purpose and
// renders the form directly, prefilled.
//
// Why render at the callback instead of redirecting to the form: the
// register's answer then never leaves this one response — it is not stored
// (no copy, REG-4: nothing to seal, expire, export or sweep), it is not in
// a URL or a log, and the page is never in the public page cache (that
// cache serves only GET handlers that go through servePublic; this page is
// answered with the default Cache-Control: no-store). Reloading the
// callback finds its flow used and says so; the citizen starts again from
// the form. Only the fields the form declares are filled (form.PrefillAnswers),
// never more of the answer.
//
// Each prefilled value travels with a hidden input prefill-<field> holding
// the day of the look-up and a MAC (the tenant's keyed blind index) over
// the form, field, day, page token and the value. When the citizen sends
// the value unchanged the submission records it as coming from the
// register (form.Answer.Register: staff read "source: national register");
// a changed value is an ordinary typed answer, except that a read-only
// field's value cannot be changed while its MAC is posted. A failed
// look-up (not configured, not found, timeout, bad signature…) opens the
// form empty with the message of the outcome, fully usable.

// prefillInput is the hidden input of a prefilled field's MAC; "-" is not
// in any field key, so it never collides with one.
const prefillInput = "prefill-"

// prefillMaxAge is how long a prefilled value counts as the register's:
// the day of the look-up and the next.
const prefillMaxAge = 48 * time.Hour

// prefillOffer lists the tenant's FAS providers as "sign in to prefill"
// buttons for form f; none when f prefills nothing.
func (a *App) prefillOffer(r *http.Request, f form.Form) ([]oidcButton, error) {
	if !f.HasPrefill() {
		return nil, nil
	}
	t := tenantFrom(r.Context())
	ps, err := a.opts.Store.OIDCProviders(r.Context(), t.ID)
	if err != nil {
		return nil, err
	}
	var bs []oidcButton
	for _, p := range ps {
		if p.Enabled && (p.Preset == oidc.FASeID || p.Preset == oidc.FASItsme) {
			bs = append(bs, oidcButton{Href: "/" + t.Slug + "/prefill/" + f.Key + "/" + url.PathEscape(p.Name),
				Label: a.t(r, "prefill.offer."+string(p.Preset))})
		}
	}
	return bs, nil
}

// prefillStart sends the citizen to FAS to sign in for the prefill of the
// form in the path (/{tenant}/prefill/{form}/{provider}). A form that prefills nothing, or a provider that is
// not FAS, is a 404.
func (a *App) prefillStart(w http.ResponseWriter, r *http.Request) {
	fv, _, ok := a.publishedForm(w, r)
	if !ok {
		return
	}
	t := tenantFrom(r.Context())
	prov, err := a.opts.Store.OIDCProvider(r.Context(), t.ID, r.PathValue("provider"))
	if !fv.Form.HasPrefill() || errors.Is(err, store.ErrNotFound) ||
		(err == nil && prov.Preset != oidc.FASeID && prov.Preset != oidc.FASItsme) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "oidc provider", err)
		return
	}
	a.oidcBegin(w, r, store.OIDCFlowStart{Purpose: store.OIDCPurposePrefill, Next: fv.Form.Key}, "/"+t.Slug+"/"+fv.Form.Key)
}

// prefillFinish answers the callback of a prefill flow: the form whose
// key the flow kept, prefilled from the register's answer about the
// number FAS gave, or empty with the outcome's message.
func (a *App) prefillFinish(w http.ResponseWriter, r *http.Request, formKey string, id oidc.Identity) {
	t := tenantFrom(r.Context())
	if a.refuseFrozen(w, r, t.ID) {
		return
	}
	fv, err := a.cachedPublished(r, t.ID, formKey)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !fv.Form.HasPrefill()) {
		a.notFound(w, r) // withdrawn while the citizen was at FAS
		return
	}
	if err != nil {
		a.internalError(w, r, "read form", err)
		return
	}
	rv, err := a.opts.Store.RegisterAt(r.Context(), t.ID, fv.RegisterVersion)
	if err != nil {
		a.internalError(w, r, "read register", err)
		return
	}
	token := newToken()
	st := stepState{}
	typed := url.Values{}
	if id.Number == "" {
		st.PrefillFailed = a.t(r, "prefill.failed.no_number")
	} else {
		person, failed := a.prefillPerson(r, fv.Form.PrefillPurpose(), id.Number)
		st.PrefillFailed = failed
		if failed == "" {
			typed = a.prefilledInputs(r, fv.Form, fv.Form.PrefillAnswers(person), token)
			if len(typed) == 0 {
				st.PrefillFailed = a.t(r, "prefill.failed.nothing")
			}
		}
	}
	a.renderStep(w, r, http.StatusOK, fv, rv.Register, typed, nil, token, st)
}

// prefillPerson asks the register about insz for the form's register
// purpose through the one audited call (magdaPerson: recorded before it
// leaves, its outcome after, with the MAGDA reference; the citizen is the
// actor and stated no reason). failed is the outcome's message for the
// citizen when there is nothing to prefill from: every failure — not
// configured, not found, not in the repertory, refused, bad signature,
// timeout, even a call that could not be recorded (and so was not made) —
// leaves the form empty and usable. Nothing here logs the number or the
// answer.
func (a *App) prefillPerson(r *http.Request, purpose, insz string) (p form.RegisterPerson, failed string) {
	t := tenantFrom(r.Context())
	res, out, err := a.magdaPerson(r.Context(), t, citizenActor(r), MagdaPurpose{ID: purpose}, insz)
	if err != nil {
		ref := ""
		if out != nil {
			ref = out.Reference
		}
		a.log.InfoContext(r.Context(), "prefill without the register", "request_id", RequestIDFrom(r.Context()), "tenant", t.ID,
			"reference", ref, "outcome", magdaMessageKey(err))
		return form.RegisterPerson{}, a.magdaMessage(r, err)
	}
	return registerPerson(res.Person), ""
}

// registerPerson is MAGDA's person as prefill reads it.
func registerPerson(mp magda.Person) form.RegisterPerson {
	p := form.RegisterPerson{INSZ: mp.INSZ, FirstNames: mp.Voornamen, Surname: mp.Achternaam, BirthDate: mp.Geboortedatum}
	for _, n := range mp.Nationaliteiten {
		p.Nationalities = append(p.Nationalities, n.Omschrijving)
	}
	if ad := mp.Adres; ad != nil {
		p.Address = &form.Address{Street: ad.Straat, Number: ad.Huisnummer, Box: ad.Busnummer, Postcode: ad.Postcode, Municipality: ad.Gemeente}
		p.Country = ad.Landcode
	}
	return p
}

// prefilledInputs are the inputs of the prefilled answers with each
// field's MAC, as the form page takes them.
func (a *App) prefilledInputs(r *http.Request, f form.Form, answers form.Answers, token string) url.Values {
	typed := url.Values{}
	day := a.opts.Store.Now().In(brussels).Format("2006-01-02")
	for _, fl := range f.Fields() {
		ans, ok := answers[fl.Key]
		if !ok {
			continue
		}
		mac, err := a.prefillMAC(r, f.Key, fl.Key, day, token, ans)
		if err != nil {
			continue // no MAC: the value is shown as typed, not as the register's
		}
		for k, v := range fl.Inputs(ans) {
			typed.Set(k, v)
		}
		typed.Set(prefillInput+fl.Key, day+"."+mac)
	}
	return typed
}

// prefillMAC binds a prefilled value to its form, field, day and page
// with the tenant's keyed blind index: it cannot be made for a value the
// register did not give, nor moved to another page.
func (a *App) prefillMAC(r *http.Request, formKey, fieldKey, day, token string, ans form.Answer) (string, error) {
	v := form.Answer{Value: ans.Value, Values: ans.Values, Address: ans.Address}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	msg := strings.Join([]string{formKey, fieldKey, day, token, string(b)}, "\x00")
	sum, err := a.opts.Store.Keys().BlindIndex(tenantFrom(r.Context()).ID, "form-prefill", []byte(msg))
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sum[:16]), nil
}

// prefillMarks reads the prefilled fields of a post (or a page being
// rendered again): field key → day of the look-up, for each value that is
// still the register's and was looked up at most prefillMaxAge ago.
// changed lists the fields whose MAC was posted but does not hold for the
// value (changed or forged); a MAC that holds but is too old is neither.
func (a *App) prefillMarks(r *http.Request, f form.Form, in url.Values, answers form.Answers, token string) (marks map[string]string, changed map[string]bool) {
	marks, changed = map[string]string{}, map[string]bool{}
	now := a.opts.Store.Now()
	for _, fl := range f.Fields() {
		raw := in.Get(prefillInput + fl.Key)
		if fl.Prefill == nil || raw == "" {
			continue
		}
		day, mac, _ := strings.Cut(raw, ".")
		want, err := a.prefillMAC(r, f.Key, fl.Key, day, token, answers[fl.Key])
		if err != nil || !hmac.Equal([]byte(mac), []byte(want)) {
			changed[fl.Key] = true
			continue
		}
		d, err := time.ParseInLocation("2006-01-02", day, brussels)
		if err == nil && now.Sub(d) <= prefillMaxAge && !d.After(now) {
			marks[fl.Key] = day
		}
	}
	return marks, changed
}

// checkPosted checks a post of f (form.Check) and marks the answers sent
// unchanged from the register; a read-only prefilled field whose value
// was changed is an error at that field.
func (a *App) checkPosted(r *http.Request, f form.Form, token string) (form.Answers, []form.FieldError) {
	answers, errs := f.Check(form.Input(r.PostForm))
	if !f.HasPrefill() {
		return answers, errs
	}
	marks, changed := a.prefillMarks(r, f, r.PostForm, answers, token)
	for _, fl := range f.Fields() {
		if day, ok := marks[fl.Key]; ok {
			ans := answers[fl.Key]
			ans.Register = day
			answers[fl.Key] = ans
		} else if changed[fl.Key] && fl.Prefill.ReadOnly {
			input := fl.Key
			if fl.Type == form.TypeAddress {
				input += "_street"
			}
			errs = append(errs, form.FieldError{Input: input, Key: "prefill_changed"})
		}
	}
	return answers, errs
}

// prefillNotice says on the form page what was prefilled and from where.
type prefillNotice struct {
	Day    string // dd.mm.yyyy
	Fields []loc
}

// prefillView fills in the page's prefill parts: the fields whose values
// are still the register's (shown as such, read-only where the form says
// so), the notice, their MACs to post back, and the offer to sign in
// when nothing is prefilled.
func (a *App) prefillView(r *http.Request, p *formPage, f form.Form, typed url.Values, token string, st stepState) error {
	if !f.HasPrefill() {
		return nil
	}
	p.PrefillFailed = st.PrefillFailed
	lang := string(LangFrom(r.Context()))
	answers, _ := f.Check(form.Input(typed))
	marks, _ := a.prefillMarks(r, f, typed, answers, token)
	if len(marks) == 0 {
		if r.Method != http.MethodGet {
			return nil // the offer would leave what was typed
		}
		var err error
		p.PrefillOffer, err = a.prefillOffer(r, f)
		return err
	}
	p.PrefillMarks = marks
	for _, fl := range f.Fields() {
		if day, ok := marks[fl.Key]; ok {
			if p.Prefilled == nil {
				d, _ := time.Parse("2006-01-02", day)
				p.Prefilled = &prefillNotice{Day: d.Format("02.01.2006")}
			}
			p.Prefilled.Fields = append(p.Prefilled.Fields, locOf(fl.Label, lang))
			p.PrefillHidden = append(p.PrefillHidden, hiddenInput{prefillInput + fl.Key, typed.Get(prefillInput + fl.Key)})
		}
	}
	return nil
}

// prefillSource is how an answer's source reads beside it for staff and
// on the receipt; "" for a typed answer.
func (a *App) prefillSource(r *http.Request, ans form.Answer) string {
	if ans.Register == "" {
		return ""
	}
	d, err := time.Parse("2006-01-02", ans.Register)
	if err != nil {
		return ""
	}
	return a.t(r, "prefill.source", d.Format("02.01.2006"))
}
