package compliance_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/compliance"
	"github.com/kluis/kluis/internal/mfa"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

var ctx = context.Background()

var operator = audit.Actor{Kind: audit.KindOperator, ID: "op-test", Role: "operator", RequestID: "req-op"}

// reporter is the DPO reading the report.
var reporter = audit.Actor{Kind: audit.KindUser, ID: "dpo-1", Role: "dpo", RequestID: "req-report"}

func admin(t *testing.T, env *storetest.Env, tn tenant.Tenant, email, name string) account.User {
	t.Helper()
	_, tok, err := env.DB.InviteUser(ctx, operator, tn.ID, account.Invite{Email: email, Name: name, Role: account.RoleAdmin, Lang: "nl"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := env.DB.ActivateUser(ctx, tn.ID, tok.Plain, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", "req-activate")
	if err != nil {
		t.Fatal(err)
	}
	self := audit.Actor{Kind: audit.KindUser, ID: u.ID, Role: "admin", RequestID: "req-" + u.ID}
	secret, err := env.DB.BeginTOTP(ctx, self, tn.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.ConfirmTOTP(ctx, self, tn.ID, u.ID, mfa.CodeAt(secret, env.Clock.Now())); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(mfa.Period)
	return u
}

func evidenceHas(it compliance.Item, label, value string) bool {
	for _, e := range it.Evidence {
		if e.Label == label && (value == "" || e.Value == value) {
			return true
		}
	}
	return false
}

// TestClauseADT1_ReportFollowsTheFacts: on both databases, the report of a
// live tenant answers every clause of the digest; then each kind of fact
// is flipped in the store — an admin's second factor removed, a restore
// test failed, an audit event tampered with, a breach left past its
// 24-hour clock (the injectable clock, no sleeping) — and the clauses that
// rest on it change status, with evidence that says why and when it was
// measured.
func TestClauseADT1_ReportFollowsTheFacts(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn, err := env.DB.CreateTenant(ctx, operator, tenant.New{Slug: "gent", LegalName: "Stad Gent", EnterpriseNumber: "0207.451.227",
			DPOName: "DPO Gent", DPOEmail: "dpo@gent.example", DefaultLang: "nl"})
		if err != nil {
			t.Fatal(err)
		}
		an := admin(t, env, tn, "an@gent.example", "An Peeters")
		admin(t, env, tn, "jan@gent.example", "Jan Claes")
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		run := func(kind string, ok bool) {
			t.Helper()
			env.Clock.Advance(time.Minute) // runs at distinct instants, as the job makes them
			now := env.Clock.Now()
			if _, err := env.DB.RecordBackupRun(ctx, op, store.BackupRun{Kind: kind, BackupID: "b-" + now.Format("150405"), Location: "dir:/b",
				StartedAt: now.Add(-time.Minute), FinishedAt: now, OK: ok, Detail: "d"}); err != nil {
				t.Fatal(err)
			}
		}
		run(store.RunBackup, true)
		run(store.RunRestoreTest, true)
		opts := compliance.Options{Actor: reporter, Platform: compliance.Platform{Database: "sqlite", Scheduled: true}}
		report := func() compliance.Report {
			t.Helper()
			now := env.Clock.Now()
			f, err := compliance.Collect(ctx, env.DB, tn.ID, now, opts)
			if err != nil {
				t.Fatal(err)
			}
			return compliance.Build(f)
		}
		status := func(r compliance.Report, id string) compliance.Item {
			t.Helper()
			it, ok := r.Item(id)
			if !ok {
				t.Fatalf("%s missing from the report", id)
			}
			return it
		}

		r := report()
		if len(r.Items) != len(compliance.Clauses) || len(r.Items) != 55 {
			t.Fatalf("report answers %d clauses, want 55", len(r.Items))
		}
		for _, it := range r.Items {
			if it.Status == "" {
				t.Errorf("%s has no status", it.ID)
			}
		}
		for id, want := range map[string]compliance.Status{"USR-2": compliance.Met, "END-2": compliance.Met, "SEC-5": compliance.Met,
			"AUD-1": compliance.Met, "AUD-3": compliance.Met, "ADT-1": compliance.Met, "BRE-1": compliance.Met} {
			if it := status(r, id); it.Status != want {
				t.Errorf("before: %s is %s (%s), want %s", id, it.Status, it.Reason, want)
			}
		}
		if it := status(r, "USR-2"); !evidenceHas(it, "compliance.ev.mfa_share", "2/2") || it.Evidence[0].Link != "/gent/admin/users" ||
			!it.Evidence[0].MeasuredAt.Equal(env.Clock.Now()) {
			t.Errorf("USR-2 evidence: %+v", it.Evidence)
		}
		if n := len(env.Events(t, tn.ID, "compliance.read")); n != 1 {
			t.Errorf("%d compliance.read events, want one per report", n)
		}

		// A mail relay that no sub-processor names: REG-2 partly, naming it.
		relayed := opts
		relayed.Platform.MailRelay = "smtp.relay.example"
		f, err := compliance.Collect(ctx, env.DB, tn.ID, env.Clock.Now(), relayed)
		if err != nil {
			t.Fatal(err)
		}
		if it, _ := compliance.Build(f).Item("REG-2"); it.Status != compliance.Partly || !evidenceHas(it, "compliance.ev.relay.unknown", "smtp.relay.example") {
			t.Errorf("unnamed relay: REG-2 %s (%s) %+v", it.Status, it.Reason, it.Evidence)
		}

		// An admin loses the second factor: USR-2 partly, naming her.
		if err := env.DB.RemoveTOTP(ctx, operator, tn.ID, an.ID); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Minute)
		r = report()
		it := status(r, "USR-2")
		if it.Status != compliance.Partly || it.Reason != "compliance.reason.admins_without_mfa" ||
			!evidenceHas(it, "compliance.ev.admin_without_mfa", "An Peeters") || !evidenceHas(it, "compliance.ev.mfa_share", "1/2") {
			t.Errorf("after removing An's MFA: USR-2 %s (%s) %+v", it.Status, it.Reason, it.Evidence)
		}
		if !it.Evidence[0].MeasuredAt.Equal(env.Clock.Now()) {
			t.Errorf("USR-2 measured at %s, want %s", it.Evidence[0].MeasuredAt, env.Clock.Now())
		}

		// A restore test fails: END-2 and SEC-5 not met.
		run(store.RunRestoreTest, false)
		r = report()
		for _, id := range []string{"END-2", "SEC-5"} {
			it := status(r, id)
			if it.Status != compliance.NotMet || it.Reason != "compliance.reason.test_failed" || !evidenceHas(it, "compliance.ev.restore_test.failed", "failed") {
				t.Errorf("after a failed restore test: %s %s (%s) %+v", id, it.Status, it.Reason, it.Evidence)
			}
		}
		if it := status(r, "SEC-4"); it.Status != compliance.Met {
			t.Errorf("SEC-4 with an earlier good restore: %s", it.Status)
		}
		run(store.RunRestoreTest, true)
		if it := status(report(), "END-2"); it.Status != compliance.Met {
			t.Errorf("after a passing restore test again: END-2 %s (%s)", it.Status, it.Reason)
		}
		// One older than the policy is as good as none.
		env.Clock.Advance(26 * time.Hour)
		if it := status(report(), "END-2"); it.Status != compliance.NotMet || it.Reason != "compliance.reason.test_old" {
			t.Errorf("restore test 26 h old: END-2 %s (%s)", it.Status, it.Reason)
		}
		run(store.RunBackup, true)
		run(store.RunRestoreTest, true)

		// A breach discovered now: its clock runs, BRE-1 met; 24 hours
		// later, not reported, not met.
		if _, err := env.DB.OpenBreach(ctx, operator, tn.ID, breach.Report{Description: "Verkeerde bijlage verstuurd",
			DiscoveredAt: env.Clock.Now()}, nil); err != nil {
			t.Fatal(err)
		}
		if it := status(report(), "BRE-1"); it.Status != compliance.Met || !evidenceHas(it, "compliance.ev.breach_clock", "running") {
			t.Errorf("breach inside its clock: BRE-1 %s (%s) %+v", it.Status, it.Reason, it.Evidence)
		}
		env.Clock.Advance(24 * time.Hour)
		it = status(report(), "BRE-1")
		if it.Status != compliance.NotMet || it.Reason != "compliance.reason.breach_overdue" || !evidenceHas(it, "compliance.ev.breach_overdue", "overdue") {
			t.Errorf("breach past its 24 h clock: BRE-1 %s (%s) %+v", it.Status, it.Reason, it.Evidence)
		}

		// Someone with database access edits an audit event: the chain
		// no longer verifies, and the audit clauses say so.
		raw := env.Raw(t)
		q := []string{`ALTER TABLE audit_events DISABLE TRIGGER USER`}
		if env.Dialect == store.SQLite {
			q = []string{`DROP TRIGGER IF EXISTS audit_events_no_update`}
		}
		q = append(q, `UPDATE audit_events SET purpose = 'nothing to see' WHERE tenant_id = '`+tn.ID+`' AND seq = 3`)
		for _, s := range q {
			if _, err := raw.Exec(s); err != nil {
				t.Fatal(err)
			}
		}
		r = report()
		for _, id := range []string{"AUD-1", "AUD-3", "ADT-1"} {
			it := status(r, id)
			if it.Status != compliance.NotMet || it.Reason != "compliance.reason.chain_broken" ||
				!strings.Contains(it.Evidence[0].Value, "event 3") || it.Evidence[0].Link != "/gent/admin/audit" {
				t.Errorf("after tampering: %s %s (%s) %+v", id, it.Status, it.Reason, it.Evidence)
			}
		}
	})
}
