package web

import (
	"context"
	"crypto/sha256"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/agreement"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/mfa"
	"github.com/kluis/kluis/internal/oidc"
	"github.com/kluis/kluis/internal/oidc/oidctest"
	"github.com/kluis/kluis/internal/pdftest"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// agreementEnv is tenant gent with the demo register, a DPO linked to a
// FAS eID identity and a browser for them.
type agreementEnv struct {
	*oidcEnv
	dpo account.User
}

func newAgreementEnv(t *testing.T, env *storetest.Env) *agreementEnv {
	t.Helper()
	ctx := context.Background()
	o := newOIDCEnv(t, env)
	op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
	if _, err := env.DB.SaveRegister(ctx, op, o.gent.ID, register.Demo()); err != nil {
		t.Fatal(err)
	}
	_, tok, err := env.DB.InviteUser(ctx, op, o.gent.ID, account.Invite{Email: "dpo@gent.be", Name: "Dirk Privé", Role: account.RoleDPO})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := o.hasher.Hash(ctx, loginPassword)
	dpo, err := env.DB.ActivateUser(ctx, o.gent.ID, tok.Plain, hash, "r")
	if err != nil {
		t.Fatal(err)
	}
	o.link(t, dpo, oidc.FASeID, "fas-sub-dpo")
	return &agreementEnv{oidcEnv: o, dpo: dpo}
}

// signInFAS signs the DPO in through FAS eID in a new browser.
func (e *agreementEnv) signInFAS(t *testing.T) *browser {
	t.Helper()
	b := newBrowser(e.app.Handler())
	resp := e.through(t, b, "/gent/login/oidc/fas-eid?next=%2Fgent%2Fadmin%2Fagreement",
		oidctest.User{Subject: "fas-sub-dpo", Email: "dpo@gent.be", ACR: acr500}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("FAS login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return b
}

func (e *agreementEnv) post(t *testing.T, b *browser, target string, form url.Values) *http.Response {
	t.Helper()
	return b.do(t, http.MethodPost, target, form.Encode())
}

// generate drafts the next version as b and returns its number.
func (e *agreementEnv) generate(t *testing.T, b *browser, lang string) int {
	t.Helper()
	resp := e.post(t, b, "/gent/admin/agreement", url.Values{"lang": {lang}})
	var n int
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("generate: %d\n%s", resp.StatusCode, bodyOf(t, resp))
	}
	if _, err := fmt.Sscanf(resp.Header.Get("Location"), "/gent/admin/agreement/%d", &n); err != nil {
		t.Fatalf("generate went to %q", resp.Header.Get("Location"))
	}
	return n
}

func (e *agreementEnv) version(t *testing.T, n int) store.AgreementVersion {
	t.Helper()
	vs, err := e.env.DB.AgreementVersions(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, e.gent.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Number == n {
			return v
		}
	}
	t.Fatalf("no version %d", n)
	return store.AgreementVersion{}
}

// pdf downloads version n as b and returns its text.
func (e *agreementEnv) pdf(t *testing.T, b *browser, n int) (string, []byte) {
	t.Helper()
	resp := b.get(t, fmt.Sprintf("/gent/admin/agreement/%d/pdf", n))
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("PDF %d: %d %s", n, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return strings.Join(pdftest.Text(t, body), " "), body
}

// acceptBoth accepts version n as the DPO (in b) and as an operator.
func (e *agreementEnv) acceptBoth(t *testing.T, b *browser, n int) {
	t.Helper()
	v := e.version(t, n)
	resp := e.post(t, b, fmt.Sprintf("/gent/admin/agreement/%d/accept", n), url.Values{"sha256": {v.SHA256}, "confirm": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("DPO accepts %d: %d\n%s", n, resp.StatusCode, bodyOf(t, resp))
	}
	if err := e.env.DB.AcceptAgreement(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op-1"}, e.gent.ID, n,
		store.AgreementAcceptance{Party: agreement.Supplier, Name: "Olga Operator", Capacity: "operator", Method: "password", SHA256: v.SHA256}); err != nil {
		t.Fatal(err)
	}
}

// TestClauseREG1_RegisterChangeYieldsAmendmentListingExactlyThatChange:
// the agreement generated for a tenant with the demo register reads back
// (pdftotext) with the register's purposes and data categories, the
// parties and the breach form; once both parties accepted it, changing
// one category's retention in the register offers an amendment, and the
// amendment's PDF lists exactly that change — one item, one line — and
// nothing else.
func TestClauseREG1_RegisterChangeYieldsAmendmentListingExactlyThatChange(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		e := newAgreementEnv(t, env)
		ctx := context.Background()
		b := e.signInFAS(t)
		if page := bodyOf(t, b.get(t, "/gent/admin/agreement")); !strings.Contains(page, locale.T(locale.NL, "agree.generate.agreement")) {
			t.Fatalf("no offer to draft the agreement:\n%s", page)
		}
		n := e.generate(t, b, "nl")
		text, raw := e.pdf(t, b, n)
		reg := register.Demo()
		var want []string
		for _, p := range reg.Purposes {
			want = append(want, p.Name.In("nl"))
		}
		for _, c := range reg.Categories {
			want = append(want, c.Name.In("nl"))
		}
		want = append(want, "Verwerkersovereenkomst", "Stad gent", "Artikel 7. Datalekken", "Bijlage 1 – Verwerkingsregister",
			"Bijlage 2 – Meldingsformulier datalek", "Maatregelenbijlage")
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("agreement PDF lacks %q", w)
			}
		}
		v := e.version(t, n)
		// The measures annex answers from the compliance report.
		if len(v.Inputs.Measures) == 0 || strings.Contains(text, locale.T(locale.NL, "agree.doc.measures.none")) {
			t.Errorf("the agreement carries no measures' answers: %d", len(v.Inputs.Measures))
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(raw)); got != v.SHA256 {
			t.Fatalf("the PDF downloads as %s, stored as %s", got, v.SHA256)
		}
		e.acceptBoth(t, b, n)
		if v = e.version(t, n); !v.InForce() {
			t.Fatalf("version %d not in force after both accepted: %+v", n, v.Acceptances)
		}
		if page := bodyOf(t, b.get(t, "/gent/admin/agreement")); !strings.Contains(page, locale.T(locale.NL, "agree.up_to_date")) {
			t.Fatalf("an agreement in force and nothing changed, yet:\n%s", page)
		}

		// One change: the retention of one category.
		changed := register.Demo()
		for i := range changed.Categories {
			if changed.Categories[i].Key == "identity" {
				changed.Categories[i].RetentionDays = 200
			}
		}
		if _, err := env.DB.SaveRegister(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, e.gent.ID, changed); err != nil {
			t.Fatal(err)
		}
		page := bodyOf(t, b.get(t, "/gent/admin/agreement"))
		if !strings.Contains(page, locale.T(locale.NL, "agree.generate.amendment")) {
			t.Fatalf("no amendment offered after a register change:\n%s", page)
		}
		m := e.generate(t, b, "nl")
		if am := e.version(t, m); am.Kind != agreement.KindAmendment || am.Base != n {
			t.Fatalf("version %d is %s of %d, want an amendment of %d", m, am.Kind, am.Base, n)
		}
		text, _ = e.pdf(t, b, m)
		// The PDF's core fonts write the arrow as "->".
		pdfText := strings.NewReplacer("→", "->").Replace
		heading := pdfText(locale.T(locale.NL, "agree.changes.register", 1, 2))
		end := locale.T(locale.NL, "agree.doc.acceptance")
		i, j := strings.Index(text, heading), strings.LastIndex(text, end)
		if i < 0 || j < i {
			t.Fatalf("amendment PDF lacks the register's changes between %q and %q:\n%s", heading, end, text)
		}
		got := strings.TrimSpace(text[i+len(heading) : j])
		title := fmt.Sprintf(locale.T(locale.NL, "regedit.diff.changed"), locale.T(locale.NL, "regedit.one.categories"), reg.Categories[0].Name.In("nl"))
		line := "– " + fmt.Sprintf(locale.T(locale.NL, "regedit.diff.field"), locale.T(locale.NL, "regedit.field.retention_days"),
			fmt.Sprintf(locale.T(locale.NL, "regedit.days"), "365"), fmt.Sprintf(locale.T(locale.NL, "regedit.days"), "200"))
		if wantText := pdfText(title + " " + line); got != wantText {
			t.Fatalf("the amendment lists\n%q\nwant exactly\n%q", got, wantText)
		}
		for _, not := range []string{locale.T(locale.NL, "agree.changes.subprocessors"), locale.T(locale.NL, "agree.changes.measures"),
			"Artikel 1.", "Bijlage 2"} {
			if strings.Contains(text, not) {
				t.Errorf("the amendment also holds %q", not)
			}
		}
	})
}

// TestClauseBRE4_DPIADraftPerProcessingFromTheRegister: the DPIA draft of
// the demo register's "online-services" processing, as a page and read
// back from its PDF, holds that purpose's legal basis, every category the
// register links to it with its retention and countermeasures, its data
// subjects and recipients, and marks each part the controller completes;
// a category of another purpose is not in it, and an unknown processing
// is not found.
func TestClauseBRE4_DPIADraftPerProcessingFromTheRegister(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		e := newAgreementEnv(t, env)
		b := e.signInFAS(t)
		reg := register.Demo()
		var want []string
		for _, c := range reg.Categories {
			if slices.Contains(c.Purposes, "online-services") {
				want = append(want, c.Name.In("nl"), c.Countermeasures.In("nl"),
					fmt.Sprintf(locale.T(locale.NL, "annex.retention"), c.RetentionDays, locale.T(locale.NL, "expiry."+c.Expiry)))
			}
		}
		if len(want) < 6 {
			t.Fatalf("the demo register links too little to online-services: %q", want)
		}
		want = append(want, "Online dienstverlening via webformulieren", locale.T(locale.NL, "legal_basis.public_task"), "Inwoners",
			locale.T(locale.NL, "agree.dpia.todo_marker")+" "+locale.T(locale.NL, "agree.dpia.todo.risks"))
		page := bodyOf(t, b.get(t, "/gent/admin/dpia/online-services"))
		resp := b.get(t, "/gent/admin/dpia/online-services/pdf")
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PDF: %d", resp.StatusCode)
		}
		text := strings.Join(pdftest.Text(t, raw), " ")
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("DPIA PDF lacks %q", w)
			}
			if !strings.Contains(page, template.HTMLEscapeString(w)) {
				t.Errorf("DPIA page lacks %q", w)
			}
		}
		if other := reg.Categories[0].Name.In("nl"); strings.Contains(text, other) {
			t.Errorf("the draft holds %q, a category of another processing", other)
		}
		if resp := b.get(t, "/gent/admin/dpia/nope"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown processing: %d", resp.StatusCode)
		}
	})
}

// TestClauseREG1_ControllerAcceptsOnlyAfterFASSignIn: the DPO signed in
// with a password and a second factor sees why they cannot accept, and a
// posted acceptance is refused (403) with the same message and nothing
// saved; signed in through FAS eID, the same DPO accepts, and the log
// records the party, the login method and the SHA-256.
func TestClauseREG1_ControllerAcceptsOnlyAfterFASSignIn(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		e := newAgreementEnv(t, env)
		fas := e.signInFAS(t)
		n := e.generate(t, fas, "nl")
		v := e.version(t, n)

		h, _ := e.login(t, "dpo@gent.be", "")
		h["Cookie"] = sessionCookie + "=" + verifiedMFA(t, env, e.gent.ID, e.dpo.ID, strings.TrimPrefix(h["Cookie"], sessionCookie+"="))
		want := template.HTMLEscapeString(locale.T(locale.NL, "agree.refused.sign_in"))
		page := request{method: http.MethodGet, target: fmt.Sprintf("/gent/admin/agreement/%d", n), header: h}.do(t, e.app.Handler())
		if body := bodyOf(t, page); page.StatusCode != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("password session's page: %d, lacks %q", page.StatusCode, want)
		}
		form := url.Values{"sha256": {v.SHA256}, "confirm": {"1"}}.Encode()
		resp := request{method: http.MethodPost, target: fmt.Sprintf("/gent/admin/agreement/%d/accept", n), body: form, header: h}.do(t, e.app.Handler())
		if body := bodyOf(t, resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, want) {
			t.Fatalf("password session's acceptance: %d, lacks %q", resp.StatusCode, want)
		}
		if v = e.version(t, n); len(v.Acceptances) != 0 {
			t.Fatalf("refused, yet saved: %+v", v.Acceptances)
		}

		e.acceptBoth(t, fas, n)
		v = e.version(t, n)
		if c, ok := v.AcceptedBy(agreement.Controller); !ok || c.Name != "Dirk Privé" || c.Method != "fas-eid" || c.SHA256 != v.SHA256 {
			t.Fatalf("controller's acceptance %+v", c)
		}
		if got := e.events(t, "agreement.accept", "controller (dpo, fas-eid) sha256="+v.SHA256); got != 1 {
			t.Fatalf("%d controller acceptance events with the hash", got)
		}
	})
}

// TestClauseADT1_MeasureChangeYieldsAmendmentListingIt: once both parties
// accepted the agreement, a measure whose answer changes in the live
// report (the DPO, the tenant's only admin or DPO, enrols a second factor:
// the MFA row's answer moves) makes the agreement out of date, and the
// amendment lists that measure's change — its old and new answer — under
// the measures annex, and no register or sub-processor change.
func TestClauseADT1_MeasureChangeYieldsAmendmentListingIt(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		e := newAgreementEnv(t, env)
		ctx := context.Background()
		b := e.signInFAS(t)
		n := e.generate(t, b, "nl")
		e.acceptBoth(t, b, n)
		answer := func(v store.AgreementVersion, id string) string {
			for _, m := range v.Inputs.Measures {
				if m.ID == id {
					return m.Answer
				}
			}
			t.Fatalf("version %d has no measure %s: %+v", v.Number, id, v.Inputs.Measures)
			return ""
		}
		before := answer(e.version(t, n), "mfa")

		self := audit.Actor{Kind: audit.KindUser, ID: e.dpo.ID, Role: "dpo", RequestID: "req-dpo-totp"}
		secret, err := env.DB.BeginTOTP(ctx, self, e.gent.ID, e.dpo.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.ConfirmTOTP(ctx, self, e.gent.ID, e.dpo.ID, mfa.CodeAt(secret, env.Clock.Now())); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(mfa.Period)

		if page := bodyOf(t, b.get(t, "/gent/admin/agreement")); !strings.Contains(page, locale.T(locale.NL, "agree.generate.amendment")) {
			t.Fatalf("no amendment offered after the MFA measure changed:\n%s", page)
		}
		m := e.generate(t, b, "nl")
		am := e.version(t, m)
		if am.Kind != agreement.KindAmendment || am.Base != n {
			t.Fatalf("version %d is %s of %d, want an amendment of %d", m, am.Kind, am.Base, n)
		}
		after := answer(am, "mfa")
		if after == before {
			t.Fatalf("the MFA measure's answer did not move: %q", after)
		}
		text, _ := e.pdf(t, b, m)
		line := pdfArrow(locale.T(locale.NL, "agree.changes.measure", locale.T(locale.NL, "measures.row.mfa"),
			locale.T(locale.NL, "measures.answer."+before), locale.T(locale.NL, "measures.answer."+after)))
		if !strings.Contains(text, locale.T(locale.NL, "agree.changes.measures")) || !strings.Contains(text, line) {
			t.Errorf("the amendment does not list %q under its measures section:\n%s", line, text)
		}
		if c := strings.Count(text, pdfArrow(" → ")); c != 1 {
			t.Errorf("the amendment lists %d changes, want the one measure", c)
		}
		for _, not := range []string{pdfArrow(locale.T(locale.NL, "agree.changes.register", n, n+1)), locale.T(locale.NL, "agree.changes.subprocessors")} {
			if strings.Contains(text, not) {
				t.Errorf("the amendment also holds %q", not)
			}
		}
	})
}

// pdfArrow writes text as the PDF's core fonts do ("→" as "->").
func pdfArrow(s string) string { return strings.NewReplacer("→", "->").Replace(s) }
