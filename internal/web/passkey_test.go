package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/passkey/passkeytest"
	"github.com/kluis/kluis/internal/storetest"
)

const passkeyBase = "https://loket.gent.be"

// postJSON posts body as JSON with the headers h (the session cookie)
// and, like a browser, takes a rotated session cookie into h.
func (le *loginEnv) postJSON(t *testing.T, target string, h map[string]string, body any) (*http.Response, map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	hh := map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"}
	for k, v := range h {
		hh[k] = v
	}
	resp := request{method: http.MethodPost, target: target, body: string(b), header: hh}.do(t, le.app.Handler())
	if c := sessionCookieOf(resp); c != nil && c.Value != "" && h != nil {
		h["Cookie"] = c.Name + "=" + c.Value
	}
	raw := bodyOf(t, resp)
	var out map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			t.Fatalf("%s: not JSON: %s", target, raw)
		}
	}
	return resp, out
}

// ceremony runs options then finish with the authenticator's answer
// (create for register, get otherwise) and returns the finish response.
func (le *loginEnv) ceremony(t *testing.T, auth *passkeytest.Authenticator, options, finish string, h map[string]string,
	body map[string]any) (*http.Response, map[string]any) {
	t.Helper()
	resp, opts := le.postJSON(t, options, h, body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %v", options, resp.StatusCode, opts)
	}
	raw, _ := json.Marshal(opts)
	var answer []byte
	var err error
	if strings.HasSuffix(finish, "/account/passkeys") {
		answer, err = auth.Create(raw)
	} else {
		answer, err = auth.Get(raw)
	}
	if err != nil {
		t.Fatal(err)
	}
	body["credential"] = json.RawMessage(answer)
	return le.postJSON(t, finish, h, body)
}

// TestClauseUSR2_PasskeyWebEnrolAndSignIn: through the real router, an
// admin without a second factor adds a passkey on the account page (a bad
// name gets its precise message first), which passes the MFA requirement;
// after a password the second step offers the passkey (and no code field,
// having no TOTP) and accepts it; the login page's passwordless login
// opens an MFA-passed session; another tenant refuses the passkey; the
// admin cannot remove their only second factor.
func TestClauseUSR2_PasskeyWebEnrolAndSignIn(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000, BaseURL: passkeyBase})
		le.addRoleUser(t, le.gent, "admin@gent.be", account.RoleAdmin)
		auth := passkeytest.New(passkeyBase)

		h, loc := le.login(t, "admin@gent.be", "/gent/admin/users")
		if loc != "/gent/account/mfa?next=%2Fgent%2Fadmin%2Fusers" {
			t.Fatalf("after password: %q", loc)
		}
		resp, body := le.get(t, loc, h)
		for _, want := range []string{`data-passkey-action="register"`, `id="passkey_name"`, `src="/static/passkey.js?v=`, "Passkey toevoegen"} {
			if resp.StatusCode != 200 || !strings.Contains(body, want) {
				t.Fatalf("account page lacks %q:\n%s", want, body)
			}
		}

		// A bad name is reported, precisely and localized, before the authenticator is asked.
		resp, out := le.postJSON(t, "/gent/account/passkeys/options?lang=fr", h, map[string]any{"name": "  "})
		if resp.StatusCode != 422 || out["field"] != "passkey_name" || !strings.Contains(out["error"].(string), "Donnez un nom") {
			t.Fatalf("empty name: %d %v", resp.StatusCode, out)
		}
		resp, out = le.postJSON(t, "/gent/account/passkeys/options", h, map[string]any{"name": strings.Repeat("x", 61)})
		if resp.StatusCode != 422 || !strings.Contains(out["error"].(string), "60 tekens") {
			t.Fatalf("long name: %d %v", resp.StatusCode, out)
		}

		resp, out = le.ceremony(t, auth, "/gent/account/passkeys/options", "/gent/account/passkeys", h,
			map[string]any{"name": "Werklaptop", "next": "/gent/admin/users"})
		if resp.StatusCode != 200 || out["redirect"] != "/gent/account/mfa?passkey=added&next=%2Fgent%2Fadmin%2Fusers" {
			t.Fatalf("register: %d %v", resp.StatusCode, out)
		}
		resp, body = le.get(t, "/gent/account/mfa?passkey=added", h)
		if resp.StatusCode != 200 || !strings.Contains(body, "Uw passkey is toegevoegd.") || !strings.Contains(body, "Werklaptop") {
			t.Fatalf("account page after adding:\n%s", body)
		}
		if resp, _ = le.get(t, "/gent/admin/users", h); resp.StatusCode != 200 {
			t.Fatalf("admin page after adding a passkey: %d", resp.StatusCode)
		}

		// The only second factor of an admin stays.
		m := regexpPasskeyDelete.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no remove form:\n%s", body)
		}
		resp, body = le.postForm(t, m[1], h, url.Values{})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "minstens één manier") {
			t.Fatalf("removing the last factor: %d\n%s", resp.StatusCode, body)
		}

		// Password, then the passkey as second step.
		le.postForm(t, "/gent/logout", h, url.Values{})
		h, loc = le.login(t, "admin@gent.be", "/gent/admin/users")
		if loc != "/gent/login/mfa?next=%2Fgent%2Fadmin%2Fusers" {
			t.Fatalf("after password with a passkey: %q", loc)
		}
		_, body = le.get(t, loc, h)
		if !strings.Contains(body, `data-passkey-action="mfa"`) || strings.Contains(body, `name="code"`) {
			t.Fatalf("second step of a passkey-only user:\n%s", body)
		}
		resp, out = le.ceremony(t, auth, "/gent/login/mfa/passkey/options", "/gent/login/mfa/passkey", h,
			map[string]any{"next": "/gent/admin/users"})
		if resp.StatusCode != 200 || out["redirect"] != "/gent/admin/users" {
			t.Fatalf("second step: %d %v", resp.StatusCode, out)
		}
		if resp, _ = le.get(t, "/gent/admin/users", h); resp.StatusCode != 200 {
			t.Fatalf("admin page after the passkey step: %d", resp.StatusCode)
		}

		// Passwordless, from the login page.
		le.postForm(t, "/gent/logout", h, url.Values{})
		_, body = le.get(t, "/gent/login", nil)
		if !strings.Contains(body, `data-passkey-action="login"`) || !strings.Contains(body, "Aanmelden met een passkey") {
			t.Fatalf("login page offers no passkey:\n%s", body)
		}
		anon := map[string]string{}
		resp, out = le.ceremony(t, auth, "/gent/login/passkey/options", "/gent/login/passkey", anon,
			map[string]any{"next": "/gent/admin/users"})
		if resp.StatusCode != 200 || out["redirect"] != "/gent/admin/users" || anon["Cookie"] == "" {
			t.Fatalf("passwordless: %d %v", resp.StatusCode, out)
		}
		if resp, _ = le.get(t, "/gent/admin/users", anon); resp.StatusCode != 200 {
			t.Fatalf("admin page after passwordless login: %d", resp.StatusCode)
		}

		// Brugge shares the relying party but not the passkey.
		other := map[string]string{}
		resp, out = le.ceremony(t, auth, "/brugge/login/passkey/options", "/brugge/login/passkey", other, map[string]any{})
		if resp.StatusCode != http.StatusUnauthorized || other["Cookie"] != "" || !strings.Contains(out["error"].(string), "niet gelukt") {
			t.Fatalf("gent's passkey on brugge: %d %v", resp.StatusCode, out)
		}
	})
}

var regexpPasskeyDelete = regexp.MustCompile(`action="(/gent/account/passkeys/[^/"]+/delete)"`)
