package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// TestClauseLOC4_VersionNamesEveryModuleBuiltIn: structural security
// updates (LOC-4) start from knowing exactly what runs. `kluis version -m`
// names the Go release (the web server and TLS stack are its net/http and
// crypto/tls) and every module built in with its version, each as go.mod
// pins it — so an operator can match the binary against an advisory (or
// run govulncheck -mode=binary) and see an update land after a rebuild.
func TestClauseLOC4_VersionNamesEveryModuleBuiltIn(t *testing.T) {
	// A test binary records no modules: build the real one.
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := plainBinary(t)
	var out, errs bytes.Buffer
	cmd := exec.Command(bin, "version", "-m")
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("kluis version -m: %v: %s", err, errs.String())
	}
	if !strings.Contains(out.String(), runtime.Version()+" ") {
		t.Errorf("the Go release %s is not named:\n%s", runtime.Version(), out.String())
	}
	gomod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	pinned := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*([a-z0-9.\-]+\.[a-z]+/[^\s]+) (v[^\s]+)`).FindAllStringSubmatch(string(gomod), -1) {
		pinned[m[1]] = m[2]
	}
	listed := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^module (\S+) (\S+)$`).FindAllStringSubmatch(out.String(), -1) {
		listed[m[1]] = m[2]
	}
	// The components the contract names that are modules: the database
	// drivers, the encryption of backups, the mail client.
	for _, must := range []string{"modernc.org/sqlite", "github.com/jackc/pgx/v5", "filippo.io/age", "golang.org/x/crypto"} {
		if listed[must] == "" {
			t.Errorf("%s is not listed:\n%s", must, out.String())
		}
	}
	for path, v := range listed {
		if pinned[path] != v {
			t.Errorf("module %s %s: go.mod pins %q", path, v, pinned[path])
		}
	}
	// Without -m the output stays the three lines scripts read.
	out.Reset()
	cmd = exec.Command(bin, "version")
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "module ") || strings.Count(out.String(), "\n") != 3 {
		t.Errorf("kluis version without -m:\n%s", out.String())
	}
}

var (
	plainOnce sync.Once
	plainDir  string
	plainBin  string
	plainErr  error
)

// plainBinary builds kluis once per test run, static and unstamped (the
// release test and the LOC-4 test share it: one link, not two), in a
// directory TestMain removes.
func plainBinary(t *testing.T) string {
	t.Helper()
	plainOnce.Do(func() {
		if plainDir, plainErr = os.MkdirTemp("", "kluis-cli-test-bin-"); plainErr != nil {
			return
		}
		plainBin = filepath.Join(plainDir, "kluis")
		build := exec.Command("go", "build", "-buildvcs=false", "-o", plainBin, "./cmd/kluis")
		build.Dir = filepath.Join("..", "..")
		// Static, like CI's own build step and make release: their compiled
		// packages are reused, only the link is new.
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			plainErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if plainErr != nil {
		t.Fatal(plainErr)
	}
	return plainBin
}

func removePlainBinary() {
	if plainDir != "" {
		os.RemoveAll(plainDir)
	}
}
