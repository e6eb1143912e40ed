package store_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// declare records f, failing the test on an error.
func declare(t *testing.T, env *storetest.Env, f store.OrgFact) store.OrgFact {
	t.Helper()
	got, err := env.DB.DeclareOrgFact(ctx, supplier, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// currentOf reads the declarations as gent's admin sees them and returns
// the current ones of kind.
func currentOf(t *testing.T, env *storetest.Env, kind string) []store.OrgFact {
	t.Helper()
	gent, err := env.DB.TenantBySlug(ctx, "gent")
	if err != nil {
		t.Fatal(err)
	}
	facts, err := env.DB.ReadOrgFacts(ctx, operator, gent.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.OrgFact
	for _, f := range facts.Current {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

// TestClauseORG1_SecurityOfficerAndDPONamed: the supplier names its
// security officer and DPO with contact details; every tenant reads them
// with the date declared, a new declaration replaces the old one as
// current while the old one stays in the history; names are sealed.
func TestClauseORG1_SecurityOfficerAndDPONamed(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		day := env.Clock.Now().Add(-24 * time.Hour)
		declare(t, env, store.OrgFact{Kind: store.OrgSecurityOfficer, Name: "MARKER-CISO An Peeters", Email: "ciso@lev.example", Phone: "+32 9 000 00 00", Date: day})
		declare(t, env, store.OrgFact{Kind: store.OrgDPO, Name: "Bart DPO", Email: "dpo@lev.example", Date: day})
		env.Clock.Advance(time.Hour)
		declare(t, env, store.OrgFact{Kind: store.OrgSecurityOfficer, Name: "Carla Nieuw", Email: "ciso2@lev.example", Date: env.Clock.Now()})
		so := currentOf(t, env, store.OrgSecurityOfficer)
		if len(so) != 1 || so[0].Name != "Carla Nieuw" || so[0].DeclaredAt.IsZero() {
			t.Fatalf("security officer %+v", so)
		}
		if d := currentOf(t, env, store.OrgDPO); len(d) != 1 || d[0].Email != "dpo@lev.example" {
			t.Fatalf("dpo %+v", d)
		}
		facts, _ := env.DB.ReadOrgFacts(ctx, operator, gent.ID)
		if len(facts.History) != 3 {
			t.Fatalf("history %d", len(facts.History))
		}
		if auditCount(t, env, gent.ID, "org.read", "") == 0 {
			t.Fatal("the read is not in the tenant's log")
		}
		assertNoPlaintext(t, env, "org_facts", "MARKER-CISO")
		_, err := env.DB.DeclareOrgFact(ctx, supplier, store.OrgFact{Kind: store.OrgDPO, Email: "geen-adres", Date: env.Clock.Now().Add(time.Hour)}, nil)
		if got := refusedFields(t, err); !reflect.DeepEqual(got, []string{"date", "email", "name"}) {
			t.Fatalf("refused %v", got)
		}
		if _, err := env.DB.DeclareOrgFact(ctx, controllerActor(account.User{ID: "u"}), store.OrgFact{Kind: store.OrgDPO, Name: "x", Email: "x@y.be", Date: day}, nil); err == nil {
			t.Fatal("a controller's user declared for the supplier")
		}
	})
}

// TestClauseORG2_ConfidentialityPerStaffMember: an undertaking per staff
// member of the realm, with its date and the security policy known; each
// member's newest is current; an unknown member or an unchecked policy is
// refused.
func TestClauseORG2_ConfidentialityPerStaffMember(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		newTenant(t, env, "gent")
		realm, err := env.DB.OperatorRealm(ctx, supplier)
		if err != nil {
			t.Fatal(err)
		}
		h := fastHasher()
		a := activeUser(t, env, realm, "a@lev.example", account.RoleAdmin, h)
		b := activeUser(t, env, realm, "b@lev.example", account.RoleAdmin, h)
		day := env.Clock.Now().Add(-72 * time.Hour)
		declare(t, env, store.OrgFact{Kind: store.OrgConfidentiality, Subject: a.ID, PolicyKnown: true, Date: day})
		declare(t, env, store.OrgFact{Kind: store.OrgConfidentiality, Subject: b.ID, PolicyKnown: true, Date: day})
		env.Clock.Advance(time.Minute)
		declare(t, env, store.OrgFact{Kind: store.OrgConfidentiality, Subject: a.ID, PolicyKnown: true, Date: env.Clock.Now()})
		cur := currentOf(t, env, store.OrgConfidentiality)
		if len(cur) != 2 {
			t.Fatalf("current %+v", cur)
		}
		for _, f := range cur {
			if f.StaffName == "" || !f.PolicyKnown || (f.Subject == a.ID && !f.Date.Equal(env.Clock.Now())) {
				t.Fatalf("undertaking %+v", f)
			}
		}
		_, err = env.DB.DeclareOrgFact(ctx, supplier, store.OrgFact{Kind: store.OrgConfidentiality, Subject: "nobody", PolicyKnown: false, Date: day}, nil)
		if got := refusedFields(t, err); !reflect.DeepEqual(got, []string{"policy"}) {
			t.Fatalf("refused %v", got)
		}
		_, err = env.DB.DeclareOrgFact(ctx, supplier, store.OrgFact{Kind: store.OrgConfidentiality, Subject: "nobody", PolicyKnown: true, Date: day}, nil)
		if got := refusedFields(t, err); !reflect.DeepEqual(got, []string{"staff"}) {
			t.Fatalf("refused %v", got)
		}
	})
}

// TestClauseORG3_BreachInformationDocumented: how the supplier informs its
// clients of a breach is declared and shown; a blank text is refused.
func TestClauseORG3_BreachInformationDocumented(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		newTenant(t, env, "gent")
		text := "Binnen 24 uur via het datalekregister in Kluis en per mail aan beheerders en DPO."
		declare(t, env, store.OrgFact{Kind: store.OrgBreachProcedure, Text: text, Date: env.Clock.Now()})
		if cur := currentOf(t, env, store.OrgBreachProcedure); len(cur) != 1 || cur[0].Text != text {
			t.Fatalf("%+v", cur)
		}
		_, err := env.DB.DeclareOrgFact(ctx, supplier, store.OrgFact{Kind: store.OrgBreachProcedure, Date: env.Clock.Now()}, nil)
		if got := refusedFields(t, err); !reflect.DeepEqual(got, []string{"text"}) {
			t.Fatalf("refused %v", got)
		}
	})
}

// TestClauseORG4_SLAWithIncidentContact: the SLA's maximum interruptions
// and its incident contact are declared and shown; without the contact's
// address the declaration is refused.
func TestClauseORG4_SLAWithIncidentContact(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		newTenant(t, env, "gent")
		declare(t, env, store.OrgFact{Kind: store.OrgSLA, Text: "Hoogstens 4 uur onderbreking per maand", Email: "incident@lev.example",
			Phone: "+32 9 111 11 11", Date: env.Clock.Now()})
		if cur := currentOf(t, env, store.OrgSLA); len(cur) != 1 || cur[0].Email != "incident@lev.example" || cur[0].Text == "" {
			t.Fatalf("%+v", cur)
		}
		_, err := env.DB.DeclareOrgFact(ctx, supplier, store.OrgFact{Kind: store.OrgSLA, Text: "x", Date: env.Clock.Now()}, nil)
		if got := refusedFields(t, err); !reflect.DeepEqual(got, []string{"email"}) {
			t.Fatalf("refused %v", got)
		}
	})
}

// TestClauseORG5_RiskAnalysisAndRecoveryTestDated: the latest risk
// analysis and disaster-recovery test are declared with their dates; the
// newest is current; a date in the future is refused.
func TestClauseORG5_RiskAnalysisAndRecoveryTestDated(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		newTenant(t, env, "gent")
		old, recent := env.Clock.Now().Add(-400*24*time.Hour), env.Clock.Now().Add(-30*24*time.Hour)
		declare(t, env, store.OrgFact{Kind: store.OrgRiskAnalysis, Date: old})
		declare(t, env, store.OrgFact{Kind: store.OrgRiskAnalysis, Date: recent, Text: "Jaarlijkse analyse"})
		declare(t, env, store.OrgFact{Kind: store.OrgDRTest, Date: recent, Text: "Herstel uit back-up in 2 uur; twee datacenters"})
		if cur := currentOf(t, env, store.OrgRiskAnalysis); len(cur) != 1 || !cur[0].Date.Equal(recent) {
			t.Fatalf("risk analysis %+v", cur)
		}
		if cur := currentOf(t, env, store.OrgDRTest); len(cur) != 1 || !cur[0].Date.Equal(recent) {
			t.Fatalf("dr test %+v", cur)
		}
		_, err := env.DB.DeclareOrgFact(ctx, supplier, store.OrgFact{Kind: store.OrgDRTest, Date: env.Clock.Now().Add(24 * time.Hour)}, nil)
		if got := refusedFields(t, err); !reflect.DeepEqual(got, []string{"date"}) {
			t.Fatalf("refused %v", got)
		}
	})
}

// TestClauseORG1_ChangeIsAnnouncedToEveryTenant: a first declaration of a
// kind tells nobody; one that replaces it is announced in the same
// transaction to every active tenant — an "org.changed" event in its log
// and a mail in its language to its DPO and admins, naming the kind and the
// date but none of the supplier's people — and not to a suspended tenant.
// Read back, the current declaration carries the one it replaced.
func TestClauseORG1_ChangeIsAnnouncedToEveryTenant(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, fastHasher())
		namur, err := env.DB.CreateTenant(ctx, operator, tenant.New{Slug: "namur", LegalName: "Ville de Namur", EnterpriseNumber: "0207.451.227",
			DPOName: "DPO Namur", DPOEmail: "dpo@namur.example", DefaultLang: "fr"})
		if err != nil {
			t.Fatal(err)
		}
		closed := newTenant(t, env, "gesloten")
		if err := env.DB.SetTenantStatus(ctx, operator, closed.ID, tenant.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		claimAll(t, env)
		mailer := store.OrgMailer("https://loket.example.be")
		day := env.Clock.Now().Add(-24 * time.Hour)
		for _, f := range []store.OrgFact{{Kind: store.OrgSecurityOfficer, Name: "MARKER-CISO An Peeters", Email: "ciso@lev.example", Date: day},
			{Kind: store.OrgDPO, Name: "Bart DPO", Email: "dpo@lev.example", Date: day}} {
			if _, err := env.DB.DeclareOrgFact(ctx, supplier, f, mailer); err != nil {
				t.Fatal(err)
			}
		}
		if lines, _ := claimAll(t, env); len(lines) != 0 || auditCount(t, env, gent.ID, "org.changed", "") != 0 {
			t.Fatalf("a first declaration was announced: %v", lines)
		}
		env.Clock.Advance(time.Hour)
		changed, err := env.DB.DeclareOrgFact(ctx, supplier, store.OrgFact{Kind: store.OrgSecurityOfficer, Name: "MARKER-NEW Carla Nieuw",
			Email: "ciso2@lev.example", Date: env.Clock.Now()}, mailer)
		if err != nil {
			t.Fatal(err)
		}
		lines, ms := claimAll(t, env)
		if want := []string{"org.changed fr dpo@namur.example", "org.changed nl admin@gent.be", "org.changed nl dpo@gent.example"}; !reflect.DeepEqual(lines, want) {
			t.Fatalf("mails %v, want %v", lines, want)
		}
		for _, m := range ms {
			if strings.Contains(m.Subject+m.Body, "MARKER") || strings.Contains(m.Body, "ciso") {
				t.Fatalf("the announcement names the supplier's people: %q", m.Body)
			}
			slug, kind := "gent", "Verantwoordelijke beveiliging"
			if m.Lang == "fr" {
				slug, kind = "namur", locale.T(locale.FR, "instr.org.kind.security_officer")
			}
			if !strings.Contains(m.Subject, kind) || !strings.Contains(m.Body, "https://loket.example.be/"+slug+"/admin/organisation#security_officer") ||
				!strings.Contains(m.Body, changed.DeclaredAt.In(workdays.Brussels).Format("02.01.2006")) {
				t.Fatalf("announcement %q / %q", m.Subject, m.Body)
			}
		}
		for _, tn := range []tenant.Tenant{gent, namur} {
			if n := auditCount(t, env, tn.ID, "org.changed", store.OrgSecurityOfficer); n != 1 {
				t.Fatalf("%s: %d org.changed events", tn.Slug, n)
			}
		}
		if n := auditCount(t, env, closed.ID, "org.changed", ""); n != 0 {
			t.Fatal("a suspended tenant was told")
		}
		so := currentOf(t, env, store.OrgSecurityOfficer)
		if len(so) != 1 || so[0].Name != "MARKER-NEW Carla Nieuw" || so[0].Previous == nil || so[0].Previous.Name != "MARKER-CISO An Peeters" {
			t.Fatalf("current %+v", so)
		}
		if d := currentOf(t, env, store.OrgDPO); len(d) != 1 || d[0].Previous != nil {
			t.Fatalf("dpo %+v", d)
		}
	})
}
