package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/storetest"
)

// newBreachEnv is a mail environment whose breach clock warns the
// security officer, with a breach described as description discovered now.
func newBreachEnv(t *testing.T, env *storetest.Env, description string) (*mailEnv, time.Time) {
	t.Helper()
	m := newMailEnv(t, env)
	m.runner.Handlers[KindBreachClock] = BreachClockHandler("security@leverancier.example")
	op := audit.Actor{Kind: audit.KindOperator, ID: "op", Role: "operator", RequestID: "r"}
	disc := env.Clock.Now()
	if _, err := env.DB.OpenBreach(ctx, op, m.tenant.ID, breach.Report{Description: description, DiscoveredAt: disc}, nil); err != nil {
		t.Fatal(err)
	}
	return m, disc
}

// TestClauseBRE1_SecurityOfficerWarnedAt18And24Hours: a breach supplier
// staff keep as a draft is escalated to the configured security officer
// through the real relay once at 18 hours after discovery and once when
// the 24 hours have passed, never twice however often the job runs, and
// the mail names the municipality and the deadline, not the form. Without
// an officer configured the job sends nothing.
func TestClauseBRE1_SecurityOfficerWarnedAt18And24Hours(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m, disc := newBreachEnv(t, env, "MARKER-LEK")
		warnings := func() []string {
			var out []string
			for _, msg := range m.relay.Messages() {
				if len(msg.To) == 1 && msg.To[0] == "security@leverancier.example" {
					out = append(out, msg.Subject+"\n"+msg.Body)
				}
			}
			return out
		}
		for _, step := range []struct {
			at   time.Duration
			want int
		}{{17*time.Hour + 50*time.Minute, 0}, {18 * time.Hour, 1}, {23 * time.Hour, 1}, {24 * time.Hour, 2}, {30 * time.Hour, 2}} {
			env.Clock.Advance(disc.Add(step.at).Sub(env.Clock.Now()))
			// The warning is queued by one tick and sent by the mail job
			// of the next slot.
			m.tick(t)
			env.Clock.Advance(time.Minute)
			m.tick(t)
			if got := warnings(); len(got) != step.want {
				t.Fatalf("%s after discovery: %d warnings, want %d", step.at, len(got), step.want)
			}
		}
		got := warnings()
		if !strings.Contains(got[0], "nog niet gemeld na 18 uur") || !strings.Contains(got[1], "niet gemeld binnen 24 uur") ||
			!strings.Contains(got[0], "Gemeente Demo") {
			t.Fatalf("warnings %q", got)
		}
		for _, w := range got {
			if strings.Contains(w, "MARKER-LEK") {
				t.Fatal("a warning carries the form's content")
			}
		}
	})
}
