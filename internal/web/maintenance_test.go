package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/workdays"
)

// TestClauseAUD4_EveryReadCarriesTheNotice: an operator's announced
// maintenance shows on the controller's supplier-access page; the operator
// cannot reach the tenant before the window; the admin's bad window is
// refused naming the field; opened now, the operator reads the tenant's
// pages and every event of theirs carries the notice id as on-behalf-of,
// which the audit page names as the notice's window; the admin's objection
// shuts the operator out again. The minimum notice is set on the same page.
func TestClauseAUD4_EveryReadCarriesTheNotice(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		op, secret := activeOperator(t, le, env, "piet@leverancier.be")
		h := operatorSignIn(t, le, env, "piet@leverancier.be", secret)
		admin := le.addRoleUser(t, le.gent, "admin@gent.be", account.RoleAdmin)
		ah, _ := le.login(t, "admin@gent.be", "")
		ah["Cookie"] = sessionCookie + "=" + verifiedMFA(t, env, le.gent.ID, admin.ID, strings.TrimPrefix(ah["Cookie"], sessionCookie+"="))

		start := workdays.Add(env.Clock.Now(), 5).Add(9 * time.Hour)
		n, err := env.DB.AnnounceMaintenance(ctx, audit.Actor{Kind: audit.KindOperator, ID: "cli:root"}, le.gent.ID, store.NoticeInput{
			Operator: "piet@leverancier.be", From: start, Until: start.Add(4 * time.Hour), Scope: "database-upgrade 16", Reason: "change 881"})
		if err != nil {
			t.Fatal(err)
		}
		resp, body := le.get(t, "/gent/admin/operators", ah)
		for _, w := range []string{"Aangekondigd onderhoud", "database-upgrade 16", "change 881", "piet@leverancier.be", "gepland: nog geen toegang",
			"Nu openen", "Bezwaar maken en annuleren", `value="` + datetime(start) + `"`} {
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, w) {
				t.Errorf("operators page lacks %q", w)
			}
		}

		if _, body := le.get(t, "/gent/signed-in", ah); !strings.Contains(body, "Gepland onderhoud door de leverancier: 1 aankondiging(en); het eerste begint op "+datetime(start)) {
			t.Error("the admin's home does not announce the planned maintenance")
		}
		users := "/gent/admin/users"
		resp, _ = le.get(t, users, h)
		wantRedirect(t, "before the window", resp, "/gent/login?next=%2Fgent%2Fadmin%2Fusers")

		// Bad windows: each refused naming its field, nothing changes.
		shorten := "/gent/admin/operators/notices/" + n.ID + "/shorten"
		for _, c := range []struct {
			from, until, field, want string
		}{
			{"morgen", datetime(start.Add(time.Hour)), "from-" + n.ID, "Vul het begin in als dd.mm.jjjj uu:mm"},
			{datetime(start), datetime(start.Add(5 * time.Hour)), "until-" + n.ID, "Het einde kan niet later zijn dan aangekondigd."},
			{datetime(start), datetime(start.Add(-time.Hour)), "until-" + n.ID, "Het einde moet na het begin liggen."},
		} {
			resp, body = le.postForm(t, shorten, ah, url.Values{"from": {c.from}, "until": {c.until}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, c.want) ||
				!strings.Contains(body, `href="#`+c.field+`"`) || !strings.Contains(body, `id="`+c.field+`-error"`) {
				t.Errorf("window %s–%s: %d, want 422 naming %s with %q", c.from, c.until, resp.StatusCode, c.field, c.want)
			}
		}
		// A later start is fine; then open now.
		resp, _ = le.postForm(t, shorten, ah, url.Values{"from": {datetime(start.Add(time.Hour))}, "until": {datetime(start.Add(4 * time.Hour))}})
		wantRedirect(t, "later start", resp, "/gent/admin/operators?done=shortened#notices")
		resp, _ = le.postForm(t, shorten, ah, url.Values{"open": {"now"}})
		wantRedirect(t, "open now", resp, "/gent/admin/operators?done=shortened#notices")

		if resp, body := le.get(t, users, h); resp.StatusCode != http.StatusOK || !strings.Contains(body, "admin@gent.be") {
			t.Fatalf("users page inside the window: %d", resp.StatusCode)
		}
		if _, body := le.get(t, "/operator/signed-in", h); !strings.Contains(body, "Stad gent") {
			t.Error("operator home does not list the tenant whose maintenance is under way")
		}
		if resp, _ := le.postForm(t, "/gent/admin/users", h, url.Values{"email": {"x@gent.be"}, "name": {"X"}, "role": {"admin"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("invite during maintenance: %d, want 403", resp.StatusCode)
		}

		// Every event of the operator's in gent's log carries the notice.
		var mine, access int
		err = env.DB.EachAuditEvent(ctx, le.gent.ID, func(e *audit.Event) error {
			if e.Actor.ID != op.ID {
				return nil
			}
			mine++
			if e.Actor.OnBehalfOf != n.ID || e.Actor.Kind != audit.KindOperator {
				t.Errorf("%s by the operator on behalf of %q, want the notice %s", e.Action, e.Actor.OnBehalfOf, n.ID)
			}
			if e.Action == "maintenance.access" {
				access++
			}
			return nil
		})
		if err != nil || access < 2 || mine <= access {
			t.Fatalf("gent's log: %d events by the operator, %d page accesses (err %v)", mine, access, err)
		}
		_, body = le.get(t, "/gent/admin/audit", ah)
		if !strings.Contains(body, "onder de onderhoudsmelding van "+datetime(env.Clock.Now())) {
			t.Errorf("the audit page does not name the notice")
		}
		if !strings.Contains(body, "venster van "+datetime(start.Add(time.Hour))) || strings.Contains(body, "from 20") {
			t.Errorf("the audit page does not read the window as a sentence")
		}

		// The admin ends it: the operator is out at once; no second objection.
		object := "/gent/admin/operators/notices/" + n.ID + "/object"
		resp, _ = le.postForm(t, object, ah, url.Values{"x": {"1"}})
		wantRedirect(t, "object", resp, "/gent/admin/operators?done=objected#notices")
		resp, _ = le.get(t, users, h)
		wantRedirect(t, "after the objection", resp, "/gent/login?next=%2Fgent%2Fadmin%2Fusers")
		if resp, body := le.postForm(t, object, ah, url.Values{"x": {"1"}}); resp.StatusCode != http.StatusConflict ||
			!strings.Contains(body, "Dit onderhoud is al voorbij of geannuleerd.") {
			t.Errorf("second objection: %d", resp.StatusCode)
		}

		// The minimum notice.
		resp, body = le.postForm(t, "/gent/admin/operators/notice-days", ah, url.Values{"days": {"31"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Kies een aantal werkdagen tussen 1 en 30.") ||
			!strings.Contains(body, `value="31"`) {
			t.Errorf("31 days: %d", resp.StatusCode)
		}
		resp, _ = le.postForm(t, "/gent/admin/operators/notice-days", ah, url.Values{"days": {"8"}})
		wantRedirect(t, "days", resp, "/gent/admin/operators?done=days#notices")
		if d, _ := env.DB.MinNoticeDays(ctx, le.gent.ID); d != 8 {
			t.Errorf("minimum notice %d, want 8", d)
		}
	})
}

// TestClauseAUD4_OperatorAnnouncesOnTheWeb: the operator announces on the
// realm's page; a start fewer than the controller's minimum working days
// ahead is refused with 422 naming the start and the first allowed day,
// an unknown controller naming the controller; a good notice is listed for
// the operator (controller and window only) and reaches the controller.
func TestClauseAUD4_OperatorAnnouncesOnTheWeb(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		op, secret := activeOperator(t, le, env, "piet@leverancier.be")
		h := operatorSignIn(t, le, env, "piet@leverancier.be", secret)
		if resp, body := le.get(t, "/operator/maintenance", h); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Onderhoud aankondigen") {
			t.Fatalf("operator's maintenance page: %d", resp.StatusCode)
		}
		earliest := workdays.Add(env.Clock.Now(), 5)
		form := func(tenant, from string) url.Values {
			return url.Values{"tenant": {tenant}, "from": {from}, "until": {datetime(earliest.Add(12 * time.Hour))},
				"scope": {"Upgrade"}, "reason": {"CHG-1"}}
		}
		for _, c := range []struct {
			form        url.Values
			field, want string
		}{
			{form("gent", datetime(earliest.Add(-time.Hour))), "from",
				"Het begin moet minstens 5 werkdagen vooraf aangekondigd worden: ten vroegste op " + earliest.Format("02.01.2006") + "."},
			{form("antwerpen", datetime(earliest.Add(9*time.Hour))), "tenant", "Kies een bestuur uit de lijst."},
			{form("operator", datetime(earliest.Add(9*time.Hour))), "tenant", "Kies een bestuur uit de lijst."},
			{form("gent", "maandag"), "from", "Vul het begin in als dd.mm.jjjj uu:mm"},
		} {
			resp, body := le.postForm(t, "/operator/maintenance", h, c.form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, c.want) || !strings.Contains(body, `href="#`+c.field+`"`) {
				t.Errorf("%v: %d, want 422 naming %s with %q", c.form, resp.StatusCode, c.field, c.want)
			}
		}
		resp, _ := le.postForm(t, "/operator/maintenance", h, form("gent", datetime(earliest.Add(9*time.Hour))))
		wantRedirect(t, "announce", resp, "/operator/maintenance?done=announced")
		_, body := le.get(t, "/operator/maintenance?done=announced", h)
		for _, w := range []string{"Stad gent", "gepland: nog geen toegang", datetime(earliest.Add(9 * time.Hour))} {
			if !strings.Contains(body, w) {
				t.Errorf("operator's page lacks %q", w)
			}
		}
		ns, err := env.DB.MaintenanceNotices(ctx, audit.Actor{Kind: audit.KindUser, ID: "admin"}, le.gent.ID)
		if err != nil || len(ns) != 1 || ns[0].OperatorID != op.ID || ns[0].Scope != "Upgrade" {
			t.Fatalf("gent's notices: %v %+v", err, ns)
		}
	})
}
