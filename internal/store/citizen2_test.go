package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// wrongEvents returns the tenant's audit events of action.
func eventsOf(t *testing.T, env *storetest.Env, tenantID, action string) []audit.Event {
	t.Helper()
	var out []audit.Event
	if err := env.DB.EachAuditEvent(ctx, tenantID, func(e *audit.Event) error {
		if e.Action == action {
			out = append(out, *e)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestClauseAUD1_WrongCodesAuditedWithoutTheCode: a wrong one-time code on
// the request, view and package paths is audited under the pseudonym of
// the challenge's person, denied, without the code, also after the
// challenge died of wrong tries; a burst of
// store.CodeBurstMin within store.CodeBurstWindow is reported, and no
// longer once the window has passed.
func TestClauseAUD1_WrongCodesAuditedWithoutTheCode(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, _, _ := personOnThreeForms(t, env)
		claimed(t, env)
		wrongOf := func(code string) string {
			if code == "000000" {
				return "000001"
			}
			return "000000"
		}
		check := func(action, pseudonym, code string) {
			t.Helper()
			evs := eventsOf(t, env, fx.tn.ID, action)
			if len(evs) != 1 {
				t.Fatalf("%s: %d events", action, len(evs))
			}
			e := evs[0]
			if e.Subject == "" || e.Actor.Kind != audit.KindCitizen || e.Outcome != audit.OutcomeDenied || (pseudonym != "" && e.Subject != pseudonym) {
				t.Fatalf("%s recorded as %+v", action, e)
			}
			for _, s := range []string{e.Purpose, e.ObjectID, e.Actor.ID} {
				if strings.Contains(s, wrongOf(code)) || strings.Contains(s, code) {
					t.Fatalf("%s carries a code: %+v", action, e)
				}
			}
		}
		// The request page.
		id, err := env.DB.RequestCitizenCode(ctx, fx.tn.ID, fx.tn.LegalName, anAddress, dsr.Access, "nl")
		if err != nil {
			t.Fatal(err)
		}
		code := codeFrom(t, env, anAddress)
		if _, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, id, wrongOf(code)); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("wrong code: %v", err)
		}
		check("dsr.code.wrong", "", code)
		pseudonym := eventsOf(t, env, fx.tn.ID, "dsr.code.wrong")[0].Subject
		// An unknown challenge names no one: nothing to audit it under.
		if _, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, "no-such", code); !errors.Is(err, store.ErrWrongCode) {
			t.Fatal(err)
		}
		if n := len(eventsOf(t, env, fx.tn.ID, "dsr.code.wrong")); n != 1 {
			t.Fatalf("unknown challenge audited: %d", n)
		}
		// The view's sign-in.
		pid, pcode := portalCode(t, env, fx.tn.ID, fx.tn.LegalName, anAddress)
		if _, err := env.DB.OpenPortalWithCode(ctx, fx.tn.ID, pid, wrongOf(pcode), "r"); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("wrong sign-in code: %v", err)
		}
		check("portal.code.wrong", pseudonym, pcode)
		// The package's download.
		r, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, id, code)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DecideSubjectRequest(ctx, dsrDPO, fx.tn.ID, r.ID, true, "Adres bevestigd"); err != nil {
			t.Fatal(err)
		}
		claimedSent(t, env)
		token := executeWithLink(t, env, fx.tn.ID, r.ID, "nl")
		dcode := packageCode(t, env, fx, token, "nl")
		if _, _, err := env.DB.DownloadSubjectPackage(ctx, fx.tn.ID, token, wrongOf(dcode)); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("wrong download code: %v", err)
		}
		check("dsr.package.code.wrong", pseudonym, dcode)

		n, burst, err := env.DB.WrongCodeBurst(ctx, fx.tn.ID)
		if err != nil || n != 3 || burst {
			t.Fatalf("three wrong codes: %d %v %v", n, burst, err)
		}
		// One challenge: guesses after it died of CitizenCodeAttempts
		// wrong ones are counted too.
		id, err = env.DB.RequestCitizenCode(ctx, fx.tn.ID, fx.tn.LegalName, anAddress, dsr.Portability, "nl")
		if err != nil {
			t.Fatal(err)
		}
		code = codeFrom(t, env, anAddress)
		for ; n < store.CodeBurstMin; n++ {
			if _, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, id, wrongOf(code)); !errors.Is(err, store.ErrWrongCode) {
				t.Fatal(err)
			}
		}
		if got, burst, err := env.DB.WrongCodeBurst(ctx, fx.tn.ID); err != nil || got != store.CodeBurstMin || !burst {
			t.Fatalf("burst: %d %v %v", got, burst, err)
		}
		other := newTenant(t, env, "brugge")
		if got, burst, _ := env.DB.WrongCodeBurst(ctx, other.ID); got != 0 || burst {
			t.Fatalf("another tenant's burst: %d", got)
		}
		env.Clock.Advance(store.CodeBurstWindow + time.Second)
		if got, burst, _ := env.DB.WrongCodeBurst(ctx, fx.tn.ID); got != 0 || burst {
			t.Fatalf("after the window: %d %v", got, burst)
		}
	})
}

// TestClauseDSR1_PortalFilesWithoutASecondCode: a citizen signed in with a
// mailed code files a request of any kind from the view without another
// code: filed under the proven address through the staff path ("dsr.file"
// under their pseudonym, a second of the same kind refused as a
// duplicate, a kind's missing field refused with nothing filed), the
// address sealed in the session; after execution the view offers the
// package and downloads it, counted with the mailed link's downloads and
// audited, until it is used up; another citizen's request is not theirs.
func TestClauseDSR1_PortalFilesWithoutASecondCode(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, _, _ := personOnThreeForms(t, env)
		_, s := portalSession(t, env, fx.tn.ID, fx.tn.LegalName, anAddress)
		if found := storetest.FindPlaintext(t, env, fx.tn.LegalName, anAddress); len(found) > 0 {
			t.Fatalf("the address at rest: %v", found)
		}
		var ce *store.ChangeError
		if _, err := env.DB.FilePortalRequest(ctx, fx.tn.ID, s, dsr.Objection, "fr", store.KindFields{}, "r"); !errors.As(err, &ce) || ce.Field != "grounds" {
			t.Fatalf("objection without grounds: %v", err)
		}
		r, err := env.DB.FilePortalRequest(ctx, fx.tn.ID, s, dsr.Access, "fr", store.KindFields{}, "r")
		if err != nil {
			t.Fatal(err)
		}
		last := lastEvent(t, env, fx.tn.ID)
		if last.Action != "dsr.file" || last.Actor.Kind != audit.KindCitizen || last.Subject != s.Pseudonym || last.ObjectID != r.ID {
			t.Fatalf("filing recorded as %+v", last)
		}
		var dup *store.DuplicateRequestError
		if _, err := env.DB.FilePortalRequest(ctx, fx.tn.ID, s, dsr.Access, "nl", store.KindFields{}, "r"); !errors.As(err, &dup) || dup.ID != r.ID {
			t.Fatalf("duplicate: %v", err)
		}
		got, err := env.DB.SubjectRequestByID(ctx, dsrDPO, fx.tn.ID, r.ID)
		if err != nil || got.Person.Email != anAddress || got.Person.Lang != "fr" || got.FiledByKind != "citizen" {
			t.Fatalf("read back: %+v %v", got, err)
		}
		if list, _ := env.DB.SubjectRequests(ctx, dsrDPO, fx.tn.ID, 50); len(list) != 1 {
			t.Fatalf("%d requests filed", len(list))
		}
		v, err := env.DB.CitizenView(ctx, fx.tn.ID, s, 1, "r")
		if err != nil || len(v.Requests) != 1 || v.Requests[0].Package || v.Requests[0].Reference == "" {
			t.Fatalf("view before execution: %+v %v", v.Requests, err)
		}
		if _, _, err := env.DB.PortalPackage(ctx, fx.tn.ID, s, r.ID, "r"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a package before execution: %v", err)
		}
		if err := env.DB.DecideSubjectRequest(ctx, dsrDPO, fx.tn.ID, r.ID, true, "Aangemeld"); err != nil {
			t.Fatal(err)
		}
		claimedSent(t, env)
		token := executeWithLink(t, env, fx.tn.ID, r.ID, "fr")
		if v, _ = env.DB.CitizenView(ctx, fx.tn.ID, s, 1, "r"); !v.Requests[0].Package {
			t.Fatalf("view after execution: %+v", v.Requests)
		}
		// The mailed link keeps working and shares the count.
		if _, _, err := env.DB.DownloadSubjectPackage(ctx, fx.tn.ID, token, packageCode(t, env, fx, token, "fr")); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < store.PackageDownloadsMax; i++ {
			zip, lang, err := env.DB.PortalPackage(ctx, fx.tn.ID, s, r.ID, "r")
			if err != nil || len(zip) == 0 || lang != "fr" {
				t.Fatalf("download %d from the view: %d %q %v", i, len(zip), lang, err)
			}
			last := lastEvent(t, env, fx.tn.ID)
			if last.Action != "dsr.download" || last.Subject != s.Pseudonym || last.ObjectID != r.ID {
				t.Fatalf("download recorded as %+v", last)
			}
		}
		if _, _, err := env.DB.PortalPackage(ctx, fx.tn.ID, s, r.ID, "r"); !errors.Is(err, store.ErrPackageGone) {
			t.Fatalf("a used-up package: %v", err)
		}
		if v, _ = env.DB.CitizenView(ctx, fx.tn.ID, s, 1, "r"); v.Requests[0].Package {
			t.Fatal("a used-up package offered")
		}
		if _, err := env.DB.SubjectPackageLink(ctx, fx.tn.ID, token); !errors.Is(err, store.ErrPackageGone) {
			t.Fatalf("the link after the view used the package up: %v", err)
		}
		// Someone else's session cannot download it.
		_, near := portalSession(t, env, fx.tn.ID, fx.tn.LegalName, nearAddress)
		if _, _, err := env.DB.PortalPackage(ctx, fx.tn.ID, near, r.ID, "r"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another citizen's package: %v", err)
		}
	})
}

// TestClauseDSR1_PortalFASRequestHasNoAddress: after FAS the request
// carries the national register number's index, not an address; its
// outcome mails no one and the view shows it.
func TestClauseDSR1_PortalFASRequestHasNoAddress(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, _, _ := personOnThreeForms(t, env)
		tok, err := env.DB.OpenPortalWithNumber(ctx, fx.tn.ID, anINSZ, "r")
		if err != nil {
			t.Fatal(err)
		}
		s, err := env.DB.CitizenSession(ctx, fx.tn.ID, string(tok))
		if err != nil {
			t.Fatal(err)
		}
		r, err := env.DB.FilePortalRequest(ctx, fx.tn.ID, s, dsr.Restriction, "nl", store.KindFields{Grounds: "Ik betwist de juistheid"}, "r")
		if err != nil {
			t.Fatal(err)
		}
		if r.Person.Email != "" {
			t.Fatalf("an address on a FAS request: %+v", r.Person)
		}
		claimedSent(t, env)
		if err := env.DB.DecideSubjectRequest(ctx, dsrDPO, fx.tn.ID, r.ID, true, "Terecht"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ExecuteSubjectRequest(ctx, dsrDPO, fx.tn.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		for _, m := range claimedSent(t, env) {
			if m.Kind == "dsr.answer" {
				t.Fatalf("an outcome mailed without an address: %+v", m)
			}
		}
		v, err := env.DB.CitizenView(ctx, fx.tn.ID, s, 1, "r")
		if err != nil || len(v.Requests) != 1 || v.Requests[0].Status != dsr.StatusExecuted {
			t.Fatalf("view: %+v %v", v.Requests, err)
		}
	})
}

// TestClauseDSR1_ReportOpensAnObjection: a report of a suspicious access
// may file an objection (or a restriction) in the same step, grounded on
// the report's reason and linked to it; a second report asking the same
// links to the open request instead of filing twice; another kind is
// refused with nothing stored.
func TestClauseDSR1_ReportOpensAnObjection(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, mine, _ := personOnThreeForms(t, env)
		for _, id := range mine[:2] {
			if _, err := env.DB.Submission(ctx, fx.actor, fx.tn.ID, id, "behandeling"); err != nil {
				t.Fatal(err)
			}
		}
		_, s := portalSession(t, env, fx.tn.ID, fx.tn.LegalName, anAddress)
		v, err := env.DB.CitizenView(ctx, fx.tn.ID, s, 1, "r")
		if err != nil || len(v.Accesses) < 2 {
			t.Fatalf("accesses: %d %v", len(v.Accesses), err)
		}
		var ce *store.ChangeError
		if _, err := env.DB.ReportAccessAsking(ctx, fx.tn.ID, s, v.Accesses[0].Seq, "Waarom?", dsr.Erasure, "nl", "r"); !errors.As(err, &ce) {
			t.Fatalf("an erasure from a report: %v", err)
		}
		rep, err := env.DB.ReportAccessAsking(ctx, fx.tn.ID, s, v.Accesses[0].Seq, "Ik ken die dienst niet", dsr.Objection, "nl", "r")
		if err != nil {
			t.Fatal(err)
		}
		list, err := env.DB.SubjectRequests(ctx, dsrDPO, fx.tn.ID, 50)
		if err != nil || len(list) != 1 || list[0].Kind != dsr.Objection || list[0].Person.Grounds != "Ik ken die dienst niet" || list[0].Person.Email != anAddress {
			t.Fatalf("filed: %+v %v", list, err)
		}
		var linked string
		if err := env.Raw(t).QueryRow(`SELECT request_id FROM access_reports WHERE id = $1`, rep).Scan(&linked); err != nil || linked != list[0].ID {
			t.Fatalf("report linked to %q: %v", linked, err)
		}
		rep2, err := env.DB.ReportAccessAsking(ctx, fx.tn.ID, s, v.Accesses[1].Seq, "Ook deze", dsr.Objection, "nl", "r")
		if err != nil {
			t.Fatal(err)
		}
		if list, _ := env.DB.SubjectRequests(ctx, dsrDPO, fx.tn.ID, 50); len(list) != 1 {
			t.Fatalf("%d requests after a second report", len(list))
		}
		if err := env.Raw(t).QueryRow(`SELECT request_id FROM access_reports WHERE id = $1`, rep2).Scan(&linked); err != nil || linked != list[0].ID {
			t.Fatalf("second report linked to %q: %v", linked, err)
		}
	})
}
