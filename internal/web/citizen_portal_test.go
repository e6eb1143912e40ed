package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/oidc/oidctest"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

const (
	portalAddress = "burger@gent.be"
	portalINSZ    = "85073100328"
)

var reportLinkRE = regexp.MustCompile(`href="/gent/privacy/mine/report/(\d+)"`)

// portalEnv is gent with the demo forms, FAS eID and itsme at a real
// provider, one citizen's submission of the question form (under their
// number, their address as contact) read by the service Burgerzaken, and
// another citizen's read by the same clerk.
type portalEnv struct {
	*oidcEnv
	mine, theirs string
	clerk        account.User
}

func newPortalEnv(t *testing.T, env *storetest.Env) *portalEnv {
	t.Helper()
	ctx := context.Background()
	p := &portalEnv{oidcEnv: newOIDCEnv(t, env)}
	publishForms(t, env, p.gent)
	submit := func(subject, contact, marker string) string {
		pub, err := env.DB.FormByStatus(ctx, p.gent.ID, "vraag", store.FormPublished)
		if err != nil {
			t.Fatal(err)
		}
		answers, _ := json.Marshal(form.Answers{"name": {Value: "MARKER-" + marker}, "email": {Value: contact}})
		ref, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, p.gent.ID, store.NewFormSubmission{
			FormKey: "vraag", FormVersion: pub.Version, RegisterVersion: pub.RegisterVersion, Answers: answers, Subject: subject,
			Contact: contact, Idempotency: "tok-" + marker, Receipt: "rc-" + marker, Lang: "nl"})
		if err != nil {
			t.Fatal(err)
		}
		var id string
		if err := env.Raw(t).QueryRow(`SELECT id FROM submissions WHERE reference = $1`, ref).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	p.mine = submit(portalINSZ, portalAddress, "mine")
	p.theirs = submit("near.burger@gent.be", "near.burger@gent.be", "theirs")
	p.clerk = p.addUser(t, p.gent, "clerk@gent.be", "Clerk Janssens")
	if _, err := env.Raw(t).Exec(`UPDATE users SET department = 'Burgerzaken' WHERE id = $1`, p.clerk.ID); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(time.Hour)
	for _, id := range []string{p.mine, p.theirs} {
		if _, err := env.DB.Submission(ctx, userActor(p.clerk, "r"), p.gent.ID, id, "behandeling"); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// post posts form as browser b.
func (b *browser) post(t *testing.T, target string, form url.Values) *http.Response {
	t.Helper()
	return b.do(t, http.MethodPost, target, form.Encode())
}

// mailedCode claims the outbox and returns the code of the only mail.
func mailedCode(t *testing.T, env *storetest.Env, to string) string {
	t.Helper()
	ms, err := env.DB.ClaimMail(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var code string
	for _, m := range ms {
		if m.Kind == "portal.code" && m.To == to {
			code = sixDigitsRE.FindString(m.Body)
		}
		if err := env.DB.MailSent(context.Background(), m.ID); err != nil {
			t.Fatal(err)
		}
	}
	if code == "" {
		t.Fatalf("no code mailed to %s", to)
	}
	return code
}

// TestClauseDSR1_CitizenPortalSignInWithCode: the citizen asks a code for
// their address (a bad address is named at its field), a wrong code is a
// field error, the right one opens a session in a strict, host-only,
// HttpOnly cookie; the view lists their submission and the clerk's access
// as a sentence naming the service and the purpose, not the other
// citizen's; the view is audited as the citizen's; 20 idle minutes end the
// session (signing out: TestClauseDSR1_CitizenPortalFASAndReport).
func TestClauseDSR1_CitizenPortalSignInWithCode(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		p := newPortalEnv(t, env)
		b := newBrowser(p.app.Handler())
		page := bodyOf(t, b.get(t, "/gent/privacy/mine"))
		for _, w := range []string{"Mijn gegevens", `href="/gent/privacy/mine/fas/fas-eid"`, "Aanmelden met itsme", `for="email"`} {
			if !strings.Contains(page, w) {
				t.Errorf("sign-in page lacks %q", w)
			}
		}
		resp := b.post(t, "/gent/privacy/mine/code", url.Values{"email": {"geen-adres"}})
		if page := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#email"`) ||
			!strings.Contains(page, `aria-describedby="email-hint email-error"`) {
			t.Fatalf("bad address: %d\n%s", resp.StatusCode, page)
		}
		resp = b.post(t, "/gent/privacy/mine/code", url.Values{"email": {"Burger@Gent.be"}})
		page = bodyOf(t, resp)
		m := challengeRE.FindStringSubmatch(page)
		if resp.StatusCode != http.StatusOK || m == nil || strings.Contains(page, portalAddress) {
			t.Fatalf("code step: %d\n%s", resp.StatusCode, page)
		}
		code := mailedCode(t, env, portalAddress)
		wrong := "000000"
		if code == wrong {
			wrong = "000001"
		}
		resp = b.post(t, "/gent/privacy/mine/signin", url.Values{"challenge": {m[1]}, "code": {wrong}})
		if page := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#code">Deze code klopt niet`) {
			t.Fatalf("wrong code: %d\n%s", resp.StatusCode, page)
		}
		if _, ok := b.cookies[citizenCookie]; ok {
			t.Fatal("a wrong code opened a session")
		}
		resp = b.post(t, "/gent/privacy/mine/signin", url.Values{"challenge": {m[1]}, "code": {code[:3] + " " + code[3:]}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/privacy/mine" {
			t.Fatalf("sign-in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		var c *http.Cookie
		for _, rc := range resp.Cookies() {
			if rc.Name == citizenCookie {
				c = rc
			}
		}
		if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "" ||
			strings.Contains(resp.Header.Get("Location"), "@") {
			t.Fatalf("citizen cookie: %+v", c)
		}
		page = bodyOf(t, b.get(t, "/gent/privacy/mine"))
		for _, w := range []string{"Uw aanvragen", "Vraag of melding", "heeft de dienst Burgerzaken uw aanvraag ‘Vraag of melding’ geopend, voor: ",
			"Meld als verdacht", "Afmelden"} {
			if !strings.Contains(page, w) {
				t.Errorf("view lacks %q\n%s", w, page)
			}
		}
		if strings.Contains(page, "Clerk Janssens") || strings.Contains(page, "MARKER") {
			t.Fatalf("a name or a value in the view:\n%s", page)
		}
		if links := reportLinkRE.FindAllStringSubmatch(page, -1); len(links) != 1 {
			t.Fatalf("%d accesses listed, want the clerk's read of this citizen's submission only", len(links))
		}
		last := lastEventOf(t, env, p.gent.ID)
		if last.Action != "portal.view" || last.Actor.Kind != audit.KindCitizen || !strings.Contains(last.ObjectID, p.mine) ||
			strings.Contains(last.ObjectID, p.theirs) {
			t.Fatalf("the view's event: %+v", last)
		}
		// Idle for 20 minutes: signed out, told so.
		env.Clock.Advance(store.CitizenSessionIdle)
		resp = b.get(t, "/gent/privacy/mine")
		if page := bodyOf(t, resp); !strings.Contains(page, "niet actief") || strings.Contains(page, "Uw aanvragen") {
			t.Fatalf("after 20 idle minutes:\n%s", page)
		}
		if _, ok := b.cookies[citizenCookie]; ok {
			t.Fatal("the ended session's cookie stayed")
		}
	})
}

func lastEventOf(t *testing.T, env *storetest.Env, tenantID string) audit.Event {
	t.Helper()
	var e audit.Event
	if err := env.Raw(t).QueryRow(`SELECT action, actor_kind, actor_id, object_id, subject FROM audit_events WHERE tenant_id = $1
		ORDER BY seq DESC LIMIT 1`, tenantID).Scan(&e.Action, &e.Actor.Kind, &e.Actor.ID, &e.ObjectID, &e.Subject); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestClauseDSR1_CitizenPortalFASAndReport: a citizen signs in with FAS
// eID at a real provider, found by the national register number it gives;
// they report the clerk's access with a reason (none: a field error), the
// DPO is mailed without the person's data, the access shows as reported,
// and the controller's page lists the report to judge. A FAS token without
// a number opens nothing; a report of an access that is not theirs is a
// 404; signing out ends the session.
func TestClauseDSR1_CitizenPortalFASAndReport(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		p := newPortalEnv(t, env)
		b := newBrowser(p.app.Handler())
		resp := p.through(t, b, "/gent/privacy/mine/fas/fas-eid", oidctest.User{Subject: "fas-sub-x", ACR: acr500}, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("FAS without a number: %d", resp.StatusCode)
		}
		resp = p.through(t, b, "/gent/privacy/mine/fas/fas-eid", oidctest.User{Subject: "fas-sub-burger", ACR: acr500, Number: portalINSZ},
			func(q url.Values) {
				if !strings.Contains(q.Get("scope"), "egovnrn") {
					t.Errorf("scope %q does not ask for the number", q.Get("scope"))
				}
			})
		if page := bodyOf(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(page, `href="/gent/privacy/mine"`) {
			t.Fatalf("after FAS: %d\n%s", resp.StatusCode, page)
		}
		page := bodyOf(t, b.get(t, "/gent/privacy/mine"))
		links := reportLinkRE.FindAllStringSubmatch(page, -1)
		if !strings.Contains(page, "Burgerzaken") || len(links) != 1 {
			t.Fatalf("view after FAS:\n%s", page)
		}
		var foreign int64
		env.Raw(t).QueryRow(`SELECT seq FROM audit_events WHERE tenant_id = $1 AND action = 'submission.read' AND object_id = $2`,
			p.gent.ID, p.theirs).Scan(&foreign)
		if resp := b.get(t, "/gent/privacy/mine/report/"+strconv.FormatInt(foreign, 10)); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("someone else's access: %d", resp.StatusCode)
		}
		report := "/gent/privacy/mine/report/" + links[0][1]
		if page := bodyOf(t, b.get(t, report)); !strings.Contains(page, "Waarom vindt u deze toegang verdacht?") {
			t.Fatalf("report page:\n%s", page)
		}
		resp = b.post(t, report, url.Values{"reason": {"  "}})
		if page := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#reason"`) {
			t.Fatalf("no reason: %d\n%s", resp.StatusCode, page)
		}
		env.DB.ClaimMail(context.Background(), 100)
		resp = b.post(t, report, url.Values{"reason": {"MARKER-WHY ik ken die dienst niet"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/privacy/mine?done=reported" {
			t.Fatalf("report: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		ms, _ := env.DB.ClaimMail(context.Background(), 100)
		if len(ms) != 1 || ms[0].To != "dpo@gent.be" || strings.Contains(ms[0].Body, "MARKER") || strings.Contains(ms[0].Body, portalINSZ) {
			t.Fatalf("DPO mail: %+v", ms)
		}
		if page := bodyOf(t, b.get(t, "/gent/privacy/mine?done=reported")); !strings.Contains(page, "U meldde dit als verdacht.") {
			t.Fatalf("the access is not marked reported:\n%s", page)
		}
		if page := bodyOf(t, b.get(t, report)); !strings.Contains(page, "U meldde dit als verdacht.") || strings.Contains(page, `name="reason"`) {
			t.Fatalf("a reported access offers a second report:\n%s", page)
		}
		// The controller's page.
		_, cookie := p.signIn(t, "dpo@gent.be", account.RoleDPO)
		r2, staff := p.get(t, "/gent/admin/access-reports", map[string]string{"Cookie": cookie})
		if r2.StatusCode != http.StatusOK || !strings.Contains(staff, "MARKER-WHY") || !strings.Contains(staff, "Nog te beoordelen") {
			t.Fatalf("reports page: %d\n%s", r2.StatusCode, staff)
		}
		// Signing out ends the session.
		if resp := b.post(t, "/gent/privacy/mine/signout", url.Values{"x": {"1"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign out: %d", resp.StatusCode)
		}
		if page := bodyOf(t, b.get(t, "/gent/privacy/mine?out=1")); !strings.Contains(page, "U bent afgemeld.") || strings.Contains(page, "Uw aanvragen") {
			t.Fatalf("after sign-out:\n%s", page)
		}
	})
}
