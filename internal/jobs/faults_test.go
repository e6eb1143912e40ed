package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestFault_SMTPDown_OutboxRetriesNothingLost: with the real SMTP relay
// stopped, a submission's confirmation mail stays in the outbox, retried
// with a growing back-off (no retry before it is due) and never given up,
// however long the outage lasts — here a whole day, well past
// MaxMailAttempts; once the relay is back the mail arrives exactly once.
func TestFault_SMTPDown_OutboxRetriesNothingLost(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m := newMailEnv(t, env)
		om := inviteMail("burger@voorbeeld.be", "nl-BE")
		om.Kind, om.Subject = "submission.confirmation", "Uw aanvraag is goed ontvangen"
		id := m.queue(t, om)

		m.relay.Stop()
		m.tick(t)
		st := m.status(t, id)
		if st.Status != store.MailStatusPending || st.Attempts != 1 || !strings.Contains(st.LastError, "connection") {
			t.Fatalf("after the first try with the relay down: %+v", st)
		}
		m.env.Clock.Advance(30 * time.Second) // the next run, before the back-off
		m.tick(t)
		if st := m.status(t, id); st.Attempts != 1 {
			t.Fatalf("retried before its back-off: %+v", st)
		}
		for end := m.env.Clock.Now().Add(24 * time.Hour); m.env.Clock.Now().Before(end); {
			m.env.Clock.Advance(5 * time.Minute)
			m.tick(t)
		}
		st = m.status(t, id)
		// 1, 2, 4 … 32 minutes, then hourly: about 28 tries in a day.
		if st.Status != store.MailStatusPending || st.Attempts <= store.MaxMailAttempts || st.Attempts > 30 {
			t.Fatalf("after a day with the relay down: %+v", st)
		}
		if n := len(m.relay.Messages()); n != 0 {
			t.Fatalf("%d messages while down", n)
		}

		m.relay.Restart()
		m.env.Clock.Advance(store.MaxRelayBackoff)
		for range 3 {
			m.tick(t)
			m.env.Clock.Advance(30 * time.Second)
		}
		if st := m.status(t, id); st.Status != store.MailStatusSent {
			t.Fatalf("after the relay is back: %+v", st)
		}
		m.env.Clock.Advance(24 * time.Hour)
		m.tick(t)
		got := m.relay.Messages()
		if len(got) != 1 || got[0].To[0] != "burger@voorbeeld.be" {
			t.Fatalf("the relay received %d messages, want the confirmation once", len(got))
		}
	})
}

// TestFault_ClockJumpsBack_NoDuplicateOrNegativeDeadlines: the injectable
// clock set back an hour, just after the breach's 18-hour warning went
// out, then run forward over the same hour again: no scheduled job runs a
// second time (each slot is a dedupe key), the security officer is not
// warned twice (BRE-1), and the breach's clocks keep a remaining time
// between zero and their window. Set back a whole day, before the breach
// was discovered, the clocks still show no more than their window and no
// negative time, and a request's days left are not negative (DSR-1).
func TestFault_ClockJumpsBack_NoDuplicateOrNegativeDeadlines(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m, disc := newBreachEnv(t, env, "lek")
		count := func(q string) int {
			t.Helper()
			var n int
			if err := env.Raw(t).QueryRow(q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		clocksSane := func(when string) {
			t.Helper()
			now := env.Clock.Now()
			for _, c := range []struct {
				name   string
				clock  breach.Clock
				window time.Duration
			}{{"24-hour", breach.ControllerClock(disc, nil, now), breach.ControllerWithin},
				{"72-hour", breach.AuthorityClock(disc, nil, now), breach.AuthorityWithin}} {
				if c.clock.Left < 0 || c.clock.Left > c.window || c.clock.Late {
					t.Fatalf("%s: the %s clock shows %s left (late %v)", when, c.name, c.clock.Left, c.clock.Late)
				}
			}
		}
		// Forward from 17 to 18 hours after discovery, a tick every five
		// minutes: the 18-hour warning is queued and sent.
		env.Clock.Advance(17 * time.Hour)
		run := func() {
			for range 13 {
				m.tick(t)
				env.Clock.Advance(5 * time.Minute)
			}
		}
		run()
		m.tick(t)
		jobs, warned := count(`SELECT count(*) FROM jobs`), len(m.relay.Messages())
		if warned != 1 {
			t.Fatalf("%d warnings at 18 hours, want 1", warned)
		}

		env.Clock.Advance(-65 * time.Minute)
		clocksSane("an hour back")
		run()
		m.tick(t)
		if n := count(`SELECT count(*) FROM jobs`); n != jobs {
			t.Fatalf("the same hour run again made %d jobs, want none", n-jobs)
		}
		if n := len(m.relay.Messages()); n != warned {
			t.Fatalf("the officer was warned %d times", n)
		}
		if n := count(`SELECT count(*) FROM (SELECT dedupe_key FROM jobs GROUP BY dedupe_key HAVING count(*) > 1) d`); n != 0 {
			t.Fatalf("%d slots ran twice", n)
		}

		env.Clock.Advance(-24 * time.Hour) // before the discovery
		clocksSane("a day back")
		if d := dsr.DaysLeft(dsr.DueAt(disc), env.Clock.Now()); d < 0 {
			t.Fatalf("a request received at discovery shows %d days left a day earlier", d)
		}
	})
}
