package store_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// portalCode asks a sign-in code for address and returns the challenge
// and the code from the only mail queued.
func portalCode(t *testing.T, env *storetest.Env, tenantID, legalName, address string) (string, string) {
	t.Helper()
	claimed(t, env)
	id, err := env.DB.RequestPortalCode(ctx, tenantID, legalName, address, "nl")
	if err != nil {
		t.Fatal(err)
	}
	mails := claimed(t, env)
	if len(mails) != 1 || mails[0].To != strings.ToLower(strings.TrimSpace(address)) || mails[0].Kind != "portal.code" {
		t.Fatalf("code mail: %+v", mails)
	}
	return id, sixDigits.FindString(mails[0].Body)
}

// portalSession signs in with a mailed code as address.
func portalSession(t *testing.T, env *storetest.Env, tenantID, legalName, address string) (store.SessionToken, store.CitizenSession) {
	t.Helper()
	id, code := portalCode(t, env, tenantID, legalName, address)
	tok, err := env.DB.OpenPortalWithCode(ctx, tenantID, id, code, "r")
	if err != nil {
		t.Fatal(err)
	}
	s, err := env.DB.CitizenSession(ctx, tenantID, string(tok))
	if err != nil {
		t.Fatal(err)
	}
	return tok, s
}

// staffIn makes an active user of the tenant in department.
func staffIn(t *testing.T, env *storetest.Env, fx inboxFixture, email, department string) audit.Actor {
	t.Helper()
	u := activeUser(t, env, fx.tn, email, account.RoleUser, fastHasher())
	if _, err := env.Raw(t).Exec(`UPDATE users SET department = $1 WHERE id = $2`, department, u.ID); err != nil {
		t.Fatal(err)
	}
	return audit.Actor{Kind: audit.KindUser, ID: u.ID, Role: "user", RequestID: "r-" + department}
}

type accessKey struct {
	seq int64
	sub string
}

// TestClauseDSR1_CitizenViewListsExactlyTheAccessesToTheirData: reads by
// three services (three departments) of one citizen's submissions, a list
// that showed one of them beside another citizen's, and reads of that
// other citizen's submission: the citizen's view lists exactly the first
// set, each with its service, and nothing of the second; the view itself
// is audited under the citizen's pseudonym.
func TestClauseDSR1_CitizenViewListsExactlyTheAccessesToTheirData(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, mine, theirs := personOnThreeForms(t, env)
		var baseline int64
		env.Raw(t).QueryRow(`SELECT max(seq) FROM audit_events WHERE tenant_id = $1`, fx.tn.ID).Scan(&baseline)
		services := []audit.Actor{
			staffIn(t, env, fx, "burgerzaken@gent.be", "Burgerzaken"),
			staffIn(t, env, fx, "sociaal@gent.be", "Sociale dienst"),
			staffIn(t, env, fx, "financien@gent.be", "Financiën"),
		}
		want := map[accessKey]string{}
		read := func(actor audit.Actor, id string) int64 {
			t.Helper()
			if _, err := env.DB.Submission(ctx, actor, fx.tn.ID, id, "behandeling"); err != nil {
				t.Fatal(err)
			}
			env.Clock.Advance(time.Minute)
			return lastEvent(t, env, fx.tn.ID).Seq
		}
		// By address An Peeters's submissions are mine[0] (her subject)
		// and mine[1] (her contact); mine[2] is hers by number only.
		var lastRead accessKey
		for i, actor := range services {
			sub := mine[i%2]
			lastRead = accessKey{read(actor, sub), sub}
			want[lastRead] = actor.RequestID[2:]
			read(actor, theirs)
		}
		// The clerk's list of the "vraag" form shows mine[0] and theirs.
		if _, err := env.DB.Inbox(ctx, fx.otherAct, fx.tn.ID, store.InboxQuery{Viewer: store.UserViewer(fx.other.ID), Limit: 10}); err != nil {
			t.Fatal(err)
		}
		want[accessKey{lastEvent(t, env, fx.tn.ID).Seq, mine[0]}] = ""

		_, s := portalSession(t, env, fx.tn.ID, fx.tn.LegalName, " An.Peeters@Gent.be ")
		v, err := env.DB.CitizenView(ctx, fx.tn.ID, s, 1, "r-view")
		if err != nil {
			t.Fatal(err)
		}
		viewEvent := lastEvent(t, env, fx.tn.ID)
		if viewEvent.Action != "portal.view" || viewEvent.Actor.Kind != audit.KindCitizen || viewEvent.Actor.ID != s.Pseudonym ||
			viewEvent.Subject != s.Pseudonym || !strings.Contains(viewEvent.ObjectID, mine[0]) {
			t.Fatalf("the view is not audited as the citizen's: %+v", viewEvent)
		}
		if len(v.Submissions) != 2 {
			t.Fatalf("submissions: %+v", v.Submissions)
		}
		got := map[accessKey]string{}
		for _, a := range v.Accesses {
			if a.Submission.ID == theirs || (a.Submission.ID != mine[0] && a.Submission.ID != mine[1]) {
				t.Fatalf("an access to someone else's data: %+v", a)
			}
			if a.Seq <= baseline {
				// Before the seeding only the clerk's note on mine[1].
				if a.Action != "submission.note" || a.Submission.ID != mine[1] {
					t.Fatalf("an access before the seeding: %+v", a)
				}
				continue
			}
			got[accessKey{a.Seq, a.Submission.ID}] = a.Department
		}
		if fmt.Sprint(sortedKeys(got)) != fmt.Sprint(sortedKeys(want)) {
			t.Fatalf("accesses\n got %v\nwant %v", sortedKeys(got), sortedKeys(want))
		}
		for k, dep := range want {
			if got[k] != dep {
				t.Fatalf("access %v: department %q, want %q", k, got[k], dep)
			}
		}
		if v.Total != len(v.Accesses) || v.Pages != 1 {
			t.Fatalf("total %d pages %d for %d", v.Total, v.Pages, len(v.Accesses))
		}
		// Names stay hidden unless the tenant shows them.
		for _, a := range v.Accesses {
			if a.StaffName != "" {
				t.Fatalf("a name shown: %+v", a)
			}
		}
		if err := env.DB.SetCitizenStaffNames(ctx, dsrAdmin, fx.tn.ID, true); err != nil {
			t.Fatal(err)
		}
		v, err = env.DB.CitizenView(ctx, fx.tn.ID, s, 1, "r-view")
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range v.Accesses {
			if a.Seq == lastRead.seq && a.StaffName != "Naam financien@gent.be" {
				t.Fatalf("names on: %+v", a)
			}
		}
		// The view's own audit events are no accesses of someone else.
		if v.Total != len(got)+1 {
			t.Fatalf("the second view lists %d accesses, want %d", v.Total, len(got)+1)
		}
	})
}

func sortedKeys(m map[accessKey]string) []string {
	var out []string
	for k := range m {
		out = append(out, fmt.Sprintf("%d:%s", k.seq, k.sub))
	}
	sort.Strings(out)
	return out
}

// TestClauseDSR1_CitizenSignInByCodeAndNumber: a sign-in code is mailed
// only to an address the tenant holds (the same answer otherwise), is
// used once, dies after five wrong tries and after 15 minutes; a request's
// code does not sign in; FAS finds the person by number; a session ends
// after 20 idle minutes and on sign-out.
func TestClauseDSR1_CitizenSignInByCodeAndNumber(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, mine, _ := personOnThreeForms(t, env)
		claimed(t, env)
		if id, err := env.DB.RequestPortalCode(ctx, fx.tn.ID, fx.tn.LegalName, "nobody@gent.be", "nl"); err != nil || id == "" {
			t.Fatalf("unknown address: %q %v", id, err)
		}
		if m := claimed(t, env); len(m) != 0 {
			t.Fatalf("a mail to an unknown address: %+v", m)
		}
		// Wrong five times: the code dies.
		id, code := portalCode(t, env, fx.tn.ID, fx.tn.LegalName, anAddress)
		for i := 0; i < store.CitizenCodeAttempts; i++ {
			if _, err := env.DB.OpenPortalWithCode(ctx, fx.tn.ID, id, "000000x", "r"); !errors.Is(err, store.ErrWrongCode) {
				t.Fatalf("wrong code: %v", err)
			}
		}
		if _, err := env.DB.OpenPortalWithCode(ctx, fx.tn.ID, id, code, "r"); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("the right code after five wrong ones: %v", err)
		}
		// Expired.
		id, code = portalCode(t, env, fx.tn.ID, fx.tn.LegalName, anAddress)
		env.Clock.Advance(store.CitizenCodeTTL)
		if _, err := env.DB.OpenPortalWithCode(ctx, fx.tn.ID, id, code, "r"); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("an expired code: %v", err)
		}
		// Used once.
		id, code = portalCode(t, env, fx.tn.ID, fx.tn.LegalName, anAddress)
		tok, err := env.DB.OpenPortalWithCode(ctx, fx.tn.ID, id, code, "r")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.OpenPortalWithCode(ctx, fx.tn.ID, id, code, "r"); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("a code used twice: %v", err)
		}
		// Another tenant's session is none; idle 19 minutes is fine, 20 ends it.
		if _, err := env.DB.CitizenSession(ctx, "other-tenant", string(tok)); !errors.Is(err, store.ErrSessionInvalid) {
			t.Fatalf("another tenant: %v", err)
		}
		env.Clock.Advance(19 * time.Minute)
		if _, err := env.DB.CitizenSession(ctx, fx.tn.ID, string(tok)); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(store.CitizenSessionIdle)
		if _, err := env.DB.CitizenSession(ctx, fx.tn.ID, string(tok)); !errors.Is(err, store.ErrSessionInvalid) {
			t.Fatalf("an idle session: %v", err)
		}
		// FAS: by number, the submissions filed under it.
		tok, err = env.DB.OpenPortalWithNumber(ctx, fx.tn.ID, anINSZ, "r")
		if err != nil {
			t.Fatal(err)
		}
		s, err := env.DB.CitizenSession(ctx, fx.tn.ID, string(tok))
		if err != nil || s.Via != "fas" {
			t.Fatalf("fas session: %+v %v", s, err)
		}
		v, err := env.DB.CitizenView(ctx, fx.tn.ID, s, 1, "r")
		if err != nil || len(v.Submissions) != 2 || v.Submissions[0].ID != mine[2] {
			t.Fatalf("fas view: %+v %v", v.Submissions, err)
		}
		if err := env.DB.EndCitizenSession(ctx, fx.tn.ID, s, "r"); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.CitizenSession(ctx, fx.tn.ID, string(tok)); !errors.Is(err, store.ErrSessionInvalid) {
			t.Fatalf("signed out: %v", err)
		}
	})
}

// TestClauseDSR1_CitizenReportsSuspiciousAccess: the citizen reports one
// of the accesses to their data (not someone else's), the reason is
// sealed, the DPO is mailed at once without the person's data, and the
// controller marks it a breach candidate with a reason; a clerk can do
// neither.
func TestClauseDSR1_CitizenReportsSuspiciousAccess(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, mine, theirs := personOnThreeForms(t, env)
		if _, err := env.DB.Submission(ctx, fx.actor, fx.tn.ID, theirs, "x"); err != nil {
			t.Fatal(err)
		}
		foreign := lastEvent(t, env, fx.tn.ID).Seq
		if _, err := env.DB.Submission(ctx, fx.actor, fx.tn.ID, mine[0], "x"); err != nil {
			t.Fatal(err)
		}
		seq := lastEvent(t, env, fx.tn.ID).Seq
		_, s := portalSession(t, env, fx.tn.ID, fx.tn.LegalName, anAddress)
		if _, err := env.DB.ReportAccess(ctx, fx.tn.ID, s, foreign, "Wie is dit?", "r"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a report of someone else's access: %v", err)
		}
		var ce *store.ChangeError
		if _, err := env.DB.ReportAccess(ctx, fx.tn.ID, s, seq, "  ", "r"); !errors.As(err, &ce) || ce.Field != "reason" {
			t.Fatalf("an empty reason: %v", err)
		}
		claimed(t, env)
		const why = "MARKER-REASON ik ken die dienst niet"
		id, err := env.DB.ReportAccess(ctx, fx.tn.ID, s, seq, why, "r")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.ReportAccess(ctx, fx.tn.ID, s, seq, "again", "r"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("the same access reported twice: %v", err)
		}
		mails := claimed(t, env)
		if len(mails) != 1 || mails[0].Kind != "portal.report" || strings.Contains(mails[0].Body, "MARKER") ||
			strings.Contains(mails[0].Body, anAddress) || !strings.Contains(mails[0].Body, id) {
			t.Fatalf("the DPO's mail: %+v", mails)
		}
		if found := storetest.FindPlaintext(t, env, fx.tn.LegalName, "MARKER-REASON"); len(found) > 0 {
			t.Fatalf("the reason at rest: %v", found)
		}
		if _, err := env.DB.AccessReports(ctx, dsrClerk, fx.tn.ID); !errors.Is(err, store.ErrNotController) {
			t.Fatalf("a clerk reads reports: %v", err)
		}
		list, err := env.DB.AccessReports(ctx, dsrDPO, fx.tn.ID)
		if err != nil || len(list) != 1 || list[0].Reason != why || list[0].Status != store.ReportOpen || list[0].Access.Submission.ID != mine[0] {
			t.Fatalf("reports: %+v %v", list, err)
		}
		if err := env.DB.DecideAccessReport(ctx, dsrClerk, fx.tn.ID, id, true, "x"); !errors.Is(err, store.ErrNotController) {
			t.Fatalf("a clerk decides: %v", err)
		}
		if err := env.DB.DecideAccessReport(ctx, dsrDPO, fx.tn.ID, id, true, ""); !errors.As(err, &ce) {
			t.Fatalf("no reason: %v", err)
		}
		if err := env.DB.DecideAccessReport(ctx, dsrDPO, fx.tn.ID, id, true, "Geen dossier bij die dienst"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DecideAccessReport(ctx, dsrDPO, fx.tn.ID, id, false, "twice"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("decided twice: %v", err)
		}
		list, _ = env.DB.AccessReports(ctx, dsrDPO, fx.tn.ID)
		if list[0].Status != store.ReportBreachCandidate || list[0].Decision != "Geen dossier bij die dienst" || list[0].DecidedBy != dsrDPO.ID {
			t.Fatalf("decided: %+v", list[0])
		}
		v, err := env.DB.CitizenView(ctx, fx.tn.ID, s, 1, "r")
		if err != nil || !v.Accesses[0].Reported {
			t.Fatalf("the view marks the report: %+v %v", v.Accesses, err)
		}
	})
}

// TestClauseDSR1_CitizenViewPaginates: 25 reads of the citizen's
// submission show as 20 on the first page and 5 on the second, newest
// first, with no access twice and none left out.
func TestClauseDSR1_CitizenViewPaginates(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, mine, _ := personOnThreeForms(t, env)
		for i := 0; i < 25; i++ {
			if _, err := env.DB.Submission(ctx, fx.actor, fx.tn.ID, mine[0], "behandeling"); err != nil {
				t.Fatal(err)
			}
			env.Clock.Advance(time.Second)
		}
		_, s := portalSession(t, env, fx.tn.ID, fx.tn.LegalName, anAddress)
		seen := map[int64]bool{}
		var last time.Time
		for page := 1; page <= 2; page++ {
			v, err := env.DB.CitizenView(ctx, fx.tn.ID, s, page, "r")
			if err != nil {
				t.Fatal(err)
			}
			// 25 reads and the clerk's note on mine[1] from the fixture.
			if v.Total != 26 || v.Pages != 2 {
				t.Fatalf("page %d: total %d, pages %d", page, v.Total, v.Pages)
			}
			if want := map[int]int{1: 20, 2: 6}[page]; len(v.Accesses) != want {
				t.Fatalf("page %d holds %d accesses, want %d", page, len(v.Accesses), want)
			}
			for _, a := range v.Accesses {
				if seen[a.Seq] || (!last.IsZero() && a.At.After(last)) {
					t.Fatalf("page %d: access %d repeated or out of order", page, a.Seq)
				}
				seen[a.Seq], last = true, a.At
			}
		}
	})
}
