package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseAUD5_StaffPageListsOperators: the DPO's page "Medewerkers
// leverancier" names every operator with department, second factor and
// status, and the log's "Leverancier en platform" page shows the platform
// entries that concern this tenant, not another's (AUD-3, AUD-5).
func TestClauseAUD5_StaffPageListsOperators(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		cli := audit.Actor{Kind: audit.KindOperator, ID: "cli:root"}
		realm, err := env.DB.OperatorRealm(ctx, cli)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.DB.InviteUser(ctx, cli, realm.ID, account.Invite{Email: "piet@lev.be", Name: "Piet Support",
			Role: account.RoleAdmin, Department: "Tweedelijnssupport"}); err != nil {
			t.Fatal(err)
		}
		_, cookie := le.signIn(t, "dpo@gent.be", account.RoleDPO)
		h := map[string]string{"Cookie": cookie}
		resp, body := le.get(t, "/gent/admin/operators/staff", h)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("staff page: %d", resp.StatusCode)
		}
		for _, want := range []string{"Piet Support", "Tweedelijnssupport", "nog niet ingesteld", "uitgenodigd"} {
			if !strings.Contains(body, want) {
				t.Errorf("staff page lacks %q", want)
			}
		}

		if err := env.DB.PlatformLog(ctx, cli, "platform.keys.rotate", le.gent.ID, "7"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.PlatformLog(ctx, cli, "platform.keys.rotate", le.brugge.ID, "9"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.PlatformLog(ctx, cli, "platform.migrate", store.PlatformAll, "24"); err != nil {
			t.Fatal(err)
		}
		resp, body = le.get(t, "/gent/admin/audit/platform", h)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("platform page: %d", resp.StatusCode)
		}
		for _, want := range []string{"sleutel nummer 7", "uw bestuur", "schemaversies 24", "alle besturen"} {
			if !strings.Contains(body, want) {
				t.Errorf("platform page lacks %q", want)
			}
		}
		if strings.Contains(body, "sleutel nummer 9") || strings.Contains(body, "cli:root") {
			t.Error("platform page shows another tenant's entry or who of the supplier acted")
		}
	})
}
