package jobs

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/webhook"
)

// receiver is a case system: a real HTTPS server on 127.0.0.1 that
// verifies every delivery's signature with the hook's secret and answers
// what the test queues (200 when nothing is queued).
type receiver struct {
	srv   *httptest.Server
	clock *storetest.Clock

	mu       sync.Mutex
	secret   string
	answers  []int
	got      []webhook.Payload
	ids      []string
	bad      []string // why a request failed verification
	detoured int      // requests that followed a redirect
}

func newReceiver(t *testing.T, clock *storetest.Clock) *receiver {
	rc := &receiver{clock: clock}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/kluis", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if err := webhook.Verify(rc.secret, r.Header.Get(webhook.HeaderID), r.Header.Get(webhook.HeaderTimestamp),
			r.Header.Get(webhook.HeaderSignature), body, rc.clock.Now()); err != nil {
			rc.bad = append(rc.bad, err.Error())
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil || r.Header.Get("Content-Type") != "application/json" {
			rc.bad = append(rc.bad, fmt.Sprintf("body %s: %v", body, err))
		}
		rc.got = append(rc.got, p)
		rc.ids = append(rc.ids, r.Header.Get(webhook.HeaderID))
		status := http.StatusOK
		if len(rc.answers) > 0 {
			status, rc.answers = rc.answers[0], rc.answers[1:]
		}
		if status >= 300 && status < 400 {
			http.Redirect(w, r, "/elsewhere", status)
			return
		}
		w.WriteHeader(status)
		io.WriteString(w, strings.Repeat("x", 1<<20)) // a large answer is read only in part
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.detoured++
		rc.mu.Unlock()
	})
	rc.srv = httptest.NewTLSServer(mux)
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) answer(statuses ...int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answers = append(rc.answers, statuses...)
}

func (rc *receiver) received() []webhook.Payload {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]webhook.Payload(nil), rc.got...)
}

// client trusts the receiver's certificate; allow is the operator's
// allow-list (the receiver is on loopback).
func (rc *receiver) client(allow ...string) *webhook.Client {
	pool := x509.NewCertPool()
	pool.AddCert(rc.srv.Certificate())
	var prefixes []netip.Prefix
	for _, a := range allow {
		prefixes = append(prefixes, netip.MustParsePrefix(a))
	}
	return webhook.NewClient(webhook.ClientOptions{RootCAs: pool, Allow: prefixes, Timeout: 5 * time.Second, MaxResponse: 4096})
}

// hookEnv is a tenant whose register lists the receiver as its case
// system (in Belgium), with a published form and a hook to the receiver.
type hookEnv struct {
	env    *storetest.Env
	tenant tenant.Tenant
	rc     *receiver
	reg    register.Register
	hook   store.Webhook
	form   store.FormVersion
	n      int
}

func newHookEnv(t *testing.T, env *storetest.Env) *hookEnv {
	t.Helper()
	admin := audit.Actor{Kind: audit.KindUser, ID: "admin", Role: "admin"}
	tn, err := env.DB.CreateTenant(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, tenant.New{
		Slug: "demo", LegalName: "Gemeente Demo", EnterpriseNumber: "0207451227",
		DPOName: "DPO Demo", DPOEmail: "dpo@demo.example", DefaultLang: "nl",
	})
	if err != nil {
		t.Fatal(err)
	}
	rc := newReceiver(t, env.Clock)
	reg := register.Demo()
	for i := range reg.Recipients {
		if reg.Recipients[i].Key == "case-system" {
			reg.Recipients[i].Endpoints = []string{rc.srv.URL} // https://127.0.0.1:PORT
		}
	}
	if _, err := env.DB.SaveRegister(ctx, admin, tn.ID, reg); err != nil {
		t.Fatal(err)
	}
	f := form.DemoForms()[1]
	d, err := env.DB.SaveFormDraft(ctx, admin, tn.ID, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.DB.ApproveNotice(ctx, admin, tn.ID, f.Key, d.Version, store.NoticeDigest(form.NoticeFor(f, reg).JSON())); err != nil {
		t.Fatal(err)
	}
	fv, err := env.DB.PublishForm(ctx, admin, tn.ID, f.Key, d.Version)
	if err != nil {
		t.Fatal(err)
	}
	hook, secret, err := env.DB.CreateWebhook(ctx, admin, tn.ID, store.NewWebhook{URL: rc.srv.URL + "/hooks/kluis",
		Events: []string{webhook.EventSubmissionCreated}, Entry: "recipient:case-system"})
	if err != nil {
		t.Fatal(err)
	}
	rc.secret = secret
	return &hookEnv{env: env, tenant: tn, rc: rc, reg: reg, hook: hook, form: fv}
}

// submit is a citizen's submission through the e-loket's store path; it
// returns the receipt reference.
func (h *hookEnv) submit(t *testing.T) string {
	t.Helper()
	h.n++
	answers, _ := json.Marshal(form.Answers{"insz": {Value: "85071512397"}, "name": {Value: "Jan Peeters"}, "iban": {Value: "BE68539007547034"}})
	ref, _, err := h.env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, h.tenant.ID, store.NewFormSubmission{
		FormKey: h.form.Key, FormVersion: h.form.Version, RegisterVersion: h.form.RegisterVersion, Answers: answers,
		Subject: "85071512397", Idempotency: fmt.Sprintf("page-%d", h.n), Receipt: fmt.Sprintf("receipt-%d", h.n)})
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// run runs the delivery job once with c.
func (h *hookEnv) run(t *testing.T, c *webhook.Client) {
	t.Helper()
	if err := WebhookHandler(c, slog.New(slog.NewTextHandler(io.Discard, nil)))(ctx, h.env.DB, store.Job{ID: "test"}); err != nil {
		t.Fatal(err)
	}
}

func (h *hookEnv) delivery(t *testing.T) store.WebhookDelivery {
	t.Helper()
	ds, err := h.env.DB.WebhookDeliveries(ctx, h.tenant.ID, h.hook.ID, 1)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries: %+v %v", ds, err)
	}
	return ds[0]
}

// actions lists the audit actions on object id.
func (h *hookEnv) actions(id string) string {
	var out []string
	h.env.DB.EachAuditEvent(ctx, h.tenant.ID, func(e *audit.Event) error {
		if e.ObjectID == id {
			out = append(out, e.Action+"/"+e.Outcome)
		}
		return nil
	})
	return strings.Join(out, ",")
}

// TestClauseREG2_RegisteredDestinationReceivesSignedDeliveries: a hook to
// a registered EEA endpoint receives a thin, signed submission.created
// from a real HTTPS server, through the scheduled job.
func TestClauseREG2_RegisteredDestinationReceivesSignedDeliveries(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := newHookEnv(t, env)
		ref := h.submit(t)
		r := runner(env, Handlers())
		r.Handlers[KindWebhookSend] = WebhookHandler(h.rc.client("127.0.0.1/32"), r.Log)
		if err := r.EnqueueDue(ctx); err != nil {
			t.Fatal(err)
		}
		for {
			did, err := r.RunOne(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !did {
				break
			}
		}
		got := h.rc.received()
		if len(h.rc.bad) > 0 || len(got) != 1 {
			t.Fatalf("received %d, verification failures %v", len(got), h.rc.bad)
		}
		p := got[0]
		if p.Type != webhook.EventSubmissionCreated || p.Data.Reference != ref || p.Data.FormKey != h.form.Key ||
			p.Data.FormVersion != h.form.Version || p.Data.Status != "new" || p.Data.ID == "" || p.ID != h.rc.ids[0] {
			t.Fatalf("payload %+v", p)
		}
		d := h.delivery(t)
		if d.Status != store.DeliveryDelivered || d.LastStatus != 200 || d.Attempts != 1 || d.DeliveredAt == nil {
			t.Fatalf("delivery %+v", d)
		}
		if a := h.actions(d.ID); a != "webhook.delivered/success" {
			t.Fatalf("audit %s", a)
		}
	})
}

// TestClauseREG2_FailedDeliveryRetriedAfterBackoff: the receiver fails
// (500); the delivery waits out the back-off — not due before, due after
// — and is then delivered with the same webhook-id.
func TestClauseREG2_FailedDeliveryRetriedAfterBackoff(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := newHookEnv(t, env)
		c := h.rc.client("127.0.0.1/32")
		h.submit(t)
		h.rc.answer(http.StatusInternalServerError)
		h.run(t, c)
		d := h.delivery(t)
		wait, _ := webhook.Backoff(1)
		if d.Status != store.DeliveryPending || d.Attempts != 1 || d.LastStatus != 500 || d.LastError != "http status 500" ||
			!d.NextAttemptAt.Equal(env.Clock.Now().Add(wait)) {
			t.Fatalf("after a 500: %+v", d)
		}
		env.Clock.Advance(wait - time.Second)
		h.run(t, c)
		if n := len(h.rc.received()); n != 1 {
			t.Fatalf("retried before the back-off: %d requests", n)
		}
		env.Clock.Advance(time.Second)
		h.run(t, c)
		got := h.rc.received()
		if len(got) != 2 || h.rc.ids[0] != h.rc.ids[1] || len(h.rc.bad) > 0 {
			t.Fatalf("retry: %d requests, ids %v, bad %v", len(got), h.rc.ids, h.rc.bad)
		}
		if d := h.delivery(t); d.Status != store.DeliveryDelivered || d.Attempts != 2 {
			t.Fatalf("after the retry: %+v", d)
		}
		if a := h.actions(d.ID); a != "webhook.retry/failure,webhook.delivered/success" {
			t.Fatalf("audit %s", a)
		}
	})
}

// TestWebhookJob_GivesUpAfterMaxAttempts: a receiver that always fails
// gets webhook.MaxAttempts attempts, then the delivery is failed.
func TestWebhookJob_GivesUpAfterMaxAttempts(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := newHookEnv(t, env)
		c := h.rc.client("127.0.0.1/32")
		h.submit(t)
		for i := 1; i <= webhook.MaxAttempts; i++ {
			h.rc.answer(http.StatusServiceUnavailable)
			h.run(t, c)
			if wait, ok := webhook.Backoff(i); ok {
				env.Clock.Advance(wait)
			}
		}
		env.Clock.Advance(24 * time.Hour)
		h.run(t, c)
		d := h.delivery(t)
		if n := len(h.rc.received()); n != webhook.MaxAttempts || d.Status != store.DeliveryFailed || d.Attempts != webhook.MaxAttempts {
			t.Fatalf("%d requests; delivery %+v", n, d)
		}
		if a := h.actions(d.ID); !strings.HasSuffix(a, "webhook.retry/failure,webhook.failed/failure") {
			t.Fatalf("audit %s", a)
		}
	})
}

// TestASVS_15_3_2_WebhookRedirectNotFollowed: a 3xx is a failed attempt;
// the client does not go where it points.
func TestASVS_15_3_2_WebhookRedirectNotFollowed(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := newHookEnv(t, env)
		h.submit(t)
		h.rc.answer(http.StatusFound)
		h.run(t, h.rc.client("127.0.0.1/32"))
		d := h.delivery(t)
		if h.rc.detoured != 0 || d.Status != store.DeliveryPending || d.LastStatus != 302 || d.LastError != "redirect 302 not followed" {
			t.Fatalf("detoured %d; delivery %+v", h.rc.detoured, d)
		}
	})
}

// TestASVS_1_3_6_WebhookToLoopbackRefusedWithoutAllowance: the same
// registered destination on 127.0.0.1 is refused when the operator did
// not allow loopback: no request reaches it, the delivery fails for good.
func TestASVS_1_3_6_WebhookToLoopbackRefusedWithoutAllowance(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := newHookEnv(t, env)
		h.submit(t)
		h.run(t, h.rc.client("10.0.0.0/8")) // an allowance that does not cover loopback
		d := h.delivery(t)
		if n := len(h.rc.received()); n != 0 || d.Status != store.DeliveryFailed || !strings.Contains(d.LastError, "internal") {
			t.Fatalf("%d requests; delivery %+v", n, d)
		}
		if a := h.actions(d.ID); a != "webhook.failed/failure" {
			t.Fatalf("audit %s", a)
		}
	})
}

// TestClauseREG2_DestinationRemovedFromRegisterStopsReceiving: after a
// new register version drops the endpoint, the next delivery is refused
// at delivery time and records why.
func TestClauseREG2_DestinationRemovedFromRegisterStopsReceiving(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := newHookEnv(t, env)
		c := h.rc.client("127.0.0.1/32")
		h.submit(t)
		h.run(t, c)
		if n := len(h.rc.received()); n != 1 {
			t.Fatalf("first delivery: %d requests", n)
		}
		reg := h.reg
		reg.Recipients = append([]register.Recipient(nil), reg.Recipients...)
		for i := range reg.Recipients {
			if reg.Recipients[i].Key == "case-system" {
				reg.Recipients[i].Endpoints = nil
			}
		}
		if _, err := env.DB.SaveRegister(ctx, audit.Actor{Kind: audit.KindUser, ID: "admin"}, h.tenant.ID, reg); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Second)
		h.submit(t)
		h.run(t, c)
		d := h.delivery(t)
		if n := len(h.rc.received()); n != 1 || d.Status != store.DeliveryFailed || d.Attempts != 0 ||
			d.LastError != "refused: not registered as a recipient or sub-processor (REG-2)" {
			t.Fatalf("%d requests; delivery %+v", n, d)
		}
		if a := h.actions(d.ID); a != "webhook.refused/denied" {
			t.Fatalf("audit %s", a)
		}
		// A country outside the EEA is refused likewise (LOC-1).
		reg.Recipients[1].Endpoints, reg.Recipients[1].Country = []string{h.rc.srv.URL}, "US"
		reg.Recipients[1].TransferMechanism = "standard_contractual_clauses"
		if _, err := env.DB.SaveRegister(ctx, audit.Actor{Kind: audit.KindUser, ID: "admin"}, h.tenant.ID, reg); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Second)
		h.submit(t)
		h.run(t, c)
		if d := h.delivery(t); len(h.rc.received()) != 1 || d.LastError != "refused: registered in a country outside the EEA (LOC-1)" {
			t.Fatalf("non-EEA at delivery: %+v", d)
		}
	})
}

// TestClauseREG2_StatusChangeIsDelivered: a hook that listens to updates
// hears of a status change made in the inbox — thin, signed, with the new
// status and nothing of the reason — after the submission's creation.
func TestClauseREG2_StatusChangeIsDelivered(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := newHookEnv(t, env)
		admin := audit.Actor{Kind: audit.KindUser, ID: "admin", Role: "admin"}
		hook, secret, err := env.DB.CreateWebhook(ctx, admin, h.tenant.ID, store.NewWebhook{URL: h.rc.srv.URL + "/hooks/kluis",
			Events: []string{webhook.EventSubmissionUpdated}, Entry: "recipient:case-system"})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DeleteWebhook(ctx, admin, h.tenant.ID, h.hook.ID); err != nil {
			t.Fatal(err)
		}
		h.rc.secret, h.hook = secret, hook
		ref := h.submit(t)
		_, tok, err := env.DB.InviteUser(ctx, admin, h.tenant.ID, account.Invite{Email: "clerk@demo.example", Name: "Clerk", Role: account.RoleUser})
		if err != nil {
			t.Fatal(err)
		}
		clerk, err := env.DB.ActivateUser(ctx, h.tenant.ID, tok.Plain, "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", "r")
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.SetFormAccess(ctx, admin, h.tenant.ID, clerk.ID, []string{h.form.Key}); err != nil {
			t.Fatal(err)
		}
		viewer := store.UserViewer(clerk.ID)
		actor := audit.Actor{Kind: audit.KindUser, ID: clerk.ID, Role: "user"}
		page, err := env.DB.Inbox(ctx, actor, h.tenant.ID, store.InboxQuery{Viewer: viewer})
		if err != nil || len(page.Rows) != 1 {
			t.Fatalf("inbox: %v", err)
		}
		id := page.Rows[0].ID
		for _, ch := range []store.SubmissionChange{{Note: "intern"}, {Status: store.StatusRejected, Reason: "MARKER-REASON"}} {
			if err := env.DB.ChangeSubmission(ctx, actor, h.tenant.ID, viewer, id, ch); err != nil {
				t.Fatal(err)
			}
		}
		h.run(t, h.rc.client("127.0.0.1/32"))
		got := h.rc.received()
		if len(h.rc.bad) > 0 || len(got) != 1 {
			t.Fatalf("received %d (a note is not an update), failures %v", len(got), h.rc.bad)
		}
		if p := got[0]; p.Type != webhook.EventSubmissionUpdated || p.Data.ID != id || p.Data.Reference != ref || p.Data.Status != store.StatusRejected {
			t.Fatalf("payload %+v", p)
		}
		if raw, _ := json.Marshal(got[0]); strings.Contains(string(raw), "MARKER") {
			t.Fatal("the payload carries the reason")
		}
	})
}
