// Package scripts holds the tests of the shell scripts beside it: that
// `make test` (scripts/test.sh) tells the truth in its last line.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// summary runs scripts/test-summary.awk on log.
func summary(t *testing.T, log string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "go-test.log")
	if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("awk", "-f", "test-summary.awk", path).CombinedOutput()
	if err != nil {
		t.Fatalf("awk: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestSummaryCountsPackagesThatDidNotRun: the summary counts tests and
// store tests per dialect, and a failed package without a failing test of
// its own (a build failure, a panic outside a test) as broken, while a
// package whose failure is a failing test is not counted twice.
func TestSummaryCountsPackagesThatDidNotRun(t *testing.T) {
	for _, tc := range []struct {
		name, log string
		// pass fail skip sq_pass sq_fail sq_skip pg_pass pg_fail pg_skip pkg_ok pkg_fail broken
		want string
	}{
		{"all pass", `=== RUN   TestA
--- PASS: TestA (0.00s)
=== RUN   TestStore
=== RUN   TestStore/sqlite
=== RUN   TestStore/postgres
--- PASS: TestStore (0.10s)
    --- PASS: TestStore/sqlite (0.01s)
    --- SKIP: TestStore/postgres (0.00s)
PASS
ok  	example.org/a	0.1s
`, "3 0 1 1 0 0 0 0 1 1 0 0"},
		{"build failure", `# example.org/b
b.go:5:14: undefined: undefinedOnPurpose
FAIL	example.org/b [build failed]
=== RUN   TestA
--- PASS: TestA (0.00s)
PASS
ok  	example.org/a	0.1s
`, "1 0 0 0 0 0 0 0 0 1 1 1"},
		{"failing test", `=== RUN   TestA
    a_test.go:9: wrong
--- FAIL: TestA (0.00s)
FAIL
FAIL	example.org/a	0.1s
# example.org/c
FAIL	example.org/c [setup failed]
`, "0 1 0 0 0 0 0 0 0 0 2 1"},
		{"panic outside a test", `=== RUN   TestA
--- PASS: TestA (0.00s)
panic: TestMain went wrong
FAIL	example.org/d	0.1s
=== RUN   TestStore/postgres
    --- FAIL: TestStore/postgres (0.00s)
--- FAIL: TestStore (0.00s)
FAIL
FAIL	example.org/e	0.1s
`, "1 2 0 0 0 0 0 1 0 0 2 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := summary(t, tc.log); got != tc.want {
				t.Errorf("summary\n got  %s\n want %s", got, tc.want)
			}
		})
	}
}

// testEnv is the environment without what steers test.sh, so that the
// runs below decide alone (a PostgreSQL URL is given so that none is
// started: these runs need none).
func testEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "KLUIS_TEST_") || strings.HasPrefix(k, "KLUIS_E2E_") || k == "CI" {
			continue
		}
		env = append(env, kv)
	}
	return append(append(env, "KLUIS_TEST_POSTGRES_URL=postgres://nobody@127.0.0.1:1/none"), extra...)
}

// run runs scripts/test.sh from the repository root and returns its
// output's last line and whether it exited 0.
func run(t *testing.T, env []string, args ...string) (string, string, bool) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"scripts/test.sh"}, args...)...)
	cmd.Dir = ".."
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1], string(out), err == nil
}

// TestMakeTestCountsABuildFailure: a run in which one package does not
// build ends with that failure in its last line and exits non-zero.
func TestMakeTestCountsABuildFailure(t *testing.T) {
	last, out, ok := run(t, testEnv("KLUIS_TEST_PKGS=./scripts/testdata/pass ./scripts/testdata/broken"))
	if ok || last != "1 passed, 1 failed" {
		t.Fatalf("exit 0: %v, last line %q\n%s", ok, last, out)
	}
}

// TestMakeTestFailsWithoutBrowsers: when the browser tests cannot run,
// test.sh fails before running anything, unless the user opts out with
// KLUIS_TEST_SKIP_BROWSER=1 — which CI ignores.
func TestMakeTestFailsWithoutBrowsers(t *testing.T) {
	missing := "KLUIS_E2E_CHROMIUM=/nonexistent/chromium"
	last, out, ok := run(t, testEnv(missing), "--preflight")
	if ok || last != "0 passed, 1 failed" || !strings.Contains(out, "KLUIS_TEST_SKIP_BROWSER=1") {
		t.Errorf("no browser: exit 0 %v, last line %q\n%s", ok, last, out)
	}
	if _, out, ok := run(t, testEnv(missing, "KLUIS_TEST_SKIP_BROWSER=1"), "--preflight"); !ok ||
		!strings.Contains(out, "browser accessibility tests will NOT run") {
		t.Errorf("opted out: exit 0 %v\n%s", ok, out)
	}
	if _, out, ok := run(t, testEnv(missing, "KLUIS_TEST_SKIP_BROWSER=1", "CI=true"), "--preflight"); ok ||
		!strings.Contains(out, "ignored") {
		t.Errorf("CI opted out: exit 0 %v\n%s", ok, out)
	}
}
