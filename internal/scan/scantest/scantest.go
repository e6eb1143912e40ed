// Package scantest starts a real clamd for tests, with a tiny signature
// database built by sigtool that detects the EICAR test file, so tests need
// neither the network nor ClamAV's 200 MB official databases.
package scantest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/scan"
)

// Signature is the name our database gives the EICAR file (clamd adds
// ".UNOFFICIAL" to signatures from a non-official database).
const Signature = "Kluis.Test.EICAR"

// Start runs clamd on a Unix socket in a temporary directory until the
// test ends and returns a client for it. Without clamd and sigtool the test
// is skipped, except when KLUIS_TEST_REQUIRE_CLAMD=1 (set by .ci/run, which
// installs Debian's clamav-daemon), where it fails.
func Start(t testing.TB) *scan.Client {
	t.Helper()
	c, _ := StartStoppable(t)
	return c
}

// StartStoppable is Start, also returning a function that kills the clamd
// process and waits for it to exit: fault tests use it to take the real
// scanner away in the middle of a test.
func StartStoppable(t testing.TB) (c *scan.Client, stop func()) {
	t.Helper()
	clamd, err1 := exec.LookPath("clamd")
	if err1 != nil {
		clamd, err1 = exec.LookPath("/usr/sbin/clamd")
	}
	sigtool, err2 := exec.LookPath("sigtool")
	if err1 != nil || err2 != nil {
		msg := "clamd or sigtool not installed (apt-get install clamav-daemon): virus-scan tests need a real clamd"
		if os.Getenv("KLUIS_TEST_REQUIRE_CLAMD") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// A short directory: Unix socket paths are limited to ~100 bytes.
	dir, err := os.MkdirTemp("", "kluis-clamd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	db := filepath.Join(dir, "db")
	if err := os.Mkdir(db, 0o755); err != nil {
		t.Fatal(err)
	}
	// A body signature on the EICAR file's distinctive middle, hex-encoded
	// by sigtool itself.
	cmd := exec.Command(sigtool, "--hex-dump")
	cmd.Stdin = strings.NewReader("EICAR-STANDARD-ANTIVIRUS-TEST-FILE")
	hex, err := cmd.Output()
	if err != nil {
		t.Fatalf("sigtool --hex-dump: %v", err)
	}
	ndb := fmt.Sprintf("%s:0:*:%s\n", Signature, strings.TrimSpace(string(hex)))
	if err := os.WriteFile(filepath.Join(db, "kluis-test.ndb"), []byte(ndb), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "clamd.sock")
	conf := fmt.Sprintf("LocalSocket %s\nDatabaseDirectory %s\nForeground yes\nLogFile %s\nStreamMaxLength 2M\n",
		sock, db, filepath.Join(dir, "clamd.log"))
	if os.Geteuid() == 0 {
		// As root clamd would switch to the clamav user, who cannot read
		// our temporary directory; stay root for the test.
		conf += "User root\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "clamd.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	proc := exec.Command(clamd, "-c", filepath.Join(dir, "clamd.conf"))
	if err := proc.Start(); err != nil {
		t.Fatalf("start clamd: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- proc.Wait() }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			proc.Process.Kill()
			<-done
		})
	}
	t.Cleanup(stop)
	c = &scan.Client{Network: "unix", Address: sock, Timeout: 30 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := c.Ping(ctx)
		cancel()
		if err == nil {
			return c, stop
		}
		select {
		case werr := <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "clamd.log"))
			t.Fatalf("clamd exited: %v\n%s", werr, tail(string(log)))
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "clamd.log"))
			t.Fatalf("clamd did not answer within 60 s: %v\n%s", err, tail(string(log)))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-15):], "\n")
}
