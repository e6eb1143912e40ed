package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseDSR1_AdminSwitchesPerPersonKeys: per-person keys are off by
// default; an admin switches them on on their page (recorded in the log),
// a choice that is neither on nor off is refused with a message on the
// field and changes nothing, and the DPO sees the state without a form and
// cannot change it.
func TestClauseDSR1_AdminSwitchesPerPersonKeys(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		_, dpo := le.signIn(t, "dpo@gent.be", account.RoleDPO)
		on := func() bool {
			t.Helper()
			v, err := env.DB.PersonKeys(ctx, le.gent.ID)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		if on() {
			t.Fatal("per-person keys are on by default")
		}
		resp, body := le.submit(t, "/gent/admin/keys?lang=fr", admin, url.Values{"person_keys": {"peut-être"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#person_keys-on">Choisissez activées ou désactivées.`) ||
			!strings.Contains(body, `id="person_keys-error"`) || on() {
			t.Fatalf("a bad choice: %d, on %v", resp.StatusCode, on())
		}
		resp, _ = le.submit(t, "/gent/admin/keys", admin, url.Values{"person_keys": {"on"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/admin/keys?saved=1" || !on() {
			t.Fatalf("switch on: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		enabled := 0
		env.DB.EachAuditEvent(ctx, le.gent.ID, func(e *audit.Event) error {
			if e.Action == "person_keys.enable" && e.Actor.Role == "admin" {
				enabled++
			}
			return nil
		})
		if enabled != 1 {
			t.Fatalf("%d person_keys.enable events", enabled)
		}
		resp = request{target: "/gent/admin/keys?saved=1", header: map[string]string{"Cookie": admin}}.do(t, le.app.Handler())
		if body := bodyOf(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "Sleutels per persoon staan aan.") ||
			!strings.Contains(body, `value="on" checked`) || !strings.Contains(body, "in het logboek opgenomen") {
			t.Fatalf("admin page after switching on: %d", resp.StatusCode)
		}
		resp = request{target: "/gent/admin/keys", header: map[string]string{"Cookie": dpo}}.do(t, le.app.Handler())
		if body := bodyOf(t, resp); resp.StatusCode != 200 || strings.Contains(body, `name="person_keys"`) ||
			!strings.Contains(body, "Sleutels per persoon staan aan.") {
			t.Fatalf("DPO page: %d", resp.StatusCode)
		}
		if resp, _ := le.submit(t, "/gent/admin/keys", dpo, url.Values{"person_keys": {"off"}}); resp.StatusCode != http.StatusForbidden || !on() {
			t.Fatalf("DPO post: %d", resp.StatusCode)
		}
	})
}
