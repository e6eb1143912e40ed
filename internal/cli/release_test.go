package cli

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReleaseBuildStampsVersionAndCommit builds the binary the way `make
// release` does (the Makefile's own target, with VERSION and COMMIT given)
// and runs `kluis version`: it prints the stamped version and commit, and
// the binary is static (no dynamic loader), so the minimal container image
// can hold it alone. A plain build says dev.
func TestReleaseBuildStampsVersionAndCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "kluis")
	const version, commit = "v9.8.7-test", "0123456789abcdef0123456789abcdef01234567"
	// RELEASE_FLAGS= drops -trimpath, which would compile every package
	// again (minutes on a shared machine); the stamping and CGO_ENABLED=0
	// are the target's own.
	cmd := exec.Command("make", "-C", root, "release", "VERSION="+version, "COMMIT="+commit, "RELEASE_BIN="+bin, "RELEASE_FLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make release: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("kluis version: %v\n%s", err, out)
	}
	lines := strings.Split(string(out), "\n")
	if len(lines) < 2 || lines[0] != "kluis "+version || lines[1] != "commit "+commit {
		t.Fatalf("kluis version printed:\n%s", out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the release binary is dynamically linked (it has an interpreter): not CGO_ENABLED=0")
		}
	}

	// Without the stamp: dev.
	plain := plainBinary(t)
	out, err = exec.Command(plain, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "kluis dev\ncommit unknown\n") {
		t.Fatalf("unstamped kluis version: %v\n%s", err, out)
	}
}
