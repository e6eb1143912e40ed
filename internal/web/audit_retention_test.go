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

// AUD-2: the admin and the DPO set the audit log's retention on the
// audit page's retention tab; under six months, or not a number, the
// form comes back with the field named in the reader's language and
// nothing is saved; a valid change is saved and audited.
func TestClauseAUD2_RetentionPageRefusesBelowMinimum(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		dpoUser, dpo := le.signIn(t, "dpo@gent.be", account.RoleDPO)

		for _, tc := range []struct{ lang, months, want string }{
			{"nl", "5", `href="#months">Bewaartermijn: minstens 6 maanden.`},
			{"fr", "zes", `href="#months">Délai de conservation : indiquez un nombre entier de mois.`},
			{"en", "2000", `href="#months">Retention: at most 1200 months.`},
		} {
			resp, body := le.submit(t, "/gent/admin/audit/retention?lang="+tc.lang, admin, url.Values{"months": {tc.months}})
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("%s months: %d", tc.months, resp.StatusCode)
			}
			for _, want := range []string{tc.want, `id="months-error"`, `aria-invalid="true"`, `value="` + tc.months + `"`} {
				if !strings.Contains(body, want) {
					t.Errorf("%s months (%s): page lacks %q", tc.months, tc.lang, want)
				}
			}
		}
		if r, _ := env.DB.AuditRetention(ctx, le.gent.ID); r.Source != "default" {
			t.Fatalf("a refused form saved: %+v", r)
		}

		resp, _ := le.submit(t, "/gent/admin/audit/retention", dpo, url.Values{"months": {"36"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/admin/audit/retention?saved=1" {
			t.Fatalf("save: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if r, _ := env.DB.AuditRetention(ctx, le.gent.ID); r.Months != 36 || r.SetBy != dpoUser.ID {
			t.Fatalf("stored: %+v", r)
		}
		var last audit.Event
		_ = env.DB.EachAuditEvent(ctx, le.gent.ID, func(e *audit.Event) error { last = *e; return nil })
		if last.Action != "audit.retention" || last.ObjectID != "36" || last.Actor.ID != dpoUser.ID {
			t.Fatalf("last event %+v", last)
		}
		resp = request{method: http.MethodGet, target: "/gent/admin/audit/retention?saved=1",
			header: map[string]string{"Cookie": admin}}.do(t, le.app.Handler())
		body := bodyOf(t, resp)
		for _, want := range []string{"De bewaartermijn is nu 36 maanden.", "36 maanden", `name="months"`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
	})
}
