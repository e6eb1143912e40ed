package cli

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/kluis/kluis/internal/storetest"
)

// TestMain lets the test binary be `kluis` for the servers the crash
// harness starts (it runs os.Executable(), which in a test is this binary).
func TestMain(m *testing.M) {
	if os.Getenv("KLUISTEST_AS_KLUIS") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	code := m.Run()
	removePlainBinary()
	os.Exit(code)
}

func runCrash(t *testing.T, ctx context.Context, args ...string) (int, string) {
	t.Helper()
	t.Setenv("KLUISTEST_AS_KLUIS", "1")
	var out, errs bytes.Buffer
	code := RunEnv(ctx, append([]string{"bench", "crash"}, args...), &Env{Stdout: &out, Stderr: &errs, Getenv: func(string) string { return "" }})
	t.Logf("exit %d\n%s%s", code, out.String(), errs.String())
	return code, out.String() + errs.String()
}

var crashTotal = regexp.MustCompile(`total: acknowledged (\d+), found (\d+), lost 0 over 2 cycles`)

// TestClauseSEC3_CrashHarnessLosesNothingAcknowledged kills a real server
// under load twice, on SQLite and on PostgreSQL, and on PostgreSQL also
// one of two nodes behind the harness's proxy: nothing acknowledged is
// lost, nothing is half-written, the chains verify, and with two nodes
// the session, the receipt and the scheduler survive on the other node.
func TestClauseSEC3_CrashHarnessLosesNothingAcknowledged(t *testing.T) {
	for _, c := range []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"sqlite", func(*testing.T) []string { return nil }},
		{"postgres", func(t *testing.T) []string { return []string{"--database-url", storetest.NewPostgresDatabase(t)} }},
		{"postgres-2-nodes", func(t *testing.T) []string {
			return []string{"--database-url", storetest.NewPostgresDatabase(t), "--nodes", "2"}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"--cycles", "2", "--max-load", "1s", "--clients", "4"}, c.args(t)...)
			code, out := runCrash(t, context.Background(), args...)
			m := crashTotal.FindStringSubmatch(out)
			if code != 0 || m == nil || m[1] != m[2] || m[1] == "0" || !strings.Contains(out, "OK: nothing acknowledged was lost") {
				t.Fatalf("exit %d, want 0 with every acknowledged submission found:\n%s", code, out)
			}
			if c.name == "postgres-2-nodes" {
				for _, want := range []string{"session ok", "receipt ok", "scheduler moved to", "0 done twice, 0 slot(s) left out"} {
					if !strings.Contains(out, want) {
						t.Errorf("no %q in:\n%s", want, out)
					}
				}
			}
		})
	}
}

// TestClauseSEC3_CrashHarnessFindsLossAndDamage shows the checker can
// fail: an acknowledged submission deleted behind the server's back is
// reported lost, and an edited audit event breaks the chain; the exit
// status is then non-zero.
func TestClauseSEC3_CrashHarnessFindsLossAndDamage(t *testing.T) {
	hooks := &crashHooks{beforeCheck: func(cycle int, dataDir string, acked []string) {
		if cycle != 2 {
			return
		}
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "kluis.db"))
		if err != nil {
			t.Error(err)
			return
		}
		defer db.Close()
		for _, q := range []string{`DELETE FROM submissions WHERE reference = '` + acked[0] + `'`,
			`DROP TRIGGER audit_events_no_update`, `UPDATE audit_events SET purpose = 'nothing to see' WHERE seq = 3`} {
			if _, err := db.Exec(q); err != nil {
				t.Error(q, err)
			}
		}
	}}
	ctx := context.WithValue(context.Background(), crashHooksKey{}, hooks)
	code, out := runCrash(t, ctx, "--cycles", "2", "--max-load", "1s", "--clients", "2")
	for _, want := range []string{"lost 1", "(and 1 of earlier cycles now missing)", "BROKEN", "1 submission.create events without their submission",
		"broken audit chain(s): demo at event 3"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if code != 1 || !strings.Contains(out, "1 acknowledged submission(s) lost") {
		t.Fatalf("exit %d, want 1 naming the lost submission:\n%s", code, out)
	}
}

// TestBenchCrashRefusesTwoNodesOnSQLite: a SQLite database serves one
// node, so --nodes 2 without PostgreSQL is a usage error, said plainly.
func TestBenchCrashRefusesTwoNodesOnSQLite(t *testing.T) {
	code, out := runCrash(t, context.Background(), "--nodes", "2", "--cycles", "1")
	if code != 2 || !strings.Contains(out, "--nodes 2 needs PostgreSQL") {
		t.Fatalf("exit %d, want 2 and a plain refusal:\n%s", code, out)
	}
}
