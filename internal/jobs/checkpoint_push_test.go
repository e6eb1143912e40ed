package jobs

import (
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/webhook"
)

// pushed is one checkpoint push as the receiver got it.
type pushed struct {
	id, contentType, tenant, size, sigErr string
	body                                  []byte
}

// TestClauseAUD2_CheckpointsPushedToTheControllersWebhook: every new
// checkpoint reaches the tenant's checkpoint webhook — a real HTTPS server
// on loopback, reachable only through the operator's allow-list — in
// order, as the signed note (text/plain) signed like every webhook, with
// headers naming the tenant and the size; a refused or failed push is
// retried after the backoff with the same id, and the next checkpoint
// waits for it.
func TestClauseAUD2_CheckpointsPushedToTheControllersWebhook(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		var mu sync.Mutex
		var got []pushed
		var answers []int
		secret := ""
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			p := pushed{id: r.Header.Get(webhook.HeaderID), contentType: r.Header.Get("Content-Type"), body: body,
				tenant: r.Header.Get(HeaderCheckpointTenant), size: r.Header.Get(HeaderCheckpointSize)}
			if err := webhook.Verify(secret, p.id, r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature), body,
				env.Clock.Now()); err != nil {
				p.sigErr = err.Error()
			}
			got = append(got, p)
			status := http.StatusOK
			if len(answers) > 0 {
				status, answers = answers[0], answers[1:]
			}
			w.WriteHeader(status)
		}))
		t.Cleanup(srv.Close)
		pool := x509.NewCertPool()
		pool.AddCert(srv.Certificate())
		allowed := webhook.NewClient(webhook.ClientOptions{RootCAs: pool, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
		refusing := webhook.NewClient(webhook.ClientOptions{RootCAs: pool})
		received := func() []pushed {
			mu.Lock()
			defer mu.Unlock()
			return append([]pushed(nil), got...)
		}

		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: "gent", LegalName: "Stad Gent", EnterpriseNumber: "0207451227",
			DPOName: "D", DPOEmail: "dpo@gent.be"})
		if err != nil {
			t.Fatal(err)
		}
		key, err := env.DB.CheckpointKey("kluis.example/audit")
		if err != nil {
			t.Fatal(err)
		}
		admin := audit.Actor{Kind: audit.KindUser, ID: "u1", Role: "admin"}
		cp1, _, err := env.DB.SignCheckpoint(ctx, tn.ID, key.Signer, &admin)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.DB.SetCheckpointHook(ctx, admin, tn.ID, "http://127.0.0.1/plain"); !errors.Is(err, store.ErrBadHookURL) {
			t.Fatalf("an http address: %v", err)
		}
		_, s, err := env.DB.SetCheckpointHook(ctx, admin, tn.ID, srv.URL+"/checkpoints")
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		secret = s
		mu.Unlock()
		cp2, _, err := env.DB.SignCheckpoint(ctx, tn.ID, key.Signer, &admin)
		if err != nil {
			t.Fatal(err)
		}
		run := func(c *webhook.Client) store.CheckpointHook {
			t.Helper()
			if err := CheckpointPushHandler(c, nil)(ctx, env.DB, store.Job{}); err != nil {
				t.Fatal(err)
			}
			h, err := env.DB.CheckpointHookOf(ctx, tn.ID)
			if err != nil {
				t.Fatal(err)
			}
			return h
		}

		// Without the allow-list the loopback address is refused: no
		// request, tried again later.
		h := run(refusing)
		if len(received()) != 0 || h.Attempts != 1 || !strings.Contains(h.LastError, "internal") || h.PushedSize != cp1.Size-1 ||
			h.DeliveredAt != nil {
			t.Fatalf("refused push: %+v, %d received", h, len(received()))
		}
		if h = run(allowed); len(received()) != 0 {
			t.Fatal("pushed again before the backoff ended")
		}
		env.Clock.Advance(5 * time.Second)
		mu.Lock()
		answers = []int{http.StatusServiceUnavailable}
		mu.Unlock()
		h = run(allowed)
		if len(received()) != 1 || h.Attempts != 2 || h.LastStatus != http.StatusServiceUnavailable || h.PushedSize != cp1.Size-1 {
			t.Fatalf("failed push: %+v", h)
		}
		env.Clock.Advance(5 * time.Minute)
		h = run(allowed)
		if h.PushedSize != cp2.Size || h.Attempts != 0 || h.LastError != "" || h.DeliveredAt == nil || !h.DeliveredAt.Equal(env.Clock.Now()) {
			t.Fatalf("after the retry: %+v", h)
		}

		all := received()
		want := []store.Checkpoint{cp1, cp1, cp2}
		if len(all) != len(want) {
			t.Fatalf("%d pushes, want %d", len(all), len(want))
		}
		v, _ := auditproof.ParseVerifierKey(key.VerifierKey)
		for i, p := range all {
			size := strconv.FormatInt(want[i].Size, 10)
			if p.sigErr != "" || p.contentType != "text/plain; charset=utf-8" || p.tenant != "gent" || p.size != size ||
				p.id != "checkpoint_"+tn.ID+"_"+size || string(p.body) != string(want[i].Note) {
				t.Errorf("push %d: %+v", i, p)
			}
			if _, err := auditproof.Parse("push", p.body, auditproof.Origin("kluis.example/audit/", tn.ID), v); err != nil {
				t.Errorf("push %d does not verify: %v", i, err)
			}
		}
		// Nothing new: nothing pushed.
		if run(allowed); len(received()) != len(want) {
			t.Error("pushed without a new checkpoint")
		}
	})
}
