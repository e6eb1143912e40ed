package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// TestClauseREG5_DeadlineReminderWorkingDaysAhead: an authority's request
// is reminded through the real relay three working days before the
// deadline the authority set (weekends and Belgian holidays skipped) and
// again once it has passed — to the supplier's operators always, to the
// controller's DPO only for the request it was told of (never for the one
// under a legal prohibition) — never twice however often the clock runs,
// and the mails carry nothing of the request. A disclosed request is not
// reminded.
func TestClauseREG5_DeadlineReminderWorkingDaysAhead(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m := newMailEnv(t, env)
		m.runner.Handlers[KindAuthorityClock] = AuthorityClockHandler("https://loket.example.be")
		supplierOperator(t, env)
		op := audit.Actor{Kind: audit.KindOperator, ID: "op1", Role: "operator", RequestID: "r"}
		tell := func(t tenant.Tenant, kind, id string) store.OutgoingMail {
			return store.OutgoingMail{Lang: "nl", Subject: "Verzoek van een overheid", Body: "Zie Kluis."}
		}
		start := env.Clock.Now()
		deadline := workdays.Add(start, 10).Add(24*time.Hour - time.Minute) // the tenth working day, to its end
		record := func(marker string, steps ...string) store.AuthorityRequest {
			ar, err := env.DB.RecordAuthorityRequest(ctx, op, m.tenant.ID, store.AuthorityInput{Authority: "Politiezone " + marker,
				LegalBasis: "art. 46bis Sv.", Asked: "Dossier " + marker, ReceivedAt: start.Add(-time.Hour), Deadline: deadline})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range steps {
				if err := env.DB.AuthorityStep(ctx, op, m.tenant.ID, ar.ID, s, "Tekst "+marker, tell); err != nil {
					t.Fatal(err)
				}
			}
			return ar
		}
		told := record("MARKER-TOLD", store.AuthorityAssess, store.AuthorityNotify)
		record("MARKER-SECRET", store.AuthorityAssess, store.AuthorityProhibit)
		record("MARKER-DONE", store.AuthorityAssess, store.AuthorityNotify, store.AuthorityDisclose)
		m.tick(t) // the notify mails go out before the clock starts counting
		sent := func(to string) []string {
			var out []string
			for _, msg := range m.relay.Messages() {
				if len(msg.To) == 1 && msg.To[0] == to && strings.Contains(msg.Subject, "Termijn") {
					out = append(out, msg.Subject+"\n"+msg.Body)
				}
			}
			return out
		}
		remindAt := told.RemindAt()
		if want := workdays.Before(deadline, 3); !remindAt.Equal(want) || !workdays.IsWorkingDay(remindAt) {
			t.Fatalf("reminder at %s, deadline %s", remindAt, deadline)
		}
		for _, step := range []struct {
			at        time.Time
			ops, dpos int
			state     string
		}{
			{remindAt.Add(-2 * time.Hour), 0, 0, ""},
			{remindAt, 2, 1, store.DeadlineNear},
			{deadline.Add(-2 * time.Hour), 2, 1, store.DeadlineNear},
			{deadline.Add(2 * time.Hour), 4, 2, store.DeadlineOverdue},
			{deadline.Add(72 * time.Hour), 4, 2, store.DeadlineOverdue},
		} {
			// The clock runs hourly: a tick now and one an hour on.
			env.Clock.Advance(step.at.Sub(env.Clock.Now()))
			m.tick(t)
			env.Clock.Advance(time.Hour)
			m.tick(t)
			if got, dpo := sent("ops@leverancier.example"), sent("dpo@demo.example"); len(got) != step.ops || len(dpo) != step.dpos {
				t.Fatalf("%s: %d reminders to the supplier, %d to the DPO; want %d, %d", step.at, len(got), len(dpo), step.ops, step.dpos)
			}
			if got := told.DeadlineState(env.Clock.Now()); got != step.state {
				t.Fatalf("%s: state %q, want %q", step.at, got, step.state)
			}
		}
		ops, dpo := sent("ops@leverancier.example"), sent("dpo@demo.example")
		due := deadline.In(workdays.Brussels).Format("02.01.2006")
		if !strings.Contains(ops[0], "nadert") || !strings.Contains(ops[0], due) || !strings.Contains(ops[3], "verstreken") ||
			!strings.Contains(dpo[0], "https://loket.example.be/demo/admin/authority-requests#"+told.ID) ||
			!strings.Contains(ops[0], "https://loket.example.be/operator/authority?tenant=demo#") {
			t.Fatalf("reminders %q %q", ops, dpo)
		}
		for _, w := range append(ops, dpo...) {
			if strings.Contains(w, "MARKER") || strings.Contains(w, "46bis") {
				t.Fatal("a reminder carries the request")
			}
		}
		var n int
		if err := env.DB.EachAuditEvent(ctx, m.tenant.ID, func(e *audit.Event) error {
			if e.Action == "authority.remind" && e.Actor.Kind == audit.KindSystem {
				n++
			}
			return nil
		}); err != nil || n != 4 {
			t.Fatalf("%d reminders audited, want 4 (%v)", n, err)
		}
	})
}

// supplierOperator makes an active operator, ops@leverancier.example, the
// address the supplier's reminders go to.
func supplierOperator(t *testing.T, env *storetest.Env) {
	t.Helper()
	_, tok, realm, err := env.DB.AddOperator(ctx, audit.System("test"), "ops@leverancier.example", "Ops", "nl")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.ActivateUser(ctx, realm.ID, tok.Plain, "not-a-real-hash", "r"); err != nil {
		t.Fatal(err)
	}
}
