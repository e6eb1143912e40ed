package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/password"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/termination"
)

// TestClauseEND3_END5_TerminationPages runs the end of a contract through
// the pages: the operator confirms each step in the realm (a step without
// the confirmation or with a bad manifest is refused field by field, in
// Dutch, nothing done); once frozen the public form says so in nl and fr
// with 410; the controller's admin confirms receipt (the DPO may only
// look); after the stop the tenant's pages answer 503; the certificate
// downloads as JSON that verifies and as a PDF.
func TestClauseEND3_END5_TerminationPages(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		fast := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 2)
		tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: "gent", LegalName: "Stad Gent", EnterpriseNumber: "0207451227",
			DPOName: "D", DPOEmail: "dpo@gent.be", DefaultLang: "nl"})
		if err != nil {
			t.Fatal(err)
		}
		publishForms(t, env, tn)
		realm, err := env.DB.OperatorRealm(ctx, op)
		if err != nil {
			t.Fatal(err)
		}
		session := func(tn tenant.Tenant, name string, role account.Role) string {
			return sessionCookie + "=" + staffSession(t, env, fast, tn, name, role, true, true)
		}
		operator, admin, dpo := session(realm, "operator", account.RoleAdmin), session(tn, "admin", account.RoleAdmin), session(tn, "dpo", account.RoleDPO)
		a, _ := newTestApp(t, Options{Store: env.DB, Hasher: fast})
		h := a.Handler()
		do := func(method, target, cookie string, form url.Values) (int, string) {
			t.Helper()
			hd := map[string]string{"Accept-Language": "nl-BE"}
			if cookie != "" {
				hd["Cookie"] = cookie
			}
			resp := request{method: method, target: target, body: form.Encode(), header: hd}.do(t, h)
			return resp.StatusCode, bodyOf(t, resp)
		}
		stepForm := func(step string, more ...string) url.Values {
			v := url.Values{"step": {step}, "confirm": {"1"}}
			for i := 0; i+1 < len(more); i += 2 {
				v.Set(more[i], more[i+1])
			}
			return v
		}
		const page = "/operator/terminations/gent"
		if code, body := do("GET", "/operator/terminations", operator, nil); code != 200 || !strings.Contains(body, "Stad Gent") {
			t.Fatalf("list: %d", code)
		}
		if code, body := do("POST", page, operator, url.Values{"step": {"freeze"}, "receipt_days": {"5"}}); code != 422 ||
			!strings.Contains(body, "Vink aan dat u deze stap bevestigt.") || !strings.Contains(body, `href="#confirm"`) {
			t.Fatalf("freeze without confirmation: %d", code)
		}
		if code, _ := do("GET", "/gent/vraag", "", nil); code != 200 {
			t.Fatalf("form before the freeze: %d", code)
		}
		if code, _ := do("POST", page, operator, stepForm("freeze", "receipt_days", "5")); code != 303 {
			t.Fatalf("freeze: %d", code)
		}
		a.frozen.forget(tn.ID)
		if code, body := do("GET", "/gent/vraag", "", nil); code != http.StatusGone || !strings.Contains(body, "neemt geen nieuwe aanvragen meer aan") {
			t.Fatalf("frozen form in Dutch: %d", code)
		}
		if code, body := do("GET", "/gent/vraag?lang=fr", "", nil); code != http.StatusGone || !strings.Contains(body, "accepte plus de nouvelles demandes") {
			t.Fatalf("frozen form in French: %d", code)
		}
		if code, body := do("GET", "/gent/", "", nil); code != 200 || !strings.Contains(body, "neemt geen nieuwe aanvragen meer aan") ||
			strings.Contains(body, `href="/gent/vraag"`) {
			t.Fatalf("the front page of a frozen tenant still offers its forms: %d", code)
		}
		if code, _ := do("POST", "/gent/vraag", "", url.Values{"token": {"x"}}); code != http.StatusGone {
			t.Fatalf("post to a frozen form: %d", code)
		}
		if code, _ := do("GET", "/gent/admin/termination", dpo, nil); code != 200 {
			t.Fatalf("staff after the freeze: %d", code)
		}
		if code, body := do("POST", page, operator, stepForm("export", "manifest_sha256", "abc", "files", "x")); code != 422 ||
			!strings.Contains(body, "64 hexadecimale tekens") || !strings.Contains(body, "Geef aan wie de export ontvangen heeft.") ||
			!strings.Contains(body, "Geef het aantal bestanden als een getal.") {
			t.Fatalf("bad hand-over: %d", code)
		}
		if code, _ := do("POST", page, operator, stepForm("export", "manifest_sha256", strings.Repeat("ab", 32), "files", "4",
			"received_by", "Algemeen directeur, Stad Gent")); code != 303 {
			t.Fatalf("hand-over: %d", code)
		}
		if code, body := do("GET", page, operator, nil); code != 200 || !strings.Contains(body, "nog niet bevestigd") || strings.Contains(body, `name="confirm"`) {
			t.Fatalf("operator before the deadline: %d", code)
		}
		if code, body := do("GET", "/gent/admin/termination", dpo, nil); code != 200 || strings.Contains(body, `name="received"`) {
			t.Fatalf("the DPO may look, not confirm: %d", code)
		}
		if code, _ := do("POST", "/gent/admin/termination/receipt", dpo, url.Values{"received": {"1"}}); code != 403 {
			t.Fatalf("DPO confirms: %d", code)
		}
		if code, body := do("POST", "/gent/admin/termination/receipt", admin, url.Values{"x": {"1"}}); code != 422 ||
			!strings.Contains(body, "Vink aan dat u de eindexport ontvangen hebt.") {
			t.Fatalf("receipt without the tick: %d", code)
		}
		if code, _ := do("POST", "/gent/admin/termination/receipt", admin, url.Values{"received": {"1"}}); code != 303 {
			t.Fatalf("receipt: %d", code)
		}
		for _, s := range []string{"stop", "delete", "keys", "check", "certificate"} {
			if code, body := do("POST", page, operator, stepForm(s)); code != 303 {
				t.Fatalf("step %s: %d\n%s", s, code, body)
			}
		}
		a.tenants.forget("gent")
		if code, _ := do("GET", "/gent/admin/termination", admin, nil); code != http.StatusServiceUnavailable {
			t.Fatalf("tenant pages after the stop: %d", code)
		}
		if code, body := do("POST", page, operator, stepForm("freeze")); code != 409 || !strings.Contains(body, "al beëindigd") {
			t.Fatalf("terminated twice: %d", code)
		}
		code, file := do("GET", page+"/certificate/json", operator, nil)
		if code != 200 {
			t.Fatalf("certificate: %d", code)
		}
		c, _, err := termination.Verify([]byte(file), "")
		if err != nil || c.Receipt.By != "controller" || c.Export.ReceivedBy != "Algemeen directeur, Stad Gent" {
			t.Fatalf("certificate: %v %+v", err, c)
		}
		if code, pdf := do("GET", page+"/certificate/pdf", operator, nil); code != 200 || !bytes.HasPrefix([]byte(pdf), []byte("%PDF")) {
			t.Fatalf("certificate PDF: %d", code)
		}
		term, _ := env.DB.Termination(ctx, tn.ID)
		if s, _ := term.Step(store.TermReceipt); s.ActorKind != audit.KindUser {
			t.Fatalf("receipt recorded as %s", s.ActorKind)
		}
	})
}

// staffSession signs name in to tn with a password (inviting and
// activating the account first) and returns the session token; with enrol
// the user has TOTP, with verify the session also passed it.
func staffSession(t *testing.T, env *storetest.Env, h *password.Hasher, tn tenant.Tenant, name string, role account.Role, enrol, verify bool) string {
	t.Helper()
	ctx := context.Background()
	const pw = "paardenbloem kastanjeboom vijver"
	email := name + "@" + tn.Slug + ".be"
	_, tok, err := env.DB.InviteUser(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, tn.ID, account.Invite{Email: email, Name: name, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := h.Hash(ctx, pw)
	if _, err := env.DB.ActivateUser(ctx, tn.ID, tok.Plain, hash, "r"); err != nil {
		t.Fatal(err)
	}
	u, st, err := env.DB.Login(ctx, tn.ID, email, pw, h, account.DefaultLockout, "r")
	if err != nil {
		t.Fatal(err)
	}
	if enrol {
		enrolTOTP(t, env, tn.ID, u.ID)
	}
	if verify {
		if st, err = env.DB.MarkSessionMFA(ctx, tn.ID, string(st)); err != nil {
			t.Fatal(err)
		}
	}
	return string(st)
}
