package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// TestClauseREG5_DeadlineNearAndOverdueOnThePages: on both sides' pages an
// authority's request whose deadline is far shows nothing of it, one due
// within three working days "Termijn nadert", one past its deadline
// "Termijn verstreken"; a disclosed one neither, however late.
func TestClauseREG5_DeadlineNearAndOverdueOnThePages(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le, admin, h := instrEnv(t, env)
		op := audit.Actor{Kind: audit.KindOperator, ID: "op", Role: "operator"}
		now := env.Clock.Now()
		tell := func(tenant.Tenant, string, string) store.OutgoingMail {
			return store.OutgoingMail{Lang: "nl", Subject: "Verzoek", Body: "Zie Kluis."}
		}
		deadlines := map[string]time.Time{"Far": now.AddDate(0, 0, 20), "Near": now.Add(24 * time.Hour), "Late": now.Add(-24 * time.Hour),
			"Done": now.Add(-48 * time.Hour)}
		for name, deadline := range deadlines {
			ar, err := env.DB.RecordAuthorityRequest(ctx, op, le.gent.ID, store.AuthorityInput{Authority: "Politie " + name, LegalBasis: "art. 46bis Sv.",
				Asked: "Dossier 31", ReceivedAt: now.AddDate(0, 0, -30), Deadline: deadline})
			if err != nil {
				t.Fatal(err)
			}
			steps := []string{store.AuthorityAssess, store.AuthorityNotify}
			if name == "Done" {
				steps = append(steps, store.AuthorityDisclose)
			}
			for _, s := range steps {
				if err := env.DB.AuthorityStep(ctx, op, le.gent.ID, ar.ID, s, "Tekst", tell); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, p := range []struct{ url, cookie string }{{"/operator/authority?tenant=gent", h["Cookie"]}, {"/gent/admin/authority-requests", admin}} {
			_, body := le.get(t, p.url, map[string]string{"Cookie": p.cookie})
			near := "Termijn nadert: antwoord uiterlijk op " + dayText(deadlines["Near"])
			late := "Termijn verstreken op " + dayText(deadlines["Late"])
			if !strings.Contains(body, "Politie Far") || strings.Count(body, "Termijn nadert") != 1 || strings.Count(body, "Termijn verstreken") != 1 ||
				!strings.Contains(body, near) || !strings.Contains(body, late) {
				t.Fatalf("%s: want one %q and one %q", p.url, near, late)
			}
			if i, j := strings.Index(body, "Politie Near"), strings.Index(body, near); j < i {
				t.Fatalf("%s: the near deadline is not shown on its request", p.url)
			}
		}
	})
}
