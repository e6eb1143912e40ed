package web

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breached"
	"github.com/kluis/kluis/internal/policy"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// policyForm is the policy page's form for p.
func policyForm(p policy.Policy, version int) url.Values {
	f := url.Values{"version": {strconv.Itoa(version)}}
	for _, b := range policy.Bounds {
		f.Set(b.Field, strconv.Itoa(p.Int(b.Field)))
	}
	if p.BreachCheck {
		f.Set(policy.FieldBreachCheck, "on")
	}
	if p.MFARequired {
		f.Set(policy.FieldMFARequired, "on")
	}
	return f
}

// signIn logs a new user of role into gent with the password and, for an
// admin or DPO, passes the second factor; it returns the Cookie header.
func (le *loginEnv) signIn(t *testing.T, email string, role account.Role) (account.User, string) {
	t.Helper()
	ctx := context.Background()
	_, tok, err := le.env.DB.InviteUser(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, le.gent.ID,
		account.Invite{Email: email, Name: "Naam " + email, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := le.hasher.Hash(ctx, loginPassword)
	if _, err := le.env.DB.ActivateUser(ctx, le.gent.ID, tok.Plain, hash, "r"); err != nil {
		t.Fatal(err)
	}
	u, st, err := le.env.DB.Login(ctx, le.gent.ID, email, loginPassword, le.hasher, account.DefaultLockout, "r")
	if err != nil {
		t.Fatal(err)
	}
	if role.RequiresMFA(false) {
		st = store.SessionToken(verifiedMFA(t, le.env, le.gent.ID, u.ID, string(st)))
	}
	return u, sessionCookie + "=" + string(st)
}

func (le *loginEnv) submit(t *testing.T, target, cookie string, form url.Values, hdr ...string) (*http.Response, string) {
	t.Helper()
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	if cookie != "" {
		h["Cookie"] = cookie
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		h[hdr[i]] = hdr[i+1]
	}
	resp := request{method: http.MethodPost, target: target, body: form.Encode(), header: h}.do(t, le.app.Handler())
	return resp, bodyOf(t, resp)
}

// invite returns an activation link of a new invitee of role in gent.
func (le *loginEnv) invite(t *testing.T, email string, role account.Role) string {
	t.Helper()
	_, tok, err := le.env.DB.InviteUser(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, le.gent.ID,
		account.Invite{Email: email, Name: "Naam", Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return "/gent/activate/" + tok.Plain
}

// TestClauseUSR3_TenantAdminSetsPolicyWithinFloors: an admin changes the
// policy on its page; each invalid field gets its own message in the
// page's language and nothing is saved; a valid change is a new version,
// audited with old → new values; the DPO sees the values but no form.
func TestClauseUSR3_TenantAdminSetsPolicyWithinFloors(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		_, dpo := le.signIn(t, "dpo@gent.be", account.RoleDPO)

		bad := policyForm(policy.Default, 0)
		bad.Set(policy.FieldPasswordMinLength, "8")
		bad.Set(policy.FieldSessionAbsolute, "24")
		bad.Set(policy.FieldLockoutWindow, "vijftien")
		bad.Set(policy.FieldLockoutLock2, "10") // shorter than the first lock
		bad.Set(policy.FieldLockoutMaxFailures, "3")
		resp, body := le.submit(t, "/gent/admin/policy?lang=fr", admin, bad)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("invalid policy: %d", resp.StatusCode)
		}
		for _, want := range []string{
			`href="#password_min_length">Indiquez un nombre entier de 12 à 64.`,
			`href="#session_absolute">Indiquez un nombre entier de 1 à 12.`,
			`href="#lockout_window">Indiquez un nombre entier.`,
			`href="#lockout_lock2">Un blocage ne peut pas être plus court que le précédent.`,
			`id="password_min_length-error"`, `value="vijftien"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if _, v, _ := env.DB.TenantPolicy(context.Background(), le.gent.ID); v != 0 {
			t.Fatalf("an invalid form saved version %d", v)
		}

		good := policy.Default
		good.PasswordMinLength = 20
		good.LockoutMaxFailures = 3
		resp, _ = le.submit(t, "/gent/admin/policy", admin, policyForm(good, 0))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/admin/policy?saved=1" {
			t.Fatalf("save: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		got, v, _ := env.DB.TenantPolicy(context.Background(), le.gent.ID)
		if v != 1 || got.PasswordMinLength != 20 || got.LockoutMaxFailures != 3 || !got.BreachCheck {
			t.Fatalf("stored: v%d %+v", v, got)
		}
		// The same form again is a stale edit: refused, the current values shown.
		resp, body = le.submit(t, "/gent/admin/policy", admin, policyForm(policy.Default, 0))
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `value="20"`) {
			t.Fatalf("stale edit: %d", resp.StatusCode)
		}
		var purposes []string
		env.DB.EachAuditEvent(context.Background(), le.gent.ID, func(e *audit.Event) error {
			if e.Action == "policy.update" {
				purposes = append(purposes, e.Purpose)
			}
			return nil
		})
		if len(purposes) != 1 || purposes[0] != "security policy v1: password_min_length 15→20, lockout_max_failures 5→3" {
			t.Fatalf("policy.update events: %q", purposes)
		}

		resp = request{target: "/gent/admin/policy?saved=1", header: map[string]string{"Cookie": admin}}.do(t, le.app.Handler())
		if body := bodyOf(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "Het beleid is opgeslagen (versie 1)") ||
			!strings.Contains(body, `name="password_min_length" value="20"`) {
			t.Fatalf("admin page after saving: %d", resp.StatusCode)
		}
		resp = request{target: "/gent/admin/policy", header: map[string]string{"Cookie": dpo}}.do(t, le.app.Handler())
		if body := bodyOf(t, resp); resp.StatusCode != 200 || strings.Contains(body, "<form method=\"post\" class=\"form\" id=\"policy-form\"") ||
			!strings.Contains(body, "<dd>20</dd>") {
			t.Fatalf("DPO page: %d", resp.StatusCode)
		}
		// The DPO cannot change it.
		if resp, _ := le.submit(t, "/gent/admin/policy", dpo, policyForm(policy.Default, 1)); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("DPO post: %d", resp.StatusCode)
		}
	})
}

// TestClauseUSR3_TenantPolicyAppliesToActivationAndReset: with a minimum
// length of 20, a 16-character password is refused on activation and on
// reset, and a 20-character one accepted.
func TestClauseUSR3_TenantPolicyAppliesToActivationAndReset(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{})
		ctx := context.Background()
		p := policy.Default
		p.PasswordMinLength = 20
		if _, err := env.DB.SetTenantPolicy(ctx, audit.Actor{Kind: audit.KindUser, ID: "admin"}, le.gent.ID, p, 0); err != nil {
			t.Fatal(err)
		}
		short, long := "kastanje vijver!", "kastanje vijver dorp!" // 16 and 20 characters
		link := le.invite(t, "els@gent.be", account.RoleUser)
		resp := request{target: link}.do(t, le.app.Handler())
		if body := bodyOf(t, resp); !strings.Contains(body, "Minstens 20 tekens") || !strings.Contains(body, `minlength="20"`) {
			t.Fatal("activation page does not state the tenant's minimum")
		}
		resp, body := le.submit(t, link, "", url.Values{"password": {short}, "password_confirm": {short}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "minstens 20 tekens") {
			t.Fatalf("16 characters on activation: %d", resp.StatusCode)
		}
		if resp, _ := le.submit(t, link, "", url.Values{"password": {long}, "password_confirm": {long}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("20 characters on activation: %d", resp.StatusCode)
		}
		// Reset.
		var token string
		err := env.DB.RequestPasswordReset(ctx, le.gent.ID, "an@gent.be", "r", func(u account.User, tok string) *store.OutgoingMail {
			token = tok
			return nil
		})
		if err != nil || token == "" {
			t.Fatal(err)
		}
		resp, body = le.submit(t, "/gent/password/reset/"+token, "", url.Values{"password": {short}, "password_confirm": {short}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "minstens 20 tekens") {
			t.Fatalf("16 characters on reset: %d", resp.StatusCode)
		}
		if resp, _ := le.submit(t, "/gent/password/reset/"+token, "", url.Values{"password": {long}, "password_confirm": {long}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("20 characters on reset: %d", resp.StatusCode)
		}
	})
}

// TestClauseUSR6_TenantPolicyAppliesToLoginSessionsAndMFA: the login page
// locks after the tenant's threshold (3), opens sessions with the tenant's
// idle and absolute lifetimes, and "MFA for everyone" sends a user to
// enrolment.
func TestClauseUSR6_TenantPolicyAppliesToLoginSessionsAndMFA(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		ctx := context.Background()
		p := policy.Default
		p.LockoutMaxFailures = 3
		p.SessionIdle = 10 * time.Minute
		p.SessionAbsolute = 2 * time.Hour
		p.MFARequired = true
		if _, err := env.DB.SetTenantPolicy(ctx, audit.Actor{Kind: audit.KindUser, ID: "admin"}, le.gent.ID, p, 0); err != nil {
			t.Fatal(err)
		}
		le.addUser(t, le.gent, "bo@gent.be", "Bo")

		// Sessions and MFA for everyone.
		resp := le.post(t, "gent", "bo@gent.be", loginPassword, "", nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/gent/account/mfa") {
			t.Fatalf("user login with MFA for everyone: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		c := sessionCookieOf(resp)
		_, info, err := env.DB.Session(ctx, le.gent.ID, c.Value)
		if err != nil || info.IdleTimeout != 10*time.Minute || !info.AbsoluteExpiry.Equal(info.CreatedAt.Add(2*time.Hour)) {
			t.Fatalf("session: %+v %v", info, err)
		}
		resp = request{target: "/gent/signed-in", header: map[string]string{"Cookie": sessionCookie + "=" + c.Value}}.do(t, le.app.Handler())
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/gent/account/mfa") {
			t.Fatalf("user without a second factor reached a page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}

		// Lockout after 3.
		for i := range 3 {
			if resp := le.post(t, "gent", "an@gent.be", "wrong password here", "", nil); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("wrong %d: %d", i, resp.StatusCode)
			}
		}
		if resp := le.post(t, "gent", "an@gent.be", loginPassword, "", nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("right password after 3 failures: %d", resp.StatusCode)
		}
		// Brugge keeps the default of 5.
		for range 3 {
			le.post(t, "brugge", "an@gent.be", "wrong password here", "", nil)
		}
		if resp := le.post(t, "brugge", "an@gent.be", loginPassword, "", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("other tenant locked by this tenant's policy: %d", resp.StatusCode)
		}
	})
}

// rangeServer serves HIBP-format range answers on 127.0.0.1 for the given
// passwords.
func rangeServer(t *testing.T, breachedPasswords ...string) *httptest.Server {
	t.Helper()
	known := map[string][]string{}
	for _, pw := range breachedPasswords {
		s := sha1.Sum([]byte(pw))
		h := strings.ToUpper(hex.EncodeToString(s[:]))
		known[h[:5]] = append(known[h[:5]], h[5:]+":3861493")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		prefix := strings.TrimPrefix(r.URL.Path, "/range/")
		fmt.Fprint(w, strings.Join(append([]string{"00000000000000000000000000000000000:0"}, known[prefix]...), "\r\n"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestASVS_6_2_12_ClauseUSR3_BreachedPasswordsRefused: with the check on, a breached
// password is refused on activation; when the service is unreachable an
// admin's activation is refused with a clear message (fail closed) and a
// user's goes through, logged without personal data (fail open); with the
// tenant's switch off nothing is asked.
func TestASVS_6_2_12_ClauseUSR3_BreachedPasswordsRefused(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		leaked := "paardenbloem kastanjeboom vijver 1" // "breached" on the test server
		srv := rangeServer(t, leaked)
		le := newLoginEnv(t, env, Options{Breached: breached.New(srv.URL+"/range/", time.Second)})
		link := le.invite(t, "els@gent.be", account.RoleUser)
		resp, body := le.submit(t, link, "", url.Values{"password": {leaked}, "password_confirm": {leaked}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "bekende datalekken") {
			t.Fatalf("breached password on activation: %d", resp.StatusCode)
		}
		fine := "zonnebloem eikenboom rivier"
		if resp, _ := le.submit(t, link, "", url.Values{"password": {fine}, "password_confirm": {fine}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("good password: %d", resp.StatusCode)
		}

		// The service is down.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := "http://" + l.Addr().String() + "/range/"
		l.Close()
		app, logs := newTestApp(t, Options{Store: env.DB, Hasher: le.hasher, Breached: breached.New(down, time.Second)})
		le.app = app
		adminLink := le.invite(t, "boss@gent.be", account.RoleAdmin)
		resp, body = le.submit(t, adminLink+"?lang=en", "", url.Values{"password": {fine}, "password_confirm": {fine}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "We cannot check right now") {
			t.Fatalf("admin with the service down: %d", resp.StatusCode)
		}
		userLink := le.invite(t, "jo@gent.be", account.RoleUser)
		if resp, _ := le.submit(t, userLink, "", url.Values{"password": {fine}, "password_confirm": {fine}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("user with the service down: %d", resp.StatusCode)
		}
		if l := logs.String(); !strings.Contains(l, "password accepted (user account)") || !strings.Contains(l, "password refused (admin or DPO account)") ||
			strings.Contains(l, "zonnebloem") || strings.Contains(l, "gent.be") {
			t.Fatalf("logs: %s", l)
		}

		// The tenant turns the check off: the service is not asked.
		p := policy.Default
		p.BreachCheck = false
		if _, err := env.DB.SetTenantPolicy(context.Background(), audit.Actor{Kind: audit.KindUser, ID: "admin"}, le.gent.ID, p, 0); err != nil {
			t.Fatal(err)
		}
		adminLink = le.invite(t, "boss2@gent.be", account.RoleAdmin)
		if resp, _ := le.submit(t, adminLink, "", url.Values{"password": {fine}, "password_confirm": {fine}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("admin with the tenant's check off: %d", resp.StatusCode)
		}
	})
}
