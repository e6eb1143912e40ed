package jobs

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/mail"
	"github.com/kluis/kluis/internal/mail/mailtest"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

const inviteSubject = "Uw uitnodiging voor het e-loket van Gemeente Demo – één klik"

func inviteMail(to, lang string) store.OutgoingMail {
	return store.OutgoingMail{To: to, Subject: inviteSubject, Lang: lang, Kind: "account.invite",
		Body: "Beste,\n\nKlik één keer om uw account te activeren.\nÀ bientôt – Gemeente Demo\n"}
}

// mailEnv is a tenant, a relay and a runner whose mail job delivers to it.
type mailEnv struct {
	env    *storetest.Env
	tenant tenant.Tenant
	relay  *mailtest.Server
	runner *Runner
}

func newMailEnv(t *testing.T, env *storetest.Env) *mailEnv {
	t.Helper()
	tn, err := env.DB.CreateTenant(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, tenant.New{
		Slug: "demo", LegalName: "Gemeente Demo", EnterpriseNumber: "0207451227",
		DPOName: "DPO Demo", DPOEmail: "dpo@demo.example", DefaultLang: "nl",
	})
	if err != nil {
		t.Fatal(err)
	}
	relay := mailtest.Start(t, mailtest.Options{Username: "kluis", Password: "relay-secret"})
	sender, err := mail.New(relay.Config())
	if err != nil {
		t.Fatal(err)
	}
	r := runner(env, Handlers())
	r.Handlers[KindMailSend] = MailHandler(sender, r.Log)
	// Without the DPO's daily checkpoint digest, which would add a mail
	// of its own: its tests run it themselves.
	r.Schedule = slices.DeleteFunc(slices.Clone(Schedule), func(p Periodic) bool { return p.Kind == KindCheckpointDigest })
	return &mailEnv{env: env, tenant: tn, relay: relay, runner: r}
}

func (m *mailEnv) queue(t *testing.T, om store.OutgoingMail) string {
	t.Helper()
	id, err := m.env.DB.QueueMail(ctx, audit.Actor{Kind: audit.KindUser, ID: "u1", Role: "admin"}, m.tenant.ID, om)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// tick does what the runner does on each poll: schedule, then run what is due.
func (m *mailEnv) tick(t *testing.T) {
	t.Helper()
	if err := m.runner.EnqueueDue(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		did, err := m.runner.RunOne(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !did {
			return
		}
	}
}

func (m *mailEnv) status(t *testing.T, id string) store.MailStatus {
	t.Helper()
	st, err := m.env.DB.MailStatus(ctx, m.tenant.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (m *mailEnv) actions(t *testing.T, mailID string) string {
	t.Helper()
	var actions []string
	m.env.DB.EachAuditEvent(ctx, m.tenant.ID, func(e *audit.Event) error {
		if strings.Contains(fmt.Sprintf("%+v", *e), "voorbeeld") {
			t.Errorf("audit event names the recipient: %+v", *e)
		}
		if e.ObjectID == mailID {
			actions = append(actions, e.Action)
		}
		return nil
	})
	return strings.Join(actions, ",")
}

func TestMailJob_DeliversInTheRecipientsLanguageOverSTARTTLS(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m := newMailEnv(t, env)
		langs := map[string]string{"an.nl@voorbeeld.be": "nl-BE", "an.fr@voorbeeld.be": "fr-BE", "an.en@voorbeeld.be": "en"}
		ids := map[string]string{}
		for to, lang := range langs {
			ids[to] = m.queue(t, inviteMail(to, lang))
		}
		m.tick(t)
		got := m.relay.Messages()
		if len(got) != len(langs) {
			t.Fatalf("relay received %d messages, want %d", len(got), len(langs))
		}
		for _, msg := range got {
			if len(msg.To) != 1 {
				t.Fatalf("recipients %q", msg.To)
			}
			to := msg.To[0]
			want := inviteMail(to, langs[to])
			if !msg.TLS || msg.Subject != want.Subject ||
				// The body, closed by the municipality's name (its look, issue 10).
				msg.Body != strings.TrimRight(want.Body, "\n")+"\n\n-- \nGemeente Demo\n" || msg.Header.Get("To") != "<"+to+">" {
				t.Errorf("message to %s: tls %v subject %q body %q", to, msg.TLS, msg.Subject, msg.Body)
			}
			if cl := msg.Header.Get("Content-Language"); cl != langs[to] {
				t.Errorf("message to %s: Content-Language %q, want %q", to, cl, langs[to])
			}
			if st := m.status(t, ids[to]); st.Status != store.MailStatusSent || st.Attempts != 1 {
				t.Errorf("mail to %s: %+v", to, st)
			}
			if a := m.actions(t, ids[to]); a != "mail.queue,mail.read,mail.sent" {
				t.Errorf("audit of mail to %s: %s", to, a)
			}
		}
		// Later runs send nothing again.
		m.env.Clock.Advance(time.Hour)
		m.tick(t)
		if n := len(m.relay.Messages()); n != len(langs) {
			t.Fatalf("relay received %d messages after another run", n)
		}
		if m.relay.Logins() != len(langs) {
			t.Fatalf("logins: %d", m.relay.Logins())
		}
	})
}

func TestMailJob_4xxIsRetriedAfterBackoff5xxFailsForGood(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m := newMailEnv(t, env)
		busy := m.queue(t, inviteMail("druk.bezet@voorbeeld.be", "nl-BE"))
		m.relay.RejectNext(450)
		m.tick(t)
		st := m.status(t, busy)
		if len(m.relay.Messages()) != 0 || st.Status != store.MailStatusPending || st.Attempts != 1 ||
			st.LastError != "smtp: temporary failure (450 4.0.0 recipient)" {
			t.Fatalf("after 450: %+v", st)
		}
		m.env.Clock.Advance(30 * time.Second) // the next slot, but not yet the back-off
		m.tick(t)
		if len(m.relay.Messages()) != 0 {
			t.Fatal("retried before its back-off")
		}
		m.env.Clock.Advance(30 * time.Second)
		m.tick(t)
		if got := m.relay.Messages(); len(got) != 1 || got[0].To[0] != "druk.bezet@voorbeeld.be" {
			t.Fatalf("after back-off: %d messages", len(got))
		}
		if st := m.status(t, busy); st.Status != store.MailStatusSent || st.Attempts != 2 || st.LastError != "" {
			t.Fatalf("after back-off: %+v", st)
		}
		if a := m.actions(t, busy); a != "mail.queue,mail.read,mail.retry,mail.read,mail.sent" {
			t.Fatalf("audit: %s", a)
		}

		gone := m.queue(t, inviteMail("bestaat.niet@voorbeeld.be", "fr-BE"))
		m.relay.RejectNext(550)
		m.env.Clock.Advance(30 * time.Second) // this slot's run is over: the next one sends it
		m.tick(t)
		st = m.status(t, gone)
		if st.Status != store.MailStatusFailed || st.Attempts != 1 || st.LastError != "smtp: permanent failure (550 5.0.0 recipient)" {
			t.Fatalf("after 550: %+v", st)
		}
		m.env.Clock.Advance(24 * time.Hour)
		m.tick(t)
		if n := len(m.relay.Messages()); n != 1 {
			t.Fatalf("relay received %d messages, want 1", n)
		}
		if a := m.actions(t, gone); a != "mail.queue,mail.read,mail.failed" {
			t.Fatalf("audit: %s", a)
		}
	})
}

func TestMailJob_RelayDownDefersTheWholeBatch(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m := newMailEnv(t, env)
		var ids []string
		for i := 0; i < 3; i++ {
			ids = append(ids, m.queue(t, inviteMail(fmt.Sprintf("n%d@voorbeeld.be", i), "nl-BE")))
		}
		// One connection's EHLO and HELO are refused. Were the job to try the
		// relay again for the next mail of the batch, that one would go out.
		m.relay.RejectSessions(421, 421)
		m.tick(t)
		if n := len(m.relay.Messages()); n != 0 {
			t.Fatalf("relay received %d messages", n)
		}
		for _, id := range ids {
			if st := m.status(t, id); st.Status != store.MailStatusPending || st.Attempts != 1 || !strings.Contains(st.LastError, "421") {
				t.Fatalf("mail %s: %+v", id, st)
			}
		}
		m.env.Clock.Advance(time.Minute)
		m.tick(t)
		if n := len(m.relay.Messages()); n != 3 {
			t.Fatalf("relay received %d messages once up again", n)
		}
	})
}

func TestMailJob_WithoutRelayMailStaysQueued(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m := newMailEnv(t, env)
		m.runner.Handlers = Handlers() // as when no relay is configured
		id := m.queue(t, inviteMail("wacht@voorbeeld.be", "nl-BE"))
		for i := 0; i < 3; i++ {
			m.tick(t)
			m.env.Clock.Advance(30 * time.Second)
		}
		if st := m.status(t, id); st.Status != store.MailStatusPending || st.Attempts != 0 {
			t.Fatalf("mail: %+v", st)
		}
		if a := m.actions(t, id); a != "mail.queue" {
			t.Fatalf("audit: %s (nothing was read)", a)
		}
		j, err := env.DB.JobByDedupeKey(ctx, KindMailSend+"@"+env.Clock.Now().Add(-30*time.Second).Truncate(30*time.Second).Format(time.RFC3339))
		if err != nil || j.Status != "done" {
			t.Fatalf("job: %+v %v", j, err)
		}
	})
}

func TestMailJob_CrashedSendIsPickedUpAfterTenMinutes(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m := newMailEnv(t, env)
		id := m.queue(t, inviteMail("na.crash@voorbeeld.be", "en"))
		// A sender claims the mail and dies before it reports anything.
		if ms, err := env.DB.ClaimMail(ctx, 50); err != nil || len(ms) != 1 {
			t.Fatalf("claim: %d %v", len(ms), err)
		}
		m.tick(t)
		m.env.Clock.Advance(9 * time.Minute)
		m.tick(t)
		if n := len(m.relay.Messages()); n != 0 {
			t.Fatalf("sent while another sender may still be at it: %d", n)
		}
		m.env.Clock.Advance(time.Minute)
		m.tick(t)
		if got := m.relay.Messages(); len(got) != 1 || got[0].Header.Get("Content-Language") != "en" {
			t.Fatalf("after the sending timeout: %d messages", len(got))
		}
		if st := m.status(t, id); st.Status != store.MailStatusSent || st.Attempts != 2 {
			t.Fatalf("mail: %+v", st)
		}
		if a := m.actions(t, id); a != "mail.queue,mail.read,mail.read,mail.sent" {
			t.Fatalf("audit: %s", a)
		}
	})
}
