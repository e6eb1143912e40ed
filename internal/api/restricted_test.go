package api

import (
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// DSR-1 (art. 18): while the person of a submission has processing
// restricted, the API refuses a status change with 409 "restricted", the
// refusal recorded; lifting the restriction unfreezes it.
func TestClauseDSR1_APIRefusesARestrictedStatusChange(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newFixture(t, env, Options{})
		dpo := audit.Actor{Kind: audit.KindUser, ID: "dpo-1", Role: "dpo", RequestID: "r"}
		r, err := env.DB.FileSubjectRequest(ctx, dpo, fx.gent.ID, store.NewSubjectRequest{Kind: dsr.Restriction,
			Person: store.SubjectPerson{Name: "X", INSZ: "85071512397", Lang: "nl", Grounds: "Fout in onderzoek"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DecideSubjectRequest(ctx, dpo, fx.gent.ID, r.ID, true, "ok"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ExecuteSubjectRequest(ctx, dpo, fx.gent.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		status := func() response {
			return fx.do(t, call{method: "POST", target: "/api/v1/gent/submissions/" + fx.sub + "/status", token: fx.full,
				body: `{"status":"in_progress"}`, ctype: "application/json"})
		}
		resp := status()
		if resp.StatusCode != 409 || !strings.Contains(string(resp.body), "art. 18") {
			t.Fatalf("restricted: %d %s", resp.StatusCode, resp.body)
		}
		refused := 0
		for _, e := range events(t, env, fx.gent.ID) {
			if e.Action == "dsr.restricted" && e.ObjectID == fx.sub && e.Outcome == audit.OutcomeDenied {
				refused++
			}
		}
		if refused != 1 {
			t.Fatalf("%d refusals recorded, want 1", refused)
		}
		if err := env.DB.CloseSubjectRequest(ctx, dpo, fx.gent.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		if resp := status(); resp.StatusCode != 200 {
			t.Fatalf("after the lift: %d %s", resp.StatusCode, resp.body)
		}
	})
}
