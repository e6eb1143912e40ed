package jobs

import (
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// TestClauseSUB2_RoutingToObjectedSubProcessorRefusedAndAudited: the
// tenant's case system (a real HTTPS receiver on 127.0.0.1) is run by a
// sub-processor announced to the tenant, who objects. The delivery job
// sends it nothing — the refusal is recorded, denied, and the delivery
// waits — until the tenant accepts; then the same delivery goes out at
// once.
func TestClauseSUB2_RoutingToObjectedSubProcessorRefusedAndAudited(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := newHookEnv(t, env)
		c := h.rc.client("127.0.0.1/32")
		op := audit.Actor{Kind: audit.KindOperator, ID: "op", Role: "operator"}
		admin := audit.Actor{Kind: audit.KindUser, ID: "admin", Role: "admin"}
		s, err := env.DB.CreateSubProcessor(ctx, op, store.SubProcessorInput{Name: "Hosting BV", HeadOffice: "Gent", Location: "Gent",
			EEA: "yes", Measures: "ISO 27001", AgreementRef: "SVO-1", AgreementDate: "2026-01-01", Services: "Zaaksysteem", Hosts: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		mail := func(tenant.Tenant, store.SubProcessor, store.SubDecision) store.OutgoingMail {
			return store.OutgoingMail{Lang: "nl", Subject: "Subverwerker", Body: "Aangekondigd"}
		}
		if err := env.DB.AnnounceSubProcessor(ctx, op, s.ID, store.SubAnnouncement{Kind: store.SubKindAdd,
			EffectiveAt: env.Clock.Now().Add(30 * 24 * time.Hour), TenantIDs: []string{h.tenant.ID}}, mail); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DecideSubProcessor(ctx, admin, h.tenant.ID, s.ID, false, "Eerst overleg"); err != nil {
			t.Fatal(err)
		}
		h.submit(t)
		h.run(t, c)
		if got := h.rc.received(); len(got) != 0 {
			t.Fatalf("the objected sub-processor received %d deliveries", len(got))
		}
		d := h.delivery(t)
		if d.Status != store.DeliveryPending || d.Attempts != 0 || !d.NextAttemptAt.Equal(env.Clock.Now().Add(store.SubProcessorHoldRetry)) {
			t.Fatalf("held delivery %+v", d)
		}
		if a := h.actions(d.ID); a != "subprocessor.refused/denied" {
			t.Fatalf("audit %s", a)
		}
		h.run(t, c) // not due again yet: nothing more is sent or recorded
		if a := h.actions(d.ID); a != "subprocessor.refused/denied" || len(h.rc.received()) != 0 {
			t.Fatalf("second run: %s", a)
		}
		if err := env.DB.DecideSubProcessor(ctx, admin, h.tenant.ID, s.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		h.run(t, c)
		if got := h.rc.received(); len(got) != 1 || len(h.rc.bad) > 0 {
			t.Fatalf("after acceptance received %d (%v)", len(got), h.rc.bad)
		}
		d = h.delivery(t)
		if d.Status != store.DeliveryDelivered || d.Attempts != 1 {
			t.Fatalf("delivery %+v", d)
		}
		if a := h.actions(d.ID); a != "subprocessor.refused/denied,webhook.delivered/success" {
			t.Fatalf("audit %s", a)
		}
	})
}

// TestClauseSUB2_MailRelayObjectedSubProcessorRefusedAndAudited: the mail
// relay (a real SMTP server) is a sub-processor the tenant objected to:
// the tenant's mail does not reach it — the refusal is in the tenant's
// log — except the announcement itself; once the tenant accepts, the mail
// goes out on its next attempt.
func TestClauseSUB2_MailRelayObjectedSubProcessorRefusedAndAudited(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m := newMailEnv(t, env)
		op := audit.Actor{Kind: audit.KindOperator, ID: "op", Role: "operator"}
		admin := audit.Actor{Kind: audit.KindUser, ID: "admin", Role: "admin"}
		s, err := env.DB.CreateSubProcessor(ctx, op, store.SubProcessorInput{Name: "Relay BV", HeadOffice: "Gent", Location: "Gent",
			EEA: "yes", Measures: "TLS", AgreementRef: "SVO-2", AgreementDate: "2026-01-01", Services: "E-mail", Hosts: m.relay.Config().Host})
		if err != nil {
			t.Fatal(err)
		}
		announce := func(tenant.Tenant, store.SubProcessor, store.SubDecision) store.OutgoingMail {
			return store.OutgoingMail{Lang: "nl", Subject: "Nieuwe subverwerker", Body: "Relay BV"}
		}
		if err := env.DB.AnnounceSubProcessor(ctx, op, s.ID, store.SubAnnouncement{Kind: store.SubKindAdd,
			EffectiveAt: env.Clock.Now().Add(30 * 24 * time.Hour), TenantIDs: []string{m.tenant.ID}}, announce); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DecideSubProcessor(ctx, admin, m.tenant.ID, s.ID, false, "Eerst overleg"); err != nil {
			t.Fatal(err)
		}
		id := m.queue(t, inviteMail("an@voorbeeld.be", "nl"))
		m.tick(t)
		got := m.relay.Messages()
		if len(got) != 1 || got[0].Subject != "Nieuwe subverwerker" {
			t.Fatalf("relay received %d messages (only the announcement may pass)", len(got))
		}
		if st := m.status(t, id); st.Status == store.MailStatusSent {
			t.Fatalf("mail sent through the objected relay: %+v", st)
		}
		refused := 0
		env.DB.EachAuditEvent(ctx, m.tenant.ID, func(e *audit.Event) error {
			if e.Action == "subprocessor.refused" && e.Outcome == audit.OutcomeDenied && e.ObjectID == s.ID {
				refused++
			}
			return nil
		})
		if refused != 1 {
			t.Fatalf("%d refusals audited, want 1", refused)
		}
		if err := env.DB.DecideSubProcessor(ctx, admin, m.tenant.ID, s.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Hour)
		m.tick(t)
		if st := m.status(t, id); st.Status != store.MailStatusSent || len(m.relay.Messages()) != 2 {
			t.Fatalf("after acceptance: %+v, relay has %d", st, len(m.relay.Messages()))
		}
	})
}

// TestClauseSUB3_RoutingToEndedSubProcessorRefusedAndAudited: the
// tenant's case system is run by a sub-processor it agreed to in annex 1;
// once the supplier ends that sub-processor, the delivery job sends it
// nothing — the refusal is recorded, denied, naming the end — although the
// tenant had accepted it.
func TestClauseSUB3_RoutingToEndedSubProcessorRefusedAndAudited(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := newHookEnv(t, env)
		c := h.rc.client("127.0.0.1/32")
		op := audit.Actor{Kind: audit.KindOperator, ID: "op", Role: "operator"}
		s, err := env.DB.CreateSubProcessor(ctx, op, store.SubProcessorInput{Name: "Hosting BV", HeadOffice: "Gent", Location: "Gent",
			EEA: "yes", Measures: "ISO 27001", AgreementRef: "SVO-1", AgreementDate: "2026-01-01", Services: "Zaaksysteem", Hosts: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.AnnounceSubProcessor(ctx, op, s.ID, store.SubAnnouncement{Kind: store.SubKindAgreed, TenantIDs: []string{h.tenant.ID}}, nil); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.RetireSubProcessor(ctx, op, s.ID, env.Clock.Now(), "Contract opgezegd", nil); err != nil {
			t.Fatal(err)
		}
		h.submit(t)
		h.run(t, c)
		if got := h.rc.received(); len(got) != 0 {
			t.Fatalf("the ended sub-processor received %d deliveries", len(got))
		}
		d := h.delivery(t)
		if d.Status != store.DeliveryPending || d.Attempts != 0 {
			t.Fatalf("held delivery %+v", d)
		}
		if a := h.actions(d.ID); a != "subprocessor.refused/denied" {
			t.Fatalf("audit %s", a)
		}
	})
}
