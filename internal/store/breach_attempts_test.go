package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

func attemptText(a breach.Attempt) string {
	return fmt.Sprintf("Automatisch geopend: %s, %d gebeurtenissen", a.Cause, a.Events)
}

// TestClauseBRE1_SeriousAttemptsOpenADraft: the signs of a serious attempt
// in a tenant's audit log — a lockout storm, one actor refused again and
// again, a burst of refused uploads, a failed chain verification, a
// citizen's access report judged a breach candidate — each open one draft
// breach for review, audited, not sent to the controller; below the
// threshold nothing opens, and a second run over the same events opens
// nothing twice. The clock is the test's.
func TestClauseBRE1_SeriousAttemptsOpenADraft(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		job := audit.System("breach.attempts")
		start := env.Clock.Now()
		log := func(a audit.Actor, action, outcome, purpose string) {
			t.Helper()
			if err := env.DB.Audit(ctx, audit.Event{TenantID: gent.ID, Actor: a, Action: action, ObjectType: "x", ObjectID: "o",
				Purpose: purpose, Outcome: outcome}); err != nil {
				t.Fatal(err)
			}
		}
		user := func(i int) audit.Actor {
			return audit.Actor{Kind: audit.KindUser, ID: fmt.Sprintf("u%d", i), Role: "user"}
		}
		run := func(want ...string) {
			t.Helper()
			for pass := 0; pass < 2; pass++ {
				got, err := env.DB.OpenAttemptDrafts(ctx, job, gent.ID, start, attemptText)
				if err != nil {
					t.Fatal(err)
				}
				var causes []string
				for _, d := range got {
					causes = append(causes, d.Cause)
				}
				if pass == 1 {
					want = nil // the second run finds every window covered
				}
				if !slices.Equal(causes, want) {
					t.Fatalf("run %d opened %v, want %v", pass+1, causes, want)
				}
			}
		}

		// Nine lockouts in ten minutes: no storm yet.
		for i := 0; i < 9; i++ {
			log(user(i), "login.locked", audit.OutcomeSuccess, "lockout: lock 1")
			env.Clock.Advance(time.Minute)
		}
		run()
		// The tenth, still within 15 minutes of the first: a storm.
		env.Clock.Advance(4 * time.Minute)
		log(user(9), "login.locked", audit.OutcomeSuccess, "lockout: lock 1")
		run(breach.CauseLockouts)
		// One more in the same window: covered, no second draft.
		log(user(10), "login.locked", audit.OutcomeSuccess, "lockout: lock 1")
		run()

		// One actor refused 19 times, another 5: nothing; the 20th: a draft.
		for i := 0; i < 19; i++ {
			log(user(100), "access.denied", audit.OutcomeDenied, "GET /{tenant}/admin/users")
		}
		for i := 0; i < 5; i++ {
			log(user(101), "access.denied", audit.OutcomeDenied, "GET /{tenant}/admin/users")
		}
		run()
		log(user(100), "submission.read", audit.OutcomeDenied, "cross-tenant")
		run(breach.CauseDenied)

		// Ten refused uploads: a burst.
		env.Clock.Advance(time.Minute)
		citizen := audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}
		for i := 0; i < 10; i++ {
			log(citizen, "attachment.refused", audit.OutcomeDenied, "malware found: Eicar-Test-Signature")
		}
		run(breach.CauseScanner)

		// The chain verification: a success is no sign, a failure is.
		verify := audit.System("audit.verify")
		log(verify, "audit.verify", audit.OutcomeSuccess, "integrity")
		run()
		log(verify, "audit.verify", audit.OutcomeFailure, "integrity")
		run(breach.CauseChain)

		// A citizen's access report: no issue is no sign, a breach candidate is.
		dpo := user(200)
		log(dpo, "portal.report.decide", audit.OutcomeSuccess, store.ReportNoIssue)
		run()
		log(dpo, "portal.report.decide", audit.OutcomeSuccess, store.ReportBreachCandidate)
		run(breach.CauseReport)

		// A second storm after the first window: a second draft.
		env.Clock.Advance(time.Hour)
		for i := 0; i < 10; i++ {
			log(user(i), "login.locked", audit.OutcomeSuccess, "lockout: lock 2")
		}
		run(breach.CauseLockouts)

		// The drafts: in the register, opened by Kluis, not notified, with
		// their cause; each audited as opened and as an attempt.
		list, err := env.DB.Breaches(ctx, clerk("dpo"), gent.ID)
		if err != nil {
			t.Fatal(err)
		}
		causes, err := env.DB.BreachAttempts(ctx, gent.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 6 || len(causes) != 6 {
			t.Fatalf("%d breaches, %d attempts; want 6", len(list), len(causes))
		}
		for _, b := range list {
			d, ok := causes[b.ID]
			if !ok || b.OpenedByKind != string(audit.KindSystem) || b.NotifiedAt != nil || b.Report.Description != attemptText(breach.Attempt{Cause: d.Cause, Events: d.Events}) ||
				b.Report.Occurred != breach.OccurredBetween || b.Report.OccurredFrom.After(b.Report.OccurredUntil) {
				t.Fatalf("draft %+v (%+v)", b, d)
			}
		}
		// Supplier staff reach the drafts too: reviewing and reporting a
		// serious attempt is the processor's duty.
		if _, err := env.DB.BreachByID(ctx, operator, gent.ID, list[0].ID, "review"); err != nil {
			t.Fatalf("an operator cannot open a draft: %v", err)
		}
		if ops, err := env.DB.OperatorBreaches(ctx); err != nil || len(ops) != 6 {
			t.Fatalf("operators' list: %d, %v", len(ops), err)
		}
		if n := len(env.Events(t, gent.ID, "breach.attempt")); n != 6 {
			t.Fatalf("%d breach.attempt events, want 6", n)
		}
		if n := len(env.Events(t, gent.ID, "breach.open")); n != 6 {
			t.Fatalf("%d breach.open events, want 6", n)
		}
	})
}

// TestClauseBRE1_RealLockoutStormOpensADraft: ten accounts locked by real
// wrong passwords within a quarter of an hour (the signs the login path
// itself records) open one draft; nine do not.
func TestClauseBRE1_RealLockoutStormOpensADraft(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		h := fastHasher()
		start := env.Clock.Now()
		lockOut := func(i int) {
			t.Helper()
			email := fmt.Sprintf("medewerker%d@gent.be", i)
			activeUser(t, env, gent, email, account.RoleUser, h)
			for try := 0; try < account.DefaultLockout.MaxFailures; try++ {
				if _, _, err := login(env, gent.ID, email, "fout wachtwoord", h); err == nil {
					t.Fatal("a wrong password signed in")
				}
			}
			env.Clock.Advance(time.Minute)
		}
		for i := 0; i < 9; i++ {
			lockOut(i)
		}
		if n := len(env.Events(t, gent.ID, "login.locked")); n != 9 {
			t.Fatalf("%d accounts locked, want 9", n)
		}
		job := audit.System("breach.attempts")
		if got, err := env.DB.OpenAttemptDrafts(ctx, job, gent.ID, start, attemptText); err != nil || len(got) != 0 {
			t.Fatalf("nine locks opened %v (%v)", got, err)
		}
		lockOut(9)
		got, err := env.DB.OpenAttemptDrafts(ctx, job, gent.ID, start, attemptText)
		if err != nil || len(got) != 1 || got[0].Cause != breach.CauseLockouts || got[0].Events != 10 {
			t.Fatalf("the storm opened %+v (%v)", got, err)
		}
	})
}
