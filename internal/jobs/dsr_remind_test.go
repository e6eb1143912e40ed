package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseDSR1_DeadlineRemindersAt7And2Days: the DPO gets one mail when
// a request has 7 days left and one at 2, through the real relay, never
// twice for a stage, never naming the person; a request decided and
// executed before is not reminded of. The clock is the test's.
func TestClauseDSR1_DeadlineRemindersAt7And2Days(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m := newMailEnv(t, env)
		clerk := audit.Actor{Kind: audit.KindUser, ID: "clerk", Role: "user", RequestID: "r"}
		admin := audit.Actor{Kind: audit.KindUser, ID: "admin", Role: "admin", RequestID: "r"}
		file := func(email string) store.SubjectRequest {
			r, err := env.DB.FileSubjectRequest(ctx, clerk, m.tenant.ID, store.NewSubjectRequest{Kind: dsr.Access,
				Person: store.SubjectPerson{Name: "MARKER-PERSON", Email: email, Lang: "nl"}})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		r := file("an@voorbeeld.be")
		done := file("bo@voorbeeld.be")
		if err := env.DB.DecideSubjectRequest(ctx, admin, m.tenant.ID, done.ID, true, "ok"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ExecuteSubjectRequest(ctx, admin, m.tenant.ID, done.ID); err != nil {
			t.Fatal(err)
		}
		reminders := func() []string {
			m.tick(t)
			m.tick(t)
			var subjects []string
			for _, msg := range m.relay.Messages() {
				if len(msg.To) == 1 && msg.To[0] == "dpo@demo.example" {
					subjects = append(subjects, msg.Subject+"\n"+msg.Body)
				}
			}
			return subjects
		}
		advanceTo := func(daysLeft int) {
			for dsr.DaysLeft(r.DueAt, env.Clock.Now()) > daysLeft {
				env.Clock.Advance(time.Hour)
			}
		}
		advanceTo(8)
		if got := reminders(); len(got) != 0 {
			t.Fatalf("reminded with 8 days left: %d mails", len(got))
		}
		advanceTo(7)
		got := reminders()
		if len(got) != 1 || !strings.Contains(got[0], "nog 7 dagen") || strings.Contains(got[0], "MARKER-PERSON") || strings.Contains(got[0], "an@voorbeeld") {
			t.Fatalf("7-day reminder: %q", got)
		}
		env.Clock.Advance(2 * time.Hour)
		if got := reminders(); len(got) != 1 {
			t.Fatalf("reminded twice at 7 days: %d", len(got))
		}
		advanceTo(2)
		got = reminders()
		if len(got) != 2 || !strings.Contains(got[1], "nog 2 dagen") {
			t.Fatalf("2-day reminder: %d mails", len(got))
		}
		env.Clock.Advance(3 * time.Hour)
		if got := reminders(); len(got) != 2 {
			t.Fatalf("reminded twice at 2 days: %d", len(got))
		}
		var events int
		env.DB.EachAuditEvent(ctx, m.tenant.ID, func(e *audit.Event) error {
			if e.Action == "dsr.remind" {
				if e.ObjectID != r.ID {
					t.Errorf("reminded of %s", e.ObjectID)
				}
				events++
			}
			return nil
		})
		if events != 2 {
			t.Fatalf("%d reminders recorded, want 2", events)
		}
	})
}
