package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"
)

// runBench runs load generators against a real server. `kluis bench
// intake` starts `kluis serve --demo` in a fresh directory (SQLite by
// default, or --database-url), posts the demo's question form over HTTP
// from --clients concurrent clients on loopback for --duration, and
// prints submissions/s, latency percentiles, the server's CPU per
// acknowledged submission, its commits and writes per commit (from its
// metrics listener) and its peak RSS. Every submission is sealed, audited
// and committed durably, as in production. The same build is measured
// again with the visitor statistics off (KLUIS_ANALYTICS=off), in the same
// run, so that what counting costs the intake is shown.
func benchIntake(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "bench intake")
	clients := fs.Int("clients", 8, "concurrent clients")
	duration := fs.Duration("duration", 15*time.Second, "how long to measure (after a 2 s warm-up)")
	dbURL := fs.String("database-url", "", "database for the server under test (default: SQLite in a temporary directory)")
	against := fs.String("against", "", "another kluis binary (an older build) to measure first, in the same run, as the baseline")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *clients < 1 || *clients > 256 || *duration < time.Second {
		return usageError{"--clients must be 1-256 and --duration at least 1s"}
	}
	if *against != "" && *dbURL != "" {
		return usageError{"--against measures both binaries on their own SQLite database: leave out --database-url"}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if *against != "" {
		if fi, err := os.Stat(*against); err != nil || !fi.Mode().IsRegular() {
			return usageError{fmt.Sprintf("--against %s: not a program file", *against)}
		}
	}
	var before intakeResult
	if *against != "" {
		// The machine is shared and absolute figures drift: the baseline
		// is measured in the same run, just before, and the ratio is what
		// counts.
		fmt.Fprintf(env.Stdout, "baseline: %s (analytics on)\n", *against)
		if before, err = measureIntake(ctx, env, *against, *clients, *duration, "", true); err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
	}
	fmt.Fprintf(env.Stdout, "this build: %s (analytics on)\n", self)
	on, err := measureIntake(ctx, env, self, *clients, *duration, *dbURL, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "this build: %s (analytics off, KLUIS_ANALYTICS=off)\n", self)
	off, err := measureIntake(ctx, env, self, *clients, *duration, *dbURL, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "analytics on / off: rate %s, cpu per submission %s\n", ratio(on.rate, off.rate), ratio(on.cpu.Seconds(), off.cpu.Seconds()))
	if *against != "" {
		fmt.Fprintf(env.Stdout, "this build / baseline (both analytics on): rate %s, cpu per submission %s\n",
			ratio(on.rate, before.rate), ratio(on.cpu.Seconds(), before.cpu.Seconds()))
	}
	return nil
}

// ratio prints a/b and the change in per cent, "n/a" when b is unknown.
func ratio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.3f (%+.1f %%)", a/b, 100*(a/b-1))
}

// intakeResult is one intake measurement; zero fields are unknown.
type intakeResult struct {
	rate            float64
	cpu             time.Duration // the server's CPU per acknowledged submission
	commits         int64
	writesPerCommit float64
}

// measureIntake measures one server, the program bin, with its visitor
// statistics on or off.
func measureIntake(ctx context.Context, env *Env, bin string, clients int, duration time.Duration, dbURL string, analytics bool) (intakeResult, error) {
	// The server's metrics listener tells how its writer batched the
	// submissions: its own port, found free here.
	extra := []string{}
	metricsAddr := freeLoopbackAddr()
	if metricsAddr != "" {
		extra = append(extra, "KLUIS_METRICS_LISTEN="+metricsAddr)
	}
	if !analytics {
		extra = append(extra, "KLUIS_ANALYTICS=off")
	}
	srv, err := startBenchServer(ctx, env, bin, dbURL, extra...)
	if err != nil {
		return intakeResult{}, err
	}
	defer srv.stop()
	srv.metrics = metricsAddr
	fmt.Fprintf(env.Stdout, "server %s (pid %d) on %s; %d clients, %s after a 2 s warm-up\n", srv.base, srv.cmd.Process.Pid, srv.db, clients, duration)
	res, err := srv.load(env, clients, 2*time.Second, duration)
	fmt.Fprintf(env.Stdout, "server peak RSS: %s\n", peakRSS(srv.cmd.Process.Pid))
	return res, err
}

// freeLoopbackAddr is a loopback address with a port free right now, ""
// when none could be found.
func freeLoopbackAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ""
	}
	defer ln.Close()
	return ln.Addr().String()
}

// writerCounts reads the writer's batch histogram from the server's
// metrics listener: the writes and the commits so far.
func (srv *benchServer) writerCounts() (writes, commits int64, ok bool) {
	if srv.metrics == "" {
		return 0, 0, false
	}
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + srv.metrics + "/metrics")
	if err != nil {
		return 0, 0, false
	}
	defer resp.Body.Close()
	var gotW, gotC bool
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "kluis_writer_batch_size_sum":
			writes, gotW = int64(v), true
		case "kluis_writer_batch_size_count":
			commits, gotC = int64(v), true
		}
	}
	return writes, commits, gotW && gotC
}

// benchServer is `kluis serve --demo` in a directory of its own.
type benchServer struct {
	dir, base, db string
	cmd           *exec.Cmd
	env           []string // the server's KLUIS_ settings (a backup of it uses them too)
	backups       string   // where intake-during-backup writes its backups
	backupEnv     []string // more environment of its backups
	metrics       string   // its metrics listener's address, "" for none
}

// startBenchServer starts bin as `kluis serve --demo` with extra KLUIS_
// settings.
func startBenchServer(ctx context.Context, env *Env, bin, dbURL string, extra ...string) (*benchServer, error) {
	dir, err := os.MkdirTemp("", "kluis-bench-")
	if err != nil {
		return nil, err
	}
	srv := &benchServer{dir: dir, db: "SQLite (synchronous=FULL)"}
	if strings.HasPrefix(dbURL, "postgres") {
		srv.db = "PostgreSQL"
	}
	srv.env = []string{"KLUIS_DATA_DIR=" + filepath.Join(dir, "data"), "KLUIS_KEYS_DIR=" + filepath.Join(dir, "keys"),
		"KLUIS_MASTER_KEY_FILE=" + filepath.Join(dir, "master.key"), "KLUIS_LISTEN=127.0.0.1:0",
		"KLUIS_FORM_RATE_LIMIT=100000000", "KLUIS_LOG_LEVEL=warn", "KLUIS_DATABASE_URL=" + dbURL}
	srv.env = append(srv.env, extra...)
	srv.cmd = exec.CommandContext(ctx, bin, "serve", "--demo", "--migrate")
	srv.cmd.Env = append(withoutKluisEnv(os.Environ()), srv.env...)
	stdout, err := srv.cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	srv.cmd.Stderr = io.Discard
	if err := srv.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if srv.base, err = servedURL(stdout); err != nil {
		srv.stop()
		return nil, err
	}
	return srv, nil
}

func (srv *benchServer) stop() {
	srv.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { srv.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		srv.cmd.Process.Kill()
	}
	os.RemoveAll(srv.dir)
}

// load posts the demo's question form from clients concurrent clients,
// warms up for warm, measures for duration, and prints and returns the
// rate, latency percentiles, the server's CPU per acknowledged submission
// and its writes per commit.
func (srv *benchServer) load(env *Env, clients int, warm, duration time.Duration) (intakeResult, error) {
	tr := &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	target := srv.base + "/demo/vraag"
	var cpu [2]time.Duration
	var writes, commits [2]int64
	var cpuErr error
	metricsOK := true
	marks := 0
	mark := func() {
		c, err := processCPU(srv.cmd.Process.Pid)
		w, n, ok := srv.writerCounts()
		cpu[marks], writes[marks], commits[marks] = c, w, n
		cpuErr, metricsOK, marks = errors.Join(cpuErr, err), metricsOK && ok, marks+1
	}
	all, elapsed, failures := runLoad(clients, warm, duration, mark, func(c, n int) bool {
		resp, err := client.Post(target, "application/x-www-form-urlencoded", strings.NewReader(benchSubmission(c, n)))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusSeeOther
	})
	pct := func(p float64) time.Duration { return percentile(all, p) }
	res := intakeResult{rate: float64(len(all)) / elapsed.Seconds()}
	fmt.Fprintf(env.Stdout, "submissions: %d in %.1f s = %.0f/s; failures %d\n", len(all), elapsed.Seconds(), res.rate, failures)
	fmt.Fprintf(env.Stdout, "latency: p50 %s, p95 %s, p99 %s, max %s\n", pct(0.50).Round(time.Microsecond*10),
		pct(0.95).Round(time.Microsecond*10), pct(0.99).Round(time.Microsecond*10), pct(1).Round(time.Microsecond*10))
	if len(all) > 0 {
		// The CPU is read from /proc at the measurement's start and end
		// (1/100 s ticks: over seconds of load the error is small).
		if cpuErr == nil {
			res.cpu = (cpu[1] - cpu[0]) / time.Duration(len(all))
		}
		if metricsOK && commits[1] > commits[0] {
			res.commits = commits[1] - commits[0]
			res.writesPerCommit = float64(writes[1]-writes[0]) / float64(res.commits)
		}
	}
	cpuText, wpc := "n/a", "n/a"
	if res.cpu > 0 {
		cpuText = fmt.Sprintf("%.3f ms", res.cpu.Seconds()*1000)
	}
	if res.commits > 0 {
		wpc = fmt.Sprintf("%d commits (one WAL fsync each on SQLite), %.2f writes per commit", res.commits, res.writesPerCommit)
	}
	fmt.Fprintf(env.Stdout, "server cpu per acknowledged submission: %s; %s\n", cpuText, wpc)
	if failures > 0 {
		return res, fmt.Errorf("%d submissions failed", failures)
	}
	return res, nil
}

// runLoad runs do (client c's n-th request; false: it failed) from clients
// concurrent clients, warms up for warm, then measures for duration,
// calling mark (when not nil) as the measurement starts and ends. It
// returns the sorted latencies and the failures of the measurement.
func runLoad(clients int, warm, duration time.Duration, mark func(), do func(c, n int) bool) ([]time.Duration, time.Duration, int64) {
	var measuring atomic.Bool
	var failures atomic.Int64
	lat := make([][]time.Duration, clients)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				t0 := time.Now()
				ok := do(c, n)
				d := time.Since(t0)
				if !measuring.Load() {
					continue
				}
				if ok {
					lat[c] = append(lat[c], d)
				} else {
					failures.Add(1)
				}
			}
		}()
	}
	time.Sleep(warm)
	if mark != nil {
		mark()
	}
	measuring.Store(true)
	start := time.Now()
	time.Sleep(duration)
	measuring.Store(false)
	elapsed := time.Since(start)
	if mark != nil {
		mark()
	}
	close(stop)
	wg.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	return all, elapsed, failures.Load()
}

// percentile is the p-th (0-1) of sorted latencies, 0 when there are none.
func percentile(all []time.Duration, p float64) time.Duration {
	if len(all) == 0 {
		return 0
	}
	return all[min(len(all)-1, int(float64(len(all))*p))]
}

// benchIntakeDuringBackup measures what a backup costs the intake (END-2:
// a backup is made while serving): one server, the intake load for
// --duration with nothing else running (the baseline, in the same run),
// then for --duration again while `kluis backup` runs back to back into a
// temporary directory (--backup-to: on another disk), and prints both
// rates and the loss. Backing up without a pause is the worst case: a
// real schedule runs one a day.
func benchIntakeDuringBackup(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "bench intake-during-backup")
	clients := fs.Int("clients", 8, "concurrent clients")
	duration := fs.Duration("duration", 15*time.Second, "how long to measure each phase (after a 2 s warm-up)")
	dbURL := fs.String("database-url", "", "database for the server under test (default: SQLite in a temporary directory)")
	backupRate := fs.String("backup-rate", "", "KLUIS_BACKUP_RATE of the backups (megabytes per second; default that of kluis backup, 40; 0: unlimited)")
	backupTo := fs.String("backup-to", "", "directory for the backups and their temporary files (default: beside the server's data; another disk shows what the disk costs)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *clients < 1 || *clients > 256 || *duration < time.Second {
		return usageError{"--clients must be 1-256 and --duration at least 1s"}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	srv, err := startBenchServer(ctx, env, self, *dbURL)
	if err != nil {
		return err
	}
	defer srv.stop()
	srv.backups = filepath.Join(srv.dir, "backups")
	if *backupTo != "" {
		if srv.backups, err = os.MkdirTemp(*backupTo, "kluis-bench-backups-"); err != nil {
			return err
		}
		defer os.RemoveAll(srv.backups)
	}
	fmt.Fprintf(env.Stdout, "server %s (pid %d) on %s; %d clients, %s per phase after a 2 s warm-up\n", srv.base, srv.cmd.Process.Pid, srv.db, *clients, *duration)
	fmt.Fprintln(env.Stdout, "idle (baseline):")
	idleRes, err := srv.load(env, *clients, 2*time.Second, *duration)
	idle := idleRes.rate
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "while backing up:")
	if *backupRate != "" {
		srv.backupEnv = append(srv.backupEnv, "KLUIS_BACKUP_RATE="+*backupRate)
	}
	during, err := srv.loadDuringBackups(ctx, env, self, *clients, *duration, []string{"--recipient", id.Recipient().String()})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "ratio during backup / idle: %.3f (loss %.1f %%)\n", during/idle, 100*(1-during/idle))
	fmt.Fprintf(env.Stdout, "server peak RSS: %s\n", peakRSS(srv.cmd.Process.Pid))
	return nil
}

// loadDuringBackups runs the intake load for duration while `kluis backup
// ARGS` runs back to back, and returns the submissions per second.
func (srv *benchServer) loadDuringBackups(ctx context.Context, env *Env, self string, clients int, duration time.Duration, args []string) (float64, error) {
	// The backup running when the phase ends is let finish, not killed: a
	// killed one would leave its unencrypted snapshot in the temporary
	// directory.
	var stop atomic.Bool
	var backups []time.Duration
	var berr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() && ctx.Err() == nil {
			cmd := exec.CommandContext(ctx, self, append([]string{"backup", "--to", filepath.Join(srv.backups, "target")}, args...)...)
			cmd.Env = append(withoutKluisEnv(os.Environ()), append(append(srv.env, srv.backupEnv...), "TMPDIR="+srv.backups)...)
			t0 := time.Now()
			out, err := cmd.CombinedOutput()
			if err != nil {
				berr = fmt.Errorf("kluis backup: %v: %s", err, strings.TrimSpace(string(out)))
				return
			}
			if !stop.Load() {
				backups = append(backups, time.Since(t0))
			}
		}
	}()
	res, err := srv.load(env, clients, 0, duration)
	during := res.rate
	stop.Store(true)
	<-done
	if err != nil {
		return 0, err
	}
	if berr != nil {
		return 0, berr
	}
	var sum time.Duration
	for _, d := range backups {
		sum += d
	}
	if len(backups) > 0 {
		fmt.Fprintf(env.Stdout, "backups completed: %d, %.2f s each on average\n", len(backups), sum.Seconds()/float64(len(backups)))
	} else {
		fmt.Fprintln(env.Stdout, "backups completed: none (one was still running)")
	}
	os.RemoveAll(filepath.Join(srv.backups, "target"))
	return during, nil
}

// benchSubmission is a valid post of the demo question form, each with its
// own page token (so each is a new submission, not a double click).
func benchSubmission(client, n int) string {
	var tok [32]byte
	rand.Read(tok[:])
	return url.Values{
		"token":   {base64.RawURLEncoding.EncodeToString(tok[:])},
		"name":    {"Bench Burger " + strconv.Itoa(client)},
		"email":   {fmt.Sprintf("bench%d.%d@example.be", client, n)},
		"topic":   {"street"},
		"message": {"De straatverlichting in de Kerkstraat brandt niet sinds maandag. Nummer " + strconv.Itoa(n) + "."},
	}.Encode()
}

var servesLine = regexp.MustCompile(`^Kluis \S+ serves (https?://\S+?)/? `)

// servedURL reads the server's output until it says where it serves.
func servedURL(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	found := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if m := servesLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		io.Copy(io.Discard, r) // keep the pipe drained
	}()
	select {
	case u := <-found:
		return u, nil
	case <-time.After(120 * time.Second):
		return "", errors.New("the server under test did not start within 120 s")
	}
}

func withoutKluisEnv(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "KLUIS_") {
			out = append(out, e)
		}
	}
	return out
}

// peakRSS reads a process's peak resident set size (VmHWM) from /proc.
func peakRSS(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			kb, _ := strconv.Atoi(f[1])
			return fmt.Sprintf("%.0f MB", float64(kb)/1024)
		}
	}
	return "unknown"
}
