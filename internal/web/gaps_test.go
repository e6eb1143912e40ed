package web

import (
	"context"
	"net/url"
	"slices"
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

// TestClauseORG1_ChangeShownWithPreviousVersion: the supplier declares its
// DPO on the realm's page and then another; the controller's page of
// declarations says "Gewijzigd op <date>" under the current one with the
// previous version, and its admin and DPO (and the other tenant's) were mailed about the change
// (not about the first declaration).
func TestClauseORG1_ChangeShownWithPreviousVersion(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le, admin, h := instrEnv(t, env)
		if _, err := env.DB.ClaimMail(ctx, 100); err != nil {
			t.Fatal(err)
		}
		today := dayText(env.Clock.Now())
		for i, name := range []string{"Bart Eerste", "Carla Tweede"} {
			resp, body := le.postForm(t, "/operator/organisation", h, url.Values{"kind": {"dpo"}, "name": {name}, "email": {"dpo@lev.example"},
				"date": {today}})
			wantRedirect(t, "declare "+body, resp, "/operator/organisation?done=saved#dpo")
			ms, err := env.DB.ClaimMail(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, m := range ms {
				kinds = append(kinds, m.Kind+" "+m.To)
			}
			slices.Sort(kinds)
			if want := []string{"org.changed admin@gent.be", "org.changed dpo@brugge.be", "org.changed dpo@gent.be"}; i == 0 && len(kinds) != 0 || i == 1 && !slices.Equal(kinds, want) {
				t.Fatalf("declaration %d mailed %v", i, kinds)
			}
		}
		_, body := le.get(t, "/gent/admin/organisation", map[string]string{"Cookie": admin})
		cur, changed, prev := strings.Index(body, "Carla Tweede"), strings.Index(body, "Gewijzigd op "+today), strings.Index(body, "Vorige versie, verklaard op")
		if cur < 0 || changed < cur || prev < changed || !strings.Contains(body[prev:], "Bart Eerste") {
			t.Fatalf("the change is not shown under the current declaration: %d %d %d", cur, changed, prev)
		}
	})
}
