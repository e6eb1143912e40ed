package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseADT3_SupplierRemindedThroughTheRelay: a finding starts the
// month for the corrective-action plan; the job mails the supplier's
// operator through the real relay once a week before it is due and once
// when it is overdue (the controller's DPO told too), never twice however
// often it runs, and the mails carry no finding. (The DPO gets other
// mails from other jobs; only the plan's count.)
func TestClauseADT3_SupplierRemindedThroughTheRelay(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m := newMailEnv(t, env)
		m.runner.Handlers[KindAuditPlanClock] = AuditPlanClockHandler("https://loket.example.be")
		supplierOperator(t, env)
		ctl := audit.Actor{Kind: audit.KindUser, ID: "u1", Role: "admin", RequestID: "r"}
		c, err := env.DB.AnnounceAudit(ctx, ctl, m.tenant.ID, store.AuditAnnouncement{Kind: store.AuditDocument, Date: env.Clock.Now().Add(time.Hour),
			Scope: "Logging", Auditor: "Intern"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.AddFinding(ctx, ctl, m.tenant.ID, c.ID, store.AuditFinding{Title: "MARKER-BEVINDING", Severity: "high",
			Description: "Geen logreview"}); err != nil {
			t.Fatal(err)
		}
		start := env.Clock.Now()
		due := start.AddDate(0, 1, 0)
		sent := func(to string) []string {
			var out []string
			for _, msg := range m.relay.Messages() {
				if len(msg.To) == 1 && msg.To[0] == to && strings.Contains(msg.Subject, "Plan van aanpak") {
					out = append(out, msg.Subject+"\n"+msg.Body)
				}
			}
			return out
		}
		for _, step := range []struct {
			at        time.Time
			ops, dpos int
		}{{due.Add(-8 * 24 * time.Hour), 0, 0}, {due.Add(-7 * 24 * time.Hour), 1, 0}, {due.Add(-time.Hour), 1, 0}, {due, 2, 1}, {due.Add(48 * time.Hour), 2, 1}} {
			env.Clock.Advance(step.at.Sub(env.Clock.Now()))
			m.tick(t)
			env.Clock.Advance(time.Minute)
			m.tick(t)
			if got, dpo := sent("ops@leverancier.example"), sent("dpo@demo.example"); len(got) != step.ops || len(dpo) != step.dpos {
				t.Fatalf("%s: %d reminders to the supplier, %d to the DPO; want %d, %d", step.at, len(got), len(dpo), step.ops, step.dpos)
			}
		}
		got := sent("ops@leverancier.example")
		if !strings.Contains(got[0], "binnen een week") || !strings.Contains(got[1], "te laat") ||
			!strings.Contains(got[1], "https://loket.example.be/operator/audits/demo/"+c.ID) {
			t.Fatalf("reminders %q", got)
		}
		for _, w := range append(got, sent("dpo@demo.example")...) {
			if strings.Contains(w, "MARKER-BEVINDING") {
				t.Fatal("a reminder carries a finding")
			}
		}
	})
}
