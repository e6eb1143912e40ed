package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/password"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

const loginPassword = "paardenbloem kastanjeboom vijver"

type loginEnv struct {
	env    *storetest.Env
	app    *App
	hasher *password.Hasher
	gent   tenant.Tenant
	brugge tenant.Tenant
}

// newLoginEnv makes tenants gent and brugge, each with an active user
// an@gent.be (another person on each), and an App with the given options.
func newLoginEnv(t *testing.T, env *storetest.Env, opts Options) *loginEnv {
	t.Helper()
	ctx := context.Background()
	op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
	le := &loginEnv{env: env, hasher: password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 4)}
	mk := func(slug string) tenant.Tenant {
		tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: slug, LegalName: "Stad " + slug, EnterpriseNumber: "0207451227",
			DPOName: "D", DPOEmail: "dpo@" + slug + ".be"})
		if err != nil {
			t.Fatal(err)
		}
		return tn
	}
	le.gent, le.brugge = mk("gent"), mk("brugge")
	le.addUser(t, le.gent, "an@gent.be", "An Peeters")
	le.addUser(t, le.brugge, "an@gent.be", "An Brugge")
	opts.Store, opts.Hasher = env.DB, le.hasher
	le.app, _ = newTestApp(t, opts)
	return le
}

func (le *loginEnv) addUser(t *testing.T, tn tenant.Tenant, email, name string) account.User {
	t.Helper()
	ctx := context.Background()
	_, tok, err := le.env.DB.InviteUser(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, tn.ID,
		account.Invite{Email: email, Name: name, Role: account.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := le.hasher.Hash(ctx, loginPassword)
	if err != nil {
		t.Fatal(err)
	}
	u, err := le.env.DB.ActivateUser(ctx, tn.ID, tok.Plain, hash, "req")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// post logs in on slug's login page; extra query goes on the URL.
func (le *loginEnv) post(t *testing.T, slug, email, pw, next string, header map[string]string) *http.Response {
	t.Helper()
	form := url.Values{"email": {email}, "password": {pw}}
	if next != "" {
		form.Set("next", next)
	}
	return request{method: http.MethodPost, target: "/" + slug + "/login", body: form.Encode(), header: header}.do(t, le.app.Handler())
}

// sessionCookieOf returns the session cookie a response sets, or nil.
func sessionCookieOf(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	return nil
}

func withSession(c *http.Cookie) map[string]string {
	return map[string]string{"Cookie": c.Name + "=" + c.Value}
}

// TestClauseUSR6_LoginLogoutAndSessionCookie walks login, the signed-in
// page, tenant binding and logout, and checks the cookie's attributes
// (ASVS 3.3.1, 3.3.2, 3.3.3, 3.3.4).
func TestClauseUSR6_LoginLogoutAndSessionCookie(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{})
		h := le.app.Handler()

		// Without a session the signed-in page sends to the login page.
		resp := request{target: "/gent/signed-in"}.do(t, h)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/login?next=%2Fgent%2Fsigned-in" {
			t.Fatalf("anonymous signed-in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		form := bodyOf(t, request{target: "/gent/login"}.do(t, h))
		for _, w := range []string{`autocomplete="username"`, `autocomplete="current-password"`, `name="email"`, `name="password"`, "Stad gent"} {
			if !strings.Contains(form, w) {
				t.Errorf("login form lacks %q", w)
			}
		}

		resp = le.post(t, "gent", "An@Gent.be", loginPassword, "", nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/signed-in" {
			t.Fatalf("login: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), bodyOf(t, resp))
		}
		c := sessionCookieOf(resp)
		if c == nil {
			t.Fatalf("no session cookie: %q", resp.Header.Values("Set-Cookie"))
		}
		raw := resp.Header.Get("Set-Cookie")
		if !strings.HasPrefix(raw, "__Host-kluis_session=") || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode ||
			c.Path != "/" || c.Domain != "" || strings.Contains(strings.ToLower(raw), "domain=") || len(c.Value) != 43 {
			t.Fatalf("cookie attributes: %s", raw)
		}

		resp = request{target: "/gent/signed-in", header: withSession(c)}.do(t, h)
		if body := bodyOf(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "Aangemeld als An Peeters") {
			t.Fatalf("signed-in: %d\n%s", resp.StatusCode, body)
		}
		// Tenant binding: the cookie of gent is nothing on brugge, though
		// brugge has a user with the same address and password.
		resp = request{target: "/brugge/signed-in", header: withSession(c)}.do(t, h)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/brugge/login?") {
			t.Fatalf("gent session on brugge: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp = request{method: http.MethodPost, target: "/brugge/logout", header: withSession(c)}.do(t, h)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout on brugge: %d", resp.StatusCode)
		}
		if resp := (request{target: "/gent/signed-in", header: withSession(c)}).do(t, h); resp.StatusCode != 200 {
			t.Fatalf("brugge's logout ended gent's session: %d", resp.StatusCode)
		}

		// Logout: a cross-site post is refused; a real one ends the session.
		resp = request{method: http.MethodPost, target: "/gent/logout",
			header: map[string]string{"Cookie": c.Name + "=" + c.Value, "Sec-Fetch-Site": "cross-site"}}.do(t, h)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site logout: %d", resp.StatusCode)
		}
		resp = request{method: http.MethodPost, target: "/gent/logout", header: withSession(c)}.do(t, h)
		cleared := sessionCookieOf(resp)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/login" || cleared == nil ||
			cleared.MaxAge >= 0 || cleared.Value != "" {
			t.Fatalf("logout: %d %q %q", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Values("Set-Cookie"))
		}
		resp = request{target: "/gent/signed-in", header: withSession(c)}.do(t, h)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("session after logout: %d", resp.StatusCode)
		}
	})
}

// TestASVS_6_3_8_NoAccountEnumeration: unknown address, wrong password,
// disabled and locked accounts get the same status and the same page,
// with the one generic message, in the user's language.
func TestASVS_6_3_8_NoAccountEnumeration(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		dis := le.addUser(t, le.gent, "disabled@gent.be", "Dis Abled")
		if _, err := env.Raw(t).Exec(`UPDATE users SET status = 'disabled' WHERE id = $1`, dis.ID); err != nil {
			t.Fatal(err)
		}
		le.addUser(t, le.gent, "locked@gent.be", "Lock Ed")
		for i := 0; i < 5; i++ {
			le.post(t, "gent", "locked@gent.be", "wrong", "", nil)
		}
		hdr := map[string]string{"X-Request-Id": "fixed-request-id-1"}
		cases := []struct{ name, email, pw string }{
			{"unknown address", "nobody@gent.be", loginPassword},
			{"wrong password", "an@gent.be", "wrong password"},
			{"disabled", "disabled@gent.be", loginPassword},
			{"locked", "locked@gent.be", loginPassword},
		}
		var first string
		for _, c := range cases {
			resp := le.post(t, "gent", c.email, c.pw, "", hdr)
			body := bodyOf(t, resp)
			if resp.StatusCode != http.StatusUnauthorized || sessionCookieOf(resp) != nil {
				t.Fatalf("%s: status %d", c.name, resp.StatusCode)
			}
			if !strings.Contains(body, "E-mailadres of wachtwoord onjuist, of uw account is tijdelijk geblokkeerd.") ||
				!strings.Contains(body, "Er is een probleem") {
				t.Fatalf("%s: no generic message\n%s", c.name, body)
			}
			if strings.Contains(body, c.pw) {
				t.Fatalf("%s: password echoed", c.name)
			}
			body = strings.ReplaceAll(body, c.email, "EMAIL")
			if first == "" {
				first = body
			} else if body != first {
				t.Fatalf("%s: page differs from %s's", c.name, cases[0].name)
			}
		}
		hdr["Cookie"] = "lang=fr"
		if body := bodyOf(t, le.post(t, "gent", "nobody@gent.be", "x", "", hdr)); !strings.Contains(body,
			"Adresse e-mail ou mot de passe incorrect, ou votre compte est temporairement bloqué.") {
			t.Fatalf("French message missing\n%s", body)
		}
	})
}

// TestASVS_3_7_2_LoginRedirectsOnlyToLocalPaths: after login, next is
// followed only to a path of the same tenant.
func TestASVS_3_7_2_LoginRedirectsOnlyToLocalPaths(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		for next, want := range map[string]string{
			"//evil.example":               "/gent/signed-in",
			"https://evil.example":         "/gent/signed-in",
			"https://evil.example/gent/":   "/gent/signed-in",
			`/\evil`:                       "/gent/signed-in",
			`/gent/\\evil.example`:         "/gent/signed-in",
			"/gent//evil.example":          "/gent/signed-in",
			"/brugge/":                     "/gent/signed-in",
			"/other-tenant/":               "/gent/signed-in",
			"/gent/../brugge/":             "/gent/signed-in",
			"/gent/%2e%2e/brugge/":         "/gent/signed-in",
			"/gent/\r\nLocation: x":        "/gent/signed-in",
			"javascript:alert(1)":          "/gent/signed-in",
			"/gent":                        "/gent/signed-in",
			"":                             "/gent/signed-in",
			"/gent/privacy":                "/gent/privacy",
			"/gent/signed-in?tab=sessions": "/gent/signed-in?tab=sessions",
		} {
			resp := le.post(t, "gent", "an@gent.be", loginPassword, next, nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
				t.Errorf("next=%q: %d %q, want %q", next, resp.StatusCode, resp.Header.Get("Location"), want)
			}
		}
		// next may also come in the query, as the redirect to the login page puts it.
		form := url.Values{"email": {"an@gent.be"}, "password": {loginPassword}}
		resp := request{method: http.MethodPost, target: "/gent/login?next=%2F%2Fevil.example", body: form.Encode()}.do(t, le.app.Handler())
		if loc := resp.Header.Get("Location"); loc != "/gent/signed-in" {
			t.Errorf("query next: %q", loc)
		}
	})
}

// TestLoginRateLimitPerIP: a client address that posts too many logins a
// minute gets 429 with a localized page; another address does not.
func TestLoginRateLimitPerIP(t *testing.T) {
	env := storetest.SQLite(t)
	le := newLoginEnv(t, env, Options{LoginRateLimit: 3})
	from := func(ip string, hdr map[string]string) *http.Response {
		form := url.Values{"email": {"nobody@gent.be"}, "password": {"x"}}
		req := httptest.NewRequest(http.MethodPost, "/gent/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", "203.0.113.99") // not trusted: ignored
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		req.RemoteAddr = ip + ":40000"
		rec := httptest.NewRecorder()
		le.app.Handler().ServeHTTP(rec, req)
		return rec.Result()
	}
	for i := 0; i < 3; i++ {
		if resp := from("192.0.2.1", nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	resp := from("192.0.2.1", nil)
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Te veel pogingen") {
		t.Fatalf("fourth attempt: %d\n%s", resp.StatusCode, body)
	}
	if body := bodyOf(t, from("192.0.2.1", map[string]string{"Cookie": "lang=fr"})); !strings.Contains(body, "Trop de tentatives") {
		t.Fatalf("429 page not in French\n%s", body)
	}
	if resp := from("192.0.2.2", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("another address: %d", resp.StatusCode)
	}
	// The login page itself is not limited.
	if resp := (request{target: "/gent/login"}).do(t, le.app.Handler()); resp.StatusCode != 200 {
		t.Fatalf("GET login: %d", resp.StatusCode)
	}
}

func TestLocalNext(t *testing.T) {
	for _, tt := range []struct{ next, want string }{
		{"/gent/x", "/gent/x"},
		{"/gent/x/../y", "/gent/x/../y"},
		{"/gent/./../brugge", "/gent/signed-in"},
		{"/gent/\x7f", "/gent/signed-in"},
		{"/gentx/", "/gent/signed-in"},
	} {
		if got := localNext("gent", tt.next); got != tt.want {
			t.Errorf("localNext(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
}

func TestBrowserHint(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0":                                                                  "Firefox on Linux",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36":                         "Chrome on Windows",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari on iOS",
		"curl/8.0": "Unknown browser",
	} {
		if got := browserHint(ua); got != want {
			t.Errorf("browserHint(%q) = %q, want %q", ua, got, want)
		}
	}
}
