package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// onHost sends a request as it arrives on host.
func onHost(t *testing.T, h http.Handler, method, host, target, body string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Host = host
	req.Header.Set("Accept-Language", "nl-BE")
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

// TestTenantHostRoutesWithoutPrefix: on a tenant's own host name the
// tenant's pages answer without the /{tenant} prefix (front page, a form,
// its post from the same origin, the receipt), the prefix keeps working
// there and on the platform's address, platform paths stay the platform's,
// and a host no tenant holds behaves as before (no tenant by host). OIDC
// callbacks on the host go back to the host.
func TestTenantHostRoutesWithoutPrefix(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: "gent", LegalName: "Stad Gent", EnterpriseNumber: "0207451227",
			DPOName: "D", DPOEmail: "dpo@gent.be"})
		if err != nil {
			t.Fatal(err)
		}
		publishForms(t, env, tn)
		if _, err := env.DB.AddTenantHost(ctx, op, tn.ID, "www.gent.be"); err != nil {
			t.Fatal(err)
		}
		a, _ := newTestApp(t, Options{Store: env.DB, FormRateLimit: 1000, BaseURL: "https://kluis.example", TLS: true})
		h := a.Handler()
		const host = "www.gent.be"

		front := onHost(t, h, "GET", host+":443", "/", "", nil)
		if page := bodyOf(t, front); front.StatusCode != 200 || !strings.Contains(page, "Stad Gent") || !strings.Contains(page, `href="/gent/vraag"`) {
			t.Fatalf("front page on the host: %d", front.StatusCode)
		}
		for _, target := range []string{"/vraag", "/gent/vraag", "/VRAAG"} {
			resp := onHost(t, h, "GET", "WWW.Gent.be", target, "", nil)
			if want := map[bool]int{true: 404, false: 200}[target == "/VRAAG"]; resp.StatusCode != want {
				t.Fatalf("%s on the host: %d, want %d", target, resp.StatusCode, want)
			}
		}
		// A post from the host's own page (same origin) and its receipt.
		resp := onHost(t, h, "POST", host, "/vraag", benchPost(), map[string]string{"Origin": "https://" + host, "Sec-Fetch-Site": "same-origin"})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/receipt/vraag" {
			t.Fatalf("post on the host: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), bodyOf(t, resp))
		}
		var cookie string
		for _, c := range resp.Cookies() {
			if c.Name == receiptCookie {
				if c.Domain != "" {
					t.Fatalf("receipt cookie names a domain: %+v", c)
				}
				cookie = c.Name + "=" + c.Value
			}
		}
		for _, target := range []string{"/gent/receipt/vraag", "/receipt/vraag"} {
			resp = onHost(t, h, "GET", host, target, "", map[string]string{"Cookie": cookie})
			page := bodyOf(t, resp)
			if resp.StatusCode != 200 || !regexp.MustCompile(`reference-number">[0-9A-Z]{5}-[0-9A-Z]{5}<`).MatchString(page) {
				t.Fatalf("receipt %s on the host: %d", target, resp.StatusCode)
			}
		}
		// Platform paths stay the platform's on the host.
		if resp := onHost(t, h, "GET", host, "/healthz", "", nil); resp.StatusCode != 200 {
			t.Fatalf("healthz on the host: %d", resp.StatusCode)
		}
		// The platform's address and unknown hosts: prefix only, as before.
		for _, hst := range []string{"kluis.example", "www.elders.be", "192.0.2.7:8080"} {
			if resp := onHost(t, h, "GET", hst, "/vraag", "", nil); resp.StatusCode != 404 {
				t.Fatalf("/vraag on %s: %d", hst, resp.StatusCode)
			}
			if resp := onHost(t, h, "GET", hst, "/gent/vraag", "", nil); resp.StatusCode != 200 {
				t.Fatalf("/gent/vraag on %s: %d", hst, resp.StatusCode)
			}
		}
		// OIDC's callback address follows the host the flow started on.
		req := httptest.NewRequest("GET", "/login", nil)
		req.Host = host
		req, _ = a.onTenantHost(req)
		req = req.WithContext(context.WithValue(req.Context(), tenantKey{}, tn))
		if got := a.oidcRedirectURL(req); got != "https://www.gent.be/gent/login/oidc/callback" {
			t.Fatalf("OIDC redirect on the host: %s", got)
		}
		if rp := a.relyingParty(req); rp == nil {
			t.Fatal("no passkey relying party on the host")
		}
		// A development port stays in the addresses: it is part of the origin.
		req.Host = host + ":8443"
		if got := a.oidcRedirectURL(req); got != "https://www.gent.be:8443/gent/login/oidc/callback" {
			t.Fatalf("OIDC redirect on the host with a port: %s", got)
		}
		// A removed host stops routing once the cache entry expires.
		if err := env.DB.RemoveTenantHost(ctx, op, tn.ID, host); err != nil {
			t.Fatal(err)
		}
		a.hostSlugs.forget(host)
		if resp := onHost(t, h, "GET", host, "/vraag", "", nil); resp.StatusCode != 404 {
			t.Fatalf("removed host: %d", resp.StatusCode)
		}
	})
}

// TestHostsAdminPage_AddRefuseRemove: an admin adds a host name on
// Beheer › Domeinnamen; a name another tenant holds, or a bad one, comes
// back as a field error in the admin's language, linked from the summary,
// and nothing is saved; removing it frees the name.
func TestHostsAdminPage_AddRefuseRemove(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{})
		ctx := context.Background()
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		if _, err := env.DB.AddTenantHost(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, le.brugge.ID, "www.brugge.be"); err != nil {
			t.Fatal(err)
		}
		resp, _ := le.submit(t, "/gent/admin/hosts", admin, url.Values{"host": {"WWW.Gent.be"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/admin/hosts?done=added" {
			t.Fatalf("add: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, page := le.get(t, "/gent/admin/hosts?done=added", map[string]string{"Cookie": admin})
		if !strings.Contains(page, ">www.gent.be</a>") || !strings.Contains(page, "De domeinnaam is toegevoegd.") {
			t.Fatal("the page does not list the added name")
		}
		for _, tc := range []struct{ lang, host, want string }{
			{"nl", "www.brugge.be", `href="#host">Deze domeinnaam is al in gebruik op het platform.`},
			{"fr", "www.brugge.be", `Ce nom de domaine est déjà utilisé sur la plateforme.`},
			{"en", "*.gent.be", `A wildcard (*) is not possible`},
			{"nl", "www.gent.be:8443", `Laat het poortnummer weg`},
			{"nl", "10.1.2.3", `Een IP-adres kan geen domeinnaam zijn`},
		} {
			resp, body := le.submit(t, "/gent/admin/hosts?lang="+tc.lang, admin, url.Values{"host": {tc.host}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) ||
				!strings.Contains(body, `aria-describedby="host-hint host-error"`) || !strings.Contains(body, `value="`+tc.host+`"`) {
				t.Errorf("%s %s: %d, page lacks %q", tc.lang, tc.host, resp.StatusCode, tc.want)
			}
		}
		if hs, _ := env.DB.TenantHosts(ctx, le.gent.ID); len(hs) != 1 {
			t.Fatalf("refused names saved: %+v", hs)
		}
		if hs, _ := env.DB.TenantHosts(ctx, le.brugge.ID); len(hs) != 1 {
			t.Fatalf("the other tenant's name changed: %+v", hs)
		}
		// gent cannot remove brugge's name; it can remove its own.
		if resp, _ := le.submit(t, "/gent/admin/hosts/remove", admin, url.Values{"host": {"www.brugge.be"}}); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("remove another tenant's name: %d", resp.StatusCode)
		}
		if resp, _ := le.submit(t, "/gent/admin/hosts/remove", admin, url.Values{"host": {"www.gent.be"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("remove: %d", resp.StatusCode)
		}
		if hs, _ := env.DB.TenantHosts(ctx, le.gent.ID); len(hs) != 0 {
			t.Fatalf("after remove: %+v", hs)
		}
	})
}
