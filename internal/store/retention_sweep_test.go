package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/oidc"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

func tableCount(rep store.RetentionReport, table string) int64 {
	var n int64
	for _, c := range rep.Counts {
		if c.Category == "" && c.Table == table {
			n += c.Count
		}
	}
	return n
}

// loggedCount sums the counts (object ids) of tenantID's audit events of
// action (and purpose, when not "").
func loggedCount(t *testing.T, env *storetest.Env, tenantID, action, purpose string) int64 {
	t.Helper()
	var logged int64
	err := env.DB.EachAuditEvent(ctx, tenantID, func(e *audit.Event) error {
		if e.Action == action && (purpose == "" || e.Purpose == purpose) {
			var n int64
			fmt.Sscan(e.ObjectID, &n)
			logged += n
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return logged
}

func rowsIn(t *testing.T, env *storetest.Env, table, tenantID string) int {
	t.Helper()
	var n int
	if err := env.Raw(t).QueryRow(`SELECT count(*) FROM `+table+` WHERE tenant_id = $1`, tenantID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestClauseSEC1_SecondRunOfATenantIsRefused: while a run holds its
// tenant's lease, a second run (the command during the daily job) is
// refused, says who holds it and does nothing; the first run's counts and
// log stay exact. A run whose lease ran out (its process died) is taken up
// by the next run, and the stale run, coming back, commits nothing more.
func TestClauseSEC1_SecondRunOfATenantIsRefused(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := retentionFixture(t, env, "gent", register.ExpiryAnonymise)
		for i := range 7 {
			fx.question(t, env, fmt.Sprint("q", i), "street")
		}
		env.Clock.Advance(12 * day)
		var second error
		calls := 0
		first := runRetention(t, env, fx.tn.ID, store.RetentionOptions{Chunk: 2, AfterChunk: func() {
			if calls++; calls == 1 {
				_, second = env.DB.RunRetention(ctx, audit.Actor{Kind: audit.KindOperator, ID: "cli:root"}, fx.tn.ID, store.RetentionOptions{})
			}
		}})
		var busy *store.RetentionBusyError
		if !errors.As(second, &busy) || busy.RunID != first.RunID || busy.StartedBy != "system:retention.run" {
			t.Fatalf("the second run: %v", second)
		}
		if countOf(first, "contact", "anonymise") != 7 {
			t.Fatalf("the first run: %+v", first.Counts)
		}
		if n := auditCount(t, env, fx.tn.ID, "retention.run", ""); n != 1 {
			t.Fatalf("%d finished runs in the log, want 1", n)
		}
		var runs int
		env.Raw(t).QueryRow(`SELECT count(*) FROM retention_runs WHERE tenant_id = $1`, fx.tn.ID).Scan(&runs)
		if runs != 1 {
			t.Fatalf("%d run records, want 1", runs)
		}
		// A dry run needs no lease: the page's outlook works during a run.
		if _, err := env.DB.RunRetention(ctx, retentionActor, fx.tn.ID, store.RetentionOptions{DryRun: true}); err != nil {
			t.Fatal(err)
		}

		// A stale run: its lease runs out while it is stopped (a process
		// that hangs); the next run takes the record up and finishes it.
		for i := range 5 {
			fx.question(t, env, fmt.Sprint("r", i), "street")
		}
		env.Clock.Advance(12 * day)
		var taker store.RetentionReport
		var takerErr error
		calls = 0
		stale, err := env.DB.RunRetention(ctx, retentionActor, fx.tn.ID, store.RetentionOptions{Chunk: 2, AfterChunk: func() {
			if calls++; calls == 1 {
				env.Clock.Advance(store.RetentionLease + time.Minute)
				taker, takerErr = env.DB.RunRetention(ctx, retentionActor, fx.tn.ID, store.RetentionOptions{Chunk: 2})
			}
		}})
		if takerErr != nil || !taker.Resumed || taker.RunID != stale.RunID {
			t.Fatalf("the run after the lease ran out: %+v %v", taker, takerErr)
		}
		if !errors.Is(err, store.ErrRetentionLeaseLost) {
			t.Fatalf("the stale run went on: %v", err)
		}
		// The record counts each submission once: 2 by the stale run, the
		// rest by the run that took it up; the log agrees.
		if countOf(taker, "contact", "anonymise") != 5 {
			t.Fatalf("the taken-up run counts %+v", taker.Counts)
		}
		if logged := loggedCount(t, env, fx.tn.ID, "retention.anonymise", "category contact"); logged != 12 {
			t.Fatalf("the log counts %d anonymisations of 12 submissions", logged)
		}
		var status string
		env.Raw(t).QueryRow(`SELECT status FROM retention_runs WHERE id = $1`, stale.RunID).Scan(&status)
		if status != "done" {
			t.Fatalf("the taken-up run ends %q", status)
		}
	})
}

// TestClauseSEC1_DeadLinksAndCodesAreSwept: invitations, password-reset
// links and sign-in flows are deleted TokenRetentionDays after they
// expired or were used, a citizen's one-time code CodeRetentionDays after;
// each audited with its count, and not a day sooner.
func TestClauseSEC1_DeadLinksAndCodesAreSwept(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := retentionFixture(t, env, "gent", register.ExpiryAnonymise)
		fx.question(t, env, "burger", "street")
		if _, _, err := env.DB.InviteUser(ctx, clerk("admin"), fx.tn.ID, account.Invite{Email: "nieuw@gent.be", Name: "Nieuw",
			Role: account.RoleUser}); err != nil {
			t.Fatal(err)
		}
		requestReset(t, env, fx.tn.ID, "clerk@gent.be")
		startFlow(t, env, fx.tn, addProvider(t, env, fx.tn, oidc.FASeID), store.OIDCFlowStart{Purpose: store.OIDCPurposeLogin})
		if _, err := env.DB.RequestCitizenCode(ctx, fx.tn.ID, "Gent", "burger@example.be", dsr.Access, "nl"); err != nil {
			t.Fatal(err)
		}
		tables := []string{"invitations", "password_resets", "oidc_flows", "subject_request_codes"}
		for _, tb := range tables {
			if rowsIn(t, env, tb, fx.tn.ID) == 0 {
				t.Fatalf("no %s row to sweep", tb)
			}
		}
		// Every link and code above lives at most 7 days (an invitation).
		env.Clock.Advance(8*day + store.CodeRetentionDays*day)
		rep := runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if tableCount(rep, "subject_request_codes") != 1 || rowsIn(t, env, "subject_request_codes", fx.tn.ID) != 0 {
			t.Fatalf("the code a day after it expired: %+v", rep.Counts)
		}
		for _, tb := range tables[:3] {
			if tableCount(rep, tb) != 0 || rowsIn(t, env, tb, fx.tn.ID) == 0 {
				t.Fatalf("%s swept before %d days: %+v", tb, store.TokenRetentionDays, rep.Counts)
			}
		}
		env.Clock.Advance(store.TokenRetentionDays * day)
		rep = runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		var events int64
		for _, tb := range tables[:3] {
			if tableCount(rep, tb) == 0 || rowsIn(t, env, tb, fx.tn.ID) != 0 {
				t.Fatalf("%s after %d days: %+v (rows left %d)", tb, store.TokenRetentionDays, rep.Counts, rowsIn(t, env, tb, fx.tn.ID))
			}
			events += tableCount(rep, tb)
		}
		if logged := loggedCount(t, env, fx.tn.ID, "retention.token", ""); logged != events+1 {
			t.Fatalf("the log counts %d deleted links and codes, the runs %d", logged, events+1)
		}
	})
}

// TestClauseSEC1_SupplierEvidenceGoesWithTheAuditLog: an ended operator
// grant and a past maintenance notice are deleted once the audit log's
// events about them may be pruned (the tenant's audit retention), not
// before; a grant still running stays.
func TestClauseSEC1_SupplierEvidenceGoesWithTheAuditLog(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := retentionFixture(t, env, "gent", register.ExpiryAnonymise)
		now := env.Clock.Now()
		us := func(t time.Time) int64 { return t.UnixMicro() }
		raw := env.Raw(t)
		for i, end := range []time.Time{now.Add(time.Hour), now.AddDate(10, 0, 0)} {
			if _, err := raw.Exec(`INSERT INTO operator_grants (id, tenant_id, operator_id, label, reason, granted_by, created_at, expires_at)
				VALUES ($1, $2, $3, $4, $4, 'admin-1', $5, $6)`, fmt.Sprint("grant-", i), fx.tn.ID, fx.clerk.ID, []byte("sealed"), us(now), us(end)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := raw.Exec(`INSERT INTO maintenance_notices (id, tenant_id, operator_id, label, scope, reason, announced_at, announced_start,
			announced_end, min_notice_days, starts_at, ends_at) VALUES ('notice-1', $1, $2, $3, $3, $3, $4, $4, $5, 5, $4, $5)`,
			fx.tn.ID, fx.clerk.ID, []byte("sealed"), us(now), us(now.Add(2*time.Hour))); err != nil {
			t.Fatal(err)
		}
		ar, err := env.DB.AuditRetention(ctx, fx.tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Just before the log's events of the maintenance's end may go
		// (the audit retention counts in months: found on the clock).
		end := now.Add(2 * time.Hour)
		before := end.AddDate(0, ar.Months, 0)
		for !ar.Cutoff(before).Before(end) {
			before = before.Add(-time.Minute)
		}
		env.Clock.Advance(before.Sub(env.Clock.Now()))
		rep := runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if tableCount(rep, "operator_grants")+tableCount(rep, "maintenance_notices") != 1 || rowsIn(t, env, "maintenance_notices", fx.tn.ID) != 1 {
			t.Fatalf("before the audit retention: %+v", rep.Counts)
		}
		env.Clock.Advance(time.Minute)
		rep = runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if tableCount(rep, "maintenance_notices") != 1 || rowsIn(t, env, "maintenance_notices", fx.tn.ID) != 0 {
			t.Fatalf("after the audit retention: %+v", rep.Counts)
		}
		var left string
		if err := raw.QueryRow(`SELECT id FROM operator_grants WHERE tenant_id = $1`, fx.tn.ID).Scan(&left); err != nil || left != "grant-1" {
			t.Fatalf("grants left: %q %v", left, err)
		}
		if n := auditCount(t, env, fx.tn.ID, "retention.evidence", ""); n != 2 {
			t.Fatalf("retention.evidence events: %d", n)
		}
	})
}

// TestClauseSEC1_SubjectRequestLosesItsPersonFiveYearsAfterClosing: a
// refused request keeps its person for SubjectRequestRetentionDays after
// the refusal, then the person, indexes and reasons are erased and the
// skeleton stays (the list still opens it); an executed restriction, in
// force until it is lifted, keeps its person however old.
func TestClauseSEC1_SubjectRequestLosesItsPersonFiveYearsAfterClosing(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := retentionFixture(t, env, "gent", register.ExpiryAnonymise)
		refused := fileRequest(t, env, fx.tn.ID, dsrClerk, dsr.Access, anPeeters)
		if err := env.DB.DecideSubjectRequest(ctx, dsrDPO, fx.tn.ID, refused.ID, false, "geen grond"); err != nil {
			t.Fatal(err)
		}
		restriction := fileRequest(t, env, fx.tn.ID, dsrClerk, dsr.Restriction, anPeeters)
		if err := env.DB.DecideSubjectRequest(ctx, dsrDPO, fx.tn.ID, restriction.ID, true, "ok"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ExecuteSubjectRequest(ctx, dsrDPO, fx.tn.ID, restriction.ID); err != nil {
			t.Fatal(err)
		}
		erased := func(id string) bool {
			t.Helper()
			var at *int64
			var subject, email, reason []byte
			if err := env.Raw(t).QueryRow(`SELECT person_erased_at, subject_index, email_index, reason FROM subject_requests WHERE id = $1`, id).
				Scan(&at, &subject, &email, &reason); err != nil {
				t.Fatal(err)
			}
			if at != nil && (subject != nil || email != nil || reason != nil) {
				t.Fatalf("request %s erased but kept its indexes or reason", id)
			}
			return at != nil
		}
		env.Clock.Advance((store.SubjectRequestRetentionDays - 1) * day)
		rep := runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if tableCount(rep, "subject_requests") != 0 || erased(refused.ID) {
			t.Fatalf("a day before the period ends: %+v", rep.Counts)
		}
		env.Clock.Advance(2 * day)
		dry := runRetention(t, env, fx.tn.ID, store.RetentionOptions{DryRun: true})
		if tableCount(dry, "subject_requests") != 1 || erased(refused.ID) {
			t.Fatalf("the dry run: %+v", dry.Counts)
		}
		rep = runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if tableCount(rep, "subject_requests") != 1 || !erased(refused.ID) || erased(restriction.ID) {
			t.Fatalf("after the period: %+v", rep.Counts)
		}
		if n := auditCount(t, env, fx.tn.ID, "retention.request", ""); n != 1 {
			t.Fatalf("retention.request events: %d", n)
		}
		// The skeleton still opens: kind and status stay, the person is gone.
		list, err := env.DB.SubjectRequests(context.Background(), dsrDPO, fx.tn.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range list {
			if r.ID == refused.ID && (r.Person.Name != "" || r.Person.Email != "" || r.Kind != dsr.Access || r.Status != dsr.StatusRefused) {
				t.Fatalf("the erased request reads %+v", r)
			}
		}
		again := runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if tableCount(again, "subject_requests") != 0 {
			t.Fatalf("erased twice: %+v", again.Counts)
		}
	})
}
