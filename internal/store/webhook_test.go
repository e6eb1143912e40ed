package store_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/webhook"
)

// hookRegister is the demo register with a case system in Belgium and a
// CRM in the United States, each with an endpoint.
func hookRegister() register.Register {
	r := register.Demo()
	r.Recipients = append(r.Recipients, register.Recipient{Key: "us-crm", Name: register.Text{"nl": "CRM"}, Kind: "processor",
		Country: "US", TransferMechanism: "standard_contractual_clauses", Endpoints: []string{"https://crm.example.com"}})
	return r
}

func countRows(t *testing.T, env *storetest.Env, table string) int {
	t.Helper()
	var n int
	if err := env.Raw(t).QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// lastAudit returns the tenant's last audit event with action.
func lastAudit(t *testing.T, env *storetest.Env, tenantID, action string) (audit.Event, bool) {
	t.Helper()
	var last audit.Event
	var found bool
	env.DB.EachAuditEvent(ctx, tenantID, func(e *audit.Event) error {
		if e.Action == action {
			last, found = *e, true
		}
		return nil
	})
	return last, found
}

func refusedKeys(t *testing.T, err error) []string {
	t.Helper()
	var re *store.WebhookRefusedError
	if !errors.As(err, &re) {
		t.Fatalf("want a refusal, got %v", err)
	}
	var keys []string
	for _, p := range re.Problems {
		keys = append(keys, p.Field+"="+p.Key)
	}
	return keys
}

func TestClauseREG2_WebhookToUnregisteredDestinationRefused(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		all := []string{webhook.EventSubmissionCreated}
		// Without any register nothing is registered.
		_, _, err := env.DB.CreateWebhook(ctx, clerk("admin"), tn.ID, store.NewWebhook{URL: "https://zaken.demo.example/in", Events: all})
		if keys := refusedKeys(t, err); strings.Join(keys, ",") != "url="+webhook.ProblemUnregistered {
			t.Fatalf("no register: %v", keys)
		}
		if _, err := env.DB.SaveRegister(ctx, clerk("admin"), tn.ID, hookRegister()); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ url, entry, want string }{
			{"https://evil.example/in", "", "url=" + webhook.ProblemUnregistered},
			{"https://evil.example/in", "recipient:case-system", "url=" + webhook.ProblemUnregistered},
			{"https://zaken.demo.example:8443/in", "recipient:case-system", "url=" + webhook.ProblemUnregistered},
			{"https://zaken.demo.example/in", "recipient:services", "url=" + webhook.ProblemUnregistered}, // registered, no endpoint
			{"https://zaken.demo.example/in", "recipient:gone", "entry=" + webhook.ProblemEntryUnknown},
			{"http://zaken.demo.example/in", "recipient:case-system", "url=" + webhook.ProblemURL},
		} {
			_, secret, err := env.DB.CreateWebhook(ctx, clerk("admin"), tn.ID, store.NewWebhook{URL: tc.url, Events: all, Entry: tc.entry})
			if keys := refusedKeys(t, err); strings.Join(keys, ",") != tc.want || secret != "" {
				t.Errorf("%s under %q: %v", tc.url, tc.entry, keys)
			}
			if strings.Contains(tc.want, "reg2") && !strings.Contains(err.Error(), "not registered as a recipient or sub-processor (REG-2)") &&
				!strings.Contains(err.Error(), "(REG-2)") {
				t.Errorf("the refusal does not name REG-2: %v", err)
			}
		}
		if n := countRows(t, env, "webhooks"); n != 0 {
			t.Fatalf("refused hooks saved: %d rows", n)
		}
		denied := 0
		env.DB.EachAuditEvent(ctx, tn.ID, func(e *audit.Event) error {
			if e.Action == "webhook.create" && e.Outcome == audit.OutcomeDenied {
				denied++
				if strings.Contains(e.Purpose, "evil.example") && !strings.Contains(e.Purpose, "(REG-2)") {
					t.Errorf("refusal audit does not name REG-2: %s", e.Purpose)
				}
			}
			return nil
		})
		if denied != 7 {
			t.Fatalf("%d refusals audited, want 7", denied)
		}
	})
}

func TestClauseLOC1_WebhookOutsideEEARefused(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		if _, err := env.DB.SaveRegister(ctx, clerk("admin"), tn.ID, hookRegister()); err != nil {
			t.Fatal(err)
		}
		for _, entry := range []string{"recipient:us-crm", ""} {
			_, _, err := env.DB.CreateWebhook(ctx, clerk("admin"), tn.ID, store.NewWebhook{URL: "https://crm.example.com/hooks",
				Events: []string{webhook.EventSubmissionCreated}, Entry: entry})
			keys := refusedKeys(t, err)
			if len(keys) != 1 || !strings.HasSuffix(keys[0], webhook.ProblemOutsideEEA) ||
				!strings.Contains(err.Error(), "registered in a country outside the EEA (LOC-1)") {
				t.Fatalf("entry %q: %v (%v)", entry, keys, err)
			}
		}
		if n := countRows(t, env, "webhooks"); n != 0 {
			t.Fatalf("refused hooks saved: %d rows", n)
		}
		if ev, ok := lastAudit(t, env, tn.ID, "webhook.create"); !ok || ev.Outcome != audit.OutcomeDenied || !strings.Contains(ev.Purpose, "(LOC-1)") {
			t.Fatalf("refusal audit: %+v", ev)
		}
	})
}

// TestWebhooks_IntakeQueuesForActiveHooksOnly: a submission queues one
// thin delivery per active hook that subscribes to submission.created, in
// SubmitForm's transaction; a tenant without hooks gets nothing queued
// and no audit event; a disabled or deleted hook gets nothing, and its
// pending deliveries are cancelled. The secret is sealed at rest.
func TestWebhooks_IntakeQueuesForActiveHooksOnly(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		f := form.DemoForms()[1]
		pub := publishDemo(t, env, tn.ID, f)
		citizen := audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}
		n := 0
		submit := func() string {
			n++
			answers, _ := json.Marshal(form.Answers{"insz": {Value: "85071512397"}, "name": {Value: "MARKER-NAME-77"},
				"iban": {Value: "BE68539007547034"}})
			ref, _, err := env.DB.SubmitForm(ctx, citizen, tn.ID, store.NewFormSubmission{FormKey: f.Key, FormVersion: pub.Version,
				RegisterVersion: pub.RegisterVersion, Answers: answers, Subject: "85071512397",
				Idempotency: "page-" + string(rune('a'+n)), Receipt: "r" + string(rune('a'+n))})
			if err != nil {
				t.Fatal(err)
			}
			return ref
		}
		submit()
		if c := countRows(t, env, "webhook_deliveries"); c != 0 {
			t.Fatalf("no hooks, but %d deliveries", c)
		}
		if _, ok := lastAudit(t, env, tn.ID, "webhook.queue"); ok {
			t.Fatal("webhook.queue recorded without hooks")
		}
		created, secret, err := env.DB.CreateWebhook(ctx, clerk("admin"), tn.ID, store.NewWebhook{URL: "https://zaken.demo.example/kluis",
			Events: []string{webhook.EventSubmissionUpdated, webhook.EventSubmissionCreated}, Entry: "recipient:case-system"})
		if err != nil || !strings.HasPrefix(secret, "whsec_") || created.EntryRef() != "recipient:case-system" {
			t.Fatalf("create: %+v %v", created, err)
		}
		updatesOnly, _, err := env.DB.CreateWebhook(ctx, clerk("admin"), tn.ID, store.NewWebhook{URL: "https://zaken.demo.example/updates",
			Events: []string{webhook.EventSubmissionUpdated}})
		if err != nil {
			t.Fatal(err)
		}
		if ev, ok := lastAudit(t, env, tn.ID, "webhook.create"); !ok || ev.Outcome != audit.OutcomeSuccess || ev.ObjectID != updatesOnly.ID {
			t.Fatalf("create audit: %+v", ev)
		}
		if found := storetest.FindPlaintext(t, env, "zaken.demo.example", strings.TrimPrefix(secret, "whsec_")); len(found) > 0 {
			t.Fatalf("secret in plaintext: %v", found)
		}
		ref := submit()
		ds, err := env.DB.WebhookDeliveries(ctx, tn.ID, created.ID, 10)
		if err != nil || len(ds) != 1 || ds[0].Event != webhook.EventSubmissionCreated || ds[0].Status != store.DeliveryPending {
			t.Fatalf("deliveries: %+v %v", ds, err)
		}
		if ds, _ := env.DB.WebhookDeliveries(ctx, tn.ID, updatesOnly.ID, 10); len(ds) != 0 {
			t.Fatalf("a hook for updates only got %d deliveries", len(ds))
		}
		var body string
		env.Raw(t).QueryRow(`SELECT body FROM webhook_deliveries`).Scan(&body)
		var p webhook.Payload
		if err := json.Unmarshal([]byte(body), &p); err != nil || p.Type != webhook.EventSubmissionCreated || p.Data.Reference != ref ||
			p.Data.FormKey != f.Key || p.Data.FormVersion != pub.Version || p.Data.Status != "new" || p.ID != ds[0].EventID {
			t.Fatalf("payload %s", body)
		}
		for _, personal := range []string{"85071512397", "MARKER-NAME-77", "BE68539007547034"} {
			if strings.Contains(body, personal) {
				t.Fatalf("payload holds personal data: %s", body)
			}
		}
		if ev, ok := lastAudit(t, env, tn.ID, "webhook.queue"); !ok || !strings.Contains(ev.Purpose, "to 1 hook(s)") {
			t.Fatalf("queue audit: %+v", ev)
		}

		// Another tenant's admin cannot touch it.
		other := newTenant(t, env, "brugge")
		if err := env.DB.DisableWebhook(ctx, clerk("admin"), other.ID, created.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other tenant's disable: %v", err)
		}
		if err := env.DB.DisableWebhook(ctx, clerk("admin"), tn.ID, created.ID); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DisableWebhook(ctx, clerk("admin"), tn.ID, created.ID); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("disable twice: %v", err)
		}
		if ds, _ := env.DB.WebhookDeliveries(ctx, tn.ID, created.ID, 10); ds[0].Status != store.DeliveryCancelled {
			t.Fatalf("pending delivery of a disabled hook: %s", ds[0].Status)
		}
		submit()
		if c := countRows(t, env, "webhook_deliveries"); c != 1 {
			t.Fatalf("a disabled hook got a delivery: %d rows", c)
		}
		if err := env.DB.DeleteWebhook(ctx, clerk("admin"), tn.ID, created.ID); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DeleteWebhook(ctx, clerk("admin"), tn.ID, created.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
		hs, err := env.DB.Webhooks(ctx, tn.ID)
		if err != nil || len(hs) != 1 || hs[0].ID != updatesOnly.ID {
			t.Fatalf("hooks after delete: %+v %v", hs, err)
		}
		var sealed []byte
		env.Raw(t).QueryRow(`SELECT secret FROM webhooks WHERE id = $1`, created.ID).Scan(&sealed)
		if len(sealed) != 0 {
			t.Fatal("a deleted hook keeps its secret")
		}
		for _, action := range []string{"webhook.disable", "webhook.delete"} {
			if ev, ok := lastAudit(t, env, tn.ID, action); !ok || ev.ObjectID != created.ID {
				t.Fatalf("%s not audited", action)
			}
		}
	})
}
