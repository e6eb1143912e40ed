package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/config"
	"github.com/kluis/kluis/internal/jobs"
	"github.com/kluis/kluis/internal/password"
	"github.com/kluis/kluis/internal/store"
)

// benchCrash is the crash harness (SEC-3 integrity and resilience, SEC-4
// availability after an incident, SEC-5 a procedure that tests both; and
// AUD-1: nothing is written without its audit event): it starts `kluis serve --demo` as a child process, posts the
// demo's question form from --clients clients as citizens do, SIGKILLs the
// server at a random moment, and checks with the database alone that every
// submission whose receipt the server returned is there, that no row stands
// without the rows of its transaction and that every tenant's audit chain
// verifies; then it restarts the server for the next cycle. With --nodes 2
// (PostgreSQL) two servers run behind a round-robin proxy of the harness's
// own, the one leading the scheduler is killed under load, and the harness
// also checks that the other serves the killed node's sessions and
// receipts, takes over the scheduler, and that every scheduled job ran
// once.
func benchCrash(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "bench crash")
	cycles := fs.Int("cycles", 20, "how many times to kill and restart the server")
	dbURL := fs.String("database-url", "", "PostgreSQL for the servers under test (default: SQLite in a temporary directory)")
	nodes := fs.Int("nodes", 1, "servers on the one database, behind a round-robin proxy (2: PostgreSQL only)")
	clients := fs.Int("clients", 8, "concurrent citizens posting the form")
	maxLoad := fs.Duration("max-load", 3*time.Second, "the kill comes at a random moment between 0.2 s and this long under load")
	seed := fs.Uint64("seed", 0, "seed of the random kill moments (0: from the clock; printed, to replay a run)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	pg := strings.HasPrefix(*dbURL, "postgres")
	switch {
	case *cycles < 1 || *clients < 1 || *clients > 256 || *maxLoad < 300*time.Millisecond:
		return usageError{"--cycles must be at least 1, --clients 1-256 and --max-load at least 300ms"}
	case *dbURL != "" && !pg:
		return usageError{"--database-url must be a PostgreSQL URL (postgres://…); leave it out for SQLite"}
	case *nodes < 1 || *nodes > 2:
		return usageError{"--nodes must be 1 or 2"}
	case *nodes == 2 && !pg:
		return usageError{"--nodes 2 needs PostgreSQL (--database-url postgres://…): a SQLite database serves one node"}
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "kluis-crash-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	h := &crashHarness{env: env, bin: self, dir: dir, dbURL: *dbURL, clients: *clients, maxLoad: *maxLoad,
		rnd: rand.New(rand.NewPCG(*seed, 0x6b6c756973)), hooks: crashHooksFrom(ctx)}
	db := "SQLite (synchronous=FULL)"
	if pg {
		db = "PostgreSQL"
	}
	fmt.Fprintf(env.Stdout, "crash harness: %d cycle(s), %d node(s) on %s, %d clients, kill within 0.2-%.1f s of load; seed %d\n",
		*cycles, *nodes, db, *clients, maxLoad.Seconds(), *seed)
	defer h.stopAll()
	for i := range *nodes {
		if err := h.startNode(ctx, fmt.Sprintf("node-%c", 'a'+i)); err != nil {
			return err
		}
	}
	if *nodes == 2 {
		if err := h.prepareNodes(ctx); err != nil {
			return err
		}
	}
	var total struct{ lost, broken int }
	for c := 1; c <= *cycles; c++ {
		res, err := h.cycle(ctx, c)
		if err != nil {
			return fmt.Errorf("cycle %d: %w", c, err)
		}
		total.lost += res.lost
		if res.broken != "" {
			total.broken++
		}
	}
	// The last word is a check of everything acknowledged in the run.
	final, err := h.check(ctx)
	if err != nil {
		return err
	}
	// The totals are those of the final check: a submission found at the
	// end of its cycle and missing later counts as lost.
	fmt.Fprintf(env.Stdout, "total: acknowledged %d, found %d, lost %d over %d cycles; %d audit events in %d chain(s) verified\n",
		len(h.acked), len(final.Found), len(final.Lost), *cycles, final.Events, final.ChainsChecked)
	var problems []string
	if lost := max(total.lost, len(final.Lost)); lost > 0 {
		problems = append(problems, fmt.Sprintf("%d acknowledged submission(s) lost", lost))
	}
	if p := final.Problems(); p != "" {
		problems = append(problems, p)
	} else if total.broken > 0 {
		problems = append(problems, fmt.Sprintf("half-written rows or broken chains in %d cycle(s)", total.broken))
	}
	if *nodes == 2 {
		if p := h.jobsReport(ctx); p != "" {
			problems = append(problems, p)
		}
		if h.failovers != "" {
			problems = append(problems, h.failovers)
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	fmt.Fprintln(env.Stdout, "OK: nothing acknowledged was lost, nothing is half-written, every audit chain verifies")
	return nil
}

// crashHooks lets a test change the database between cycles, to show
// that the checker finds what it is meant to find.
type crashHooks struct {
	beforeCheck func(cycle int, dataDir string, acked []string)
}

type crashHooksKey struct{}

func crashHooksFrom(ctx context.Context) *crashHooks {
	h, _ := ctx.Value(crashHooksKey{}).(*crashHooks)
	return h
}

type crashHarness struct {
	env                *Env
	bin, dir, dbURL    string
	clients            int
	maxLoad            time.Duration
	rnd                *rand.Rand
	hooks              *crashHooks
	nodes              []*crashNode
	proxy              *crashProxy
	proxyURL, tenantID string
	staffEmail         string
	staffPassword      string
	failovers          string // what failed over not as it should, or ""

	mu    sync.Mutex
	acked []string // every reference whose receipt a server returned
}

// crashNode is one `kluis serve` child process; it is restarted in place.
type crashNode struct {
	name, base string
	cmd        *exec.Cmd
	alive      atomic.Bool
	leading    atomic.Bool // its log said it schedules the periodic jobs
	exited     chan struct{}
	logDone    chan struct{}

	mu   sync.Mutex
	done map[string]int // job id → times its log said "job done"
	last string         // its last line that was not a log record
}

func (n *crashNode) lastWords() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.last == "" {
		return "(nothing on stderr)"
	}
	return n.last
}

// nodeEnv is a node's configuration: the nodes share keys, master key
// and data directory, as nodes on one shared file system would.
func (h *crashHarness) nodeEnv(name string) []string {
	return []string{"KLUIS_DATA_DIR=" + filepath.Join(h.dir, "data"), "KLUIS_KEYS_DIR=" + filepath.Join(h.dir, "keys"),
		"KLUIS_MASTER_KEY_FILE=" + filepath.Join(h.dir, "master.key"), "KLUIS_LISTEN=127.0.0.1:0",
		"KLUIS_FORM_RATE_LIMIT=100000000", "KLUIS_LOG_LEVEL=info", "KLUIS_LOG_FORMAT=json", "KLUIS_NODE=" + name,
		"KLUIS_DATABASE_URL=" + h.dbURL}
}

func (h *crashHarness) getenv(k string) string {
	for _, e := range h.nodeEnv("harness") {
		if v, ok := strings.CutPrefix(e, k+"="); ok {
			return v
		}
	}
	return ""
}

// startNode starts (or restarts) the node called name.
func (h *crashHarness) startNode(ctx context.Context, name string) error {
	var n *crashNode
	for _, m := range h.nodes {
		if m.name == name {
			n = m
		}
	}
	if n == nil {
		n = &crashNode{name: name, done: map[string]int{}}
		h.nodes = append(h.nodes, n)
	}
	cmd := exec.CommandContext(ctx, h.bin, "serve", "--demo", "--migrate")
	cmd.Env = append(withoutKluisEnv(os.Environ()), h.nodeEnv(name)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	n.cmd, n.exited, n.logDone = cmd, make(chan struct{}), make(chan struct{})
	n.leading.Store(false)
	go n.readLog(stderr)
	served := make(chan error, 1)
	var base string
	go func() {
		var err error
		base, err = servedURL(stdout)
		served <- err
	}()
	select {
	case err = <-served:
	case <-n.logDone:
		// It ended before serving: its last words say why.
		err = fmt.Errorf("it stopped before serving: %s", n.lastWords())
	}
	if err != nil {
		cmd.Process.Kill()
		return fmt.Errorf("%s: %w", name, err)
	}
	go func() { <-n.logDone; cmd.Wait(); close(n.exited) }()
	n.base = base
	n.alive.Store(true)
	return nil
}

// readLog follows a node's JSON log for the scheduler's and the jobs'
// lines (they carry job ids and kinds, no personal data).
func (n *crashNode) readLog(r io.Reader) {
	defer close(n.logDone)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var l struct {
			Msg string `json:"msg"`
			Job string `json:"job"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			// Not a log record: a command's error, printed as it exits.
			n.mu.Lock()
			n.last = sc.Text()
			n.mu.Unlock()
			continue
		}
		switch {
		case strings.HasPrefix(l.Msg, "jobs: this node schedules"):
			n.leading.Store(true)
		case strings.HasPrefix(l.Msg, "jobs: lost the scheduler lock"):
			n.leading.Store(false)
		case l.Msg == "jobs: job done":
			n.mu.Lock()
			n.done[l.Job]++
			n.mu.Unlock()
		}
	}
}

// kill SIGKILLs the node: no shutdown, no flush, as a power cut.
func (n *crashNode) kill() {
	n.cmd.Process.Kill()
	n.alive.Store(false)
	n.leading.Store(false)
	<-n.exited
}

func (h *crashHarness) stopAll() {
	for _, n := range h.nodes {
		if n.alive.Load() {
			n.cmd.Process.Signal(os.Interrupt)
			select {
			case <-n.exited:
			case <-time.After(30 * time.Second):
				n.kill()
			}
		}
	}
	if h.proxy != nil {
		h.proxy.srv.Close()
	}
}

type cycleResult struct {
	acked, found, lost int
	broken             string
}

// cycle loads the server(s), kills one at a random moment, checks, and
// restarts it.
func (h *crashHarness) cycle(ctx context.Context, c int) (cycleResult, error) {
	var res cycleResult
	victim := h.nodes[0]
	target := victim.base
	var session []*http.Cookie
	if len(h.nodes) == 2 {
		var err error
		if victim, err = h.leader(); err != nil {
			return res, err
		}
		target = h.proxyURL
		// A staff session made on the node about to die.
		if session, err = h.login(victim.base); err != nil {
			return res, err
		}
	}
	before := h.ackCount()
	load := h.startLoad(target)
	after := 200*time.Millisecond + time.Duration(h.rnd.Int64N(int64(h.maxLoad-200*time.Millisecond)))
	time.Sleep(after)
	victim.kill()
	note := ""
	if len(h.nodes) == 2 {
		// The other node carries on under load.
		time.Sleep(time.Second)
		note = h.failover(victim, session, load)
	}
	load.stop()
	if load.acks == 0 {
		return res, fmt.Errorf("no submission was acknowledged in %s under load (%d requests failed)", after, load.failed)
	}
	mine := h.ackSlice(before)
	if h.hooks != nil && h.hooks.beforeCheck != nil {
		h.hooks.beforeCheck(c, h.getenv("KLUIS_DATA_DIR"), h.ackSlice(0))
	}
	rep, err := h.check(ctx)
	if err != nil {
		return res, err
	}
	lost := map[string]bool{}
	for _, r := range rep.Lost {
		lost[r] = true
	}
	for _, r := range mine {
		if lost[r] {
			res.lost++
		}
	}
	res.acked, res.found = len(mine), len(mine)-res.lost
	earlier := len(rep.Lost) - res.lost
	res.broken = rep.Problems()
	state := "nothing half-written, chains intact"
	if res.broken != "" {
		state = "BROKEN: " + res.broken
	}
	fmt.Fprintf(h.env.Stdout, "cycle %d: %s killed after %.2f s under load; acknowledged %d, found %d, lost %d",
		c, victim.name, after.Seconds(), res.acked, res.found, res.lost)
	if earlier > 0 {
		fmt.Fprintf(h.env.Stdout, " (and %d of earlier cycles now missing)", earlier)
		res.lost += earlier
	}
	fmt.Fprintf(h.env.Stdout, "; %d request(s) failed; %s (%d events in %d chains)%s\n", load.failed, state, rep.Events, rep.ChainsChecked, note)
	if err := h.startNode(ctx, victim.name); err != nil {
		return res, fmt.Errorf("restart: %w", err)
	}
	return res, nil
}

// check opens the database as the nodes do and runs the store's crash
// check over every acknowledged reference.
func (h *crashHarness) check(ctx context.Context) (store.CrashReport, error) {
	db, err := h.openDB(ctx)
	if err != nil {
		return store.CrashReport{}, err
	}
	defer db.Close()
	if h.tenantID == "" {
		t, err := db.Tenant(ctx, DemoSlug)
		if err != nil {
			return store.CrashReport{}, err
		}
		h.tenantID = t.ID
	}
	return db.CrashCheck(ctx, h.tenantID, h.ackSlice(0))
}

// openDB opens the database with the nodes' configuration.
func (h *crashHarness) openDB(ctx context.Context) (*store.DB, error) {
	cfg, _, err := config.Load(h.getenv, flag.NewFlagSet("bench crash", flag.ContinueOnError), nil)
	if err != nil {
		return nil, err
	}
	return openAll(ctx, cfg)
}

func (h *crashHarness) ack(ref string) {
	h.mu.Lock()
	h.acked = append(h.acked, ref)
	h.mu.Unlock()
}

func (h *crashHarness) ackCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.acked)
}

func (h *crashHarness) ackSlice(from int) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.acked[from:]...)
}

// crashLoad is the citizens posting the form until stopped.
type crashLoad struct {
	stopped      atomic.Bool
	wg           sync.WaitGroup
	acks, failed int64
	mu           sync.Mutex
	byNode       map[string][]string // node → receipt cookie values it acknowledged
	done         func()
}

func (h *crashHarness) startLoad(target string) *crashLoad {
	l := &crashLoad{byNode: map[string][]string{}}
	tr := &http.Transport{MaxIdleConnsPerHost: h.clients * 2}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var acks, failed atomic.Int64
	for c := range h.clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for n := 0; !l.stopped.Load(); n++ {
				resp, err := client.Post(target+"/demo/vraag", "application/x-www-form-urlencoded", strings.NewReader(benchSubmission(c, n)))
				if err != nil {
					// The server is gone (or going): a citizen would try
					// again a moment later.
					failed.Add(1)
					time.Sleep(20 * time.Millisecond)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				receipt := ""
				for _, ck := range resp.Cookies() {
					if ck.Name == "__Host-kluis_receipt" {
						receipt = ck.Value
					}
				}
				ref, _, ok := strings.Cut(receipt, ".")
				if resp.StatusCode != http.StatusSeeOther || !ok {
					failed.Add(1)
					continue
				}
				// The server returned the receipt: acknowledged.
				h.ack(ref)
				acks.Add(1)
				l.mu.Lock()
				node := resp.Header.Get(crashNodeHeader)
				l.byNode[node] = append(l.byNode[node], receipt)
				l.mu.Unlock()
			}
		}()
	}
	l.done = func() {
		l.stopped.Store(true)
		l.wg.Wait()
		tr.CloseIdleConnections()
		l.acks, l.failed = acks.Load(), failed.Load()
	}
	return l
}

func (l *crashLoad) stop() { l.done() }

// crashNodeHeader names, on the proxy's answers, the node that answered.
const crashNodeHeader = "X-Kluis-Crash-Node"

// crashProxy is a round-robin reverse proxy over the live nodes, as a
// load balancer with health checks would be; a request in flight to a
// node that dies fails (502) and is not acknowledged.
type crashProxy struct {
	nodes []*crashNode
	next  atomic.Uint64
	srv   *http.Server
}

func (p *crashProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for range len(p.nodes) {
		n := p.nodes[p.next.Add(1)%uint64(len(p.nodes))]
		if !n.alive.Load() {
			continue
		}
		u, err := url.Parse(n.base)
		if err != nil {
			break
		}
		rp := httputil.NewSingleHostReverseProxy(u)
		rp.ModifyResponse = func(resp *http.Response) error { resp.Header.Set(crashNodeHeader, n.name); return nil }
		rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
		rp.ServeHTTP(w, r)
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
}

// prepareNodes puts the proxy in front of the nodes and makes a staff
// user whose sessions the failover check uses.
func (h *crashHarness) prepareNodes(ctx context.Context) error {
	h.proxy = &crashProxy{nodes: h.nodes}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	h.proxy.srv = &http.Server{Handler: h.proxy, ReadHeaderTimeout: 10 * time.Second}
	go h.proxy.srv.Serve(ln)
	h.proxyURL = "http://" + ln.Addr().String()
	db, err := h.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := db.Tenant(ctx, DemoSlug)
	if err != nil {
		return err
	}
	h.tenantID = t.ID
	tok, err := account.NewToken()
	if err != nil {
		return err
	}
	h.staffEmail, h.staffPassword = "crash-"+tok.Plain[:8]+"@demo.kluis.example", "crash harness "+tok.Plain
	actor := audit.System("bench.crash")
	_, inv, err := db.InviteUser(ctx, actor, t.ID, account.Invite{Email: h.staffEmail, Name: "Crash Harness", Role: account.RoleUser, Lang: "nl"})
	if err != nil {
		return fmt.Errorf("staff user: %w", err)
	}
	hash, err := password.NewHasher(password.DefaultParams, 1).Hash(ctx, h.staffPassword)
	if err != nil {
		return err
	}
	if _, err := db.ActivateUser(ctx, t.ID, inv.Plain, hash, "bench-crash"); err != nil {
		return fmt.Errorf("staff user: %w", err)
	}
	fmt.Fprintf(h.env.Stdout, "proxy %s → %s, %s\n", h.proxyURL, h.nodes[0].base, h.nodes[1].base)
	return nil
}

// leader waits for the node that schedules the periodic jobs.
func (h *crashHarness) leader() (*crashNode, error) {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range h.nodes {
			if n.alive.Load() && n.leading.Load() {
				return n, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, errors.New("no node took the scheduler lock within 15 s")
}

// login signs the staff user in on one node and returns its cookies.
func (h *crashHarness) login(base string) ([]*http.Cookie, error) {
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(base+"/demo/login", url.Values{"email": {h.staffEmail}, "password": {h.staffPassword}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0 {
		return nil, fmt.Errorf("staff login: status %d", resp.StatusCode)
	}
	return resp.Cookies(), nil
}

// failover checks, right after victim was killed, that the other node
// serves the staff session made on victim and the receipt of a
// submission victim acknowledged, and takes over the scheduler.
func (h *crashHarness) failover(victim *crashNode, session []*http.Cookie, load *crashLoad) string {
	var other *crashNode
	for _, n := range h.nodes {
		if n != victim {
			other = n
		}
	}
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string, cookies ...*http.Cookie) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, other.base+path, nil)
		for _, c := range cookies {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var bad []string
	sessionOK := "session ok"
	if code, _ := get("/demo/signed-in", session...); code != http.StatusOK {
		sessionOK = "SESSION LOST"
		bad = append(bad, fmt.Sprintf("%s's staff session answered %d on %s", victim.name, code, other.name))
	}
	load.mu.Lock()
	receipts := load.byNode[victim.name]
	load.mu.Unlock()
	receiptOK := "no receipt of it to look up"
	if len(receipts) > 0 {
		rc := receipts[len(receipts)-1]
		ref, _, _ := strings.Cut(rc, ".")
		receiptOK = "receipt ok"
		if code, body := get("/demo/receipt/vraag", &http.Cookie{Name: "__Host-kluis_receipt", Value: rc}); code != http.StatusOK || !strings.Contains(body, ref) {
			receiptOK = "RECEIPT LOST"
			bad = append(bad, fmt.Sprintf("a receipt %s acknowledged answered %d on %s", victim.name, code, other.name))
		}
	}
	// The scheduler lock went with the dead node's connection; the other
	// node takes it at its next poll (2 s).
	leaderOK := "scheduler moved to " + other.name
	deadline := time.Now().Add(10 * time.Second)
	for !other.leading.Load() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if !other.leading.Load() {
		leaderOK = "SCHEDULER DID NOT MOVE"
		bad = append(bad, other.name+" did not take the scheduler lock within 10 s")
	}
	if len(bad) > 0 {
		h.failovers = strings.TrimPrefix(h.failovers+"; "+strings.Join(bad, "; "), "; ")
	}
	return fmt.Sprintf("; on %s: %s, %s, %s", other.name, sessionOK, receiptOK, leaderOK)
}

// jobsReport checks the frequent periodic jobs over the whole run: no slot
// left out while the scheduler moved, and each job done once.
func (h *crashHarness) jobsReport(ctx context.Context) string {
	db, err := h.openDB(ctx)
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	every := map[string]time.Duration{}
	var kinds []string
	for _, p := range jobs.Schedule {
		// Every periodic job is checked for being done once; the slots of
		// those due every minute or more often, for none left out (a run
		// spans too few of the others' slots to tell).
		kinds = append(kinds, p.Kind)
		if p.Every <= time.Minute {
			every[p.Kind] = p.Every
		}
	}
	runs, err := db.JobRuns(ctx, kinds...)
	if err != nil {
		return err.Error()
	}
	logged := map[string]int{}
	for _, n := range h.nodes {
		n.mu.Lock()
		for id, k := range n.done {
			logged[id] += k
		}
		n.mu.Unlock()
	}
	var done, twice, rerun, interrupted, gaps int
	last := map[string]time.Time{}
	for _, j := range runs {
		_, at, _ := strings.Cut(j.DedupeKey, "@")
		slot, err := time.Parse(time.RFC3339, at)
		if err != nil {
			continue
		}
		if prev, ok := last[j.Kind]; ok && every[j.Kind] > 0 && slot.Sub(prev) != every[j.Kind] {
			gaps += int(slot.Sub(prev)/every[j.Kind]) - 1
		}
		last[j.Kind] = slot
		switch {
		case j.Status == "done" && j.Attempts == 1 && logged[j.ID] <= 1:
			done++
		case j.Status == "done" && j.Attempts > 1:
			// Its first node died running it; the lease ran out and it ran
			// again (jobs are idempotent for this reason).
			rerun++
		case j.Status == "done":
			twice++
		case j.Status == "running":
			interrupted++
		}
	}
	fmt.Fprintf(h.env.Stdout, "scheduled jobs (%d kinds): %d slots, %d done exactly once, %d done twice, %d slot(s) left out, "+
		"%d re-run after their node was killed, %d interrupted by a kill (due again when their lease ends), %d pending or failed\n",
		len(kinds), len(runs), done, twice, gaps, rerun, interrupted, len(runs)-done-twice-rerun-interrupted)
	if twice > 0 || gaps > 0 {
		return fmt.Sprintf("scheduled jobs: %d done twice, %d slot(s) left out", twice, gaps)
	}
	return ""
}
