package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// approved files a request of kind for p and has the DPO approve it.
func approved(t *testing.T, env *storetest.Env, tenantID string, kind dsr.Kind, p store.SubjectPerson) store.SubjectRequest {
	t.Helper()
	r := fileRequest(t, env, tenantID, dsrClerk, kind, p)
	if err := env.DB.DecideSubjectRequest(ctx, dsrDPO, tenantID, r.ID, true, "Identiteit gecontroleerd"); err != nil {
		t.Fatal(err)
	}
	return r
}

func sealedData(t *testing.T, env *storetest.Env, id string) string {
	t.Helper()
	var b []byte
	if err := env.Raw(t).QueryRow(`SELECT data FROM submissions WHERE id = $1`, id).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestClauseDSR1_RectificationValidatedWithHistory: an approved
// rectification changes one value of one of the person's submissions,
// validated exactly as the form field validates; a value the field
// refuses, a field that identifies the person, another person's
// submission, a clerk and a request not yet approved change nothing; the
// old value stays in a sealed history (who, when, which request) that the
// case and the access package show.
func TestClauseDSR1_RectificationValidatedWithHistory(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, mine, theirs := personOnThreeForms(t, env)
		tn := fx.tn.ID
		p := anPeeters
		p.Wrong, p.Correction = "", ""
		if _, err := env.DB.FileSubjectRequest(ctx, dsrClerk, tn, store.NewSubjectRequest{Kind: dsr.Rectification, Person: p}); !isChange(err, "wrong", "required") {
			t.Fatalf("a rectification without what is wrong: %v", err)
		}
		r := fileRequest(t, env, tn, dsrClerk, dsr.Rectification, anPeeters)
		if !strings.HasPrefix(r.Reference, "VZ-2026-") {
			t.Fatalf("reference %q", r.Reference)
		}
		before := sealedData(t, env, mine[0])
		if err := env.DB.RectifySubmission(ctx, dsrDPO, tn, r.ID, mine[0], "name", "MARKER-fixed"); !errors.Is(err, store.ErrNotApproved) {
			t.Fatalf("rectified before approval: %v", err)
		}
		if err := env.DB.DecideSubjectRequest(ctx, dsrDPO, tn, r.ID, true, "Identiteit gecontroleerd"); err != nil {
			t.Fatal(err)
		}
		var rerr *store.RectifyError
		for _, c := range []struct {
			who           audit.Actor
			sub, field, v string
			want          func(error) bool
		}{
			{dsrClerk, mine[0], "name", "MARKER-fixed", func(err error) bool { return errors.Is(err, store.ErrNotApproved) }},
			{dsrDPO, theirs, "name", "MARKER-fixed", func(err error) bool { return errors.Is(err, store.ErrNotFound) }},
			{dsrDPO, mine[0], "phone", "geen nummer", func(err error) bool {
				return errors.As(err, &rerr) && rerr.Field == "value" && rerr.Key == "phone" && rerr.FormKey
			}},
			{dsrDPO, mine[0], "name", "", func(err error) bool { return errors.As(err, &rerr) && rerr.Key == "required" }},
			{dsrDPO, mine[0], "email", "ander@gent.be", func(err error) bool { return errors.As(err, &rerr) && rerr.Key == "not_rectifiable" }},
			{dsrDPO, mine[0], "nope", "x", func(err error) bool { return errors.As(err, &rerr) && rerr.Key == "not_rectifiable" }},
		} {
			if err := env.DB.RectifySubmission(ctx, c.who, tn, r.ID, c.sub, c.field, c.v); !c.want(err) {
				t.Fatalf("%s on %s=%q: %v", c.who.Role, c.field, c.v, err)
			}
		}
		if sealedData(t, env, mine[0]) != before {
			t.Fatal("a refused rectification changed the submission")
		}
		if n := len(env.Events(t, tn, "dsr.rectify")); n != 3 {
			t.Fatalf("%d refused rectifications recorded, want 3 (before approval, clerk, another's)", n)
		}
		if err := env.DB.RectifySubmission(ctx, dsrDPO, tn, r.ID, mine[0], "name", " MARKER-fixed "); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.RectifySubmission(ctx, dsrDPO, tn, r.ID, mine[0], "name", "MARKER-fixed"); !errors.As(err, &rerr) || rerr.Key == "" {
			t.Fatalf("the same value twice: %v", err)
		}
		ev := env.Events(t, tn, "dsr.rectify")
		lastEv := ev[len(ev)-1]
		if lastEv.Outcome != audit.OutcomeSuccess || lastEv.ObjectID != mine[0] || lastEv.Subject == "" || strings.Contains(lastEv.Purpose, "MARKER") {
			t.Fatalf("rectification recorded as %+v", lastEv)
		}
		var old []byte
		env.Raw(t).QueryRow(`SELECT old_value FROM submission_rectifications WHERE submission_id = $1`, mine[0]).Scan(&old)
		if len(old) == 0 || strings.Contains(string(old), "MARKER") {
			t.Fatal("the old value is not sealed")
		}
		pc, err := env.DB.SubjectRequestCase(ctx, dsrDPO, tn, r.ID)
		if err != nil || len(pc.Submissions) != 3 || len(pc.Rectifications) != 1 {
			t.Fatalf("case: %+v %v", pc, err)
		}
		h := pc.Rectifications[0]
		if h.Old != "MARKER-mine-vraag" || h.New != "MARKER-fixed" || h.ActorID != dsrDPO.ID || h.RequestID != r.ID || h.Field != "name" {
			t.Fatalf("history: %+v", h)
		}
		// The case's history says it, with who and when.
		d, err := env.DB.OpenSubmission(ctx, fx.otherAct, tn, store.UserViewer(fx.other.ID), mine[0], "test")
		if err != nil {
			t.Fatal(err)
		}
		last := d.History[len(d.History)-1]
		if last.ActorID != dsrDPO.ID || !strings.Contains(last.Body, r.Reference) || !strings.Contains(last.Body, "MARKER-mine-vraag") ||
			!strings.Contains(last.Body, "MARKER-fixed") {
			t.Fatalf("case history: %+v", last)
		}
		if err := env.DB.ExecuteSubjectRequest(ctx, dsrDPO, tn, r.ID); err != nil {
			t.Fatal(err)
		}
		a := approved(t, env, tn, dsr.Access, anPeeters)
		if err := env.DB.ExecuteSubjectRequest(ctx, dsrDPO, tn, a.ID); err != nil {
			t.Fatal(err)
		}
		pkg, err := env.DB.SubjectAccessPackage(ctx, dsrDPO, tn, a.ID, fx.tn.LegalName)
		if err != nil || len(pkg.Submissions[0].Rectifications) != 1 || pkg.Submissions[0].Rectifications[0].Old != "MARKER-mine-vraag" ||
			!strings.Contains(string(pkg.Submissions[0].Answers), "MARKER-fixed") {
			t.Fatalf("package: %+v %v", pkg.Submissions[0], err)
		}
	})
}

func isChange(err error, field, key string) bool {
	var ce *store.ChangeError
	return errors.As(err, &ce) && ce.Field == field && ce.Key == key
}

// TestClauseDSR1_RestrictionFreezesEditsExportsAndRetention: while a
// restriction is in force, the person's submissions cannot be moved on,
// rectified, exported (an export withholds them and says how many; one of
// only theirs is refused) or expired by retention; each refusal is
// recorded; lifting the restriction unfreezes them.
func TestClauseDSR1_RestrictionFreezesEditsExportsAndRetention(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := retentionFixture(t, env, "gent", register.ExpiryAnonymise)
		tn := fx.tn.ID
		frozen := fx.question(t, env, "een", "street")
		free := fx.question(t, env, "twee", "street")
		person := store.SubjectPerson{Name: "Een", Email: "een@example.be", Lang: "nl"}
		rect := approved(t, env, tn, dsr.Rectification, person)
		r := approved(t, env, tn, dsr.Restriction, person)
		if err := env.DB.ExecuteSubjectRequest(ctx, dsrDPO, tn, r.ID); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ChangeSubmission(ctx, fx.otherAct, tn, store.UserViewer(fx.other.ID), frozen,
			store.SubmissionChange{Status: store.StatusInProgress}); !errors.Is(err, store.ErrRestricted) {
			t.Fatalf("status change of a restricted submission: %v", err)
		}
		if err := env.DB.RectifySubmission(ctx, dsrDPO, tn, rect.ID, frozen, "name", "Nieuwe naam"); !errors.Is(err, store.ErrRestricted) {
			t.Fatalf("rectification of a restricted submission: %v", err)
		}
		e, err := env.DB.CreateExport(ctx, fx.otherAct, tn, fx.other.ID, store.ExportRequest{FormKey: "vraag", Format: store.ExportCSV, Reason: "rapport", Lang: "nl"})
		if err != nil || e.Withheld != 1 || e.Total != 1 {
			t.Fatalf("export of all: %+v %v", e, err)
		}
		var rows []string
		if err := env.DB.ExportSubmissions(ctx, fx.otherAct, tn, fx.other.ID, e.ID, func(row store.ExportRow) error {
			rows = append(rows, row.ID)
			return nil
		}); err != nil || len(rows) != 1 || rows[0] != free {
			t.Fatalf("exported %v %v", rows, err)
		}
		var xerr *store.ExportInvalidError
		if _, err := env.DB.CreateExport(ctx, fx.otherAct, tn, fx.other.ID, store.ExportRequest{FormKey: "vraag", Format: store.ExportCSV,
			Reason: "rapport", Lang: "nl", IDs: []string{frozen}}); !errors.As(err, &xerr) || xerr.Key != "restricted" {
			t.Fatalf("export of only the restricted one: %v", err)
		}
		if got := env.Events(t, tn, "dsr.restricted"); len(got) != 4 {
			t.Fatalf("%d refusals recorded, want 4 (status, rectification, two exports)", len(got))
		} else {
			for _, ev := range got {
				if ev.Outcome != audit.OutcomeDenied || ev.Subject == "" && ev.ObjectType == "submission" {
					t.Fatalf("refusal recorded as %+v", ev)
				}
			}
		}
		env.Clock.Advance(40 * day)
		runRetention(t, env, tn, store.RetentionOptions{})
		if answersOf(t, env, fx, frozen)["name"].Value != "Naam een" {
			t.Fatal("retention expired a restricted submission")
		}
		if _, ok := answersOf(t, env, fx, free)["name"]; ok {
			t.Fatal("the unrestricted submission did not expire")
		}
		if err := env.DB.CloseSubjectRequest(ctx, dsrAdmin, tn, r.ID); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ChangeSubmission(ctx, fx.otherAct, tn, store.UserViewer(fx.other.ID), frozen,
			store.SubmissionChange{Status: store.StatusInProgress}); err != nil {
			t.Fatalf("after the lift: %v", err)
		}
		runRetention(t, env, tn, store.RetentionOptions{})
		if _, ok := answersOf(t, env, fx, frozen)["name"]; ok {
			t.Fatal("the lifted restriction still holds retention")
		}
	})
}

// TestClauseDSR1_ObjectionDecidedByTheController: an objection needs the
// citizen's grounds; the controller upholds it (processing stops: the
// person's submissions are restricted, also after the request is closed)
// or overrides it with compelling legitimate grounds and a reason; the
// citizen's mail says which.
func TestClauseDSR1_ObjectionDecidedByTheController(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, mine, _ := personOnThreeForms(t, env)
		tn := fx.tn.ID
		claimed(t, env)
		if _, err := env.DB.RequestCitizenCodeWith(ctx, tn, fx.tn.LegalName, anAddress, dsr.Objection, "nl", store.KindFields{}); !isChange(err, "grounds", "required") {
			t.Fatalf("an objection without grounds: %v", err)
		}
		file := func() store.SubjectRequest {
			t.Helper()
			id, err := env.DB.RequestCitizenCodeWith(ctx, tn, fx.tn.LegalName, anAddress, dsr.Objection, "nl",
				store.KindFields{Grounds: "Ik wil geen nieuwsbrief", Wrong: "genegeerd"})
			if err != nil {
				t.Fatal(err)
			}
			r, err := env.DB.FileCitizenRequest(ctx, tn, id, codeFrom(t, env, anAddress))
			if err != nil {
				t.Fatal(err)
			}
			got, err := env.DB.SubjectRequestByID(ctx, dsrDPO, tn, r.ID)
			if err != nil || got.Person.Grounds != "Ik wil geen nieuwsbrief" || got.Person.Wrong != "" || got.Reference == "" {
				t.Fatalf("filed: %+v %v", got.Person, err)
			}
			return r
		}
		outcome := func(want ...string) {
			t.Helper()
			mails := claimed(t, env)
			if len(mails) != 1 || mails[0].Kind != "dsr.answer" || mails[0].To != anAddress {
				t.Fatalf("outcome mails: %+v", mails)
			}
			for _, w := range want {
				if !strings.Contains(mails[0].Body, w) {
					t.Errorf("mail lacks %q: %s", w, mails[0].Body)
				}
			}
			env.DB.MailSent(ctx, mails[0].ID)
		}
		r := file()
		if err := env.DB.DecideSubjectRequest(ctx, dsrClerk, tn, r.ID, false, "nee"); !errors.Is(err, store.ErrNotApproved) {
			t.Fatalf("a clerk decided: %v", err)
		}
		if err := env.DB.DecideSubjectRequest(ctx, dsrDPO, tn, r.ID, false, "Wettelijke taak van algemeen belang"); err != nil {
			t.Fatal(err)
		}
		got, _ := env.DB.SubjectRequestByID(ctx, dsrDPO, tn, r.ID)
		if got.Objection != store.ObjectionCompelling {
			t.Fatalf("decision %q", got.Objection)
		}
		outcome(r.Reference, "Wettelijke taak van algemeen belang")
		if m, _ := env.DB.RestrictedSubmissions(ctx, tn, mine); len(m) != 0 {
			t.Fatalf("restricted after an overridden objection: %v", m)
		}
		r2 := file()
		if err := env.DB.DecideSubjectRequest(ctx, dsrAdmin, tn, r2.ID, true, "Bezwaar gegrond"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ExecuteSubjectRequest(ctx, dsrAdmin, tn, r2.ID); err != nil {
			t.Fatal(err)
		}
		outcome(r2.Reference)
		if err := env.DB.CloseSubjectRequest(ctx, dsrAdmin, tn, r2.ID); err != nil {
			t.Fatal(err)
		}
		// Filed by address, it reaches the submissions the address finds.
		if m, _ := env.DB.RestrictedSubmissions(ctx, tn, mine); len(m) != 2 || !m[mine[0]] || !m[mine[1]] {
			t.Fatalf("an upheld objection restricts the person's submissions: %v", m)
		}
	})
}

// TestClauseDSR1_ObjectionUpheldForOnePurpose: the controller upholds an
// objection for one register purpose, restricting or erasing as decided:
// only the person's submissions on forms collecting for that purpose are
// touched; an unknown purpose or effect changes nothing.
func TestClauseDSR1_ObjectionUpheldForOnePurpose(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, mine, _ := personOnThreeForms(t, env)
		tn := fx.tn.ID
		r := fileRequest(t, env, tn, dsrClerk, dsr.Objection, anPeeters)
		for _, c := range []struct {
			choice store.ObjectionChoice
			field  string
		}{{store.ObjectionChoice{Purpose: "nope"}, "purpose"}, {store.ObjectionChoice{Effect: "burn"}, "effect"}} {
			if err := env.DB.DecideObjection(ctx, dsrDPO, tn, r.ID, true, "Gegrond", c.choice); !isChange(err, c.field, "unknown") {
				t.Fatalf("%+v: %v", c.choice, err)
			}
		}
		if got, _ := env.DB.SubjectRequestByID(ctx, dsrDPO, tn, r.ID); got.Status != dsr.StatusReceived || got.Objection != "" {
			t.Fatalf("a refused decision changed the request: %+v", got)
		}
		if err := env.DB.DecideObjection(ctx, dsrDPO, tn, r.ID, true, "Gegrond", store.ObjectionChoice{Purpose: "social-support"}); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ExecuteSubjectRequest(ctx, dsrDPO, tn, r.ID); err != nil {
			t.Fatal(err)
		}
		if m, _ := env.DB.RestrictedSubmissions(ctx, tn, mine); len(m) != 1 || !m[mine[1]] {
			t.Fatalf("restricted for social support: %v (want only the allowance %s)", m, mine[1])
		}
		e := fileRequest(t, env, tn, dsrClerk, dsr.Objection, anPeeters)
		if err := env.DB.DecideObjection(ctx, dsrDPO, tn, e.ID, true, "Gegrond",
			store.ObjectionChoice{Purpose: "online-services", Effect: store.EffectErase}); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ExecuteSubjectRequest(ctx, dsrDPO, tn, e.ID); err != nil {
			t.Fatal(err)
		}
		got, err := env.DB.SubjectRequestByID(ctx, dsrDPO, tn, e.ID)
		if err != nil || got.Erasure == nil || got.Erasure.Erased != 2 || got.ObjectionEffect != store.EffectErase {
			t.Fatalf("erasing objection: %+v %v", got, err)
		}
		var n int
		env.Raw(t).QueryRow(`SELECT count(*) FROM submissions WHERE id IN ($1, $2, $3)`, mine[0], mine[1], mine[2]).Scan(&n)
		if n != 1 {
			t.Fatalf("%d of the person's submissions left, want the allowance only", n)
		}
	})
}

// TestClauseDSR1_ErasureReachesEveryPlace: besides the submissions, an
// erasure shreds the export files held for staff that contain them,
// deletes the mails to the person and the webhook deliveries naming
// them, and its report states per place what it
// removed and what it kept and why.
func TestClauseDSR1_ErasureReachesEveryPlace(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, mine, theirs := personOnThreeForms(t, env)
		tn := fx.tn.ID
		// A webhook's deliveries: one naming An's question, one the other's.
		now := env.Clock.Now().UnixMicro()
		if _, err := env.Raw(t).Exec(`INSERT INTO webhooks (id, tenant_id, url, origin, events, entry_kind, entry_key, secret, status,
			created_at, created_by, updated_at) VALUES ('wh', $1, 'https://case.gent.be/hook', 'https://case.gent.be', ',submission.created,',
			'recipient', 'case', $2, 'active', $3, 'admin', $3)`, tn, []byte{1}, now); err != nil {
			t.Fatal(err)
		}
		for i, sub := range []string{mine[0], theirs} {
			if _, err := env.Raw(t).Exec(`INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event, body, status,
				next_attempt_at, created_at) VALUES ($1, $2, 'wh', $1, 'submission.created', $3, 'delivered', $4, $4)`,
				fmt.Sprintf("d%d", i), tn, `{"data":{"id":"`+sub+`"}}`, now); err != nil {
				t.Fatal(err)
			}
		}
		e, err := env.DB.CreateExport(ctx, fx.otherAct, tn, fx.other.ID, store.ExportRequest{FormKey: "vraag", Format: store.ExportCSV, Reason: "rapport", Lang: "nl"})
		if err != nil {
			t.Fatal(err)
		}
		r := approved(t, env, tn, dsr.Erasure, anPeeters)
		if err := env.DB.ExecuteSubjectRequest(ctx, dsrDPO, tn, r.ID); err != nil {
			t.Fatal(err)
		}
		got, err := env.DB.SubjectRequestByID(ctx, dsrDPO, tn, r.ID)
		if err != nil || got.Erasure == nil {
			t.Fatal(err)
		}
		places := map[string]store.ErasurePlace{}
		for _, p := range got.Erasure.Places {
			places[p.Place] = p
		}
		want := map[string]store.ErasurePlace{
			"submissions": {Place: "submissions", Removed: 2, Kept: 1, Why: "legal_obligation"},
			"exports":     {Place: "exports", Removed: 1},
			"webhooks":    {Place: "webhooks", Removed: 1},
			"drafts":      {Place: "drafts", Why: "drafts"},
			"audit":       {Place: "audit", Why: "audit"},
		}
		for k, w := range want {
			if places[k] != w {
				t.Errorf("%s: %+v, want %+v", k, places[k], w)
			}
		}
		var status string
		var key []byte
		env.Raw(t).QueryRow(`SELECT status, data_key FROM exports WHERE id = $1`, e.ID).Scan(&status, &key)
		if status != "deleted" || len(key) != 0 {
			t.Fatalf("export holding an erased submission: %s, key %d bytes", status, len(key))
		}
		var left string
		env.Raw(t).QueryRow(`SELECT body FROM webhook_deliveries WHERE tenant_id = $1`, tn).Scan(&left)
		if !strings.Contains(left, theirs) {
			t.Fatalf("the other person's delivery went: %q", left)
		}
		for _, place := range []string{"files", "history", "mails"} {
			if _, ok := places[place]; !ok {
				t.Errorf("the report does not state %s", place)
			}
		}
	})
}

// TestClauseDSR1_RequestReferenceSequentialPerTenantAndYear: every request
// gets a short reference, VZ-<year>-<nnnn>, sequential per tenant and year.
func TestClauseDSR1_RequestReferenceSequentialPerTenantAndYear(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		a, b := newTenant(t, env, "gent"), newTenant(t, env, "brugge")
		p := func(n string) store.SubjectPerson {
			return store.SubjectPerson{Name: n, Email: n + "@gent.be", Lang: "nl"}
		}
		var got []string
		for i, tn := range []string{a.ID, a.ID, b.ID} {
			got = append(got, fileRequest(t, env, tn, dsrClerk, dsr.Access, p(string(rune('a'+i)))).Reference)
		}
		env.Clock.Advance(70 * 24 * time.Hour)
		got = append(got, fileRequest(t, env, a.ID, dsrClerk, dsr.Access, p("z")).Reference)
		want := []string{"VZ-2026-0001", "VZ-2026-0002", "VZ-2026-0001", "VZ-2027-0001"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("references %v, want %v", got, want)
		}
		// People quote the reference: it finds the request (of the tenant only).
		byRef, err := env.DB.SubjectRequestByID(ctx, dsrAdmin, a.ID, "VZ-2026-0002")
		if err != nil || byRef.Reference != "VZ-2026-0002" || byRef.Person.Name != "b" {
			t.Fatalf("by reference: %+v %v", byRef, err)
		}
		if _, err := env.DB.SubjectRequestByID(ctx, dsrAdmin, b.ID, "VZ-2026-0002"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant's reference: %v", err)
		}
		list, err := env.DB.SubjectRequests(ctx, dsrAdmin, a.ID, 10)
		if err != nil || len(list) != 3 || list[0].Reference == "" {
			t.Fatalf("list: %+v %v", list, err)
		}
	})
}

// TestClauseDSR1_CitizenToldOfRestrictionAndItsLift: a citizen who asked
// for a restriction is mailed when it is in force and again when the
// controller lifts it (art. 18.3 GDPR), naming the request's reference.
func TestClauseDSR1_CitizenToldOfRestrictionAndItsLift(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, _, _ := personOnThreeForms(t, env)
		tn := fx.tn.ID
		claimed(t, env)
		id, err := env.DB.RequestCitizenCodeWith(ctx, tn, fx.tn.LegalName, anAddress, dsr.Restriction, "fr",
			store.KindFields{Grounds: "Une erreur est examinée"})
		if err != nil {
			t.Fatal(err)
		}
		r, err := env.DB.FileCitizenRequest(ctx, tn, id, codeFrom(t, env, anAddress))
		if err != nil {
			t.Fatal(err)
		}
		mailed := func(want string) {
			t.Helper()
			mails := claimed(t, env)
			if len(mails) != 1 || mails[0].To != anAddress || !strings.Contains(mails[0].Body, want) || !strings.Contains(mails[0].Body, r.Reference) {
				t.Fatalf("want one mail saying %q: %+v", want, mails)
			}
			env.DB.MailSent(ctx, mails[0].ID)
		}
		if err := env.DB.DecideSubjectRequest(ctx, dsrDPO, tn, r.ID, true, "ok"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ExecuteSubjectRequest(ctx, dsrDPO, tn, r.ID); err != nil {
			t.Fatal(err)
		}
		mailed("a limité le traitement")
		if err := env.DB.CloseSubjectRequest(ctx, dsrDPO, tn, r.ID); err != nil {
			t.Fatal(err)
		}
		mailed("lève la limitation")
		if n := len(env.Events(t, tn, "dsr.outcome")); n != 2 {
			t.Fatalf("%d outcome mails recorded, want 2", n)
		}
	})
}
