package cli

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/api"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/config"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/web"
)

// TestLimitSettingsTakeEffectInServe: KLUIS_API_RATE_LIMIT and
// KLUIS_API_BODY_LIMIT reach the real server (the 600 calls a minute and
// 64 KiB were fixed in code before): the third call of a key allowed two a
// minute is 429, and a body over the configured 4 KiB is 413 while one
// under it is not. A bad value stops serve before it starts, naming the
// variable.
func TestLimitSettingsTakeEffectInServe(t *testing.T) {
	s := newSandbox(t)
	// A first start makes the demo tenant; the key is made while no server
	// runs, as an administrator would on the API keys page.
	_, stop := s.serving(t, "serve", "--demo")
	if res := stop(); !strings.HasPrefix(res, "exit 0") {
		t.Fatalf("serve: %s", res)
	}
	db := s.openDB()
	tn, err := db.Tenant(context.Background(), DemoSlug)
	if err != nil {
		t.Fatal(err)
	}
	admin := audit.Actor{Kind: audit.KindUser, ID: "admin-limits", Role: "admin", RequestID: "req-limits"}
	_, token, err := db.CreateAPIKey(context.Background(), admin, tn.ID,
		store.NewAPIKey{Name: "limits", Scopes: []string{store.ScopeSubmissionsRead}, Forms: []string{"vraag"}})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s.env["KLUIS_API_RATE_LIMIT"] = "2"
	s.env["KLUIS_API_BODY_LIMIT"] = "4KiB"
	base, _ := s.serving(t, "serve")
	call := func(method, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, base+"/api/v1/demo/submissions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := call(http.MethodPost, strings.Repeat("x", 5<<10)); got != http.StatusRequestEntityTooLarge {
		t.Errorf("5 KiB body with a 4 KiB limit: %d, want 413", got)
	}
	for i := range 2 {
		if got := call(http.MethodGet, ""); got != http.StatusOK {
			t.Fatalf("call %d within the limit: %d", i+1, got)
		}
	}
	if got := call(http.MethodGet, ""); got != http.StatusTooManyRequests {
		t.Errorf("third call with KLUIS_API_RATE_LIMIT=2: %d, want 429", got)
	}
	// 3 KiB is under the body limit: refused for another reason (wrong
	// method), not for its size.
	if got := call(http.MethodPost, strings.Repeat("x", 3<<10)); got == http.StatusRequestEntityTooLarge {
		t.Errorf("3 KiB body with a 4 KiB limit: 413")
	}

	for env, bad := range map[string]string{"KLUIS_API_RATE_LIMIT": "0", "KLUIS_API_BODY_LIMIT": "lots", "KLUIS_UPLOAD_LIMIT": "12"} {
		s2 := newSandbox(t)
		s2.env[env] = bad
		code, _, stderr := s2.run(context.Background(), "serve", "--demo")
		if code == 0 || !strings.Contains(stderr, env) {
			t.Errorf("serve with %s=%s: exit %d, %q; want a refusal naming %s", env, bad, code, stderr, env)
		}
	}
}

// TestLimitDefaultsMatchThePackages: the configuration's documented
// defaults are the ones the packages fall back on, so that a setting left
// out and a setting at its default behave alike.
func TestLimitDefaultsMatchThePackages(t *testing.T) {
	d := config.Defaults()
	if d.APIRateLimit != api.DefaultRateLimit || d.APIBodyLimit != api.DefaultBodyLimit ||
		d.UploadLimit != web.DefaultUploadLimit || d.LoginRateLimit != web.DefaultLoginRateLimit {
		t.Fatalf("config defaults %d/%d/%d/%d, packages %d/%d/%d/%d", d.APIRateLimit, d.APIBodyLimit, d.UploadLimit, d.LoginRateLimit,
			api.DefaultRateLimit, api.DefaultBodyLimit, web.DefaultUploadLimit, web.DefaultLoginRateLimit)
	}
}
