package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// benchPagePaths are the public pages `kluis bench pages` measures on the
// demo tenant: the empty form, the privacy statement, the home and the
// demo's published site page.
var benchPagePaths = []string{"/demo/vraag", "/demo/privacy", "/demo/", "/demo/site/" + demoSitePageSlug}

// benchPagesTarget is the ratio to the machine's limit the public pages
// are to reach (issue: public pages at half the speed of a bare server).
const benchPagesTarget = 0.5

// benchPages measures the citizen's public pages the way bench intake
// measures intake: `kluis serve --demo` in a fresh directory (or a running
// server on loopback, --url), GETs from --clients concurrent clients for
// --duration per page. In the same run each page's very bytes are served
// by a bare net/http handler, the machine's limit, and the ratio to it is
// printed: req/s, p99, the server's CPU per request.
func benchPages(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "bench pages")
	clients := fs.Int("clients", 8, "concurrent clients")
	duration := fs.Duration("duration", 5*time.Second, "how long to measure each page and its limit (after a warm-up of a fifth of it, 2 s at most)")
	dbURL := fs.String("database-url", "", "database for the server under test (default: SQLite in a temporary directory)")
	base := fs.String("url", "", "measure a server already running on loopback (http://127.0.0.1:PORT) instead of starting one")
	serverPID := fs.Int("pid", 0, "with --url: the server's process id, to print its CPU per request")
	inProcess := fs.Bool("limit-in-process", false, "serve the limit from this process (sharing its CPU with the load generator) instead of a process of its own")
	pages := fs.String("pages", strings.Join(benchPagePaths, ","), "comma-separated paths to measure")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *clients < 1 || *clients > 256 || *duration < 100*time.Millisecond {
		return usageError{"--clients must be 1-256 and --duration at least 100ms"}
	}
	pid := *serverPID
	if *base == "" {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		srv, err := startBenchServer(ctx, env, self, *dbURL)
		if err != nil {
			return err
		}
		defer srv.stop()
		*base, pid = srv.base, srv.cmd.Process.Pid
		fmt.Fprintf(env.Stdout, "server %s (pid %d) on %s\n", srv.base, pid, srv.db)
	} else if err := loopbackOnly(*base); err != nil {
		return usageError{err.Error()}
	}
	warm := min(2*time.Second, *duration/5)
	fmt.Fprintf(env.Stdout, "%d clients, %s per measurement after a %s warm-up; the limit is a bare net/http handler sending the same bytes\n",
		*clients, *duration, warm)
	tr := &http.Transport{MaxIdleConns: *clients * 2, MaxIdleConnsPerHost: *clients * 2}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var missed []string
	for _, p := range strings.Split(*pages, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		body, header, err := fetchPage(client, *base+p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		limit, err := startLimit(ctx, body, header, *inProcess)
		if err != nil {
			return err
		}
		bare := loadGET(client, limit.url, *clients, warm, *duration, limit.pid)
		limit.close()
		kluis := loadGET(client, *base+p, *clients, warm, *duration, pid)
		if kluis.failures > 0 || bare.failures > 0 {
			return fmt.Errorf("%s: %d requests failed (limit: %d)", p, kluis.failures, bare.failures)
		}
		ratio := kluis.rate / bare.rate
		verdict := "target met"
		if ratio < benchPagesTarget {
			verdict = "below target"
			missed = append(missed, p)
		}
		fmt.Fprintf(env.Stdout, "%-26s %5.1f KB  kluis %6.0f req/s p99 %-8s cpu %s  limit %6.0f req/s p99 %-8s cpu %s  ratio %.2f (target ≥ %.1f: %s)\n",
			p, float64(len(body))/1024, kluis.rate, kluis.p99, kluis.cpu, bare.rate, bare.p99, bare.cpu, ratio, benchPagesTarget, verdict)
	}
	if pid != 0 {
		fmt.Fprintf(env.Stdout, "server peak RSS: %s\n", peakRSS(pid))
	}
	if len(missed) > 0 {
		fmt.Fprintf(env.Stdout, "below the target ratio: %s (a shared machine lowers both figures; compare in one run)\n", strings.Join(missed, ", "))
	}
	return nil
}

// loopbackOnly refuses a --url that is not on this machine: the bench is
// a load generator and must not be pointed at someone else's server.
func loopbackOnly(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("--url %q: want http://127.0.0.1:PORT", raw)
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--url %q: only a server on loopback is measured", raw)
	}
	return nil
}

// fetchPage GETs a page once: its bytes and header, or an error when it
// does not answer 200.
func fetchPage(client *http.Client, target string) ([]byte, http.Header, error) {
	resp, err := client.Get(target)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("answers %d, not 200: nothing to measure", resp.StatusCode)
	}
	return body, resp.Header, nil
}

// limitServer is a bare net/http server on loopback sending one page.
type limitServer struct {
	url   string
	pid   int // 0 when it runs in this process
	close func()
}

// startLimit starts the bare server for a page: a process of its own (as
// the server under test is), or in this one.
func startLimit(ctx context.Context, body []byte, header http.Header, inProcess bool) (limitServer, error) {
	if inProcess {
		return bareServer(body, header)
	}
	self, err := os.Executable()
	if err != nil {
		return limitServer{}, err
	}
	f, err := os.CreateTemp("", "kluis-bench-page-")
	if err != nil {
		return limitServer{}, err
	}
	defer os.Remove(f.Name()) // the child has read it once it serves
	if _, err := f.Write(body); err != nil {
		f.Close()
		return limitServer{}, err
	}
	f.Close()
	cmd := exec.CommandContext(ctx, self, "bench", "pages-limit", "--file", f.Name(),
		"--content-type", header.Get("Content-Type"), "--content-language", header.Get("Content-Language"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return limitServer{}, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return limitServer{}, err
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	}
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "limit serves ") {
		stop()
		return limitServer{}, errors.New("the bare server did not start")
	}
	go io.Copy(io.Discard, stdout)
	return limitServer{url: strings.TrimPrefix(sc.Text(), "limit serves "), pid: cmd.Process.Pid, close: stop}, nil
}

// benchPagesLimit is the bare server of `kluis bench pages` in a process
// of its own: it serves a file's bytes on loopback until interrupted.
func benchPagesLimit(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "bench pages-limit")
	file := fs.String("file", "", "the bytes to serve")
	ct := fs.String("content-type", "text/html; charset=utf-8", "their Content-Type")
	cl := fs.String("content-language", "", "their Content-Language")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	body, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	h := http.Header{}
	h.Set("Content-Type", *ct)
	h.Set("Content-Language", *cl)
	limit, err := bareServer(body, h)
	if err != nil {
		return err
	}
	defer limit.close()
	fmt.Fprintf(env.Stdout, "limit serves %s\n", limit.url)
	<-ctx.Done()
	return nil
}

// bareServer serves body with the page's content headers from a plain
// handler: what this machine can do at most for these bytes.
func bareServer(body []byte, header http.Header) (limitServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return limitServer{}, err
	}
	ct, cl := header.Get("Content-Type"), header.Get("Content-Language")
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", ct)
		h.Set("Content-Language", cl)
		w.Write(body)
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return limitServer{url: "http://" + ln.Addr().String() + "/", close: func() { srv.Close() }}, nil
}

// loadResult is one measurement.
type loadResult struct {
	rate     float64
	p99      time.Duration
	cpu      string // the server's CPU per request, "n/a" when unknown
	failures int64
}

// loadGET GETs target from clients concurrent clients, warms up for warm,
// measures for duration. With pid, the server's CPU over the measurement
// is divided by the requests.
func loadGET(client *http.Client, target string, clients int, warm, duration time.Duration, pid int) loadResult {
	var cpu [2]time.Duration
	var cpuErr error
	marks := 0
	mark := func() {
		c, err := processCPU(pid)
		cpu[marks], cpuErr, marks = c, errors.Join(cpuErr, err), marks+1
	}
	all, elapsed, failures := runLoad(clients, warm, duration, mark, func(int, int) bool {
		resp, err := client.Get(target)
		if err != nil {
			return false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	r := loadResult{rate: float64(len(all)) / elapsed.Seconds(), cpu: "n/a", failures: failures,
		p99: percentile(all, 0.99).Round(10 * time.Microsecond)}
	if len(all) > 0 && cpuErr == nil {
		r.cpu = fmt.Sprintf("%.3f ms/req", (cpu[1]-cpu[0]).Seconds()*1000/float64(len(all)))
	}
	return r
}

// processCPU is the user and system CPU time a process has used, from
// /proc/PID/stat (in clock ticks of 1/100 s, Linux's USER_HZ).
func processCPU(pid int) (time.Duration, error) {
	if pid == 0 {
		return 0, errors.New("no process")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: fields count from
	// after its closing parenthesis; utime and stime are fields 14, 15.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("bad /proc stat")
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}
