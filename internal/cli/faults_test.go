package cli

import (
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/scan/scantest"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/storetest"
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

// asNobody hands the sandbox to nobody and returns the option that runs a
// child as nobody, so that it meets file modes as any operator's service
// user would. Not root: nothing to do.
func (s *sandbox) asNobody(t *testing.T) func(*exec.Cmd) {
	t.Helper()
	if os.Geteuid() != 0 {
		return func(*exec.Cmd) {}
	}
	for d := s.dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A copy of the test binary that nobody may execute.
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(s.dir, "kluis.test")
	if err := os.WriteFile(cp, b, 0o755); err != nil {
		t.Fatal(err)
	}
	err = filepath.Walk(s.dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, nobody, nobody)
	})
	if err != nil {
		t.Fatal(err)
	}
	return func(cmd *exec.Cmd) {
		cmd.Path, cmd.Args[0] = cp, cp
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	}
}

// start runs `kluis args...` (this test binary as kluis, TestMain) as a
// child process with the sandbox's environment, changed by opts, and waits
// until it serves or exits.
func (s *sandbox) start(t *testing.T, opts []func(*exec.Cmd), args ...string) *child {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(withoutKluisEnv(os.Environ()), "KLUISTEST_AS_KLUIS=1", "KLUIS_LISTEN=127.0.0.1:0")
	for k, v := range s.env {
		if k != "KLUIS_LISTEN" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for _, o := range opts {
		o(cmd)
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

// fileSizeLimit is the option that runs the child under prlimit(1) with
// RLIMIT_FSIZE at n bytes: a write past n bytes into any file fails with
// EFBIG (Go ignores SIGXFSZ), as it would on a full disk, for this process
// alone and without root.
func fileSizeLimit(t *testing.T, n int) func(*exec.Cmd) {
	t.Helper()
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("prlimit (util-linux) is not installed")
	}
	return func(cmd *exec.Cmd) {
		cmd.Args = append([]string{prlimit, fmt.Sprintf("--fsize=%d", n), "--", cmd.Path}, cmd.Args[1:]...)
		cmd.Path = prlimit
	}
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
	nobody := []func(*exec.Cmd){s.asNobody(t)}
	file := filepath.Join(s.env["KLUIS_KEYS_DIR"], seal.FileName)

	c := s.start(t, nobody, "serve")
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

	c = s.start(t, nobody, "serve")
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
	c = s.start(t, nobody, "serve")
	if c.base == "" {
		t.Fatalf("serve did not start after the mode was restored: %v\n%s", c.err, c.stderr)
	}
	if code, body := c.get(t, "/readyz"); code != 200 {
		t.Fatalf("readyz after: %d %s", code, body)
	}
}

// TestFault_DiskFull_AttachmentRefusedClearly: a real `kluis serve` on
// PostgreSQL keeps attachments over 64 KiB in its object store directory
// (KLUIS_STORAGE), and runs with a file size limit of 256 KiB
// (RLIMIT_FSIZE through prlimit): to the process the disk is full for any
// larger file, without root or a loop mount. A citizen's question with a
// 512 KiB photo gets the "temporarily unavailable, try again in a few
// minutes" page in Dutch (503, no detail), no submission is stored and no
// partial file is left; a question with a small photo, kept in the
// database, still goes through. (On PostgreSQL only: on SQLite the limit
// would hit the database file first, which the database-gone fault covers.)
func TestFault_DiskFull_AttachmentRefusedClearly(t *testing.T) {
	clamd := scantest.Start(t)
	s := newSandbox(t)
	dbURL := storetest.NewPostgresDatabase(t)
	objects := filepath.Join(s.dir, "objects")
	s.env["KLUIS_DATABASE_URL"] = dbURL
	s.env["KLUIS_CLAMD"] = "unix:" + clamd.Address
	s.env["KLUIS_STORAGE"] = objects
	s.env["KLUIS_STORAGE_ATTACHMENT_THRESHOLD"] = "64KiB"
	c := s.start(t, []func(*exec.Cmd){fileSizeLimit(t, 256<<10)}, "serve", "--demo")
	if c.base == "" {
		t.Fatalf("serve did not start: %v\n%s", c.err, c.stderr)
	}
	ask := func(photo []byte) (int, string) {
		t.Helper()
		_, page := c.get(t, "/"+DemoSlug+"/vraag")
		m := regexp.MustCompile(`name="token" value="([A-Za-z0-9_-]{43})"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no token on the form page:\n%s", page)
		}
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, v := range map[string]string{"token": m[1], "name": "Burger", "email": "burger@example.be", "topic": "street",
			"message": "De straatverlichting brandt niet."} {
			mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("photo", "foto.pdf")
		fw.Write(photo)
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, c.base+"/"+DemoSlug+"/vraag", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Accept-Language", "nl-BE")
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	pdf := func(n int) []byte {
		return append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0"), n)...)
	}
	submissions := func() int {
		t.Helper()
		db, err := sql.Open("pgx", dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM submissions`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	code, body := ask(pdf(512 << 10))
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "Tijdelijk niet beschikbaar") || !strings.Contains(body, "Referentie") {
		t.Fatalf("large photo on a full disk: %d\n%s", code, body)
	}
	for _, leak := range []string{"file too large", "EFBIG", "objstore", objects, ".go:"} {
		if strings.Contains(body, leak) {
			t.Fatalf("the page shows %q", leak)
		}
	}
	if n := submissions(); n != 0 {
		t.Fatalf("%d submissions stored", n)
	}
	var left []string
	filepath.Walk(objects, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Fatalf("files left in the object store: %v", left)
	}

	if code, body := ask(pdf(16 << 10)); code != http.StatusSeeOther {
		t.Fatalf("small photo kept in the database: %d\n%s", code, body)
	}
	if n := submissions(); n != 1 {
		t.Fatalf("%d submissions after the small photo, want 1", n)
	}
}
