package web

import (
	"context"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseADT1_ChangesListedNewestFirstWithTheirTime: the report's
// changes page lists every recorded flip, the most recent first, each with
// its clause and title, its statuses in words, when it was measured and
// why the clause had and has its status, in the reader's language; another
// tenant's flips are not there.
func TestClauseADT1_ChangesListedNewestFirstWithTheirTime(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		_, dpo := le.signIn(t, "dpo@gent.be", account.RoleDPO)
		job := audit.System("compliance.drift")
		usr2 := func(status, reason string, args ...any) store.ClauseState {
			return store.ClauseState{Clause: "USR-2", Status: status, MeasuredAt: env.Clock.Now(),
				Facts: map[string]string{store.DriftReasonFact: store.EncodeDriftReason(reason, args...)}}
		}
		_, body := le.get(t, "/gent/admin/compliance/changes", map[string]string{"Cookie": dpo})
		if !strings.Contains(body, "nog niet gemeten") {
			t.Fatalf("before the first run the page does not say so:\n%s", body)
		}
		var first time.Time // when USR-2 was measured partly met
		for _, s := range []store.ClauseState{usr2("met", "compliance.reason.admins_mfa", 2), usr2("partly", "compliance.reason.admins_without_mfa", 1, 2)} {
			first = s.MeasuredAt
			if _, err := env.DB.RecordComplianceDrift(ctx, job, le.gent.ID, []store.ClauseState{s}, nil); err != nil {
				t.Fatal(err)
			}
			env.Clock.Advance(time.Hour)
		}
		if _, err := env.DB.RecordComplianceDrift(ctx, job, le.gent.ID, []store.ClauseState{usr2("met", "compliance.reason.admins_mfa", 2)}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.RecordComplianceDrift(ctx, job, le.brugge.ID, []store.ClauseState{usr2("met", "compliance.reason.admins_mfa", 2)}, nil); err != nil {
			t.Fatal(err)
		}
		_, dpo = le.signIn(t, "dpo2@gent.be", account.RoleDPO) // the first session has idled out
		resp, body := le.get(t, "/gent/admin/compliance/changes", map[string]string{"Cookie": dpo})
		body = html.UnescapeString(body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		back, lost := strings.Index(body, "Was gedeeltelijk voldaan, nu voldaan."), strings.Index(body, "Was voldaan, nu gedeeltelijk voldaan.")
		if back < 0 || lost < 0 || back > lost {
			t.Fatalf("the changes are not listed newest first (%d, %d):\n%s", back, lost, body)
		}
		for _, want := range []string{"USR-2", "Tweestapsverificatie", first.In(brussels).Format("02.01.2006 15:04"),
			"1 van de 2 beheerders en DPO's hebben geen tweestapsverificatie.", "Niemand kreeg een mail"} {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %q:\n%s", want, body[strings.Index(body, "<main"):])
			}
		}
		if strings.Contains(body, "compliance.reason") {
			t.Errorf("the page shows a raw key")
		}
		_, body = le.get(t, "/gent/admin/compliance/changes?lang=fr", map[string]string{"Cookie": dpo})
		if body = html.UnescapeString(body); !strings.Contains(body, "Était partiellement respectée, maintenant respectée.") || !strings.Contains(body, "Changements de conformité") {
			t.Errorf("the French page:\n%s", body)
		}
	})
}
