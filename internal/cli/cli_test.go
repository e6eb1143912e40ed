package cli

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/storetest"
)

// kluis runs the command line in a sandbox: its own data, keys and master
// key file under dir, plus any extra variables.
type sandbox struct {
	t      *testing.T
	dir    string
	env    map[string]string
	grants map[string]string // tenant slug → the operator's grant (access_test.go)
	// metrics, when set, hears the metrics listener's address (with
	// KLUIS_METRICS_LISTEN 127.0.0.1:0).
	metrics chan net.Addr
}

func newSandbox(t *testing.T) *sandbox {
	dir := t.TempDir()
	return &sandbox{t: t, dir: dir, env: map[string]string{
		"KLUIS_DATA_DIR":        filepath.Join(dir, "data"),
		"KLUIS_KEYS_DIR":        filepath.Join(dir, "keys"),
		"KLUIS_MASTER_KEY_FILE": filepath.Join(dir, "master.key"),
		"KLUIS_OPERATOR":        "tester",
	}}
}

func (s *sandbox) run(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = RunEnv(ctx, args, &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return s.env[k] }})
	return code, out.String(), errb.String()
}

func (s *sandbox) ok(args ...string) string {
	s.t.Helper()
	code, out, errs := s.run(context.Background(), args...)
	if code != 0 {
		s.t.Fatalf("kluis %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// fails runs a command that must fail with one line on stderr containing want.
func (s *sandbox) fails(want string, args ...string) {
	s.t.Helper()
	code, out, errs := s.run(context.Background(), args...)
	if code == 0 {
		s.t.Fatalf("kluis %s: succeeded, want failure\n%s", strings.Join(args, " "), out)
	}
	if !strings.Contains(errs, want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
		s.t.Fatalf("kluis %s: stderr %q, want one line containing %q", strings.Join(args, " "), errs, want)
	}
}

func (s *sandbox) setup() {
	s.t.Helper()
	s.ok("keys", "init")
	s.ok("migrate")
	s.ok("tenant", "create", "--slug", "gent", "--name", "Stad Gent", "--kbo", "0207.451.227",
		"--dpo-name", "Els Claes", "--dpo-email", "dpo@gent.example")
}

func TestTenantLifecycle(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	if out := s.ok("tenant", "list"); !strings.Contains(out, "gent") || !strings.Contains(out, "0207.451.227") {
		t.Fatalf("list: %s", out)
	}
	out := s.ok("tenant", "show", "--grant", s.grant("gent"), "gent")
	for _, want := range []string{"Stad Gent", "Els Claes <dpo@gent.example>", "status:        active", "1 data key(s)"} {
		if !strings.Contains(out, want) {
			t.Fatalf("show lacks %q:\n%s", want, out)
		}
	}
	s.ok("tenant", "suspend", "gent")
	if out := s.ok("tenant", "show", "--grant", s.grant("gent"), "gent"); !strings.Contains(out, "suspended") {
		t.Fatalf("not suspended:\n%s", out)
	}
	s.ok("tenant", "reactivate", "--tenant", "gent")
	if out := s.ok("keys", "rotate", "--tenant", "gent"); !strings.Contains(out, "new primary data key 2") {
		t.Fatalf("rotate: %s", out)
	}
	// create, the operator added and activated (2 × staff change and its
	// mail), the grant, show (command, contact read), suspend, show,
	// reactivate, rotate = 13 events.
	if out := s.ok("audit", "verify", "--tenant", "gent"); !strings.Contains(out, "13 events verified, chain intact") {
		t.Fatalf("verify: %s", out)
	}
}

func TestBadInputGivesOneSentenceAndWritesNothing(t *testing.T) {
	s := newSandbox(t)
	s.fails("no master key: set KLUIS_MASTER_KEY", "tenant", "list")
	s.ok("keys", "init")
	s.fails("keyring already exists", "keys", "init")
	s.fails("run `kluis migrate` first", "tenant", "list")
	if _, err := os.Stat(filepath.Join(s.dir, "data", "kluis.db")); err == nil {
		t.Fatal("a refused command created the database")
	}
	s.ok("migrate")
	s.fails("--kbo fails the mod-97 check", "tenant", "create", "--slug", "x", "--name", "X", "--kbo", "0207451228", "--dpo-name", "D", "--dpo-email", "d@x.be")
	s.fails("--dpo-email is not a valid e-mail address", "tenant", "create", "--slug", "x", "--name", "X", "--kbo", "0207451227", "--dpo-name", "D", "--dpo-email", "nope")
	if out := s.ok("tenant", "list"); strings.Count(out, "\n") != 1 {
		t.Fatalf("a refused tenant was created:\n%s", out)
	}
	s.fails(`no tenant "nowhere"`, "tenant", "show", "nowhere")
	s.fails(`no tenant "nowhere"`, "audit", "verify", "--tenant", "nowhere")
	s.fails("listen address", "config", "--listen", "nonsense")
	s.fails("unknown command", "frobnicate")
	s.fails("unknown tenant command", "tenant", "explode")

	s.env["KLUIS_SMTP_HOST"], s.env["KLUIS_SMTP_TLS"] = "relay.example.be", "none"
	s.fails("mail relay", "serve")
	delete(s.env, "KLUIS_SMTP_HOST")
	delete(s.env, "KLUIS_SMTP_TLS")

	s.env["KLUIS_DATABASE_URL"] = "mysql://db/kluis"
	s.fails("unsupported scheme", "tenant", "list")
	s.env["KLUIS_DATABASE_URL"] = "postgres://kluis@127.0.0.1:1/nope?sslmode=disable&connect_timeout=2"
	s.fails("cannot reach the database", "tenant", "list")
	delete(s.env, "KLUIS_DATABASE_URL")

	s.env["KLUIS_MASTER_KEY"] = "too-short"
	s.fails("KLUIS_MASTER_KEY", "tenant", "list")
	other := newSandbox(t)
	other.ok("keys", "init")
	key, _ := os.ReadFile(other.env["KLUIS_MASTER_KEY_FILE"])
	s.env["KLUIS_MASTER_KEY"] = strings.TrimSpace(string(key))
	s.fails("master key does not match", "tenant", "list")
	delete(s.env, "KLUIS_MASTER_KEY")

	ring := filepath.Join(s.dir, "keys", "keyring.json")
	b, _ := os.ReadFile(ring)
	os.WriteFile(ring, b[:len(b)/2], 0o600)
	s.fails("keyring", "tenant", "list")
}

func TestAuditVerifyNamesFirstBadEvent(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	for i := 0; i < 4; i++ {
		s.ok("tenant", "show", "--grant", s.grant("gent"), "gent")
	}
	s.ok("audit", "verify", "--all")
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(s.dir, "data", "kluis.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{`DROP TRIGGER audit_events_no_update`, `UPDATE audit_events SET purpose = 'nothing to see' WHERE seq = 3`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := s.run(context.Background(), "audit", "verify", "--tenant", "gent")
	if code != 1 || !strings.Contains(out, "BROKEN at event 3") || !strings.Contains(errs, "failed verification") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
}

func TestServeDemoEndToEnd(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			s := newSandbox(t)
			if dialect == "postgres" {
				s.env["KLUIS_DATABASE_URL"] = storetest.NewPostgresDatabase(t)
			}
			base, stop := s.serving(t, "serve", "--demo")
			for path, want := range map[string]string{
				"/healthz": "ok",
				"/readyz":  `"database":"ok"`,
				"/":        "Kluis",
				"/demo/":   "Gemeente Demo",
			} {
				resp, err := http.Get(base + path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
					t.Fatalf("GET %s: %d, want %q in\n%s", path, resp.StatusCode, want, body)
				}
			}
			// The JSON API is mounted beside the web side.
			if resp, err := http.Get(base + "/api/v1/openapi.json"); err != nil || resp.StatusCode != 200 ||
				resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("GET /api/v1/openapi.json: %v %v", resp, err)
			} else {
				resp.Body.Close()
			}
			if res := stop(); !strings.HasPrefix(res, "exit 0") {
				t.Fatalf("serve: %s", res)
			}
			// A second start finds everything in place and creates nothing new.
			if dialect == "sqlite" {
				out := s.ok("tenant", "list")
				if strings.Count(out, "demo") != 1 {
					t.Fatalf("tenants after restart:\n%s", out)
				}
			}
		})
	}
}

func TestClauseUSR1_UserInvitePrintsOneTimeLink(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	s.env["KLUIS_BASE_URL"] = "https://loket.gent.example/"
	out := s.ok("user", "invite", "--tenant", "gent", "--grant", s.grant("gent"), "--email", "an@gent.example", "--name", "An Peeters", "--role", "beheerder")
	if !strings.Contains(out, "invited an@gent.example as admin of gent") || !strings.Contains(out, "https://loket.gent.example/gent/activate/") {
		t.Fatalf("invite output:\n%s", out)
	}
	s.fails("already has a user with that e-mail address", "user", "invite", "--tenant", "gent", "--grant", s.grant("gent"), "--email", "an@gent.example", "--name", "An")
	s.fails("--email is not a valid e-mail address; --role must be admin, user or dpo", "user", "invite", "--tenant", "gent", "--grant", s.grant("gent"), "--email", "nope", "--name", "X", "--role", "boss")
	if out := s.ok("user", "list", "--grant", s.grant("gent"), "gent"); !strings.Contains(out, "An Peeters") || !strings.Contains(out, "invited") {
		t.Fatalf("list:\n%s", out)
	}
}

// The invitation mail is queued with the user, sealed, in the invitee's
// language; the CLI also prints the link for bootstrapping without a relay.
func TestUserInviteQueuesMailInInviteesLanguage(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	s.ok("user", "invite", "--tenant", "gent", "--grant", s.grant("gent"), "--email", "jean@gent.example", "--name", "Jean Dupont", "--role", "user", "--lang", "fr")
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(s.dir, "data", "kluis.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	var lang, kind string
	if err := raw.QueryRow(`SELECT count(*), max(lang), max(kind) FROM mail_outbox WHERE status = 'pending' AND kind NOT LIKE 'operator.%'`).Scan(&n, &lang, &kind); err != nil {
		t.Fatal(err)
	}
	if n != 1 || lang != "fr" || kind != "account.invite" {
		t.Fatalf("outbox: %d %s %s", n, lang, kind)
	}
	var plain int
	raw.QueryRow(`SELECT count(*) FROM mail_outbox WHERE instr(recipient, 'jean@') > 0 OR instr(body, 'Jean') > 0`).Scan(&plain)
	if plain != 0 {
		t.Fatal("invitation mail stored in plaintext")
	}
}

// serving starts the command (serve) in the background on a free loopback
// port and returns its address and a stop function, which ends it and
// returns "exit N" with its output; the test ends it too.
func (s *sandbox) serving(t *testing.T, args ...string) (base string, stop func() string) {
	t.Helper()
	s.env["KLUIS_LISTEN"] = "127.0.0.1:0"
	addrc := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), serveHooksKey{},
		&serveHooks{ready: func(a net.Addr) { addrc <- a }, metricsReady: func(a net.Addr) {
			if s.metrics != nil {
				s.metrics <- a
			}
		}}))
	done := make(chan string, 1)
	go func() {
		code, out, errs := s.run(ctx, args...)
		done <- fmt.Sprintf("exit %d\n%s%s", code, out, errs)
	}()
	var result string
	stopped := false
	stop = func() string {
		if stopped {
			return result
		}
		stopped = true
		cancel()
		select {
		case result = <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop")
		}
		return result
	}
	t.Cleanup(func() { stop() })
	select {
	case a := <-addrc:
		return "http://" + a.String(), stop
	case res := <-done:
		stopped, result = true, res
		t.Fatalf("serve stopped: %s", res)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start")
	}
	return "", stop
}
