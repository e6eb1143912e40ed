package web

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/mail/mailtest"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// TestClauseLOC2_MailLinksOnPrimaryHost: a tenant that marked one of its
// host names primary gets links on https://<that host>/ without the
// /{tenant} prefix in the mails Kluis sends (a password-reset mail,
// delivered through a real SMTP server), and that link really resolves
// through the host router to the reset page; a tenant without a primary
// host keeps the base URL link. Marking a host that is not the tenant's
// (another tenant's, or no valid name) is a field error, nothing is saved
// and nothing audited; a saved choice is audited.
func TestClauseLOC2_MailLinksOnPrimaryHost(t *testing.T) {
	relay := mailtest.Start(t, mailtest.Options{})
	seen := 0 // one relay for both databases
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000, BaseURL: "https://kluis.example", TLS: true})
		h := le.app.Handler()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		for _, x := range []struct {
			tn   tenant.Tenant
			host string
		}{{le.gent, "e-loket.gent.be"}, {le.gent, "www.gent.be"}, {le.brugge, "www.brugge.be"}} {
			if _, err := env.DB.AddTenantHost(ctx, op, x.tn.ID, x.host); err != nil {
				t.Fatal(err)
			}
		}

		// Refused: another tenant's host, a name no one holds, no name.
		for _, bad := range []string{"www.brugge.be", "www.elders.be", "https://e-loket.gent.be/x"} {
			err := env.DB.SetTenantPrimaryHost(ctx, op, le.gent.ID, bad)
			var ve *tenant.ValidationError
			if !errors.As(err, &ve) || ve.Fields[tenant.FieldHost] != tenant.HostNotOwn {
				t.Fatalf("primary %q: %v", bad, err)
			}
		}
		if p, err := env.DB.TenantPrimaryHost(ctx, le.gent.ID); err != nil || p != "" {
			t.Fatalf("after refusals the primary host is %q (%v)", p, err)
		}
		if n := len(env.Events(t, le.gent.ID, "tenant_host.primary")); n != 0 {
			t.Fatalf("%d audit events for refused choices", n)
		}

		// Saved (twice: the second choice replaces the first) and audited.
		for _, host := range []string{"www.gent.be", "E-Loket.Gent.be"} {
			if err := env.DB.SetTenantPrimaryHost(ctx, op, le.gent.ID, host); err != nil {
				t.Fatal(err)
			}
		}
		if p, _ := env.DB.TenantPrimaryHost(ctx, le.gent.ID); p != "e-loket.gent.be" {
			t.Fatalf("primary host %q", p)
		}
		// Every tenant the store reads carries it, for the mails store
		// methods compose (Tenant.Link).
		if tn, err := env.DB.Tenant(ctx, "gent"); err != nil || tn.PrimaryHost != "e-loket.gent.be" ||
			tn.Link("https://kluis.example", "/admin/audits/x") != "https://e-loket.gent.be/admin/audits/x" {
			t.Fatalf("tenant read: %+v %v", tn, err)
		}
		if tn, _ := env.DB.Tenant(ctx, "brugge"); tn.Link("https://kluis.example", "/lookup") != "https://kluis.example/brugge/lookup" {
			t.Fatalf("brugge's link: %s", tn.Link("https://kluis.example", "/lookup"))
		}
		if ev := env.Events(t, le.gent.ID, "tenant_host.primary"); len(ev) != 2 || ev[1].ObjectID != "e-loket.gent.be" {
			t.Fatalf("audit events: %+v", ev)
		}
		hosts, _ := env.DB.TenantHosts(ctx, le.gent.ID)
		primaries := 0
		for _, x := range hosts {
			if x.Primary {
				primaries++
			}
		}
		if primaries != 1 {
			t.Fatalf("%d primary hosts", primaries)
		}

		for _, slug := range []string{"gent", "brugge"} {
			resp := postForm(t, h, "/"+slug+"/password/forgot", url.Values{"email": {"an@gent.be"}}, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("%s forgot: %d", slug, resp.StatusCode)
			}
		}
		msgs := deliver(t, env, relay, &seen)
		if len(msgs) != 2 {
			t.Fatalf("%d mails", len(msgs))
		}
		var gentLink string
		for _, m := range msgs {
			switch {
			case strings.Contains(m.Body, "Stad gent"):
				i := strings.Index(m.Body, "https://e-loket.gent.be/password/reset/")
				if i < 0 || strings.Contains(m.Body, "kluis.example") {
					t.Fatalf("gent's mail does not link on its primary host:\n%s", m.Body)
				}
				gentLink = strings.Fields(m.Body[i:])[0]
			case strings.Contains(m.Body, "Stad brugge"):
				if !strings.Contains(m.Body, "https://kluis.example/brugge/password/reset/") {
					t.Fatalf("brugge's mail does not keep the base URL link:\n%s", m.Body)
				}
			default:
				t.Fatalf("mail for whom?\n%s", m.Body)
			}
		}

		// The host link resolves through the host router to the reset page.
		u, err := url.Parse(gentLink)
		if err != nil {
			t.Fatal(err)
		}
		resp := onHost(t, h, "GET", u.Host, u.Path, "", nil)
		if body := bodyOf(t, resp); resp.StatusCode != 200 || !strings.Contains(body, `autocomplete="new-password"`) {
			t.Fatalf("%s on %s: %d", u.Path, u.Host, resp.StatusCode)
		}

		// Back to the platform's address.
		if err := env.DB.SetTenantPrimaryHost(ctx, op, le.gent.ID, ""); err != nil {
			t.Fatal(err)
		}
		if p, _ := env.DB.TenantPrimaryHost(ctx, le.gent.ID); p != "" {
			t.Fatalf("primary host after clearing: %q", p)
		}
	})
}

// TestTenantLink: one function makes every link Kluis writes for a tenant.
func TestTenantLink(t *testing.T) {
	if got := store.PackageURL("https://kluis.example", "gent", "e-loket.gent.be", "tok", "fr"); got != "https://e-loket.gent.be/privacy/package/tok?lang=fr" {
		t.Errorf("package link: %s", got)
	}
	if got := store.PackageURL("https://kluis.example", "gent", "", "tok", "fr"); got != "https://kluis.example/gent/privacy/package/tok?lang=fr" {
		t.Errorf("package link without a primary host: %s", got)
	}
	for _, tc := range []struct{ base, primary, want string }{
		{"https://kluis.example", "", "https://kluis.example/gent/lookup"},
		{"https://kluis.example/", "", "https://kluis.example/gent/lookup"},
		{"https://kluis.example", "e-loket.gent.be", "https://e-loket.gent.be/lookup"},
	} {
		if got := tenant.Link(tc.base, "gent", tc.primary, "/lookup"); got != tc.want {
			t.Errorf("Link(%q, %q) = %q, want %q", tc.base, tc.primary, got, tc.want)
		}
	}
}
