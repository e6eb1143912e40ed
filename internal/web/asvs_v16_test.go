package web

// ASVS 5.0.0 chapter V16, Security Logging: what the audit log records of
// sign-ins and refusals, through the real handlers and store.

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/scan"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// eventsOf lists a tenant's audit events with the given action.
func eventsOf(t *testing.T, env *storetest.Env, tenantID, action string) []audit.Event {
	t.Helper()
	var out []audit.Event
	if err := env.DB.EachAuditEvent(context.Background(), tenantID, func(e *audit.Event) error {
		if e.Action == action {
			out = append(out, *e)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestASVS_16_3_1_PasswordLoginsAuditedBothWays: a wrong password and a
// right one each leave an event naming the outcome, the account and the
// reason, with the request id that ties it to the access log.
func TestASVS_16_3_1_PasswordLoginsAuditedBothWays(t *testing.T) {
	env := storetest.SQLite(t)
	le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
	if resp := le.post(t, "gent", "an@gent.be", "not the password at all", "", nil); resp.StatusCode == http.StatusSeeOther {
		t.Fatal("a wrong password signed in")
	}
	if resp := le.post(t, "gent", "nobody@gent.be", loginPassword, "", nil); resp.StatusCode == http.StatusSeeOther {
		t.Fatal("an unknown address signed in")
	}
	if resp := le.post(t, "gent", "an@gent.be", loginPassword, "", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	fails := eventsOf(t, env, le.gent.ID, "login.failure")
	if len(fails) != 2 || fails[0].Outcome != audit.OutcomeFailure || fails[0].Purpose != store.LoginFailurePassword ||
		fails[0].ObjectID == "" || fails[1].Purpose != store.LoginFailureUnknown {
		t.Fatalf("failures: %+v", fails)
	}
	ok := eventsOf(t, env, le.gent.ID, "login.success")
	if len(ok) != 1 || ok[0].Outcome != audit.OutcomeSuccess || ok[0].Actor.ID != fails[0].ObjectID || ok[0].Actor.RequestID == "" {
		t.Fatalf("success: %+v", ok)
	}
}

// TestASVS_16_3_2_RefusedPermissionAudited: a signed-in user without the
// permission who tries an admin action gets 403, and the refusal is in the
// audit log with who, which permission and which route.
func TestASVS_16_3_2_RefusedPermissionAudited(t *testing.T) {
	env := storetest.SQLite(t)
	le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
	c := sessionCookieOf(le.post(t, "gent", "an@gent.be", loginPassword, "", nil))
	if c == nil {
		t.Fatal("no session")
	}
	if n := len(eventsOf(t, env, le.gent.ID, "access.denied")); n != 0 {
		t.Fatalf("%d refusals before trying", n)
	}
	h := withSession(c)
	h["Content-Type"] = "application/x-www-form-urlencoded"
	resp := request{method: http.MethodPost, target: "/gent/admin/users", body: "email=x%40gent.be&name=X&role=admin&lang=nl", header: h}.do(t, le.app.Handler())
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a user without the permission invited: %d", resp.StatusCode)
	}
	denied := eventsOf(t, env, le.gent.ID, "access.denied")
	if len(denied) != 1 || denied[0].Outcome != audit.OutcomeDenied || denied[0].Actor.Kind != audit.KindUser ||
		denied[0].Actor.ID == "" || denied[0].ObjectType != "permission" || denied[0].Purpose != "POST /{tenant}/admin/users" {
		t.Fatalf("refusal events: %+v", denied)
	}
}

// TestASVS_16_2_1_AuditEventsSayWhenWhoWhatWhere: every event of a sign-in
// carries its time (UTC, from the server's clock), the actor and its kind,
// the request, the action, the object, the outcome and the tenant, and is
// chained to the one before.
func TestASVS_16_2_1_AuditEventsSayWhenWhoWhatWhere(t *testing.T) {
	env := storetest.SQLite(t)
	le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
	le.post(t, "gent", "an@gent.be", loginPassword, "", nil)
	e := eventsOf(t, env, le.gent.ID, "login.success")
	if len(e) != 1 {
		t.Fatalf("%d login events", len(e))
	}
	ev := e[0]
	if ev.Time.IsZero() || ev.Time.Location() != time.UTC || !ev.Time.Equal(env.Clock.Now().Truncate(time.Microsecond)) && ev.Time.Sub(env.Clock.Now()).Abs() > time.Second {
		t.Errorf("time %v (clock %v)", ev.Time, env.Clock.Now())
	}
	if ev.TenantID != le.gent.ID || ev.Actor.Kind != audit.KindUser || ev.Actor.ID == "" || ev.Actor.RequestID == "" ||
		ev.ObjectType != "user" || ev.ObjectID == "" || ev.Outcome != audit.OutcomeSuccess || ev.Seq < 2 || len(ev.PrevHash) == 0 || len(ev.Hash) == 0 {
		t.Errorf("event lacks metadata: %+v", ev)
	}
}

// TestASVS_16_3_4_UnexpectedErrorsLogged: when the database fails under a
// request, the visitor gets the generic error page and the log gets a line
// at level ERROR with the request id and the cause.
func TestASVS_16_3_4_UnexpectedErrorsLogged(t *testing.T) {
	env := storetest.SQLite(t)
	le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
	a, logs := newTestApp(t, Options{Store: env.DB, Hasher: le.hasher, LoginRateLimit: 1000})
	if err := env.DB.Close(); err != nil {
		t.Fatal(err)
	}
	resp := request{method: http.MethodPost, target: "/gent/login", body: "email=an%40gent.be&password=x",
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}.do(t, a.Handler())
	if resp.StatusCode < 500 {
		t.Fatalf("status %d with the database gone", resp.StatusCode)
	}
	id := resp.Header.Get("X-Request-Id")
	var found bool
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, `"level":"ERROR"`) && strings.Contains(l, id) && strings.Contains(l, "closed") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no ERROR line with request id %s and the cause:\n%s", id, logs.String())
	}
}

// TestASVS_16_5_2_ScannerDownRefusesUploadsFormsStillWork: with clamd
// unreachable (a real client, a socket nobody listens on) an attachment is
// refused with the citizen's message and an audit event, nothing is kept
// unscanned, and the pages before it keep working.
func TestASVS_16_5_2_ScannerDownRefusesUploadsFormsStillWork(t *testing.T) {
	env := storetest.SQLite(t)
	down := &scan.Client{Network: "unix", Address: filepath.Join(t.TempDir(), "clamd.ctl")}
	se := newStepsEnv(t, env, down)
	first := bodyOf(t, request{target: "/gent/parkeervergunning"}.do(t, se.h))
	resp, page := se.step(t, first, parkingPage1, "next", "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("page 1 with the scanner down: %d", resp.StatusCode)
	}
	resp, page = se.step(t, page, parkingPage2, "next", "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("page 2 with the scanner down: %d", resp.StatusCode)
	}
	resp, page = se.step(t, page, nil, "next", "inschrijving.pdf", "")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#registration"`) {
		t.Fatalf("upload with the scanner down: %d", resp.StatusCode)
	}
	if n := se.count(t, "submission_drafts") + se.count(t, "submissions"); n != 0 {
		t.Fatalf("%d rows kept with the scanner down", n)
	}
	var refused int
	env.Raw(t).QueryRow(`SELECT count(*) FROM audit_events WHERE action = 'attachment.refused'`).Scan(&refused)
	if refused != 1 {
		t.Fatalf("%d refusals audited, want 1", refused)
	}
}

// TestASVS_16_3_3_AntiAutomationRefusalsRecorded: a burst of guesses past
// the rate limit is answered 429 and each refusal is in the log with its
// route pattern and request id, while the guesses that got through are in
// the audit log as failed sign-ins.
func TestASVS_16_3_3_AntiAutomationRefusalsRecorded(t *testing.T) {
	env := storetest.SQLite(t)
	le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
	a, logs := newTestApp(t, Options{Store: env.DB, Hasher: le.hasher, LoginRateLimit: 2})
	var refused []string
	for range 4 {
		resp := request{method: http.MethodPost, target: "/gent/login", body: "email=an%40gent.be&password=guess",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}.do(t, a.Handler())
		if resp.StatusCode == http.StatusTooManyRequests {
			refused = append(refused, resp.Header.Get("X-Request-Id"))
		}
	}
	if len(refused) != 2 {
		t.Fatalf("%d of 4 guesses refused by the limit of 2", len(refused))
	}
	for _, id := range refused {
		found := false
		for l := range strings.Lines(logs.String()) {
			if strings.Contains(l, id) && strings.Contains(l, `"status":429`) && strings.Contains(l, `"pattern":"POST /{tenant}/login"`) {
				found = true
			}
		}
		if !found {
			t.Errorf("refusal %s not in the log:\n%s", id, logs.String())
		}
	}
	if n := len(eventsOf(t, env, le.gent.ID, "login.failure")); n != 2 {
		t.Errorf("%d failed sign-ins audited, want the 2 that got through", n)
	}
}
