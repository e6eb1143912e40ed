package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// kindsSubmission stores a question of the person at address with the
// name marker and returns its id.
func kindsSubmission(t *testing.T, env *storetest.Env, fe *formsEnv, address, marker string) string {
	t.Helper()
	ctx := context.Background()
	fv, err := env.DB.FormByStatus(ctx, fe.gent.ID, "vraag", store.FormPublished)
	if err != nil {
		t.Fatal(err)
	}
	answers, _ := json.Marshal(form.Answers{"name": {Value: marker}, "email": {Value: address}, "topic": {Value: "waste"},
		"message": {Value: "Vraag " + marker}})
	in := store.NewFormSubmission{FormKey: "vraag", FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion, Answers: answers,
		Subject: address, Contact: address, Lang: "nl", Idempotency: "tok-" + marker, Receipt: "rc-" + marker}
	ref, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, fe.gent.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	if err := env.Raw(t).QueryRow(`SELECT id FROM submissions WHERE reference = $1`, ref).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// DSR-1 (art. 16): a rectification filed without what is wrong is refused
// field by field; once the controller approved it, the request page offers
// the person's values; a value the form field refuses is refused with the
// field's own message and nothing changes; a good one is saved and the old
// value shown in the history.
func TestClauseDSR1_RectificationPageValidatesLikeTheForm(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		sid := kindsSubmission(t, env, fe, "an@gent.be", "MARKER-old")
		file := url.Values{"kind": {"rectification"}, "name": {"An"}, "email": {"an@gent.be"}, "lang": {"nl"}}
		resp, page := fe.submit(t, "/gent/admin/requests/new", fe.clerk, file)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#wrong">Zeg welk gegeven fout is`) ||
			!strings.Contains(page, `href="#correction">Zeg wat het moet zijn`) || !strings.Contains(page, `aria-describedby="wrong-hint wrong-error"`) {
			t.Fatalf("without what is wrong: %d\n%s", resp.StatusCode, page)
		}
		if list, _ := env.DB.SubjectRequests(context.Background(), audit.System("test"), fe.gent.ID, 10); len(list) != 0 {
			t.Fatalf("filed anyway: %+v", list)
		}
		file.Set("wrong", "Mijn naam")
		file.Set("correction", "MARKER-new")
		if resp, _ := fe.submit(t, "/gent/admin/requests/new", fe.clerk, file); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("file: %d", resp.StatusCode)
		}
		list, _ := env.DB.SubjectRequests(context.Background(), audit.System("test"), fe.gent.ID, 10)
		if len(list) != 1 || list[0].Person.Wrong != "Mijn naam" {
			t.Fatalf("filed: %+v", list)
		}
		page0 := "/gent/admin/requests/" + list[0].ID
		if resp, _ := fe.submit(t, page0+"/decide", fe.clerk, url.Values{"decision": {"approve"}, "reason": {"ok"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a clerk approved: %d", resp.StatusCode)
		}
		if resp, _ := fe.submit(t, page0+"/rectify", fe.dpo, url.Values{"target": {sid + "/name"}, "value": {"MARKER-new"}}); resp.StatusCode != http.StatusConflict {
			t.Fatalf("rectified before approval: %d", resp.StatusCode)
		}
		if resp, _ := fe.submit(t, page0+"/decide", fe.dpo, url.Values{"decision": {"approve"}, "reason": {"Identiteit gecontroleerd"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: %d", resp.StatusCode)
		}
		_, page = fe.get(t, page0, fe.dpo)
		if !strings.Contains(page, "Gegevens verbeteren") || !strings.Contains(page, `value="`+sid+`/phone"`) || strings.Contains(page, `value="`+sid+`/email"`) {
			t.Fatalf("the rectification form:\n%s", page)
		}
		var before []byte
		env.Raw(t).QueryRow(`SELECT data FROM submissions WHERE id = $1`, sid).Scan(&before)
		resp, page = fe.submit(t, page0+"/rectify", fe.dpo, url.Values{"target": {sid + "/phone"}, "value": {"geen nummer"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#value">Vul een geldig telefoonnummer in`) ||
			!strings.Contains(page, `aria-describedby="value-hint value-error"`) || !strings.Contains(page, `value="geen nummer"`) {
			t.Fatalf("a bad phone number: %d\n%s", resp.StatusCode, page)
		}
		var after []byte
		env.Raw(t).QueryRow(`SELECT data FROM submissions WHERE id = $1`, sid).Scan(&after)
		if string(before) != string(after) {
			t.Fatal("a refused rectification changed the submission")
		}
		resp, _ = fe.submit(t, page0+"/rectify", fe.dpo, url.Values{"target": {sid + "/name"}, "value": {"MARKER-new"}})
		wantRedirect(t, "rectify", resp, page0+"?done=rectified")
		_, page = fe.get(t, page0+"?done=rectified", fe.dpo)
		for _, want := range []string{"De waarde is verbeterd", "Verbeterde waarden", "MARKER-old", "MARKER-new"} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
	})
}

// DSR-1 (art. 18): a restricted person's case shows it is frozen; a status
// change, the PDF export and an export of only theirs are refused with a
// clear message, and a bulk export withholds theirs, saying how many.
func TestClauseDSR1_RestrictedCaseRefusesChangesAndExport(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		sid := kindsSubmission(t, env, fe, "an@gent.be", "MARKER-frozen")
		admin := audit.Actor{Kind: audit.KindUser, ID: adminID(t, env, fe), Role: "admin", RequestID: "r"}
		if err := env.DB.SetFormAccess(ctx, admin, fe.gent.ID, admin.ID, []string{"vraag"}); err != nil {
			t.Fatal(err)
		}
		r, err := env.DB.FileSubjectRequest(ctx, admin, fe.gent.ID, store.NewSubjectRequest{Kind: dsr.Restriction,
			Person: store.SubjectPerson{Name: "An", Email: "an@gent.be", Lang: "nl", Grounds: "Fout in onderzoek"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DecideSubjectRequest(ctx, admin, fe.gent.ID, r.ID, true, "ok"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ExecuteSubjectRequest(ctx, admin, fe.gent.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		casePath := "/gent/inbox/submissions/" + sid
		if _, page := fe.get(t, casePath, fe.admin); !strings.Contains(page, "Deze inzending is bevroren") {
			t.Fatalf("the case does not show the restriction:\n%s", page)
		}
		resp, page := fe.submit(t, casePath+"/status", fe.admin, url.Values{"status": {store.StatusInProgress}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "de status kan niet veranderen tot de beperking opgeheven is") {
			t.Fatalf("status change: %d\n%s", resp.StatusCode, page)
		}
		if resp, page := fe.get(t, casePath+"/pdf", fe.admin); resp.StatusCode != http.StatusConflict || !strings.Contains(page, "Export geweigerd") {
			t.Fatalf("PDF: %d\n%s", resp.StatusCode, page)
		}
		// A bulk export withholds the restricted one and says how many; an
		// export of only restricted ones is refused and makes nothing.
		kindsSubmission(t, env, fe, "bo@gent.be", "MARKER-free")
		resp, _ = fe.submit(t, "/gent/inbox/forms/vraag/export", fe.admin, url.Values{"format": {"csv"}, "reason": {"rapport"}})
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "?withheld=1") {
			t.Fatalf("bulk export: %d %q", resp.StatusCode, loc)
		}
		if _, page := fe.get(t, loc, fe.admin); !strings.Contains(page, "1 inzendingen zitten niet in deze export") {
			t.Fatalf("the export does not say what it withheld:\n%s", page)
		}
		resp, page = fe.submit(t, "/gent/inbox/forms/vraag/export", fe.admin, url.Values{"format": {"csv"}, "reason": {"rapport"}, "id": {sid}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "De gekozen inzendingen kunnen niet geëxporteerd worden") {
			t.Fatalf("export of the restricted one: %d\n%s", resp.StatusCode, page)
		}
		if err := env.DB.CloseSubjectRequest(ctx, admin, fe.gent.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		if resp, _ := fe.submit(t, casePath+"/status", fe.admin, url.Values{"status": {store.StatusInProgress}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("after the lift: %d", resp.StatusCode)
		}
	})
}

// DSR-1: the public page offers all six kinds, each explained, and asks
// each kind's own fields: a rectification without what is wrong, or an
// objection without grounds, is refused field by field and sends nothing.
func TestClauseDSR1_CitizenFilesEveryKind(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		_, page := fe.get(t, "/gent/privacy/request?lang=fr", "")
		for _, k := range dsr.Kinds {
			if !strings.Contains(page, `id="kind-`+string(k)+`"`) || !strings.Contains(page, `id="kind-`+string(k)+`-hint"`) {
				t.Errorf("the page does not offer %s", k)
			}
		}
		if !strings.Contains(page, "Opposition : je ne veux pas") {
			t.Error("the kinds are not said in French")
		}
		for kind, want := range map[string]string{"rectification": `href="#wrong">Indiquez quelle donnée est inexacte`,
			"objection": `href="#grounds">Donnez vos motifs`} {
			resp, page := fe.submit(t, "/gent/privacy/request", "lang=fr", url.Values{"email": {"an@gent.be"}, "kind": {kind}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, want) {
				t.Fatalf("%s without its fields: %d\n%s", kind, resp.StatusCode, page)
			}
		}
		if n := len(env.Events(t, fe.gent.ID, "dsr.code")); n != 0 {
			t.Fatalf("%d codes sent for refused requests", n)
		}
		resp, page := fe.submit(t, "/gent/privacy/request", "lang=fr", url.Values{"email": {"an@gent.be"}, "kind": {"objection"},
			"grounds": {"Pas de lettre d'information"}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `name="challenge"`) {
			t.Fatalf("objection with grounds: %d\n%s", resp.StatusCode, page)
		}
	})
}

// DSR-1 (art. 21): the controller upholds an objection for a purpose of
// the register, freezing or erasing; a purpose the register does not have
// is refused at its field and nothing is decided.
func TestClauseDSR1_ObjectionDecidedForAPurpose(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		kindsSubmission(t, env, fe, "an@gent.be", "MARKER-obj")
		resp, _ := fe.submit(t, "/gent/admin/requests/new", fe.clerk, url.Values{"kind": {"objection"}, "name": {"An"}, "email": {"an@gent.be"},
			"lang": {"nl"}, "grounds": {"Geen nieuwsbrief"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("file: %d", resp.StatusCode)
		}
		list, _ := env.DB.SubjectRequests(context.Background(), audit.System("test"), fe.gent.ID, 10)
		path := "/gent/admin/requests/" + list[0].ID
		if _, page := fe.get(t, path, fe.dpo); !strings.Contains(page, `<option value="online-services">`) || !strings.Contains(page, `id="effect-erase"`) {
			t.Fatalf("the objection's decision:\n%s", page)
		}
		decide := url.Values{"decision": {"approve"}, "reason": {"Gegrond"}, "purpose": {"nope"}, "effect": {"restrict"}}
		resp, page := fe.submit(t, path+"/decide", fe.dpo, decide)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#purpose">Kies een doel uit het register`) {
			t.Fatalf("unknown purpose: %d\n%s", resp.StatusCode, page)
		}
		if got, _ := env.DB.SubjectRequestByID(context.Background(), audit.System("test"), fe.gent.ID, list[0].ID); got.Status != dsr.StatusReceived {
			t.Fatalf("decided anyway: %s", got.Status)
		}
		decide.Set("purpose", "online-services")
		resp, _ = fe.submit(t, path+"/decide", fe.dpo, decide)
		wantRedirect(t, "decide", resp, path+"?done=decided")
		if _, page := fe.get(t, path, fe.dpo); !strings.Contains(page, "Bevriezen: bewaren, niet meer verwerken") {
			t.Fatalf("the decision is not shown:\n%s", page)
		}
	})
}
