package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/oidc/oidctest"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseAUD1_WrongCodeBurstWarnsTheController: below
// store.CodeBurstMin wrong one-time codes the access-reports page says
// nothing; at the burst it shows the count as a warning line, in the
// controller's language, and never a code.
func TestClauseAUD1_WrongCodeBurstWarnsTheController(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		p := newPortalEnv(t, env)
		ctx := context.Background()
		_, cookie := p.signIn(t, "dpo@gent.be", account.RoleDPO)
		wrong := 0
		for wrong < store.CodeBurstMin {
			id, err := env.DB.RequestPortalCode(ctx, p.gent.ID, p.gent.LegalName, portalAddress, "nl")
			if err != nil {
				t.Fatal(err)
			}
			code := mailedCode(t, env, portalAddress)
			guess := "000000"
			if code == guess {
				guess = "000001"
			}
			for i := 0; i < store.CitizenCodeAttempts && wrong < store.CodeBurstMin; i++ {
				if _, err := env.DB.OpenPortalWithCode(ctx, p.gent.ID, id, guess, "r"); err != store.ErrWrongCode {
					t.Fatal(err)
				}
				wrong++
				if wrong == store.CodeBurstMin-1 {
					if _, page := p.get(t, "/gent/admin/access-reports", map[string]string{"Cookie": cookie}); strings.Contains(page, "verkeerde eenmalige codes") {
						t.Fatalf("a warning below the burst:\n%s", page)
					}
				}
			}
		}
		resp, page := p.get(t, "/gent/admin/access-reports", map[string]string{"Cookie": cookie})
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "in de laatste 10 minuten werden 20 verkeerde eenmalige codes ingegeven") {
			t.Fatalf("no burst warning: %d\n%s", resp.StatusCode, page)
		}
	})
}

// portalSignedIn signs browser b in to the view with a mailed code.
func portalSignedIn(t *testing.T, p *portalEnv, env *storetest.Env) *browser {
	t.Helper()
	b := newBrowser(p.app.Handler())
	page := bodyOf(t, b.post(t, "/gent/privacy/mine/code", url.Values{"email": {portalAddress}}))
	m := challengeRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no challenge:\n%s", page)
	}
	code := mailedCode(t, env, portalAddress)
	if resp := b.post(t, "/gent/privacy/mine/signin", url.Values{"challenge": {m[1]}, "code": {code}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	return b
}

var portalPackageRE = regexp.MustCompile(`action="/gent/privacy/mine/requests/([^/"]+)/package"`)

// TestClauseDSR1_PortalRequestAndDownload: signed in, the citizen files a
// request from the view without an address or a code (a missing ground is
// a field error, a second one of the kind is said to be a duplicate);
// once the controller executed it, the view offers the package and hands
// out the ZIP, audited as the citizen's download; signed out, the routes
// lead to the sign-in page.
func TestClauseDSR1_PortalRequestAndDownload(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		p := newPortalEnv(t, env)
		ctx := context.Background()
		anon := newBrowser(p.app.Handler())
		if resp := anon.get(t, "/gent/privacy/mine/request"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/privacy/mine" {
			t.Fatalf("signed out: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		b := portalSignedIn(t, p, env)
		if page := bodyOf(t, b.get(t, "/gent/privacy/mine")); !strings.Contains(page, `href="/gent/privacy/mine/request"`) {
			t.Fatalf("the view does not offer a request:\n%s", page)
		}
		page := bodyOf(t, b.get(t, "/gent/privacy/mine/request"))
		if strings.Contains(page, `name="email"`) || !strings.Contains(page, `action="/gent/privacy/mine/request"`) || !strings.Contains(page, "Verzoek indienen") {
			t.Fatalf("request form of the view:\n%s", page)
		}
		resp := b.post(t, "/gent/privacy/mine/request", url.Values{"kind": {"objection"}})
		if page := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#grounds"`) {
			t.Fatalf("objection without grounds: %d\n%s", resp.StatusCode, page)
		}
		resp = b.post(t, "/gent/privacy/mine/request", url.Values{"kind": {"access"}})
		page = bodyOf(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Uw verzoek is ingediend") || !strings.Contains(page, "U krijgt een mail") {
			t.Fatalf("receipt: %d\n%s", resp.StatusCode, page)
		}
		last := lastEventOf(t, env, p.gent.ID)
		if last.Action != "dsr.file" || last.Actor.Kind != "citizen" || last.Subject == "" {
			t.Fatalf("filed as %+v", last)
		}
		if page := bodyOf(t, b.post(t, "/gent/privacy/mine/request", url.Values{"kind": {"access"}})); !strings.Contains(page, "al een lopend verzoek") {
			t.Fatalf("duplicate:\n%s", page)
		}
		dpo, _ := p.signIn(t, "dpo@gent.be", account.RoleDPO)
		dpoActor := userActor(dpo, "r")
		list, err := env.DB.SubjectRequests(ctx, dpoActor, p.gent.ID, 10)
		if err != nil || len(list) != 1 || list[0].Person.Email != portalAddress {
			t.Fatalf("requests: %+v %v", list, err)
		}
		if err := env.DB.DecideSubjectRequest(ctx, dpoActor, p.gent.ID, list[0].ID, true, "Aangemeld"); err != nil {
			t.Fatal(err)
		}
		if err := p.app.executeSubjectRequest(ctx, dpoActor, p.gent.ID, list[0].ID); err != nil {
			t.Fatal(err)
		}
		page = bodyOf(t, b.get(t, "/gent/privacy/mine"))
		m := portalPackageRE.FindStringSubmatch(page)
		if m == nil || m[1] != list[0].ID || !strings.Contains(page, "Download uw gegevens") {
			t.Fatalf("no download in the view:\n%s", page)
		}
		resp = b.post(t, "/gent/privacy/mine/requests/"+m[1]+"/package", url.Values{"x": {"1"}})
		zipped := bodyOf(t, resp)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" || !strings.HasPrefix(zipped, "PK") {
			t.Fatalf("download: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if last := lastEventOf(t, env, p.gent.ID); last.Action != "dsr.download" || last.Actor.Kind != "citizen" || last.ObjectID != list[0].ID {
			t.Fatalf("download recorded as %+v", last)
		}
		if resp := b.post(t, "/gent/privacy/mine/requests/nope/package", url.Values{"x": {"1"}}); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("an unknown request's package: %d", resp.StatusCode)
		}
		if resp := anon.post(t, "/gent/privacy/mine/requests/"+m[1]+"/package", url.Values{"x": {"1"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("signed out download: %d", resp.StatusCode)
		}
	})
}

// TestClauseDSR1_RequestPageFASFilesByNumber: the request page offers eID
// and itsme; the sign-in leads back to the view's request form, the
// request is filed under the national register number's index with no
// address, and the receipt says no mail will come and the view will show
// the answer; any other "next" leads to the view.
func TestClauseDSR1_RequestPageFASFilesByNumber(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		p := newPortalEnv(t, env)
		b := newBrowser(p.app.Handler())
		page := bodyOf(t, b.get(t, "/gent/privacy/request"))
		start := "/gent/privacy/mine/fas/fas-eid?next=request"
		if !strings.Contains(page, `href="`+start+`"`) || !strings.Contains(page, "Aanmelden met eID of itsme") {
			t.Fatalf("request page without FAS:\n%s", page)
		}
		resp := p.through(t, b, start, oidctest.User{Subject: "fas-sub-burger", ACR: acr500, Number: portalINSZ}, nil)
		if page := bodyOf(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(page, `href="/gent/privacy/mine/request"`) {
			t.Fatalf("after FAS: %d\n%s", resp.StatusCode, page)
		}
		resp = b.post(t, "/gent/privacy/mine/request", url.Values{"kind": {"access"}})
		if page := bodyOf(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(page, "wij sturen u daarom geen mail") {
			t.Fatalf("FAS receipt: %d\n%s", resp.StatusCode, page)
		}
		dpo, _ := p.signIn(t, "dpo@gent.be", account.RoleDPO)
		list, err := env.DB.SubjectRequests(context.Background(), userActor(dpo, "r"), p.gent.ID, 10)
		if err != nil || len(list) != 1 || list[0].Person.Email != "" {
			t.Fatalf("requests: %+v %v", list, err)
		}
		b2 := newBrowser(p.app.Handler())
		resp = p.through(t, b2, "/gent/privacy/mine/fas/fas-eid?next=https://evil.example", oidctest.User{Subject: "fas-sub-burger", ACR: acr500, Number: portalINSZ}, nil)
		if page := bodyOf(t, resp); !strings.Contains(page, `href="/gent/privacy/mine"`) || strings.Contains(page, "evil") {
			t.Fatalf("another next:\n%s", page)
		}
	})
}

// TestClauseDSR1_PortalReportOpensRestriction: the report page offers to
// ask for an objection or a restriction; asking a restriction files it,
// grounded on the reason, and the view says both arrived.
func TestClauseDSR1_PortalReportOpensRestriction(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		p := newPortalEnv(t, env)
		b := portalSignedIn(t, p, env)
		links := reportLinkRE.FindAllStringSubmatch(bodyOf(t, b.get(t, "/gent/privacy/mine")), -1)
		if len(links) != 1 {
			t.Fatalf("%d accesses", len(links))
		}
		report := "/gent/privacy/mine/report/" + links[0][1]
		if page := bodyOf(t, b.get(t, report)); !strings.Contains(page, `id="ask-restriction"`) || !strings.Contains(page, `id="ask-objection"`) {
			t.Fatalf("report page without the request:\n%s", page)
		}
		resp := b.post(t, report, url.Values{"reason": {"Ik ken die dienst niet"}, "ask": {"restriction"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/privacy/mine?done=reported-request" {
			t.Fatalf("report: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		page := bodyOf(t, b.get(t, "/gent/privacy/mine?done=reported-request"))
		if !strings.Contains(page, "uw melding en uw verzoek ontvangen") || !strings.Contains(page, "Beperking") {
			t.Fatalf("view after the report:\n%s", page)
		}
		dpo, _ := p.signIn(t, "dpo@gent.be", account.RoleDPO)
		list, err := env.DB.SubjectRequests(context.Background(), userActor(dpo, "r"), p.gent.ID, 10)
		if err != nil || len(list) != 1 || list[0].Kind != "restriction" || list[0].Person.Grounds != "Ik ken die dienst niet" {
			t.Fatalf("requests: %+v %v", list, err)
		}
		_, cookie := p.signIn(t, "dpo2@gent.be", account.RoleDPO)
		if _, staff := p.get(t, "/gent/admin/access-reports", map[string]string{"Cookie": cookie}); !strings.Contains(staff, `href="/gent/admin/requests/`+list[0].Reference+`"`) {
			t.Fatalf("the reports page does not link the request:\n%s", staff)
		}
	})
}
