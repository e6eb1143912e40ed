package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// noticeFixture is a tenant with an admin and a DPO, a second tenant, and
// an active operator in the realm.
type noticeFixture struct {
	gent, brugge tenant.Tenant
	admin        account.User
	op           account.User
	realmID      string
	cli          audit.Actor
}

func newNoticeFixture(t *testing.T, env *storetest.Env) noticeFixture {
	t.Helper()
	f := noticeFixture{gent: newTenant(t, env, "gent"), brugge: newTenant(t, env, "brugge"),
		cli: audit.Actor{Kind: audit.KindOperator, ID: "cli:root"}}
	h := fastHasher()
	f.admin = activeUser(t, env, f.gent, "beheer@gent.example", account.RoleAdmin, h)
	activeUser(t, env, f.gent, "dpo-user@gent.example", account.RoleDPO, h)
	activeUser(t, env, f.gent, "medewerker@gent.example", account.RoleUser, h)
	realm, err := env.DB.OperatorRealm(ctx, f.cli)
	if err != nil {
		t.Fatal(err)
	}
	f.realmID = realm.ID
	f.op = activeUser(t, env, realm, "marker-op-4n2@lev.example", account.RoleAdmin, h)
	return f
}

// brussels is a local time on the fixture clock's calendar (the clock
// starts on Monday 2 November 2026, 09:30 UTC).
func brussels(month time.Month, day, hour int) time.Time {
	return time.Date(2026, month, day, hour, 0, 0, 0, workdays.Brussels)
}

func (f noticeFixture) input(from, until time.Time) store.NoticeInput {
	return store.NoticeInput{Operator: "marker-op-4n2@lev.example", From: from, Until: until,
		Scope: "MARKER-SCOPE-4n2 database upgrade", Reason: "MARKER-REASON-4n2 ticket 881"}
}

// TestClauseAUD4_NoticeShorterThanMinimumRefused: a notice whose start is
// fewer than the tenant's minimum working days ahead is refused naming
// "from" and the earliest allowed start; bad fields are all named at once;
// nothing is stored; the minimum is the tenant's own (1–30, audited).
func TestClauseAUD4_NoticeShorterThanMinimumRefused(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		f := newNoticeFixture(t, env)
		// Monday 2 November: the fifth working day after is Monday 9.
		_, err := env.DB.AnnounceMaintenance(ctx, f.cli, f.gent.ID, f.input(brussels(time.November, 6, 22), brussels(time.November, 7, 2)))
		var ve *store.NoticeValidationError
		if !errors.As(err, &ve) || ve.Fields["from"] != "maintenance.error.too_soon" || len(ve.Fields) != 1 || ve.Days != 5 ||
			!ve.Earliest.Equal(brussels(time.November, 9, 0)) {
			t.Fatalf("too soon: %v %+v", err, ve)
		}
		_, err = env.DB.AnnounceMaintenance(ctx, f.cli, f.gent.ID, store.NoticeInput{Operator: "x@", From: brussels(time.November, 20, 9),
			Until: brussels(time.November, 30, 9)})
		if !errors.As(err, &ve) || len(ve.Fields) != 4 || ve.Fields["until"] != "maintenance.error.too_long" {
			t.Fatalf("bad notice: %v %+v", err, ve)
		}
		if _, err := env.DB.AnnounceMaintenance(ctx, f.cli, f.gent.ID, store.NoticeInput{Operator: "nobody@lev.example",
			From: brussels(time.November, 20, 9), Until: brussels(time.November, 20, 12), Scope: "s", Reason: "r"}); !errors.Is(err, store.ErrNoSuchOperator) {
			t.Fatalf("unknown operator: %v", err)
		}
		if ns, err := env.DB.MaintenanceNotices(ctx, audit.Actor{Kind: audit.KindUser, ID: f.admin.ID}, f.gent.ID); err != nil || len(ns) != 0 {
			t.Fatalf("a refused notice was stored: %v %v", err, ns)
		}
		// The first allowed day is accepted.
		if _, err := env.DB.AnnounceMaintenance(ctx, f.cli, f.gent.ID, f.input(brussels(time.November, 9, 0), brussels(time.November, 9, 6))); err != nil {
			t.Fatal(err)
		}
		// The tenant's own minimum: out of range refused, 10 applies.
		admin := audit.Actor{Kind: audit.KindUser, ID: f.admin.ID, Role: "admin"}
		for _, bad := range []int{0, 31} {
			if err := env.DB.SetMinNoticeDays(ctx, admin, f.gent.ID, bad); !errors.As(err, &ve) || ve.Fields["days"] == "" {
				t.Fatalf("days %d: %v", bad, err)
			}
		}
		if err := env.DB.SetMinNoticeDays(ctx, admin, f.gent.ID, 10); err != nil {
			t.Fatal(err)
		}
		if d, _ := env.DB.MinNoticeDays(ctx, f.gent.ID); d != 10 {
			t.Fatalf("minimum %d", d)
		}
		if d, _ := env.DB.MinNoticeDays(ctx, f.brugge.ID); d != store.NoticeDaysDefault {
			t.Fatalf("brugge's minimum %d", d)
		}
		if _, err := env.DB.AnnounceMaintenance(ctx, f.cli, f.gent.ID, f.input(brussels(time.November, 9, 10), brussels(time.November, 9, 12))); !errors.As(err, &ve) || ve.Days != 10 {
			t.Fatalf("under the tenant's 10 days: %v", err)
		}
		if _, err := env.DB.AnnounceMaintenance(ctx, f.cli, f.brugge.ID, f.input(brussels(time.November, 9, 10), brussels(time.November, 9, 12))); err != nil {
			t.Fatalf("brugge keeps 5 days: %v", err)
		}
		if n := auditCount(t, env, f.gent.ID, "maintenance.settings", ""); n != 1 {
			t.Fatalf("settings events %d", n)
		}
	})
}

// TestClauseAUD4_WorkingDaysSkipHolidays: with 7 working days' notice given
// on Monday 2 November 2026, Wednesday 11 November (Armistice) does not
// count: a start that day is refused, Thursday 12 is the first allowed.
func TestClauseAUD4_WorkingDaysSkipHolidays(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		f := newNoticeFixture(t, env)
		if err := env.DB.SetMinNoticeDays(ctx, audit.Actor{Kind: audit.KindUser, ID: f.admin.ID}, f.gent.ID, 7); err != nil {
			t.Fatal(err)
		}
		var ve *store.NoticeValidationError
		if _, err := env.DB.AnnounceMaintenance(ctx, f.cli, f.gent.ID, f.input(brussels(time.November, 11, 20), brussels(time.November, 11, 23))); !errors.As(err, &ve) ||
			!ve.Earliest.Equal(brussels(time.November, 12, 0)) {
			t.Fatalf("start on the holiday: %v %+v", err, ve)
		}
		if _, err := env.DB.AnnounceMaintenance(ctx, f.cli, f.gent.ID, f.input(brussels(time.November, 12, 8), brussels(time.November, 12, 10))); err != nil {
			t.Fatal(err)
		}
	})
}

// TestClauseAUD4_AccessOnlyInsideWindow: the notice lets its operator in
// only from its start until its end, only into its own tenant; it is
// sealed at rest, mailed to the admins and DPO, and announced in both logs.
func TestClauseAUD4_AccessOnlyInsideWindow(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		f := newNoticeFixture(t, env)
		claimAll(t, env) // the invitations
		from, until := brussels(time.November, 10, 9), brussels(time.November, 10, 17)
		n, err := env.DB.AnnounceMaintenance(ctx, f.cli, f.gent.ID, f.input(from, until))
		if err != nil {
			t.Fatal(err)
		}
		active := func() bool {
			t.Helper()
			_, err := env.DB.ActiveMaintenanceNotice(ctx, f.gent.ID, f.op.ID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Fatal(err)
			}
			return err == nil
		}
		if active() {
			t.Fatal("open before the window")
		}
		env.Clock.Advance(from.Sub(env.Clock.Now()) - time.Second)
		if active() {
			t.Fatal("open a second before the start")
		}
		env.Clock.Advance(time.Second)
		if !active() {
			t.Fatal("closed at the start")
		}
		if hf, err := env.DB.HomeFacts(ctx, f.gent.ID); err != nil || hf.ActiveGrants != 1 || !hf.NextGrantEnd.Equal(until) {
			t.Fatalf("home facts during maintenance: %v %+v", err, hf)
		}
		if _, err := env.DB.ActiveMaintenanceNotice(ctx, f.brugge.ID, f.op.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("gent's notice opens brugge: %v", err)
		}
		env.Clock.Advance(until.Sub(from) - time.Second)
		if !active() {
			t.Fatal("closed before the end")
		}
		env.Clock.Advance(time.Second)
		if active() {
			t.Fatal("open at the end")
		}
		if found := storetest.FindPlaintext(t, env, "Gemeente gent", "marker-op-4n2", "MARKER-SCOPE-4n2", "MARKER-REASON-4n2"); len(found) > 0 {
			t.Fatalf("plaintext at rest: %v", found)
		}
		lines, ms := claimAll(t, env)
		if strings.Join(lines, "|") != "maintenance.notice nl beheer@gent.example|maintenance.notice nl dpo-user@gent.example|maintenance.notice nl dpo@gent.example" {
			t.Fatalf("mails: %v", lines)
		}
		if !strings.Contains(ms[0].Body, "10.11.2026 09:00") || !strings.Contains(ms[0].Body, "MARKER-SCOPE-4n2") {
			t.Fatalf("mail body: %q", ms[0].Body)
		}
		ns, err := env.DB.MaintenanceNotices(ctx, audit.Actor{Kind: audit.KindUser, ID: f.admin.ID}, f.gent.ID)
		if err != nil || len(ns) != 1 || ns[0].ID != n.ID || ns[0].Scope != "MARKER-SCOPE-4n2 database upgrade" ||
			ns[0].Label != "marker-op-4n2@lev.example" || ns[0].StateAt(env.Clock.Now()) != store.NoticePast {
			t.Fatalf("notices: %v %+v", err, ns)
		}
		if auditCount(t, env, f.gent.ID, "maintenance.announce", "") != 1 || auditCount(t, env, f.realmID, "maintenance.announce", "") != 1 ||
			auditCount(t, env, f.gent.ID, "maintenance.notices.read", "") != 1 {
			t.Fatal("announcement not in both logs, or the list not audited")
		}
		// Over: the controller can no longer change it.
		if err := env.DB.ObjectToNotice(ctx, audit.Actor{Kind: audit.KindUser, ID: f.admin.ID}, f.gent.ID, n.ID); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("objection to a past notice: %v", err)
		}
	})
}

// TestClauseAUD4_ObjectionClosesAccess: the controller's objection closes
// an active notice at once and keeps an upcoming one from opening; shortening
// it to open now (the controller's consent to less notice) opens it, an end
// later than announced is refused; another tenant cannot touch it; each
// step is in both logs.
func TestClauseAUD4_ObjectionClosesAccess(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		f := newNoticeFixture(t, env)
		admin := audit.Actor{Kind: audit.KindUser, ID: f.admin.ID, Role: "admin"}
		from, until := brussels(time.November, 10, 9), brussels(time.November, 10, 17)
		n, err := env.DB.AnnounceMaintenance(ctx, f.cli, f.gent.ID, f.input(from, until))
		if err != nil {
			t.Fatal(err)
		}
		var ve *store.NoticeValidationError
		if err := env.DB.ShortenNotice(ctx, admin, f.gent.ID, n.ID, env.Clock.Now(), until.Add(time.Hour)); !errors.As(err, &ve) ||
			ve.Fields["until"] != "maintenance.error.until_later" {
			t.Fatalf("a later end: %v", err)
		}
		if err := env.DB.ShortenNotice(ctx, admin, f.gent.ID, n.ID, env.Clock.Now().Add(-time.Hour), until); !errors.As(err, &ve) ||
			ve.Fields["from"] != "maintenance.error.from_past" {
			t.Fatalf("a start in the past: %v", err)
		}
		if err := env.DB.ShortenNotice(ctx, admin, f.brugge.ID, n.ID, env.Clock.Now(), until); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("brugge shortens gent's notice: %v", err)
		}
		if err := env.DB.ObjectToNotice(ctx, admin, f.brugge.ID, n.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("brugge objects to gent's notice: %v", err)
		}
		// Open now (at a time with seconds, which pages do not show).
		env.Clock.Advance(17 * time.Second)
		if err := env.DB.ShortenNotice(ctx, admin, f.gent.ID, n.ID, env.Clock.Now(), until); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.ActiveMaintenanceNotice(ctx, f.gent.ID, f.op.ID); err != nil {
			t.Fatalf("opened now, not active: %v", err)
		}
		// Later, an earlier end, the start given back as the page shows it
		// (to the minute): the window stays open.
		opened := env.Clock.Now()
		env.Clock.Advance(5 * time.Minute)
		if err := env.DB.ShortenNotice(ctx, admin, f.gent.ID, n.ID, opened.Truncate(time.Minute), until.Add(-time.Hour)); err != nil {
			t.Fatalf("an earlier end of an open window: %v", err)
		}
		if a, err := env.DB.ActiveMaintenanceNotice(ctx, f.gent.ID, f.op.ID); err != nil || !a.StartsAt.Equal(opened) || !a.EndsAt.Equal(until.Add(-time.Hour)) {
			t.Fatalf("after an earlier end: %v %+v", err, a)
		}
		if err := env.DB.ObjectToNotice(ctx, admin, f.gent.ID, n.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.ActiveMaintenanceNotice(ctx, f.gent.ID, f.op.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("objected, still active: %v", err)
		}
		if err := env.DB.ShortenNotice(ctx, admin, f.gent.ID, n.ID, env.Clock.Now(), until); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("shortening an objected notice: %v", err)
		}
		// An upcoming notice objected to never opens.
		m, err := env.DB.AnnounceMaintenance(ctx, f.cli, f.gent.ID, f.input(brussels(time.November, 12, 9), brussels(time.November, 12, 10)))
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ObjectToNotice(ctx, admin, f.gent.ID, m.ID); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(brussels(time.November, 12, 9).Sub(env.Clock.Now()) + time.Minute)
		if _, err := env.DB.ActiveMaintenanceNotice(ctx, f.gent.ID, f.op.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("objected notice opened: %v", err)
		}
		for _, id := range []string{f.gent.ID, f.realmID} {
			if auditCount(t, env, id, "maintenance.shorten", "") != 2 || auditCount(t, env, id, "maintenance.object", "") != 2 {
				t.Fatalf("log %s misses a step", id)
			}
			if _, err := env.DB.VerifyAudit(ctx, id); err != nil {
				t.Fatalf("chain %s: %v", id, err)
			}
		}
	})
}

// TestClauseAUD4_CommandLineAccessUnderNoticeOnlyInsideWindow: the one check
// the kluis commands go through (OperatorAccess) accepts a notice's id only
// for its own operator and tenant, only inside the window, and not after
// the controller objected; the permission is recorded as the notice.
func TestClauseAUD4_CommandLineAccessUnderNoticeOnlyInsideWindow(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		f := newNoticeFixture(t, env)
		h := fastHasher()
		realm, err := env.DB.OperatorRealm(ctx, f.cli)
		if err != nil {
			t.Fatal(err)
		}
		activeUser(t, env, realm, "other-op@lev.example", account.RoleAdmin, h)
		from, until := brussels(time.November, 10, 9), brussels(time.November, 10, 17)
		n, err := env.DB.AnnounceMaintenance(ctx, f.cli, f.gent.ID, f.input(from, until))
		if err != nil {
			t.Fatal(err)
		}
		refused := func(tenantID, email, want string) {
			t.Helper()
			var ae *store.AccessError
			if _, err := env.DB.OperatorAccess(ctx, tenantID, email, n.ID); !errors.As(err, &ae) || !strings.Contains(ae.Reason, want) {
				t.Fatalf("access %s/%s: %v, want %q", tenantID, email, err, want)
			}
		}
		refused(f.gent.ID, "marker-op-4n2@lev.example", "opens at")
		env.Clock.Advance(from.Sub(env.Clock.Now()))
		p, err := env.DB.OperatorAccess(ctx, f.gent.ID, "marker-op-4n2@lev.example", n.ID)
		if err != nil || p.Kind != "notice" || p.ID != n.ID || p.OperatorID != f.op.ID || !p.Until.Equal(until) {
			t.Fatalf("inside the window: %v %+v", err, p)
		}
		if a := p.Actor("r1"); a.OnBehalfOf != n.ID || a.Kind != audit.KindOperator {
			t.Fatalf("actor under the notice: %+v", a)
		}
		refused(f.brugge.ID, "marker-op-4n2@lev.example", "another tenant's")
		refused(f.gent.ID, "other-op@lev.example", "another operator")
		if err := env.DB.ObjectToNotice(ctx, audit.Actor{Kind: audit.KindUser, ID: f.admin.ID}, f.gent.ID, n.ID); err != nil {
			t.Fatal(err)
		}
		refused(f.gent.ID, "marker-op-4n2@lev.example", "objected")
	})
}
