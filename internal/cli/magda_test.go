package cli

import (
	"context"
	"database/sql"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/magda"
	"github.com/kluis/kluis/internal/magda/magdasim"
)

// TestClauseLOC2_MagdaCheckSaysWhatIsWrong: `kluis magda check` makes one
// test call with the tenant's stored connection, under the tenant's grant,
// and says in one line what is wrong, each with its own exit status: not
// configured (3), certificate expired (4), endpoint unreachable or too slow
// (5), TLS refused (6), answer signature bad (7), request refused (8); or
// OK with the reference (0). Every call it makes is recorded in the
// tenant's log under its reference, on behalf of the grant.
func TestClauseLOC2_MagdaCheckSaysWhatIsWrong(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	grant := s.grant("gent")
	check := func() (int, string, string) {
		return s.run(context.Background(), "magda", "check", "--tenant", "gent", "--grant", grant, "--insz", "85.07.30-033.28")
	}
	op := audit.Actor{Kind: audit.KindOperator, ID: "op-test"}
	// set stores gent's connection as changed by mod.
	set := func(st magda.Settings, mod func(*magda.Settings)) {
		t.Helper()
		if mod != nil {
			mod(&st)
		}
		db := s.openDB()
		defer db.Close()
		gent, err := db.Tenant(context.Background(), "gent")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetMagdaConnection(context.Background(), op, gent.ID, st); err != nil {
			t.Fatal(err)
		}
	}

	if code, _, errs := check(); code != 3 || !strings.Contains(errs, "not configured") {
		t.Fatalf("no connection: exit %d %s", code, errs)
	}
	if code, _, errs := s.run(context.Background(), "magda", "check", "--tenant", "gent", "--grant", grant); code != 2 || !strings.Contains(errs, "--insz") {
		t.Errorf("no --insz: exit %d %s", code, errs)
	}

	pki, err := magdasim.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	sim, err := magdasim.Start(magdasim.Config{PKI: pki, ConsumerID: "0207451227", Capacities: []string{"10086"}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	cert, err := pki.Issue("kluis-gent", false)
	if err != nil {
		t.Fatal(err)
	}
	good, err := sim.Settings(cert)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := magdasim.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	fc, err := foreign.Issue("not-trusted", false)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := sim.Settings(fc)
	if err != nil {
		t.Fatal(err)
	}

	set(good, nil)
	code, out, errs := check()
	if code != 0 || !strings.HasPrefix(out, "OK: "+sim.URL) || !strings.Contains(out, "(the test person was found); reference ") || errs != "" {
		t.Fatalf("OK: exit %d\n%s%s", code, out, errs)
	}
	ref := strings.TrimSpace(out[strings.LastIndex(out, "reference ")+len("reference "):])
	if calls := sim.Calls(); len(calls) != 1 || calls[0].Reference != ref {
		t.Errorf("the simulator saw %+v, want reference %s", calls, ref)
	}

	cases := []struct {
		name string
		prep func()
		code int
		want string
	}{
		{"wrong client certificate", func() {
			set(good, func(x *magda.Settings) { x.ClientCertPEM, x.ClientKeyPEM = wrong.ClientCertPEM, wrong.ClientKeyPEM })
		}, 6, "TLS refused"},
		{"refused capacity", func() { set(good, func(x *magda.Settings) { x.Capacity = "99999" }) }, 8, "refused: refused"},
		{"tampered answer", func() { set(good, nil); sim.SetTamper(true) }, 7, "answer signature bad"},
		{"slow", func() {
			sim.SetTamper(false)
			sim.SetSlow(true)
			set(good, func(x *magda.Settings) { x.Timeout = 300 * time.Millisecond })
		}, 5, "endpoint unreachable"},
		{"down", func() { sim.SetSlow(false); sim.Close() }, 5, "cannot be reached from here"},
		{"expired certificate", func() {
			expired, err := pki.IssueValid("kluis-gent-old", false, time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := sql.Open("sqlite", "file:"+filepath.Join(s.dir, "data", "kluis.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			// Stored while valid, expired since: written as time would.
			pemText := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: expired.Certificate[0]}))
			if _, err := raw.Exec(`UPDATE magda_connections SET client_cert_pem = $1`, pemText); err != nil {
				t.Fatal(err)
			}
		}, 4, "certificate expired"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			tt.prep()
			code, out, errs := check()
			if code != tt.code || out != "" || !strings.Contains(errs, tt.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
				t.Fatalf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", code, tt.code, tt.want, out, errs)
			}
			if strings.Contains(errs, "85073003328") {
				t.Error("the INSZ is in the message")
			}
		})
	}

	// Every call that left is in gent's log, before and after, under the
	// grant; the expired certificate made none.
	db := s.openDB()
	defer db.Close()
	gent, _ := db.Tenant(context.Background(), "gent")
	var calls, answers []audit.Event
	if err := db.EachAuditEvent(context.Background(), gent.ID, func(e *audit.Event) error {
		switch e.Action {
		case "magda.call":
			calls = append(calls, *e)
		case "magda.answer":
			answers = append(answers, *e)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 6 || len(answers) != 6 {
		t.Fatalf("%d calls and %d answers recorded, want 6 each", len(calls), len(answers))
	}
	if calls[0].ObjectID != ref || calls[0].Actor.OnBehalfOf != grant || !strings.Contains(answers[0].Purpose, "outcome found") {
		t.Errorf("first call recorded as %+v / %+v", calls[0], answers[0])
	}
	for i, want := range []string{"found", "tls_refused", "refused", "bad_signature", "timeout", "unavailable"} {
		if !strings.Contains(answers[i].Purpose, "outcome "+want) || answers[i].ObjectID != calls[i].ObjectID {
			t.Errorf("answer %d: %q, want outcome %s under %s", i, answers[i].Purpose, want, calls[i].ObjectID)
		}
	}
}

// TestClauseLOC2_DemoServesItsOwnMagdaSimulator: `kluis serve --demo`
// starts a MAGDA simulator on 127.0.0.1 with a throwaway PKI and points the
// demo tenant's connection at it, on every start (a new simulator, a new
// port, new certificates), saying in its log that they are ephemeral; the
// demo operator's `kluis magda check` passes against it.
func TestClauseLOC2_DemoServesItsOwnMagdaSimulator(t *testing.T) {
	s := newSandbox(t)
	var endpoints []string
	for start := range 2 {
		_, stop := s.serving(t, "serve", "--demo")
		body, err := os.ReadFile(filepath.Join(s.dir, "data", DemoOperatorFile))
		if err != nil {
			t.Fatal(err)
		}
		grant := ""
		for _, line := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(line, "KLUIS_GRANT="); ok {
				grant = v
			}
		}
		s.env["KLUIS_OPERATOR"] = DemoOperator
		code, out, errs := s.run(context.Background(), "magda", "check", "--tenant", DemoSlug, "--grant", grant, "--insz", "85073003328")
		if code != 0 || !strings.HasPrefix(out, "OK: https://127.0.0.1:") {
			t.Fatalf("start %d: magda check exit %d\n%s%s", start, code, out, errs)
		}
		endpoints = append(endpoints, strings.Fields(out)[1])
		if log := stop(); !strings.Contains(log, "ephemeral") || !strings.Contains(log, "demo national register") {
			t.Errorf("start %d: the log does not say the simulator is ephemeral:\n%s", start, log)
		}
	}
	if endpoints[0] == endpoints[1] {
		t.Errorf("both starts used %s: the connection was not made anew", endpoints[0])
	}
}
