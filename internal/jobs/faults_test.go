package jobs

import (
	"strings"
	"testing"
	"time"

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
