package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/magda"
	"github.com/kluis/kluis/internal/magda/magdasim"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

func magdaForm(s magda.Settings) url.Values {
	return url.Values{"endpoint": {s.Endpoint}, "consumer": {s.ConsumerID}, "capacity": {s.Capacity},
		"authorisation": {s.AuthorisationRef}, "timeout": {"10"}, "client_cert": {s.ClientCertPEM},
		"client_key": {s.ClientKeyPEM}, "server_ca": {s.ServerCAPEM}, "response_cert": {s.ResponseCertPEM}}
}

// TestClauseLOC2_MagdaConnectionPage: under Beheer › Koppelingen an admin
// sets the national register connection — behind the step-up — with every
// field checked on its own (https endpoint, KBO number, a certificate that
// parses and is valid, an RSA key that belongs to it); the page shows the
// certificate's holder, issuer and expiry, warns within 30 days of it, and
// never shows the private key again (left empty, it is kept); the DPO reads
// without the form; removing ends the connection; each change is audited.
func TestClauseLOC2_MagdaConnectionPage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		page := "/gent/admin/magda"
		pki, err := magdasim.NewPKI()
		if err != nil {
			t.Fatal(err)
		}
		sim, err := magdasim.Start(magdasim.Config{PKI: pki, ConsumerID: fe.gent.EnterpriseNumber, Capacities: []string{magdaSimCapacity}})
		if err != nil {
			t.Fatal(err)
		}
		defer sim.Close()
		issue := func(cn string, notBefore, notAfter time.Time) magda.Settings {
			c, err := pki.IssueValid(cn, false, notBefore, notAfter)
			if err != nil {
				t.Fatal(err)
			}
			s, err := sim.Settings(c)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		now := env.Clock.Now()
		good := issue("kluis-gent", now.Add(-24*time.Hour), now.Add(300*24*time.Hour))
		other := issue("kluis-other", now.Add(-24*time.Hour), now.Add(300*24*time.Hour))

		resp, body := fe.get(t, page, fe.admin)
		if resp.StatusCode != 200 || !strings.Contains(body, "nog geen koppeling") || !strings.Contains(body, `value="0207.451.227"`) {
			t.Fatalf("empty page: %d\n%s", resp.StatusCode, body)
		}

		// A stale login: to the confirmation page, nothing stored.
		env.Clock.Advance(StepUpMaxAge + time.Minute)
		resp, body = fe.submit(t, page, fe.admin, magdaForm(good))
		pendingOn(t, "stale set", resp, body)
		if _, err := env.DB.MagdaConnection(ctx, fe.gent.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("a connection was stored without step-up")
		}
		_, admin := fe.signIn(t, "admin2@gent.be", account.RoleAdmin)

		// Every bad field says what is wrong with it; nothing is stored.
		bad := magdaForm(good)
		bad.Set("endpoint", "http://magda.example/GeefPersoon")
		bad.Set("consumer", "0207.451.228")
		bad.Set("timeout", "600")
		bad.Set("client_key", other.ClientKeyPEM)
		bad.Set("server_ca", "geen certificaat")
		resp, body = fe.submit(t, page, admin, bad)
		for _, want := range []string{"moet een volledig https-adres zijn", "geen geldig KBO-nummer", "wachttijd in van 1 tot 60",
			"hoort niet bij het clientcertificaat", "De certificaatautoriteit is geen leesbaar certificaat", `href="#endpoint"`,
			`href="#client_key"`, `aria-describedby="client_key-hint client_key-error"`} {
			if resp.StatusCode != 422 || !strings.Contains(body, want) {
				t.Errorf("bad form: %d lacks %q", resp.StatusCode, want)
			}
		}
		if strings.Contains(body, "PRIVATE KEY") {
			t.Error("a refused form shows the private key again")
		}
		expired := issue("kluis-expired", now.Add(-48*time.Hour), now.Add(-time.Hour))
		resp, body = fe.submit(t, page, admin, magdaForm(expired))
		if resp.StatusCode != 422 || !strings.Contains(body, "Het clientcertificaat is verlopen.") {
			t.Errorf("expired certificate: %d", resp.StatusCode)
		}
		if _, err := env.DB.MagdaConnection(ctx, fe.gent.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("a refused form stored a connection")
		}

		resp, _ = fe.submit(t, page, admin, magdaForm(good))
		if resp.StatusCode != 303 || resp.Header.Get("Location") != page+"?done=set" {
			t.Fatalf("set: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		daysLeft := fmt.Sprintf("nog %d dagen", int(now.Add(300*24*time.Hour).Sub(env.Clock.Now()).Hours()/24))
		keyLine := strings.Split(good.ClientKeyPEM, "\n")[2]
		for _, who := range []string{admin, fe.dpo} {
			resp, body := fe.get(t, page+"?done=set", who)
			for _, want := range []string{"CN=kluis-gent", "CN=Kluis MAGDA simulator test CA", sim.URL, "0207.451.227", magdaSimCapacity, "SIMULATOR-AUTH-1", daysLeft} {
				if resp.StatusCode != 200 || !strings.Contains(body, want) {
					t.Errorf("page lacks %q", want)
				}
			}
			if strings.Contains(body, keyLine) || strings.Contains(body, "PRIVATE KEY") {
				t.Error("the page shows the private key")
			}
			if strings.Contains(body, `name="endpoint"`) != (who == admin) {
				t.Error("the form is shown to the wrong people")
			}
		}

		// Left empty, the key is kept; a certificate near its end is announced.
		soon := issue("kluis-soon", now.Add(-24*time.Hour), env.Clock.Now().Add(10*24*time.Hour+time.Hour))
		f := magdaForm(soon)
		if resp, _ := fe.submit(t, page, admin, f); resp.StatusCode != 303 {
			t.Fatalf("set soon: %d", resp.StatusCode)
		}
		f.Set("client_key", "")
		f.Set("capacity", "20001")
		if resp, body := fe.submit(t, page, admin, f); resp.StatusCode != 303 {
			t.Fatalf("keep key: %d\n%s", resp.StatusCode, body)
		}
		c, err := env.DB.MagdaConnection(ctx, fe.gent.ID)
		if err != nil || c.ClientKeyPEM != soon.ClientKeyPEM || c.Capacity != "20001" {
			t.Fatalf("kept key: %v %q", err, c.Capacity)
		}
		resp, body = fe.get(t, page, fe.dpo)
		if resp.StatusCode != 200 || !strings.Contains(body, "verloopt binnen 10 dagen") || !strings.Contains(body, "notice-warning") {
			t.Errorf("no expiry warning:\n%s", body)
		}
		resp, body = fe.get(t, page+"?lang=fr", admin)
		if resp.StatusCode != 200 || !strings.Contains(body, "expire dans 10 jours") || !strings.Contains(body, "Laissez vide pour garder la clé enregistrée") {
			t.Errorf("French page lacks the warning or the key hint")
		}

		if resp, _ := fe.submit(t, page, fe.clerk, magdaForm(good)); resp.StatusCode != 403 {
			t.Errorf("a clerk set the connection: %d", resp.StatusCode)
		}
		resp, _ = fe.submit(t, page+"/remove", admin, url.Values{"confirm": {"1"}})
		if resp.StatusCode != 303 {
			t.Fatalf("remove: %d", resp.StatusCode)
		}
		if _, err := env.DB.MagdaConnection(ctx, fe.gent.ID); !errors.Is(err, store.ErrNotFound) {
			t.Error("not removed")
		}
		got := auditActions(t, env, fe.gent.ID)
		if got["magda.connection.set"] != 3 || got["magda.connection.remove"] != 1 {
			t.Errorf("audited: %v", got)
		}
	})
}
