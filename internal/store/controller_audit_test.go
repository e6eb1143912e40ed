package store_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

func auditMail(t tenant.Tenant, c store.ControllerAudit, event string) store.OutgoingMail {
	return store.OutgoingMail{Lang: "nl", Subject: "Audit bij " + t.LegalName + " (" + event + ")", Body: "Audit " + c.ID + " op " + c.Date.Format(time.RFC3339)}
}

func controllerActor(u account.User) audit.Actor {
	return audit.Actor{Kind: audit.KindUser, ID: u.ID, Role: string(u.Role), RequestID: "req-" + u.ID}
}

// auditTenant is a controller with an admin and an operator in the realm.
func auditTenant(t *testing.T, env *storetest.Env) (tenant.Tenant, audit.Actor) {
	t.Helper()
	gent := newTenant(t, env, "gent")
	h := fastHasher()
	admin := activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, h)
	realm, err := env.DB.OperatorRealm(ctx, operator)
	if err != nil {
		t.Fatal(err)
	}
	activeUser(t, env, realm, "ops@supplier.example", account.RoleAdmin, h)
	claimAll(t, env)
	return gent, controllerActor(admin)
}

// TestClauseADT2_OnSiteAuditTenWorkingDaysAhead: announced on Friday 18
// December 2026, an on-site audit needs ten Belgian working days: Christmas
// and New Year's Day do not count, so Monday 4 January 2027 is refused on
// its date with nothing saved and Tuesday 5 January is accepted. A document
// audit may be sooner. The announcement is mailed to the controller's DPO
// and admins and to the supplier's operators, and audited.
func TestClauseADT2_OnSiteAuditTenWorkingDaysAhead(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent, admin := auditTenant(t, env)
		setClock(t, env, brusselsAt(2026, 12, 18, 10, 0))
		in := store.AuditAnnouncement{Kind: store.AuditOnSite, Date: brusselsAt(2027, 1, 4, 9, 0), Scope: "Toegangsbeheer", Auditor: "Audit & Co"}
		_, err := env.DB.AnnounceAudit(ctx, admin, gent.ID, in, auditMail)
		var ve *store.AuditValidationError
		if !errors.As(err, &ve) || !reflect.DeepEqual(ve.Fields, map[string]string{"date": "audits.error.notice"}) {
			t.Fatalf("4 January: %v", err)
		}
		if list, _ := env.DB.Audits(ctx, admin, gent.ID); len(list) != 0 {
			t.Fatalf("refused audit saved: %+v", list)
		}
		if lines, _ := claimAll(t, env); len(lines) != 0 {
			t.Fatalf("refused audit mailed: %v", lines)
		}
		_, err = env.DB.AnnounceAudit(ctx, admin, gent.ID, store.AuditAnnouncement{Kind: "", Date: time.Time{}}, auditMail)
		if !errors.As(err, &ve) || len(ve.Fields) != 4 {
			t.Fatalf("empty announcement: %v", err)
		}
		in.Date = brusselsAt(2027, 1, 5, 9, 0)
		c, err := env.DB.AnnounceAudit(ctx, admin, gent.ID, in, auditMail)
		if err != nil {
			t.Fatal(err)
		}
		doc := store.AuditAnnouncement{Kind: store.AuditDocument, Date: brusselsAt(2026, 12, 21, 9, 0), Scope: "Register", Auditor: "DPO"}
		if _, err := env.DB.AnnounceAudit(ctx, admin, gent.ID, doc, auditMail); err != nil {
			t.Fatalf("document audit: %v", err)
		}
		lines, _ := claimAll(t, env)
		want := []string{"audits.announce nl admin@gent.be", "audits.announce nl admin@gent.be", "audits.announce nl dpo@gent.example",
			"audits.announce nl dpo@gent.example", "audits.announce nl ops@supplier.example", "audits.announce nl ops@supplier.example"}
		if !reflect.DeepEqual(lines, want) {
			t.Fatalf("mails %v, want %v", lines, want)
		}
		if n := auditCount(t, env, gent.ID, "audits.announce", ""); n != 2 {
			t.Fatalf("%d announcements audited", n)
		}
		// The supplier acknowledges it, once.
		for range 2 {
			if err := env.DB.AcknowledgeAudit(ctx, operator, gent.ID, c.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := env.DB.AcknowledgeAudit(ctx, admin, gent.ID, c.ID); err == nil {
			t.Fatal("the controller acknowledged its own audit")
		}
		got, err := env.DB.AuditByID(ctx, admin, gent.ID, c.ID)
		if err != nil || got.AcknowledgedAt == nil || got.Scope != "Toegangsbeheer" || got.Auditor != "Audit & Co" {
			t.Fatalf("audit %+v, %v", got, err)
		}
		if n := auditCount(t, env, gent.ID, "audits.acknowledge", ""); n != 1 {
			t.Fatalf("%d acknowledgements", n)
		}
	})
}

// TestClauseADT3_PlanWithinOneMonth: a finding on 7 January starts the
// month: the supplier is reminded once from 31 January, the plan is
// overdue on 7 February (reminded once more, the controller told too); a
// plan submitted late is returned with a reason (none refused), submitted
// again and approved; its actions are tracked to their due dates.
func TestClauseADT3_PlanWithinOneMonth(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent, admin := auditTenant(t, env)
		setClock(t, env, brusselsAt(2026, 12, 18, 10, 0))
		c, err := env.DB.AnnounceAudit(ctx, admin, gent.ID, store.AuditAnnouncement{Kind: store.AuditDocument, Date: brusselsAt(2027, 1, 6, 9, 0),
			Scope: "Logging", Auditor: "Intern"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.SubmitPlan(ctx, operator, gent.ID, c.ID, []store.PlanAction{{Text: "x", Due: brusselsAt(2027, 3, 1, 0, 0)}}, nil); !errors.Is(err, store.ErrAuditState) {
			t.Fatalf("plan without findings: %v", err)
		}
		setClock(t, env, brusselsAt(2027, 1, 7, 14, 0))
		_, err = env.DB.AddFinding(ctx, admin, gent.ID, c.ID, store.AuditFinding{Severity: "urgent"})
		var ve *store.AuditValidationError
		if !errors.As(err, &ve) || !reflect.DeepEqual(ve.Fields, map[string]string{"title": "audits.error.title", "severity": "audits.error.severity",
			"description": "audits.error.description"}) {
			t.Fatalf("empty finding: %v", err)
		}
		if _, err := env.DB.AddFinding(ctx, admin, gent.ID, c.ID, store.AuditFinding{Severity: "high", Title: "Geen logreview",
			Description: "De logs worden niet maandelijks nagekeken."}); err != nil {
			t.Fatal(err)
		}
		got, err := env.DB.AuditByID(ctx, admin, gent.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if due := got.PlanDue(); !due.Equal(brusselsAt(2027, 2, 7, 14, 0)) {
			t.Fatalf("plan due %s", due)
		}
		warn := func(want int) {
			t.Helper()
			for run := range 2 {
				n, err := env.DB.WarnAuditPlans(ctx, audit.System("audits.clock"), gent.ID, auditMail)
				if err != nil {
					t.Fatal(err)
				}
				if run == 1 {
					want = 0
				}
				if n != want {
					t.Fatalf("run %d: %d reminders, want %d", run, n, want)
				}
			}
		}
		setClock(t, env, brusselsAt(2027, 1, 31, 13, 59))
		warn(0)
		setClock(t, env, brusselsAt(2027, 1, 31, 14, 0))
		warn(1)
		if lines, _ := claimAll(t, env); !reflect.DeepEqual(lines, []string{"audits.warn nl ops@supplier.example"}) {
			t.Fatalf("reminder mails %v", lines)
		}
		if got.PlanOverdue(brusselsAt(2027, 2, 7, 13, 59)) || !got.PlanOverdue(brusselsAt(2027, 2, 7, 14, 0)) {
			t.Fatal("overdue at the wrong time")
		}
		setClock(t, env, brusselsAt(2027, 2, 7, 14, 0))
		warn(1)
		if lines, _ := claimAll(t, env); len(lines) != 3 {
			t.Fatalf("overdue mails %v", lines)
		}
		// A plan with a bad line is refused field by field, nothing saved.
		err = env.DB.SubmitPlan(ctx, operator, gent.ID, c.ID, []store.PlanAction{{Text: "Maandelijkse logreview", Due: brusselsAt(2027, 3, 1, 0, 0)},
			{Text: "", Due: brusselsAt(2027, 1, 1, 0, 0)}}, auditMail)
		if !errors.As(err, &ve) || !reflect.DeepEqual(ve.Fields, map[string]string{"action_2_text": "audits.error.action_text", "action_2_due": "audits.error.past"}) {
			t.Fatalf("bad plan: %v", err)
		}
		plan := []store.PlanAction{{Text: "Maandelijkse logreview", Due: brusselsAt(2027, 3, 1, 0, 0)}, {Text: "Procedure schrijven", Due: brusselsAt(2027, 4, 1, 0, 0)}}
		if err := env.DB.SubmitPlan(ctx, operator, gent.ID, c.ID, plan, auditMail); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DecidePlan(ctx, admin, gent.ID, c.ID, false, " ", auditMail); !errors.As(err, &ve) || ve.Fields["reason"] != "audits.error.reason" {
			t.Fatalf("return without reason: %v", err)
		}
		if err := env.DB.DecidePlan(ctx, operator, gent.ID, c.ID, true, "", auditMail); !errors.Is(err, store.ErrControllerOnly) {
			t.Fatalf("supplier approved its own plan: %v", err)
		}
		if err := env.DB.DecidePlan(ctx, admin, gent.ID, c.ID, false, "Te vaag", auditMail); err != nil {
			t.Fatal(err)
		}
		got, _ = env.DB.AuditByID(ctx, admin, gent.ID, c.ID)
		if got.PlanStatus != store.PlanReturned || got.PlanReason != "Te vaag" || !got.PlanOverdue(env.Clock.Now()) {
			t.Fatalf("returned plan: %+v", got)
		}
		if err := env.DB.SubmitPlan(ctx, operator, gent.ID, c.ID, plan, auditMail); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DecidePlan(ctx, admin, gent.ID, c.ID, true, "", auditMail); err != nil {
			t.Fatal(err)
		}
		lines, _ := claimAll(t, env)
		want := []string{"audits.approved nl ops@supplier.example", "audits.plan nl admin@gent.be", "audits.plan nl admin@gent.be",
			"audits.plan nl dpo@gent.example", "audits.plan nl dpo@gent.example", "audits.returned nl ops@supplier.example"}
		if !reflect.DeepEqual(lines, want) {
			t.Fatalf("mails %v, want %v", lines, want)
		}
		// Tracked to due dates: the first done in time, the second overdue.
		got, _ = env.DB.AuditByID(ctx, admin, gent.ID, c.ID)
		if len(got.Actions) != 2 || got.Actions[0].Text != "Maandelijkse logreview" {
			t.Fatalf("actions %+v", got.Actions)
		}
		if err := env.DB.MarkActionDone(ctx, operator, gent.ID, c.ID, got.Actions[0].ID); err != nil {
			t.Fatal(err)
		}
		setClock(t, env, brusselsAt(2027, 4, 1, 0, 0))
		got, _ = env.DB.AuditByID(ctx, admin, gent.ID, c.ID)
		if got.Actions[0].DoneAt == nil || got.Actions[0].Overdue(env.Clock.Now()) || !got.Actions[1].Overdue(env.Clock.Now()) {
			t.Fatalf("actions %+v", got.Actions)
		}
		for action, n := range map[string]int{"audits.finding": 1, "audits.plan.submit": 2, "audits.plan.return": 1, "audits.plan.approve": 1,
			"audits.plan.warn": 2, "audits.action.done": 1} {
			if got := auditCount(t, env, gent.ID, action, ""); got != n {
				t.Errorf("%s audited %d times, want %d", action, got, n)
			}
		}
	})
}

// TestClauseADT1_AuditTextSealedAtRestAndSidesKept: the scope, auditor,
// findings, plan and reason (with the mails about them) are nowhere in the
// database as plaintext; only the controller's own users announce, enter
// findings and decide — not supplier staff, nor an operator working under
// the controller's grant — only the supplier acknowledges and submits the
// plan, and another tenant does not reach the audit.
func TestClauseADT1_AuditTextSealedAtRestAndSidesKept(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent, admin := auditTenant(t, env)
		brugge := newTenant(t, env, "brugge")
		markers := []string{"MARKER-SCOPE-ad71", "MARKER-AUDITOR-ad71", "MARKER-FINDING-ad71", "MARKER-DESC-ad71", "MARKER-ACTION-ad71", "MARKER-REASON-ad71"}
		in := store.AuditAnnouncement{Kind: store.AuditDocument, Date: env.Clock.Now().Add(48 * time.Hour), Scope: markers[0], Auditor: markers[1]}
		granted := admin
		granted.OnBehalfOf = "op-test"
		for _, actor := range []audit.Actor{operator, granted} {
			if _, err := env.DB.AnnounceAudit(ctx, actor, gent.ID, in, auditMail); !errors.Is(err, store.ErrControllerOnly) {
				t.Fatalf("%+v announced an audit: %v", actor, err)
			}
		}
		c, err := env.DB.AnnounceAudit(ctx, admin, gent.ID, in, auditMail)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.AuditByID(ctx, admin, brugge.ID, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant reached the audit: %v", err)
		}
		if _, err := env.DB.AddFinding(ctx, operator, gent.ID, c.ID, store.AuditFinding{Title: "x", Severity: "low", Description: "y"}); !errors.Is(err, store.ErrControllerOnly) {
			t.Fatalf("the supplier entered a finding: %v", err)
		}
		if _, err := env.DB.AddFinding(ctx, admin, gent.ID, c.ID, store.AuditFinding{Title: markers[2], Severity: "medium", Description: markers[3]}); err != nil {
			t.Fatal(err)
		}
		plan := []store.PlanAction{{Text: markers[4], Due: env.Clock.Now().Add(30 * 24 * time.Hour)}}
		if err := env.DB.SubmitPlan(ctx, admin, gent.ID, c.ID, plan, auditMail); err == nil {
			t.Fatal("the controller submitted the supplier's plan")
		}
		if err := env.DB.SubmitPlan(ctx, operator, gent.ID, c.ID, plan, auditMail); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DecidePlan(ctx, admin, gent.ID, c.ID, false, markers[5], auditMail); err != nil {
			t.Fatal(err)
		}
		got, err := env.DB.AuditByID(ctx, admin, gent.ID, c.ID)
		if err != nil || got.Scope != markers[0] || got.Findings[0].Description != markers[3] || got.Actions[0].Text != markers[4] || got.PlanReason != markers[5] {
			t.Fatalf("read back %+v, %v", got, err)
		}
		if found := storetest.FindPlaintext(t, env, "Gemeente gent", markers...); len(found) > 0 {
			t.Fatalf("plaintext at rest: %v", found)
		}
	})
}
