package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

var ctx = context.Background()

var operator = audit.Actor{Kind: audit.KindOperator, ID: "op-test", Role: "operator", RequestID: "req-test"}

var admin = audit.Actor{Kind: audit.KindUser, ID: "admin-test", Role: "admin", RequestID: "req-admin"}

// fixture is two tenants with the demo forms published and submissions,
// and keys of every kind, served by a real API on a real database.
type fixture struct {
	env           *storetest.Env
	h             http.Handler
	log           *syncBuffer
	gent, brugge  tenant.Tenant
	full          string // gent: every scope, both forms
	toelage       string // gent: every scope, the allowance form only
	readOnly      string // gent: submissions:read only, both forms
	revoked       string // gent: every scope, revoked
	expired       string // gent: every scope, expired
	bruggeKey     string // brugge: every scope, both forms
	fullID        string // the id of full
	toelageKeyID  string
	sub, question string // gent: an allowance (with a file) and a question
	file          string // the allowance's file
	bruggeSub     string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTenant(t testing.TB, env *storetest.Env, slug string) tenant.Tenant {
	t.Helper()
	tn, err := env.DB.CreateTenant(ctx, operator, tenant.New{Slug: slug, LegalName: "Gemeente " + slug, EnterpriseNumber: "0207.451.227",
		DPOName: "DPO " + slug, DPOEmail: "dpo@" + slug + ".example", DefaultLang: "nl"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.SaveRegister(ctx, admin, tn.ID, register.Demo()); err != nil {
		t.Fatal(err)
	}
	for _, f := range form.DemoForms() {
		d, err := env.DB.SaveFormDraft(ctx, admin, tn.ID, f)
		if err == nil {
			err = env.DB.ApproveNotice(ctx, admin, tn.ID, f.Key, d.Version, store.NoticeDigest(form.NoticeFor(f, register.Demo()).JSON()))
		}
		if err == nil {
			_, err = env.DB.PublishForm(ctx, admin, tn.ID, f.Key, d.Version)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return tn
}

// submit stores a submission of formKey with marker as the name and
// returns its id, found through key (which must see the form).
func submit(t *testing.T, env *storetest.Env, tn tenant.Tenant, keyID, formKey, marker string) string {
	t.Helper()
	fv, err := env.DB.FormByStatus(ctx, tn.ID, formKey, store.FormPublished)
	if err != nil {
		t.Fatal(err)
	}
	answers, _ := json.Marshal(form.Answers{"name": {Value: marker}, "insz": {Value: "85071512397"}})
	in := store.NewFormSubmission{FormKey: formKey, FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion, Answers: answers,
		Subject: "85071512397", Idempotency: "tok-" + marker, Receipt: "rc-" + marker}
	if formKey == "toelage" {
		in.Attachments = []store.NewAttachment{{FieldKey: "certificate", Name: marker + ".pdf", ContentType: "application/pdf",
			Data: []byte("%PDF-1.4 " + marker), Scanner: "test", ScannedAt: env.Clock.Now()}}
	}
	if _, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, tn.ID, in); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(time.Minute)
	page, err := env.DB.Inbox(ctx, operator, tn.ID, store.InboxQuery{Viewer: store.KeyViewer(keyID), Limit: 1})
	if err != nil || len(page.Rows) != 1 {
		t.Fatalf("find the new submission: %v", err)
	}
	return page.Rows[0].ID
}

func newKey(t testing.TB, env *storetest.Env, tn tenant.Tenant, name string, scopes, forms []string, expires time.Time) (store.APIKey, string) {
	t.Helper()
	k, tok, err := env.DB.CreateAPIKey(ctx, admin, tn.ID, store.NewAPIKey{Name: name, Scopes: scopes, Forms: forms, ExpiresAt: expires})
	if err != nil {
		t.Fatal(err)
	}
	return k, tok
}

func newFixture(t *testing.T, env *storetest.Env, opts Options) *fixture {
	t.Helper()
	fx := &fixture{env: env, log: &syncBuffer{}}
	fx.gent, fx.brugge = newTenant(t, env, "gent"), newTenant(t, env, "brugge")
	both := []string{"toelage", "vraag"}
	var k store.APIKey
	k, fx.full = newKey(t, env, fx.gent, "full", store.APIScopes, both, time.Time{})
	fx.fullID = k.ID
	k, fx.toelage = newKey(t, env, fx.gent, "toelage", store.APIScopes, []string{"toelage"}, time.Time{})
	fx.toelageKeyID = k.ID
	_, fx.readOnly = newKey(t, env, fx.gent, "read", []string{store.ScopeSubmissionsRead}, both, time.Time{})
	k, fx.revoked = newKey(t, env, fx.gent, "revoked", store.APIScopes, both, time.Time{})
	if err := env.DB.RevokeAPIKey(ctx, admin, fx.gent.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	_, fx.expired = newKey(t, env, fx.gent, "expired", store.APIScopes, both, env.Clock.Now().Add(time.Hour))
	bk, bt := newKey(t, env, fx.brugge, "brugge", store.APIScopes, both, time.Time{})
	fx.bruggeKey = bt
	env.Clock.Advance(2 * time.Hour) // the expired key expires
	fx.sub = submit(t, env, fx.gent, fx.fullID, "toelage", "MARKER-SUB-api")
	fx.question = submit(t, env, fx.gent, fx.fullID, "vraag", "MARKER-Q-api")
	fx.bruggeSub = submit(t, env, fx.brugge, bk.ID, "toelage", "MARKER-BRUGGE-api")
	d, err := env.DB.OpenSubmission(ctx, operator, fx.gent.ID, store.KeyViewer(fx.fullID), fx.sub, "test")
	if err != nil || len(d.Attachments) != 1 {
		t.Fatalf("fixture file: %v", err)
	}
	fx.file = d.Attachments[0].ID
	opts.Store, opts.Logger = env.DB, slog.New(slog.NewTextHandler(fx.log, nil))
	fx.h = New(opts).Handler()
	return fx
}

// call is one request to the API.
type call struct {
	method, target, token, body, ctype string
	header                             map[string]string
}

type response struct {
	*http.Response
	body []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.body)
	}
	return m
}

// do sends c through the real handler and checks the answer against the
// OpenAPI document: its status is documented for the operation, and its
// body, when JSON, fits the documented schema.
func (fx *fixture) do(t *testing.T, c call) response {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req := httptest.NewRequest(c.method, c.target, body)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	resp := response{rec.Result(), rec.Body.Bytes()}
	if errs := conforms(loadDoc(t), c.method, req.URL.Path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.body); len(errs) > 0 {
		t.Errorf("%s %s: %d does not conform to openapi.json:\n  %s", c.method, c.target, resp.StatusCode, strings.Join(errs, "\n  "))
	}
	return resp
}

// events are the tenant's audit events.
func events(t *testing.T, env *storetest.Env, tenantID string) []audit.Event {
	t.Helper()
	var out []audit.Event
	if err := env.DB.EachAuditEvent(ctx, tenantID, func(e *audit.Event) error { out = append(out, *e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestClauseAUD1_APIFetchIsAudited: a list, a fetch and a download through
// the API each record their read in the tenant's audit log with the key as
// actor, what was shown by id, and the request's id; a refused read is
// recorded as a failure.
func TestClauseAUD1_APIFetchIsAudited(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newFixture(t, env, Options{})
		for _, c := range []struct {
			target, action, object string
		}{
			{"/api/v1/gent/submissions", "submission.list", fx.question + "," + fx.sub},
			{"/api/v1/gent/submissions/" + fx.sub, "submission.read", fx.sub},
			{"/api/v1/gent/submissions/" + fx.sub + "/attachments/" + fx.file, "attachment.read", fx.file},
		} {
			before := len(events(t, env, fx.gent.ID))
			resp := fx.do(t, call{method: "GET", target: c.target, token: fx.full, header: map[string]string{"X-Request-Id": "req-aud1-0001"}})
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d %s", c.target, resp.StatusCode, resp.body)
			}
			evs := events(t, env, fx.gent.ID)[before:]
			if len(evs) != 1 {
				t.Fatalf("%s: %d events", c.target, len(evs))
			}
			ev := evs[0]
			if ev.Action != c.action || ev.ObjectID != c.object || ev.Actor.Kind != audit.KindAPIKey || ev.Actor.ID != fx.fullID ||
				ev.Actor.RequestID != "req-aud1-0001" || ev.Outcome != audit.OutcomeSuccess || !strings.HasPrefix(ev.Purpose, "api") {
				t.Errorf("%s: event %+v", c.target, ev)
			}
		}
		before := len(events(t, env, fx.gent.ID))
		if resp := fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions/" + fx.question, token: fx.toelage}); resp.StatusCode != 404 {
			t.Fatalf("another form's submission: %d", resp.StatusCode)
		}
		evs := events(t, env, fx.gent.ID)[before:]
		if len(evs) != 1 || evs[0].Outcome != audit.OutcomeFailure || evs[0].Actor.ID != fx.toelageKeyID {
			t.Fatalf("refused read: %+v", evs)
		}
	})
}

// TestClauseORG6_APIKeySeesOnlyItsForms: a key issued for the allowance
// form lists, reads, downloads and changes only its submissions; the
// question form's are as unknown, and filtering on it is refused.
func TestClauseORG6_APIKeySeesOnlyItsForms(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newFixture(t, env, Options{})
		resp := fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions", token: fx.toelage})
		page := resp.json(t)
		items, _ := page["items"].([]any)
		if resp.StatusCode != 200 || len(items) != 1 || items[0].(map[string]any)["id"] != fx.sub || strings.Contains(string(resp.body), "MARKER-Q") {
			t.Fatalf("list: %d %s", resp.StatusCode, resp.body)
		}
		answers := items[0].(map[string]any)["answers"].(map[string]any)
		if answers["name"].(map[string]any)["value"] != "MARKER-SUB-api" {
			t.Fatalf("answers: %v", answers)
		}
		for _, c := range []call{
			{method: "GET", target: "/api/v1/gent/submissions/" + fx.question},
			{method: "POST", target: "/api/v1/gent/submissions/" + fx.question + "/status", body: `{"status":"in_progress"}`, ctype: "application/json"},
		} {
			c.token = fx.toelage
			if resp := fx.do(t, c); resp.StatusCode != 404 {
				t.Errorf("%s %s: %d", c.method, c.target, resp.StatusCode)
			}
		}
		if resp := fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions?form=vraag", token: fx.toelage}); resp.StatusCode != 400 {
			t.Errorf("filter on a form the key does not see: %d", resp.StatusCode)
		}
		// The full key sees both, and filters.
		resp = fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions?form=vraag", token: fx.full})
		if items, _ := resp.json(t)["items"].([]any); resp.StatusCode != 200 || len(items) != 1 || items[0].(map[string]any)["id"] != fx.question {
			t.Fatalf("filtered list: %d %s", resp.StatusCode, resp.body)
		}
	})
}

// TestAPISubmissionFlow: paging by cursor, a fetch with files and
// versions, status changes (a refused move: 422 in the caller's
// language), and a download that is always an attachment.
func TestAPISubmissionFlow(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newFixture(t, env, Options{})
		resp := fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions?limit=1", token: fx.full})
		first := resp.json(t)
		cursor, _ := first["next_cursor"].(string)
		if resp.StatusCode != 200 || cursor == "" || first["items"].([]any)[0].(map[string]any)["id"] != fx.question {
			t.Fatalf("first page: %d %s", resp.StatusCode, resp.body)
		}
		resp = fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions?limit=1&cursor=" + cursor, token: fx.full})
		second := resp.json(t)
		if resp.StatusCode != 200 || second["next_cursor"] != nil || second["items"].([]any)[0].(map[string]any)["id"] != fx.sub {
			t.Fatalf("second page: %d %s", resp.StatusCode, resp.body)
		}
		from := env.Clock.Now().Add(-time.Hour).Format(time.RFC3339)
		resp = fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions?status=new&assignee=-&from=" + from, token: fx.full})
		if items := resp.json(t)["items"].([]any); resp.StatusCode != 200 || len(items) != 2 {
			t.Fatalf("filters: %d %s", resp.StatusCode, resp.body)
		}

		resp = fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions/" + fx.sub, token: fx.full})
		d := resp.json(t)
		files, _ := d["attachments"].([]any)
		if resp.StatusCode != 200 || d["form"] != "toelage" || d["status"] != "new" || d["assignee"] != nil || len(files) != 1 ||
			files[0].(map[string]any)["name"] != "MARKER-SUB-api.pdf" || d["register_version"] == nil {
			t.Fatalf("detail: %d %s", resp.StatusCode, resp.body)
		}
		if _, err := time.Parse(time.RFC3339, d["received_at"].(string)); err != nil {
			t.Errorf("received_at: %v", err)
		}

		status := func(body, lang string) response {
			return fx.do(t, call{method: "POST", target: "/api/v1/gent/submissions/" + fx.sub + "/status", token: fx.full, body: body,
				ctype: "application/json; charset=utf-8", header: map[string]string{"Accept-Language": lang}})
		}
		if resp := status(`{"status":"in_progress"}`, ""); resp.StatusCode != 200 || resp.json(t)["status"] != "in_progress" {
			t.Fatalf("status: %d %s", resp.StatusCode, resp.body)
		}
		resp = status(`{"status":"rejected"}`, "fr-BE,fr;q=0.9")
		p := resp.json(t)
		if resp.StatusCode != 422 || resp.Header.Get("Content-Type") != "application/problem+json" || p["title"] != "Modification refusée" ||
			p["errors"].([]any)[0].(map[string]any)["field"] != "reason" {
			t.Fatalf("rejection without reason: %d %s", resp.StatusCode, resp.body)
		}
		if resp := status(`{"status":"new"}`, ""); resp.StatusCode != 200 {
			t.Fatalf("back to new: %d", resp.StatusCode)
		}
		if resp := status(`{"status":"new"}`, "en"); resp.StatusCode != 422 || resp.json(t)["title"] != "Change refused" {
			t.Fatalf("a move the workflow refuses: %d %s", resp.StatusCode, resp.body)
		}
		if resp := status(`{"status":"done","reason":"MARKER-REASON"}`, ""); resp.StatusCode != 200 {
			t.Fatalf("done: %d", resp.StatusCode)
		}
		evs := events(t, env, fx.gent.ID)
		if last := evs[len(evs)-1]; last.Action != "submission.status" || last.Actor.ID != fx.fullID || last.Purpose != "new -> done" {
			t.Fatalf("status event: %+v", last)
		}

		resp = fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions/" + fx.sub + "/attachments/" + fx.file, token: fx.full})
		if resp.StatusCode != 200 || string(resp.body) != "%PDF-1.4 MARKER-SUB-api" || resp.Header.Get("Content-Type") != "application/octet-stream" ||
			resp.Header.Get("Content-Disposition") != `attachment; filename=MARKER-SUB-api.pdf` {
			t.Fatalf("download: %d %v", resp.StatusCode, resp.Header)
		}
	})
}

// TestAPIBadInput: each kind of bad request gets its status and a
// problem, and leaks nothing of the submissions.
func TestAPIBadInput(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newFixture(t, env, Options{BodyLimit: 1024})
		s := "/api/v1/gent/submissions/"
		post := func(target, token, body, ctype string) call {
			return call{method: "POST", target: target, token: token, body: body, ctype: ctype}
		}
		get := func(target, token string) call { return call{method: "GET", target: target, token: token} }
		for name, c := range map[string]struct {
			call
			want  int
			field string
		}{
			"no key":                 {get("/api/v1/gent/submissions", ""), 401, ""},
			"not bearer":             {call{method: "GET", target: "/api/v1/gent/submissions", header: map[string]string{"Authorization": "Basic " + fx.full}}, 401, ""},
			"malformed key":          {get("/api/v1/gent/submissions", "kluis_nope"), 401, ""},
			"wrong secret":           {get("/api/v1/gent/submissions", fx.full[:len(fx.full)-4]+"0000"), 401, ""},
			"revoked key":            {get("/api/v1/gent/submissions", fx.revoked), 401, ""},
			"expired key":            {get("/api/v1/gent/submissions", fx.expired), 401, ""},
			"key of another tenant":  {get("/api/v1/gent/submissions", fx.bruggeKey), 404, ""},
			"unknown tenant":         {get("/api/v1/nergens/submissions", fx.full), 404, ""},
			"unknown id":             {get(s+"nope", fx.full), 404, ""},
			"another tenant's id":    {get(s+fx.bruggeSub, fx.full), 404, ""},
			"another tenant's file":  {get(s+fx.sub+"/attachments/nope", fx.full), 404, ""},
			"file of another subm.":  {get(s+fx.question+"/attachments/"+fx.file, fx.full), 404, ""},
			"unknown status change":  {post(s+"nope/status", fx.full, `{"status":"done"}`, "application/json"), 404, ""},
			"malformed cursor":       {get("/api/v1/gent/submissions?cursor=%25%25", fx.full), 400, "cursor"},
			"forged cursor":          {get("/api/v1/gent/submissions?cursor=AAAA", fx.full), 400, "cursor"},
			"unknown status":         {get("/api/v1/gent/submissions?status=archived", fx.full), 400, "status"},
			"bad date":               {get("/api/v1/gent/submissions?from=31.02.2026", fx.full), 400, "from"},
			"reversed range":         {get("/api/v1/gent/submissions?from=2026-11-10T00:00:00Z&to=2026-11-01T00:00:00Z", fx.full), 400, "to"},
			"limit too high":         {get("/api/v1/gent/submissions?limit=201", fx.full), 400, "limit"},
			"limit not a number":     {get("/api/v1/gent/submissions?limit=ten", fx.full), 400, "limit"},
			"bad assignee":           {get("/api/v1/gent/submissions?assignee=Jan%20Peeters", fx.full), 400, "assignee"},
			"unknown parameter":      {get("/api/v1/gent/submissions?page=2", fx.full), 400, "page"},
			"missing scope (write)":  {post(s+fx.sub+"/status", fx.readOnly, `{"status":"done"}`, "application/json"), 403, "scope"},
			"missing scope (file)":   {get(s+fx.sub+"/attachments/"+fx.file, fx.readOnly), 403, "scope"},
			"wrong content type":     {post(s+fx.sub+"/status", fx.full, "status=done", "application/x-www-form-urlencoded"), 415, ""},
			"no content type":        {post(s+fx.sub+"/status", fx.full, `{"status":"done"}`, ""), 415, ""},
			"oversized":              {post(s+fx.sub+"/status", fx.full, `{"status":"done","reason":"`+strings.Repeat("x", 2048)+`"}`, "application/json"), 413, ""},
			"not JSON":               {post(s+fx.sub+"/status", fx.full, `{"status":`, "application/json"), 400, ""},
			"unknown member":         {post(s+fx.sub+"/status", fx.full, `{"status":"done","colour":"red"}`, "application/json"), 400, ""},
			"no status":              {post(s+fx.sub+"/status", fx.full, `{"reason":"x"}`, "application/json"), 422, "status"},
			"status not in workflow": {post(s+fx.sub+"/status", fx.full, `{"status":"archived"}`, "application/json"), 422, "status"},
			"unknown path":           {get("/api/v1/gent/forms", fx.full), 404, ""},
			"wrong method":           {call{method: "DELETE", target: s + fx.sub, token: fx.full}, 405, ""},
		} {
			t.Run(name, func(t *testing.T) {
				resp := fx.do(t, c.call)
				if resp.StatusCode != c.want || resp.Header.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("%d %q, want %d problem: %s", resp.StatusCode, resp.Header.Get("Content-Type"), c.want, resp.body)
				}
				p := resp.json(t)
				if p["status"] != float64(c.want) || p["title"] == "" || p["detail"] == "" || !strings.HasPrefix(p["type"].(string), problemTypePrefix) {
					t.Errorf("problem: %s", resp.body)
				}
				if c.field != "" {
					errs, _ := p["errors"].([]any)
					if len(errs) == 0 || errs[0].(map[string]any)["field"] != c.field {
						t.Errorf("errors do not name %s: %s", c.field, resp.body)
					}
				}
				if (c.want == 401) != (resp.Header.Get("WWW-Authenticate") != "") {
					t.Errorf("WWW-Authenticate: %q", resp.Header.Get("WWW-Authenticate"))
				}
				if bytes.Contains(resp.body, []byte("MARKER")) {
					t.Errorf("leaks: %s", resp.body)
				}
			})
		}
		// Nothing changed.
		d, err := env.DB.OpenSubmission(ctx, operator, fx.gent.ID, store.KeyViewer(fx.fullID), fx.sub, "test")
		if err != nil || d.Status != store.StatusNew {
			t.Fatalf("the submission changed: %s %v", d.Status, err)
		}
	})
}

// TestAPIAuthorisationMatrix calls every route as every party. A route
// added without a row here fails the test.
func TestAPIAuthorisationMatrix(t *testing.T) {
	env := storetest.SQLite(t)
	fx := newFixture(t, env, Options{})
	_, writeOnly := newKey(t, env, fx.gent, "write-only", []string{store.ScopeSubmissionsWrite}, []string{"toelage", "vraag"}, time.Time{})
	_, readOnly := newKey(t, env, fx.gent, "read-only", []string{store.ScopeSubmissionsRead}, []string{"toelage", "vraag"}, time.Time{})
	parties := map[string]string{"anonymous": "", "revoked": fx.revoked, "expired": fx.expired, "other-tenant": fx.bruggeKey, "ok": fx.full}
	type row struct {
		pattern, method, target, body string
		wrongScope                    string // a key lacking the route's scope
		want                          map[string]int
	}
	s := "/api/v1/gent/submissions/" + fx.sub
	denied := map[string]int{"anonymous": 401, "revoked": 401, "expired": 401, "other-tenant": 404, "wrong-scope": 403}
	with := func(ok int) map[string]int {
		m := map[string]int{"ok": ok}
		for k, v := range denied {
			m[k] = v
		}
		return m
	}
	matrix := []row{
		{"GET /api/v1/openapi.json", "GET", "/api/v1/openapi.json", "", "", map[string]int{"anonymous": 200, "revoked": 200, "expired": 200, "other-tenant": 200, "ok": 200}},
		{"GET /api/v1/{tenant}/submissions", "GET", "/api/v1/gent/submissions", "", writeOnly, with(200)},
		{"GET /api/v1/{tenant}/submissions/{id}", "GET", s, "", writeOnly, with(200)},
		{"POST /api/v1/{tenant}/submissions/{id}/status", "POST", s + "/status", `{"status":"in_progress"}`, readOnly, with(200)},
		{"GET /api/v1/{tenant}/submissions/{id}/attachments/{attachment}", "GET", s + "/attachments/" + fx.file, "", readOnly, with(200)},
		{"POST /api/v1/{tenant}/analytics/pageviews", "POST", "/api/v1/gent/analytics/pageviews",
			`{"pageviews":[{"path":"/","user_agent":"Mozilla/5.0 Firefox/120.0","time":"` + env.Clock.Now().Format(time.RFC3339) + `"}]}`, readOnly, with(200)},
		{"GET /api/v1/{tenant}/analytics", "GET", "/api/v1/gent/analytics?from=2026-01-01&to=2026-01-31", "", readOnly, with(200)},
	}
	covered := map[string]bool{}
	for _, r := range matrix {
		covered[r.pattern] = true
		ps := map[string]string{}
		for k, v := range parties {
			ps[k] = v
		}
		if r.wrongScope != "" {
			ps["wrong-scope"] = r.wrongScope
		}
		for party, tok := range ps {
			resp := fx.do(t, call{method: r.method, target: r.target, token: tok, body: r.body, ctype: "application/json"})
			if want := r.want[party]; resp.StatusCode != want {
				t.Errorf("%s as %s: %d, want %d", r.pattern, party, resp.StatusCode, want)
			}
		}
	}
	a := New(Options{Store: env.DB})
	for _, p := range a.patterns {
		if !covered[p] {
			t.Errorf("route %s has no row in the API authorisation matrix", p)
		}
	}
}

// TestAPIMiddleware: every answer carries the security headers, a request
// id and no cookie; the access log names the route and the key, never the
// path, the token or a citizen's data; a key past its rate gets 429 until
// the minute has passed.
func TestAPIMiddleware(t *testing.T) {
	env := storetest.SQLite(t)
	fx := newFixture(t, env, Options{RateLimit: 3})
	for _, c := range []call{
		{method: "GET", target: "/api/v1/openapi.json"},
		{method: "GET", target: "/api/v1/gent/submissions?status=new", token: fx.full},
		{method: "GET", target: "/api/v1/gent/submissions/" + fx.sub + "/attachments/" + fx.file, token: fx.full},
		{method: "GET", target: "/api/v1/gent/submissions", token: fx.revoked},
		{method: "GET", target: "/api/v1/nope"},
	} {
		resp := fx.do(t, c)
		h := resp.Header
		if !strings.HasPrefix(h.Get("Content-Security-Policy"), "default-src 'none'") || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Cache-Control") != "no-store" || len(h.Get("X-Request-Id")) != 32 || h.Get("Set-Cookie") != "" {
			t.Errorf("%s: headers %v", c.target, h)
		}
	}
	log := fx.log.String()
	for _, leak := range []string{fx.full, fx.full[len(fx.full)-64:], fx.sub, "status=new", "MARKER", fx.revoked[len(fx.revoked)-64:]} {
		if strings.Contains(log, leak) {
			t.Errorf("the log holds %q:\n%s", leak, log)
		}
	}
	if !strings.Contains(log, `pattern="GET /api/v1/{tenant}/submissions/{id}/attachments/{attachment}"`) || !strings.Contains(log, "key_id="+fx.fullID) {
		t.Errorf("the log lacks route or key:\n%s", log)
	}
	// Two calls used; one more is allowed, the next refused.
	if resp := fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions", token: fx.full}); resp.StatusCode != 200 {
		t.Fatalf("third call: %d\n%s", resp.StatusCode, fx.log.String())
	}
	resp := fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions", token: fx.full})
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("past the rate: %d", resp.StatusCode)
	}
	if resp := fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions", token: fx.toelage}); resp.StatusCode != 200 {
		t.Fatalf("another key is limited too: %d", resp.StatusCode)
	}
	env.Clock.Advance(time.Minute)
	if resp := fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions", token: fx.full}); resp.StatusCode != 200 {
		t.Fatalf("after a minute: %d", resp.StatusCode)
	}
}

// TestClauseAUD1_RefusedKeyIsRecorded: a key the tenant issued and then
// revoked, or one presented with a wrong secret, is refused (401) and the
// refusal is in that tenant's audit log with the reason — at most once a
// minute per key, so that nobody can flood the log; an unknown key is in
// no tenant's log.
func TestClauseAUD1_RefusedKeyIsRecorded(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newFixture(t, env, Options{})
		refused := func() []audit.Event {
			var out []audit.Event
			for _, e := range events(t, env, fx.gent.ID) {
				if e.Action == "api_key.refused" {
					out = append(out, e)
				}
			}
			return out
		}
		for range 3 {
			if resp := fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions", token: fx.revoked}); resp.StatusCode != 401 {
				t.Fatalf("revoked key: %d", resp.StatusCode)
			}
		}
		evs := refused()
		if len(evs) != 1 || evs[0].Purpose != "revoked" || evs[0].Outcome != audit.OutcomeDenied || evs[0].Actor.Kind != audit.KindAPIKey ||
			!strings.Contains(fx.revoked, evs[0].ObjectID) {
			t.Fatalf("refusals recorded: %+v", evs)
		}
		wrong := fx.full[:len(fx.full)-64] + strings.Repeat("0", 64)
		if resp := fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions", token: wrong}); resp.StatusCode != 401 {
			t.Fatalf("wrong secret: %d", resp.StatusCode)
		}
		if evs = refused(); len(evs) != 2 || evs[1].Purpose != "wrong secret" || evs[1].ObjectID != fx.fullID {
			t.Fatalf("a wrong secret is not recorded: %+v", evs)
		}
		env.Clock.Advance(time.Minute)
		fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions", token: fx.revoked})
		if evs = refused(); len(evs) != 3 {
			t.Fatalf("a minute later the refusal is not recorded again: %d", len(evs))
		}
		unknown := "kluis_" + strings.Repeat("a", 32) + "_" + strings.Repeat("0", 64)
		fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions", token: unknown})
		if evs = refused(); len(evs) != 3 {
			t.Fatal("an unknown key landed in the tenant's log")
		}
	})
}
