package web

import (
	"context"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/magda"
	"github.com/kluis/kluis/internal/magda/magdasim"
	"github.com/kluis/kluis/internal/oidc/oidctest"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/storetest"
)

// prefillForm is a one-page form whose national register number
// (read-only), name and address are prefilled from the register, with an
// e-mail address the citizen types.
func prefillForm() form.Form {
	f := form.DemoForm("toelage")
	f.Key = "inschrijving"
	f.Title = register.Text{"nl": "Inschrijving", "fr": "Inscription", "en": "Registration"}
	f.Pages = f.Pages[:1]
	fs := f.Pages[0].Fields
	fs[0].Prefill = &form.Prefill{Source: form.PrefillSource, Data: form.PrefillINSZ, ReadOnly: true}
	fs[1].Prefill = &form.Prefill{Source: form.PrefillSource, Data: form.PrefillFullName}
	fs[4].Prefill = &form.Prefill{Source: form.PrefillSource, Data: form.PrefillAddress}
	return f
}

// prefillEnv is gent with the demo forms and prefillForm published, FAS
// eID and itsme at a real OpenID provider; logs holds the app's log.
type prefillEnv struct {
	*oidcEnv
	logs *syncBuffer
}

func newPrefillEnv(t *testing.T, env *storetest.Env) *prefillEnv {
	t.Helper()
	o := &prefillEnv{oidcEnv: newOIDCEnv(t, env), logs: &syncBuffer{}}
	o.app.log = slog.New(slog.NewJSONHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	publishForms(t, env, o.gent)
	publishForm(t, env, o.gent, prefillForm())
	return o
}

var hiddenPrefillRE = regexp.MustCompile(`name="prefill-[a-z_]+"`)

// TestPrefillOfferAndFailureLeavesFormUsable: a form with prefilled
// fields offers to sign in with eID or itsme (a form without prefill does
// not); signing in asks FAS for the national register number; when the
// register cannot be asked, the form opens empty with a clear message,
// is fully usable, and its answers are not marked as the register's.
func TestPrefillOfferAndFailureLeavesFormUsable(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		o := newPrefillEnv(t, env)
		b := newBrowser(o.app.Handler())
		page := bodyOf(t, b.get(t, "/gent/inschrijving"))
		for _, want := range []string{`href="/gent/prefill/inschrijving/fas-eid"`, "Aanmelden met eID om vooraf in te vullen",
			"Aanmelden met itsme om vooraf in te vullen"} {
			if !strings.Contains(page, want) {
				t.Fatalf("the form page lacks %s:\n%s", want, page)
			}
		}
		if fr := bodyOf(t, newBrowser(o.app.Handler()).get(t, "/gent/inschrijving?lang=fr")); !strings.Contains(fr, "Se connecter avec eID pour préremplir") {
			t.Error("the offer is not in French")
		}
		if vraag := bodyOf(t, b.get(t, "/gent/vraag")); strings.Contains(vraag, "/prefill/vraag") {
			t.Error("a form without prefilled fields offers a prefill")
		}
		if resp := b.get(t, "/gent/prefill/vraag/fas-eid"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("prefill of a form without prefilled fields: %d", resp.StatusCode)
		}
		resp := b.get(t, "/gent/prefill/inschrijving/fas-eid")
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc.Query().Get("scope"), "egovnrn") {
			t.Fatalf("start: %d %s", resp.StatusCode, loc)
		}
		resp = o.through(t, b, "/gent/prefill/inschrijving/fas-eid", oidctest.User{Subject: "fas-sub", ACR: acr500, Number: "85073003328"}, nil)
		page = bodyOf(t, resp)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("callback: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		if !strings.Contains(page, "U kunt het formulier gewoon zelf invullen.") || !strings.Contains(page, `id="eloket"`) ||
			strings.Contains(page, "85073003328") || hiddenPrefillRE.MatchString(page) || strings.Contains(page, " readonly") {
			t.Fatalf("the form after a failed prefill:\n%s", page)
		}
		// FAS gave no number: nothing asked, the form opens empty.
		resp = o.through(t, b, "/gent/prefill/inschrijving/fas-eid", oidctest.User{Subject: "fas-sub", ACR: acr500}, nil)
		if page = bodyOf(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(page, "De aanmelding gaf geen rijksregisternummer door") ||
			hiddenPrefillRE.MatchString(page) {
			t.Fatalf("no number: %d\n%s", resp.StatusCode, page)
		}
	})
}

var prefillInputRE = regexp.MustCompile(`<input type="(?:hidden|text|email|tel|date)"[^>]*? name="([^"]+)" value="([^"]*)"`)

// postedFrom is what the browser posts of a form page: every input's
// value, as the page holds it.
func postedFrom(page string) url.Values {
	v := url.Values{}
	for _, m := range prefillInputRE.FindAllStringSubmatch(page, -1) {
		if m[1] != "website" {
			v.Set(m[1], html.UnescapeString(m[2]))
		}
	}
	return v
}

// TestClauseLOC2_PrefillFromTheRegisterThroughMAGDA: a citizen signs in
// with FAS to prefill; Kluis asks GeefPersoon (the simulator over mutual
// TLS) for the form's purpose, audited with its MAGDA reference; the form
// opens with only the declared fields filled (REG-4: not the birth date
// or nationality the answer also holds), a notice of what and from where,
// the national register number read-only; the page is not cached and a
// later visitor gets the empty form; the number is in no log. Sent
// unchanged, the answers are recorded as the register's: the receipt and
// the staff page say "bron: Rijksregister". A read-only value changed in
// the post is refused at its field.
func TestClauseLOC2_PrefillFromTheRegisterThroughMAGDA(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		o := newPrefillEnv(t, env)
		startMagdaSim(t, env.DB, o.gent)
		b := newBrowser(o.app.Handler())
		cached := o.app.publicPages.len()
		resp := o.through(t, b, "/gent/prefill/inschrijving/fas-eid", oidctest.User{Subject: "fas-anouk", ACR: acr500, Number: magdasim.INSZAnouk}, nil)
		page := bodyOf(t, resp)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("callback: %d %q\n%s", resp.StatusCode, resp.Header.Get("Cache-Control"), page)
		}
		for _, want := range []string{
			"Vooraf ingevuld uit het Rijksregister, via MAGDA, op " + env.Clock.Now().In(brussels).Format("02.01.2006"),
			`name="insz" value="85073003328" autocomplete="off" inputmode="numeric" spellcheck="false" readonly aria-describedby="insz-hint insz-source"`,
			`value="Anouk Maria Testelmans"`, `name="address_street" value="Voorbeeldstraat"`, `name="address_postcode" value="9000"`,
			"Uit het Rijksregister. Dit gegeven kunt u hier niet wijzigen.", "Uit het Rijksregister. U kunt dit verbeteren.",
		} {
			if !strings.Contains(page, want) {
				t.Fatalf("the prefilled form lacks %s:\n%s", want, page)
			}
		}
		if strings.Contains(page, "1985-07-30") || strings.Contains(page, "Belg") || strings.Contains(page, "/prefill/inschrijving/") {
			t.Fatal("the page holds more of the register's answer than the form declares, or offers the prefill again")
		}
		if o.app.publicPages.len() != cached {
			t.Fatal("the prefilled page went into the public page cache")
		}
		if later := bodyOf(t, newBrowser(o.app.Handler()).get(t, "/gent/inschrijving")); strings.Contains(later, "Testelmans") {
			t.Fatal("another visitor sees the prefilled form")
		}
		if n := o.events(t, "magda.call", "MAGDA reference "+magdaRef(t, o)+"; purpose social-support"); n != 1 {
			t.Fatalf("the call is not audited with its reference and purpose (%d)", n)
		}
		if strings.Contains(o.logs.String(), magdasim.INSZAnouk) {
			t.Fatal("the national register number is in the log")
		}

		// The language switch posts the page to the form's own address and
		// keeps the prefill.
		if !strings.Contains(page, `action="/gent/inschrijving" id="eloket"`) || !strings.Contains(page, `formaction="/gent/inschrijving?lang=fr"`) {
			t.Fatal("the prefilled page posts back to the callback")
		}
		sw := postedFrom(page)
		sw.Set("switch_lang", "fr")
		fr := bodyOf(t, newBrowser(o.app.Handler()).post(t, "/gent/inschrijving?lang=fr", sw))
		if !strings.Contains(fr, "Prérempli depuis le Registre national, via MAGDA") || !strings.Contains(fr, `value="85073003328" autocomplete="off" inputmode="numeric" spellcheck="false" readonly`) {
			t.Fatalf("the prefill after switching to French:\n%s", fr)
		}

		// A read-only value changed in the post: refused at its field.
		in := postedFrom(page)
		in.Set("email", "anouk@example.be")
		tampered := url.Values{}
		for k, v := range in {
			tampered[k] = v
		}
		tampered.Set("insz", "92020226470")
		resp = b.post(t, "/gent/inschrijving", tampered)
		if body := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Dit gegeven komt uit het Rijksregister en kan hier niet gewijzigd worden.") {
			t.Fatalf("a changed read-only value: %d\n%s", resp.StatusCode, body)
		}
		// The name corrected, the rest as prefilled: sent.
		in.Set("name", "Anouk Testelmans")
		resp = b.post(t, "/gent/inschrijving", in)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("send: %d\n%s", resp.StatusCode, bodyOf(t, resp))
		}
		receipt := bodyOf(t, b.get(t, resp.Header.Get("Location")))
		day := env.Clock.Now().In(brussels).Format("02.01.2006")
		for _, want := range []string{"85.07.30-033.28 <span class=\"answer-source\">(bron: Rijksregister, " + day + ")</span>",
			"Voorbeeldstraat 12, 9000 Gent <span class=\"answer-source\">(bron: Rijksregister, " + day + ")</span>",
			"<dd>Anouk Testelmans</dd>"} {
			if !strings.Contains(receipt, want) {
				t.Fatalf("the receipt lacks %s:\n%s", want, receipt)
			}
		}
		staff, cookie := o.signIn(t, "clerk@gent.be", account.RoleUser)
		if err := env.DB.SetFormAccess(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, o.gent.ID, staff.ID, []string{"inschrijving"}); err != nil {
			t.Fatal(err)
		}
		staffGet := func(target string) string {
			return bodyOf(t, request{target: target, header: map[string]string{"Cookie": cookie}}.do(t, o.app.Handler()))
		}
		inbox := staffGet("/gent/inbox")
		m := inboxLinkRE.FindStringSubmatch(inbox)
		if m == nil {
			t.Fatalf("no submission in the inbox:\n%s", inbox)
		}
		sub := staffGet("/gent/inbox/submissions/" + m[1])
		if !strings.Contains(sub, "85.07.30-033.28 <span class=\"answer-source\">(bron: Rijksregister, "+day+")</span>") ||
			strings.Contains(sub, "Anouk Testelmans <span") {
			t.Fatalf("the staff page does not say which answers are the register's:\n%s", sub)
		}
	})
}

// magdaRef is the MAGDA reference of the tenant's last national register
// call.
func magdaRef(t *testing.T, o *prefillEnv) string {
	t.Helper()
	ref := ""
	if err := o.env.DB.EachAuditEvent(context.Background(), o.gent.ID, func(e *audit.Event) error {
		if e.Action == "magda.call" {
			ref = e.ObjectID
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if ref == "" {
		t.Fatal("no national register call audited")
	}
	return ref
}

// TestPrefillFailuresLeaveFormEmpty: a number the register does not
// know, a person outside the repertory, an answer whose signature fails
// and a register that does not answer in time each give their clear
// message and the empty, usable form, and are audited with their outcome.
func TestPrefillFailuresLeaveFormEmpty(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		o := newPrefillEnv(t, env)
		sim := startMagdaSim(t, env.DB, o.gent)
		foreign, err := magdasim.NewPKI()
		if err != nil {
			t.Fatal(err)
		}
		wrongCert, err := foreign.Issue("not-trusted", false)
		if err != nil {
			t.Fatal(err)
		}
		kept, err := env.DB.MagdaConnection(context.Background(), o.gent.ID)
		if err != nil {
			t.Fatal(err)
		}
		restore := func() { setMagdaConnection(t, env.DB, o.gent, func(s *magda.Settings) { *s = kept.Settings }) }
		for _, c := range []struct {
			name, insz, outcome, message string
			set, reset                   func()
		}{
			{"unknown", magdasim.INSZUnknown, "not_found", "Het Rijksregister kent geen persoon met dit rijksregisternummer.", nil, nil},
			{"not in repertory", magdasim.INSZRemi, "not_in_repertory", "Deze persoon staat niet in het repertorium van het bestuur", nil, nil},
			{"bad signature", magdasim.INSZAnouk, "bad_signature", "niet correct ondertekend", func() { sim.SetTamper(true) }, func() { sim.SetTamper(false) }},
			{"timeout", magdasim.INSZAnouk, "timeout", "Het Rijksregister antwoordde niet op tijd.", func() {
				setMagdaConnection(t, env.DB, o.gent, func(s *magda.Settings) { s.Timeout = 200 * time.Millisecond })
				sim.SetSlow(true)
			}, func() { sim.SetSlow(false); restore() }},
			{"wrong client certificate", magdasim.INSZAnouk, "tls_refused", "De beveiligde verbinding met het Rijksregister werd geweigerd", func() {
				setMagdaConnection(t, env.DB, o.gent, func(s *magda.Settings) {
					w, err := sim.Settings(wrongCert)
					if err != nil {
						t.Fatal(err)
					}
					s.ClientCertPEM, s.ClientKeyPEM = w.ClientCertPEM, w.ClientKeyPEM
				})
			}, restore},
			// Last: the simulator does not come back.
			{"register down", magdasim.INSZAnouk, "unavailable", "Het Rijksregister is nu niet bereikbaar.", func() { sim.Close() }, func() {}},
		} {
			t.Run(c.name, func(t *testing.T) {
				if c.set != nil {
					c.set()
					defer c.reset()
				}
				b := newBrowser(o.app.Handler())
				resp := o.through(t, b, "/gent/prefill/inschrijving/fas-eid", oidctest.User{Subject: "fas-" + c.insz, ACR: acr500, Number: c.insz}, nil)
				page := bodyOf(t, resp)
				if resp.StatusCode != http.StatusOK || !strings.Contains(page, c.message) ||
					!strings.Contains(page, "U kunt het formulier gewoon zelf invullen.") || hiddenPrefillRE.MatchString(page) ||
					strings.Contains(page, c.insz) || strings.Contains(page, " readonly") || strings.Contains(page, "Testelmans") {
					t.Fatalf("%s: %d\n%s", c.name, resp.StatusCode, page)
				}
				if n := o.events(t, "magda.answer", "MAGDA reference "+magdaRef(t, o)+"; outcome "+c.outcome+"; purpose social-support"); n != 1 {
					t.Fatalf("the outcome %s is not audited (%d)", c.outcome, n)
				}
				// The empty form is usable: typed by hand, sent.
				in := postedFrom(page)
				for k, v := range map[string]string{"insz": "85.07.30-033.28", "name": "Anouk", "email": "a@example.be", "address_street": "Straat",
					"address_number": "1", "address_postcode": "9000", "address_municipality": "Gent"} {
					in.Set(k, v)
				}
				if resp := b.post(t, "/gent/inschrijving", in); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("send by hand: %d\n%s", resp.StatusCode, bodyOf(t, resp))
				}
			})
		}
	})
}

// TestPrefillMarkBindsValuePageAndDay: a prefilled value counts as the
// register's only with its MAC, for the same value, page token and form,
// and for two days at most; a MAC that does not hold marks the field as
// changed (a read-only field then refuses it), one that is only too old
// does not.
func TestPrefillMarkBindsValuePageAndDay(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		o := newPrefillEnv(t, env)
		f := prefillForm()
		r := httptest.NewRequest(http.MethodGet, "/gent/inschrijving", nil)
		r = r.WithContext(context.WithValue(r.Context(), tenantKey{}, o.gent))
		token := newToken()
		answers := form.Answers{"insz": {Value: "85073003328"}, "name": {Value: "Anouk Maria Testelmans"}}
		in := o.app.prefilledInputs(r, f, answers, token)
		marks, changed := o.app.prefillMarks(r, f, in, answers, token)
		if len(marks) != 2 || len(changed) != 0 {
			t.Fatalf("own MACs: marks %v changed %v", marks, changed)
		}
		other := form.Answers{"insz": {Value: "92020226470"}, "name": answers["name"]}
		if marks, changed = o.app.prefillMarks(r, f, in, other, token); len(marks) != 1 || !changed["insz"] {
			t.Fatalf("another value: marks %v changed %v", marks, changed)
		}
		if marks, changed = o.app.prefillMarks(r, f, in, answers, newToken()); len(marks) != 0 || len(changed) != 2 {
			t.Fatalf("another page: marks %v changed %v", marks, changed)
		}
		g := f
		g.Key = "ander"
		if marks, _ = o.app.prefillMarks(r, g, in, answers, token); len(marks) != 0 {
			t.Fatalf("another form: marks %v", marks)
		}
		env.Clock.Advance(72 * time.Hour)
		if marks, changed = o.app.prefillMarks(r, f, in, answers, token); len(marks) != 0 || len(changed) != 0 {
			t.Fatalf("three days later: marks %v changed %v", marks, changed)
		}
	})
}
