package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
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
		if resp, _ := le.submit(t, "/gent/admin/requests/new", clerk, form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("file erasure: %d", resp.StatusCode)
		}
		list, _ = env.DB.SubjectRequests(ctx, audit.System("test"), le.gent.ID, 10)
		erasure := "/gent/admin/requests/" + list[0].ID
		le.submit(t, erasure+"/decide", dpo, url.Values{"decision": {"approve"}, "reason": {"ok"}})
		if resp, _ := le.submit(t, erasure+"/execute", dpo, url.Values{"x": {"1"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("execute erasure: %d", resp.StatusCode)
		}
		resp, body = get(erasure, dpo)
		for _, want := range []string{"Resultaat van de wissing", "0 inzendingen gewist", "het logboek, dat de betrokkene alleen met een pseudoniem noemt"} {
			if !strings.Contains(body, want) {
				t.Errorf("erasure page lacks %q", want)
			}
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

		resp, _ = le.postForm(t, "/gent/admin/requests/new", h, url.Values{"kind": {"erasure"}, "name": {"MARKER-Citizen"},
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
