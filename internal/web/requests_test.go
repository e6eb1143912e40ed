package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// DSR-1, DSR-2 through the back office: a clerk files a citizen's request
// (each bad field named in the reader's language, nothing saved; a second
// open request of the same kind named, not filed); the clerk may not
// decide; execution before approval is refused and changes nothing; the
// DPO approves with a reason, executes, and downloads the package as JSON
// with its schema and as CSV, each download audited.
func TestClauseDSR2_RequestPagesApproveBeforeExecute(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{})
		_, clerk := le.signIn(t, "clerk@gent.be", account.RoleUser)
		_, dpo := le.signIn(t, "dpo@gent.be", account.RoleDPO)
		get := func(target, cookie string) (*http.Response, string) {
			resp := request{method: http.MethodGet, target: target, header: map[string]string{"Cookie": cookie}}.do(t, le.app.Handler())
			return resp, bodyOf(t, resp)
		}

		for _, tc := range []struct {
			lang string
			form url.Values
			want []string
		}{
			{"nl", url.Values{"name": {""}, "email": {"geen-adres"}, "insz": {"85073100344"}, "lang": {"nl"}},
				[]string{`href="#kind-access">Kies wat de betrokkene vraagt`, `href="#name">Vul de naam van de betrokkene in`,
					`href="#email">Vul een geldig e-mailadres in`, `href="#insz">Dit rijksregisternummer klopt niet`, `id="insz-error"`}},
			{"fr", url.Values{"kind": {"access"}, "name": {"An"}, "lang": {"fr"}},
				[]string{`href="#email">Indiquez une adresse e-mail ou un numéro de registre national`, `value="An"`}},
		} {
			resp, body := le.submit(t, "/gent/admin/requests/new?lang="+tc.lang, clerk, tc.form)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("%s: %d", tc.lang, resp.StatusCode)
			}
			for _, want := range tc.want {
				if !strings.Contains(body, want) {
					t.Errorf("%s: page lacks %q", tc.lang, want)
				}
			}
		}
		none, err := env.DB.SubjectRequests(ctx, audit.System("test"), le.gent.ID, 10)
		if err != nil || len(none) != 0 {
			t.Fatalf("a refused form saved: %d %v", len(none), err)
		}

		form := url.Values{"kind": {"access"}, "name": {"An Peeters"}, "email": {"an.peeters@gent.be"}, "insz": {"85.07.31-003.28"}, "lang": {"nl"}}
		resp, body := le.submit(t, "/gent/admin/requests/new", clerk, form)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/admin/requests/new?filed=1" {
			t.Fatalf("file: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		resp, body = le.submit(t, "/gent/admin/requests/new", clerk, form)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Deze persoon heeft al een open verzoek van deze soort") {
			t.Fatalf("duplicate: %d", resp.StatusCode)
		}
		list, _ := env.DB.SubjectRequests(ctx, audit.System("test"), le.gent.ID, 10)
		if len(list) != 1 || list[0].Person.INSZ != "85073100328" {
			t.Fatalf("filed: %+v", list)
		}
		id := list[0].ID
		base := "/gent/admin/requests/" + id

		// The list shows the clock; the clerk may not decide.
		if resp, body := get("/gent/admin/requests", dpo); resp.StatusCode != 200 || !strings.Contains(body, "An Peeters") ||
			!strings.Contains(body, "nog 31 dagen") && !strings.Contains(body, "nog 30 dagen") && !strings.Contains(body, "nog 29 dagen") {
			t.Fatalf("list: %d", resp.StatusCode)
		}
		if resp, _ := le.submit(t, base+"/decide", clerk, url.Values{"decision": {"approve"}, "reason": {"ok"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a clerk decided: %d", resp.StatusCode)
		}
		resp, body = le.submit(t, base+"/execute", dpo, url.Values{"x": {"1"}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Dit verzoek is niet goedgekeurd") {
			t.Fatalf("executed before approval: %d", resp.StatusCode)
		}
		if resp, _ := get(base+"/package?format=json", dpo); resp.StatusCode != http.StatusConflict {
			t.Fatalf("package before approval: %d", resp.StatusCode)
		}
		if got, _ := env.DB.SubjectRequestByID(ctx, audit.System("test"), le.gent.ID, id); got.Status != dsr.StatusReceived {
			t.Fatalf("status after refused steps: %s", got.Status)
		}
		resp, body = le.submit(t, base+"/decide?lang=en", dpo, url.Values{"decision": {"approve"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#reason">Enter the reason`) {
			t.Fatalf("approval without reason: %d", resp.StatusCode)
		}
		if resp, _ := le.submit(t, base+"/decide", dpo, url.Values{"decision": {"approve"}, "reason": {"Identiteitskaart gezien aan het loket"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: %d", resp.StatusCode)
		}
		if resp, _ := le.submit(t, base+"/execute", dpo, url.Values{"x": {"1"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("execute: %d", resp.StatusCode)
		}
		resp, body = get(base+"?done=executed", dpo)
		if resp.StatusCode != 200 || !strings.Contains(body, "Identiteitskaart gezien aan het loket") || !strings.Contains(body, "package?format=csv") {
			t.Fatalf("request page after execution: %d", resp.StatusCode)
		}
		resp, body = get(base+"/package?format=json", dpo)
		var p dsr.Package
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") ||
			json.Unmarshal([]byte(body), &p) != nil || p.Schema != dsr.PackageSchema || p.RequestID != id {
			t.Fatalf("json package: %d %s", resp.StatusCode, body)
		}
		resp, body = get(base+"/package?format=csv", dpo)
		if resp.StatusCode != 200 || !strings.HasPrefix(body, "submission,reference,form,section,key,value") {
			t.Fatalf("csv package: %d %q", resp.StatusCode, body)
		}
		downloads := 0
		env.DB.EachAuditEvent(ctx, le.gent.ID, func(e *audit.Event) error {
			if e.Action == "dsr.package" && e.Outcome == audit.OutcomeSuccess {
				downloads++
			}
			return nil
		})
		if downloads != 2 {
			t.Fatalf("%d downloads recorded, want 2", downloads)
		}

		// An erasure states what it did and what stays.
		form.Set("kind", "erasure")
		form.Set("grounds", "Ik ben verhuisd")
		if resp, _ := le.submit(t, "/gent/admin/requests/new", clerk, form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("file erasure: %d", resp.StatusCode)
		}
		list, _ = env.DB.SubjectRequests(ctx, audit.System("test"), le.gent.ID, 10)
		var erasure string
		for _, sr := range list {
			if sr.Kind == dsr.Erasure {
				erasure = "/gent/admin/requests/" + sr.ID
			}
		}
		le.submit(t, erasure+"/decide", dpo, url.Values{"decision": {"approve"}, "reason": {"ok"}})
		if resp, _ := le.submit(t, erasure+"/execute", dpo, url.Values{"x": {"1"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("execute erasure: %d", resp.StatusCode)
		}
		if resp, body = get(erasure, dpo); resp.StatusCode != http.StatusOK {
			t.Fatalf("erasure page: %d", resp.StatusCode)
		}
		for _, want := range []string{"Resultaat van de wissing", "0 inzendingen gewist", "het logboek, dat de betrokkene alleen met een pseudoniem noemt"} {
			if !strings.Contains(body, want) {
				t.Errorf("erasure page lacks %q", want)
			}
		}

		// Overdue is said in words, not only in colour (sessions do not
		// last a month: a fresh one reads the list).
		if _, err := env.DB.FileSubjectRequest(ctx, audit.Actor{Kind: audit.KindUser, ID: "clerk", Role: "user"}, le.gent.ID,
			store.NewSubjectRequest{Kind: dsr.Objection, Person: store.SubjectPerson{Name: "Late", Email: "late@gent.be", Lang: "nl", Grounds: "Geen nieuwsbrief"}}); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(33 * 24 * time.Hour)
		_, dpo2 := le.signIn(t, "dpo2@gent.be", account.RoleDPO)
		if _, body := get("/gent/admin/requests?lang=fr", dpo2); !regexp.MustCompile(`<strong class="overdue">\d jours de retard</strong>`).MatchString(body) {
			t.Fatal("the overdue request is not said to be overdue")
		}
	})
}

// DSR-2: a request that reaches the supplier is filed by supplier staff
// under the controller's grant; the controller's DPO gets a mail at once
// (without the person's data), the filing is recorded as reported, and the
// request waits for the controller like any other. The operator may not
// see the list nor decide.
func TestClauseDSR2_SupplierFiledRequestReportedToTheDPO(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		op, secret := activeOperator(t, le, env, "piet@leverancier.be")
		h := operatorSignIn(t, le, env, "piet@leverancier.be", secret)
		admin := le.addRoleUser(t, le.gent, "admin@gent.be", account.RoleAdmin)
		ah, _ := le.login(t, "admin@gent.be", "")
		ah["Cookie"] = sessionCookie + "=" + verifiedMFA(t, env, le.gent.ID, admin.ID, strings.TrimPrefix(ah["Cookie"], sessionCookie+"="))
		resp, _ := le.postForm(t, "/gent/admin/operators", ah, url.Values{"email": {"piet@leverancier.be"}, "reason": {"ticket 7"}, "hours": {"4"}})
		wantRedirect(t, "grant", resp, "/gent/admin/operators?done=granted")

		resp, _ = le.postForm(t, "/gent/admin/requests/new", h, url.Values{"kind": {"erasure"}, "grounds": {"Verhuisd"}, "name": {"MARKER-Citizen"},
			"email": {"marker.citizen@voorbeeld.be"}, "lang": {"nl"}})
		wantRedirect(t, "file as the supplier", resp, "/gent/admin/requests/new?filed=1")
		mails, err := env.DB.ClaimMail(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		var report *store.QueuedMail
		for i := range mails {
			if mails[i].Kind == "dsr.report" {
				report = &mails[i]
			}
		}
		if report == nil || report.To != le.gent.DPOEmail || !strings.Contains(report.Subject, "Wissing") ||
			strings.Contains(report.Body, "MARKER") || strings.Contains(report.Body, "marker.citizen") {
			t.Fatalf("report to the DPO: %+v", report)
		}
		list, _ := env.DB.SubjectRequests(ctx, audit.System("test"), le.gent.ID, 10)
		if len(list) != 1 || list[0].FiledByKind != "operator" || list[0].FiledBy != op.ID || list[0].Status != dsr.StatusReceived {
			t.Fatalf("filed: %+v", list)
		}
		for _, c := range []struct{ method, target string }{
			{http.MethodGet, "/gent/admin/requests"},
			{http.MethodGet, "/gent/admin/requests/" + list[0].ID},
			{http.MethodPost, "/gent/admin/requests/" + list[0].ID + "/decide"},
			{http.MethodPost, "/gent/admin/requests/" + list[0].ID + "/execute"},
		} {
			var resp *http.Response
			if c.method == http.MethodGet {
				resp, _ = le.get(t, c.target, h)
			} else {
				resp, _ = le.postForm(t, c.target, h, url.Values{"decision": {"approve"}, "reason": {"ok"}})
			}
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s as the supplier: %d, want 403", c.method, c.target, resp.StatusCode)
			}
		}
		reported := false
		env.DB.EachAuditEvent(ctx, le.gent.ID, func(e *audit.Event) error {
			if e.Action == "dsr.report" && e.Actor.Kind == audit.KindOperator && e.Actor.OnBehalfOf != "" && e.ObjectID == list[0].ID {
				reported = true
			}
			return nil
		})
		if !reported {
			t.Fatal("no dsr.report event by the operator on behalf of the grant")
		}
	})
}

// DSR-1 (art. 18): once a restriction is executed, the inbox shows it on
// the person's submissions, in words, and on no one else's; closing the
// request lifts it.
func TestClauseDSR1_InboxShowsTheRestriction(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		citizen := audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}
		for i, insz := range []string{"85071512397", "85073100328"} {
			fv, err := env.DB.FormByStatus(ctx, fe.gent.ID, "vraag", store.FormPublished)
			if err != nil {
				t.Fatal(err)
			}
			answers, _ := json.Marshal(form.Answers{"name": {Value: "MARKER-" + insz}})
			in := store.NewFormSubmission{FormKey: "vraag", FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion, Answers: answers,
				Subject: insz, Idempotency: "tok-" + insz, Receipt: "rc-" + insz}
			if _, _, err := env.DB.SubmitForm(ctx, citizen, fe.gent.ID, in); err != nil {
				t.Fatalf("submission %d: %v", i, err)
			}
		}
		adminActor := audit.Actor{Kind: audit.KindUser, ID: adminID(t, env, fe), Role: "admin", RequestID: "r"}
		if err := env.DB.SetFormAccess(ctx, adminActor, fe.gent.ID, adminActor.ID, []string{"vraag"}); err != nil {
			t.Fatal(err)
		}
		r, err := env.DB.FileSubjectRequest(ctx, adminActor, fe.gent.ID, store.NewSubjectRequest{Kind: dsr.Restriction,
			Person: store.SubjectPerson{Name: "X", INSZ: "85071512397", Lang: "nl", Grounds: "Fout in onderzoek"}})
		if err != nil {
			t.Fatal(err)
		}
		const flag = "Verwerking beperkt (art. 18 AVG)"
		if _, page := fe.get(t, "/gent/inbox", fe.admin); strings.Contains(page, flag) {
			t.Fatal("flagged before the restriction was approved and executed")
		}
		if err := env.DB.DecideSubjectRequest(ctx, adminActor, fe.gent.ID, r.ID, true, "ok"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ExecuteSubjectRequest(ctx, adminActor, fe.gent.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		_, page := fe.get(t, "/gent/inbox", fe.admin)
		if strings.Count(page, flag) != 1 {
			t.Fatalf("the restriction shows %d times, want once", strings.Count(page, flag))
		}
		row := page[strings.Index(page, "MARKER-85071512397"):]
		if i := strings.Index(row, "</tr>"); i < 0 || !strings.Contains(row[:i], flag) {
			t.Fatal("the flag is not on the restricted person's row")
		}
		if err := env.DB.CloseSubjectRequest(ctx, adminActor, fe.gent.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		if _, page := fe.get(t, "/gent/inbox", fe.admin); strings.Contains(page, flag) {
			t.Fatal("still flagged after the restriction was lifted")
		}
	})
}
