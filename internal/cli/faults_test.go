package cli

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/seal"
)

// child is a real `kluis serve` process: this test binary run as kluis
// (TestMain), with the sandbox's environment.
type child struct {
	cmd    *exec.Cmd
	base   string
	stderr *bytes.Buffer
	exited chan struct{}
	err    error
}

// nobody is the user fault tests run their children as when the tests run
// as root, for whom file modes do not count.
const nobody = 65534

// asNobody hands the sandbox to nobody, so that a child run as nobody
// (see start) meets file modes as any operator's service user would.
func (s *sandbox) asNobody(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	for d := s.dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	err := filepath.Walk(s.dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, nobody, nobody)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// start runs `kluis args...` as a child process and waits until it serves
// or exits. As root the child runs as nobody (asNobody first), from a copy
// of the test binary that nobody may execute.
func (s *sandbox) start(t *testing.T, limits func(*exec.Cmd), args ...string) *child {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		cp := filepath.Join(s.dir, "kluis.test")
		if _, err := os.Stat(cp); err != nil {
			b, err := os.ReadFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(cp, b, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		bin, cred = cp, &syscall.Credential{Uid: nobody, Gid: nobody}
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Env = append(withoutKluisEnv(os.Environ()), "KLUISTEST_AS_KLUIS=1", "KLUIS_LISTEN=127.0.0.1:0", "KLUIS_LOG_LEVEL=warn")
	for k, v := range s.env {
		if k != "KLUIS_LISTEN" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if limits != nil {
		limits(cmd)
	}
	c := &child{cmd: cmd, stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	cmd.Stderr = c.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	served := make(chan string, 1)
	go func() {
		u, _ := servedURL(stdout)
		served <- u
	}()
	go func() { c.err = cmd.Wait(); close(c.exited) }()
	t.Cleanup(func() { c.stop(t) })
	select {
	case c.base = <-served:
	case <-c.exited:
	case <-time.After(120 * time.Second):
		t.Fatal("kluis serve neither served nor exited within 120 s")
	}
	return c
}

// stop ends the child with SIGTERM, as systemd would.
func (c *child) stop(t *testing.T) {
	t.Helper()
	select {
	case <-c.exited:
		return
	default:
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		t.Fatal("kluis serve did not stop on SIGTERM")
	}
}

// get asks the child for path.
func (c *child) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(c.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestFault_KeyringUnreadable_RefusesToStart: a running node whose keyring
// file becomes unreadable (mode 000; as root the node runs as nobody) fails
// /readyz at once, so the load balancer stops sending it citizens; started
// again with the file unreadable, `kluis serve` refuses to start with one
// clear line naming the file and a non-zero exit, and never listens. With
// the mode restored it starts and is ready.
func TestFault_KeyringUnreadable_RefusesToStart(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	s.asNobody(t)
	file := filepath.Join(s.env["KLUIS_KEYS_DIR"], seal.FileName)

	c := s.start(t, nil, "serve")
	if c.base == "" {
		t.Fatalf("serve did not start: %v\n%s", c.err, c.stderr)
	}
	if code, body := c.get(t, "/readyz"); code != 200 || !strings.Contains(body, `"keyring":"ok"`) {
		t.Fatalf("readyz before: %d %s", code, body)
	}
	if err := os.Chmod(file, 0); err != nil {
		t.Fatal(err)
	}
	if code, body := c.get(t, "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, `"keyring":"fail"`) ||
		!strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("readyz with the keyring unreadable: %d %s", code, body)
	}
	c.stop(t)

	c = s.start(t, nil, "serve")
	if c.base != "" {
		t.Fatalf("serve started with an unreadable keyring at %s", c.base)
	}
	<-c.exited
	msg := strings.TrimSpace(c.stderr.String())
	if c.cmd.ProcessState.ExitCode() == 0 || !strings.Contains(msg, "keyring file cannot be read") || !strings.Contains(msg, file) ||
		strings.Count(msg, "\n") > 0 {
		t.Fatalf("exit %d, stderr %q: want a non-zero exit and one line naming the unreadable keyring", c.cmd.ProcessState.ExitCode(), msg)
	}

	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	c = s.start(t, nil, "serve")
	if c.base == "" {
		t.Fatalf("serve did not start after the mode was restored: %v\n%s", c.err, c.stderr)
	}
	if code, body := c.get(t, "/readyz"); code != 200 {
		t.Fatalf("readyz after: %d %s", code, body)
	}
}
