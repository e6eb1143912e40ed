package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseAUD1_WrongCodeBurstWarnsTheController: below
// store.CodeBurstMin wrong one-time codes the access-reports page says
// nothing; at the burst it shows the count as a warning line, in the
// controller's language, and never a code.
func TestClauseAUD1_WrongCodeBurstWarnsTheController(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		p := newPortalEnv(t, env)
		ctx := context.Background()
		_, cookie := p.signIn(t, "dpo@gent.be", account.RoleDPO)
		wrong := 0
		for wrong < store.CodeBurstMin {
			id, err := env.DB.RequestPortalCode(ctx, p.gent.ID, p.gent.LegalName, portalAddress, "nl")
			if err != nil {
				t.Fatal(err)
			}
			code := mailedCode(t, env, portalAddress)
			guess := "000000"
			if code == guess {
				guess = "000001"
			}
			for i := 0; i < store.CitizenCodeAttempts && wrong < store.CodeBurstMin; i++ {
				if _, err := env.DB.OpenPortalWithCode(ctx, p.gent.ID, id, guess, "r"); err != store.ErrWrongCode {
					t.Fatal(err)
				}
				wrong++
				if wrong == store.CodeBurstMin-1 {
					if _, page := p.get(t, "/gent/admin/access-reports", map[string]string{"Cookie": cookie}); strings.Contains(page, "verkeerde eenmalige codes") {
						t.Fatalf("a warning below the burst:\n%s", page)
					}
				}
			}
		}
		resp, page := p.get(t, "/gent/admin/access-reports", map[string]string{"Cookie": cookie})
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "in de laatste 10 minuten werden 20 verkeerde eenmalige codes ingegeven") {
			t.Fatalf("no burst warning: %d\n%s", resp.StatusCode, page)
		}
	})
}
