package store_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

func subMail(t tenant.Tenant, s store.SubProcessor, d store.SubDecision) store.OutgoingMail {
	return store.OutgoingMail{Lang: "nl", Subject: "Nieuwe subverwerker " + s.Name, Body: "Vanaf " + d.EffectiveAt.Format("02.01.2006")}
}

func mailBox() store.SubProcessorInput {
	return store.SubProcessorInput{Name: "MailBox NV", HeadOffice: "Brussel, België", Location: "Frankfurt, Duitsland", EEA: "yes",
		Measures: "ISO 27001, versleuteling in rust", AgreementRef: "SVO-2026-007", AgreementDate: "2026-03-01",
		Services: "Uitgaande e-mail", Hosts: "relay.mailbox.example"}
}

func subFields(t *testing.T, err error) map[string]string {
	t.Helper()
	var ve *store.SubValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a refusal, got %v", err)
	}
	return ve.Fields
}

// TestClauseSUB2_AnnouncedToAdminsAndDPOObjectionOpensThreeMonthWindow: a
// new sub-processor announced to a tenant with an effective date is mailed
// to its admins and DPO and pending on its list; the admin's objection
// with a reason opens a window of 3 months from the objection (the
// injectable clock), recorded with the reason sealed.
func TestClauseSUB2_AnnouncedToAdminsAndDPOObjectionOpensThreeMonthWindow(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		aalst := newTenant(t, env, "aalst")
		activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, fastHasher())
		claimAll(t, env)
		s, err := env.DB.CreateSubProcessor(ctx, operator, mailBox())
		if err != nil {
			t.Fatal(err)
		}
		effective := env.Clock.Now().AddDate(0, 0, 30)
		if err := env.DB.AnnounceSubProcessor(ctx, operator, s.ID, store.SubAnnouncement{Kind: store.SubKindAdd, EffectiveAt: effective,
			TenantIDs: []string{gent.ID}}, subMail); err != nil {
			t.Fatal(err)
		}
		lines, _ := claimAll(t, env)
		if want := []string{"subprocessor.announce nl admin@gent.be", "subprocessor.announce nl dpo@gent.example"}; !reflect.DeepEqual(lines, want) {
			t.Fatalf("mails %v, want %v", lines, want)
		}
		list, err := env.DB.TenantSubProcessors(ctx, dsrAdmin, gent.ID)
		if err != nil || len(list) != 1 || list[0].Status != store.SubPending || !list[0].EffectiveAt.Equal(effective.Truncate(time.Microsecond)) {
			t.Fatalf("gent's list %+v %v", list, err)
		}
		if other, _ := env.DB.TenantSubProcessors(ctx, dsrAdmin, aalst.ID); len(other) != 0 {
			t.Fatalf("aalst sees %+v", other)
		}
		env.Clock.Advance(24 * time.Hour)
		objectedAt := env.Clock.Now()
		if err := env.DB.DecideSubProcessor(ctx, dsrAdmin, gent.ID, s.ID, false, "Geen verwerking buiten België zonder overleg"); err != nil {
			t.Fatal(err)
		}
		list, _ = env.DB.TenantSubProcessors(ctx, dsrAdmin, gent.ID)
		got := list[0]
		wantEnd := objectedAt.AddDate(0, 3, 0).Truncate(time.Microsecond)
		if got.Status != store.SubObjected || got.WindowEndsAt == nil || !got.WindowEndsAt.Equal(wantEnd) ||
			got.Objection != "Geen verwerking buiten België zonder overleg" || got.DecidedBy != dsrAdmin.ID {
			t.Fatalf("after the objection %+v", got)
		}
		if !got.ObjectionOpen(wantEnd.Add(-time.Second)) || got.ObjectionOpen(wantEnd) {
			t.Fatal("the window is not exactly 3 months")
		}
		var raw []byte
		if err := env.Raw(t).QueryRow(`SELECT objection FROM subprocessor_tenants WHERE tenant_id = $1`, gent.ID).Scan(&raw); err != nil ||
			strings.Contains(string(raw), "België") {
			t.Fatalf("objection not sealed: %v", err)
		}
		// The operators see the objection and its window, not the reason.
		all, err := env.DB.SubProcessors(ctx)
		if err != nil || len(all) != 1 || len(all[0].Tenants) != 1 || all[0].Tenants[0].Status != store.SubObjected ||
			!all[0].Tenants[0].WindowEndsAt.Equal(wantEnd) {
			t.Fatalf("operators' list %+v %v", all, err)
		}
		for _, action := range []string{"subprocessor.announce", "subprocessor.object", "subprocessor.list"} {
			if _, ok := lastAudit(t, env, gent.ID, action); !ok {
				t.Errorf("%s not audited", action)
			}
		}
	})
}

// TestClauseSUB2_ObjectionAfterEffectiveDateRefused: bad input is refused
// field by field with nothing saved — an objection after the effective
// date, an objection without a reason, and an operator's form missing its
// fields or with an effective date in the past.
func TestClauseSUB2_ObjectionAfterEffectiveDateRefused(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		got := subFields(t, func() error {
			_, err := env.DB.CreateSubProcessor(ctx, operator, store.SubProcessorInput{EEA: "no", AgreementDate: "1 maart", Hosts: "a b/c"})
			return err
		}())
		want := map[string]string{"name": "subproc.error.name_required", "head_office": "subproc.error.head_office_required",
			"location": "subproc.error.location_required", "measures": "subproc.error.measures_required",
			"agreement_ref": "subproc.error.agreement_ref_required", "services": "subproc.error.services_required",
			"transfer_mechanism": "subproc.error.transfer_required", "agreement_date": "subproc.error.agreement_date_invalid",
			"hosts": "subproc.error.hosts_invalid"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("fields %v", got)
		}
		if n := countRows(t, env, "subprocessors"); n != 0 {
			t.Fatalf("%d saved", n)
		}
		s, err := env.DB.CreateSubProcessor(ctx, operator, mailBox())
		if err != nil {
			t.Fatal(err)
		}
		got = subFields(t, env.DB.AnnounceSubProcessor(ctx, operator, s.ID, store.SubAnnouncement{Kind: store.SubKindAdd,
			EffectiveAt: env.Clock.Now().Add(-time.Hour)}, subMail))
		if !reflect.DeepEqual(got, map[string]string{"effective": "subproc.error.effective_past", "tenants": "subproc.error.tenants_required"}) {
			t.Fatalf("announcement fields %v", got)
		}
		effective := env.Clock.Now().Add(48 * time.Hour)
		if err := env.DB.AnnounceSubProcessor(ctx, operator, s.ID, store.SubAnnouncement{Kind: store.SubKindAdd, EffectiveAt: effective,
			TenantIDs: []string{gent.ID}}, subMail); err != nil {
			t.Fatal(err)
		}
		got = subFields(t, env.DB.DecideSubProcessor(ctx, dsrAdmin, gent.ID, s.ID, false, "  "))
		if !reflect.DeepEqual(got, map[string]string{"reason": "subproc.error.reason_required"}) {
			t.Fatalf("no reason: %v", got)
		}
		env.Clock.Advance(48 * time.Hour) // the change took effect
		got = subFields(t, env.DB.DecideSubProcessor(ctx, dsrAdmin, gent.ID, s.ID, false, "Te laat bedacht"))
		if !reflect.DeepEqual(got, map[string]string{"decision": "subproc.error.objection_too_late"}) {
			t.Fatalf("late: %v", got)
		}
		list, _ := env.DB.TenantSubProcessors(ctx, dsrAdmin, gent.ID)
		if list[0].Status != store.SubPending || list[0].Objection != "" || list[0].DecidedAt != nil {
			t.Fatalf("half-saved: %+v", list[0])
		}
		if _, ok := lastAudit(t, env, gent.ID, "subprocessor.object"); ok {
			t.Fatal("a refused objection was recorded as made")
		}
		// Accepting is still possible.
		if err := env.DB.DecideSubProcessor(ctx, dsrAdmin, gent.ID, s.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DecideSubProcessor(ctx, dsrAdmin, gent.ID, "nope", true, ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
		if err := env.DB.DecideSubProcessor(ctx, operator, gent.ID, s.ID, true, ""); err == nil {
			t.Fatal("supplier staff decided for the controller")
		}
	})
}

// TestClauseSUB2_MailRelayAsUnacceptedSubProcessorRefusedAndAudited: the
// mail relay, when it is a sub-processor the tenant has not accepted,
// gets none of its mail; the refusal is recorded; after acceptance it is
// allowed. A sub-processor agreed in annex 1 is accepted from the start.
func TestClauseSUB2_MailRelayAsUnacceptedSubProcessorRefusedAndAudited(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		aalst := newTenant(t, env, "aalst")
		s, err := env.DB.CreateSubProcessor(ctx, operator, mailBox())
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.AnnounceSubProcessor(ctx, operator, s.ID, store.SubAnnouncement{Kind: store.SubKindAgreed,
			TenantIDs: []string{aalst.ID}}, nil); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.AnnounceSubProcessor(ctx, operator, s.ID, store.SubAnnouncement{Kind: store.SubKindAdd,
			EffectiveAt: env.Clock.Now().Add(time.Hour), TenantIDs: []string{gent.ID}}, subMail); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			tenant, host string
			want         bool
		}{{gent.ID, "relay.mailbox.example", true}, {gent.ID, "EU.Relay.Mailbox.Example.", true}, {gent.ID, "mailbox.example", false},
			{gent.ID, "smtp.other.example", false}, {aalst.ID, "relay.mailbox.example", false}} {
			refused, err := env.DB.SubProcessorRouteRefused(ctx, tc.tenant, tc.host, "mail relay")
			if err != nil || refused != tc.want {
				t.Errorf("%s for %s: refused %v (%v), want %v", tc.host, tc.tenant, refused, err, tc.want)
			}
		}
		e, ok := lastAudit(t, env, gent.ID, "subprocessor.refused")
		if !ok || e.Outcome != audit.OutcomeDenied || e.ObjectID != s.ID || !strings.Contains(e.Purpose, "mail relay") {
			t.Fatalf("refusal audit %+v", e)
		}
		if _, ok := lastAudit(t, env, aalst.ID, "subprocessor.refused"); ok {
			t.Fatal("aalst's allowed route recorded as refused")
		}
		if err := env.DB.DecideSubProcessor(ctx, dsrAdmin, gent.ID, s.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		if refused, err := env.DB.SubProcessorRouteRefused(ctx, gent.ID, "relay.mailbox.example", "mail relay"); err != nil || refused {
			t.Fatalf("after acceptance: %v %v", refused, err)
		}
	})
}

// TestClauseSUB3_OverviewWithAgreementReferences: the tenant's overview
// holds every sub-processor that applies to it with the fields annex 1
// names and its agreement's reference and date.
func TestClauseSUB3_OverviewWithAgreementReferences(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		in := mailBox()
		s, err := env.DB.CreateSubProcessor(ctx, operator, in)
		if err != nil {
			t.Fatal(err)
		}
		us := store.SubProcessorInput{Name: "Cloudy Inc.", HeadOffice: "Seattle, VS", Location: "Dublin, Ierland", EEA: "no",
			TransferMechanism: "EU-VS Data Privacy Framework (art. 45 AVG)", Measures: "SOC 2", AgreementRef: "SVO-2025-002",
			AgreementDate: "2025-11-15", Services: "Back-ups"}
		c, err := env.DB.CreateSubProcessor(ctx, operator, us)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{s.ID, c.ID} {
			if err := env.DB.AnnounceSubProcessor(ctx, operator, id, store.SubAnnouncement{Kind: store.SubKindAgreed, TenantIDs: []string{gent.ID}}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := env.DB.AnnounceSubProcessor(ctx, operator, c.ID, store.SubAnnouncement{Kind: store.SubKindAgreed, TenantIDs: []string{gent.ID}}, nil); err == nil ||
			subFields(t, err)["tenants"] != "subproc.error.already_applies" {
			t.Fatalf("applied twice: %v", err)
		}
		list, err := env.DB.TenantSubProcessors(ctx, dsrAdmin, gent.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("%+v %v", list, err)
		}
		got := list[0]
		if got.Name != "Cloudy Inc." || got.EEA || got.TransferMechanism != us.TransferMechanism || got.AgreementRef != "SVO-2025-002" ||
			got.AgreementDate != "2025-11-15" || got.Status != store.SubAccepted || got.Kind != store.SubKindAgreed {
			t.Fatalf("overview %+v", got)
		}
		if list[1].Name != "MailBox NV" || !list[1].EEA || list[1].HeadOffice != in.HeadOffice || list[1].Location != in.Location ||
			list[1].Measures != in.Measures || list[1].Services != in.Services || !reflect.DeepEqual(list[1].Hosts, []string{"relay.mailbox.example"}) {
			t.Fatalf("overview %+v", list[1])
		}
	})
}
