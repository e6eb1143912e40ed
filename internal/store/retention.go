package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
)

// The retention engine (SEC-1). RunRetention applies the retention of each
// register category, as the tenant's current register states it, to the
// answers of every submission whose form field names that category:
//
//   - the period counts from the category's start: the submission's receipt
//     (created_at) or the closing of its case (closed_at);
//   - delete: the values and the field's attachments are gone; when every
//     category of the submission has expired and all of them say delete,
//     the submission itself is removed with its history (notes, replies);
//   - anonymise: the values and attachments are gone, the skeleton stays
//     (form, version, dates, status, reference, the status history without
//     its texts) and so do the statistics (form_stats never hold a link);
//   - pseudonymise: each value is replaced by a keyed pseudonym (HMAC with
//     the tenant's blind-index key, purpose "retention-pseudonym"): the same
//     value gives the same pseudonym in every submission, so counts per
//     person still work; attachments are deleted (a file has no pseudonym).
//
// When the last value of a submission is gone it is "spent": its contact
// address, language, receipt capability, notes and replies are erased too,
// and its subject index stays only when a category was pseudonymised.
//
// A legal hold on the submission or its form stops all of it. A run works
// in chunks, each its own transaction with its audit events (one per
// category and action, with the count), so the inbox stays responsive. A
// category is recorded on the row (retention_applied) in the chunk that
// applies it, so a run that crashed and runs again does no work twice; the
// unfinished run record is taken up again. A dry run reads only dates and
// flags, opens nothing, writes nothing and reports what a run would do.

// RetentionChunk is how many submissions one transaction handles.
const RetentionChunk = 500

// RetentionOptions tune RunRetention.
type RetentionOptions struct {
	DryRun bool
	// Chunk is the number of submissions per transaction (RetentionChunk
	// when 0).
	Chunk int
	// AfterChunk, when set, is called after each committed chunk (tests
	// stop a run there as a crash would).
	AfterChunk func()
	// At, for a dry run only, is the moment to evaluate: what will have
	// expired by then (the retention page's outlook). Zero: now.
	At time.Time
	// Register, for a dry run only, is a proposed register to evaluate
	// instead of the current one: what a change would make expire tonight,
	// shown before it is saved. Nil: the current register.
	Register *register.Register
}

// RetentionCount is how many submissions (or rows of a fixed-rule table)
// had a category's (or the table's) action applied.
type RetentionCount struct {
	Category string // register category key, or "" for a fixed rule
	Table    string // fixed rule: the table
	Action   string // register.Expiry…, or "remove" (whole submissions)
	Count    int64
}

// RetentionReport is what a run did (or, dry, would do).
type RetentionReport struct {
	RunID   string // "" for a dry run
	holder  string // the run's lease token (see RetentionLease)
	DryRun  bool
	Resumed bool // an unfinished run was taken up again
	Counts  []RetentionCount
	// Held counts submissions that would have expired but are on hold.
	Held int64
	// Unreadable counts submissions whose answers could not be opened
	// (their key is gone or they were tampered with): left as they are and
	// reported to the operators (SEC-3), so that one such row does not stop
	// the tenant's retention.
	Unreadable int64
}

// Total is the sum of the category counts (submission values expired).
func (r RetentionReport) Total() int64 {
	var n int64
	for _, c := range r.Counts {
		if c.Category != "" {
			n += c.Count
		}
	}
	return n
}

type retentionCounter map[string]int64

func countKey(category, table, action string) string { return category + "|" + table + "|" + action }

func (c retentionCounter) list() []RetentionCount {
	var out []RetentionCount
	for k, n := range c {
		p := strings.SplitN(k, "|", 3)
		out = append(out, RetentionCount{Category: p[0], Table: p[1], Action: p[2], Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Category+a.Table+a.Action < b.Category+b.Table+b.Action
	})
	return out
}

// retentionRule is one category as the run applies it.
type retentionRule struct {
	key, action string
	closed      bool  // counts from case closed
	cutoff      int64 // micros: a start at or before it has expired
}

// formPlan is what one form version's fields hold, per category.
type formPlan struct {
	key     string
	version int
	fields  map[string][]string // category -> answer field keys
	files   map[string][]string // category -> file field keys
	cats    []string            // every category of the version, sorted
	contact string              // the category of the contact field ("" none)
}

func planOf(fv FormVersion) formPlan {
	p := formPlan{key: fv.Key, version: fv.Version, fields: map[string][]string{}, files: map[string][]string{}}
	for _, f := range fv.Form.Fields() {
		if f.Category == "" {
			continue
		}
		if f.Type == form.TypeFile {
			p.files[f.Category] = append(p.files[f.Category], f.Key)
		} else {
			p.fields[f.Category] = append(p.fields[f.Category], f.Key)
		}
		if !slices.Contains(p.cats, f.Category) {
			p.cats = append(p.cats, f.Category)
		}
	}
	sort.Strings(p.cats)
	if cf, ok := fv.Form.ContactField(); ok {
		p.contact = cf.Category
	}
	return p
}

// ErrRetentionNoRegister: the tenant has no register, so nothing can expire.
var ErrRetentionNoRegister = errors.New("the tenant has no processing register")

// RunRetention applies the retention of tenantID's register to its stored
// data (see above), or reports what it would do (opts.DryRun). It returns
// ctx's error when stopped between chunks: what was committed stays, and
// the next run takes the run record up again. ErrRetentionNoRegister when
// the tenant has no register.
func (db *DB) RunRetention(ctx context.Context, actor audit.Actor, tenantID string, opts RetentionOptions) (RetentionReport, error) {
	if err := db.requireKeys(); err != nil {
		return RetentionReport{}, err
	}
	if opts.Chunk <= 0 {
		opts.Chunk = RetentionChunk
	}
	rep := RetentionReport{DryRun: opts.DryRun}
	var reg RegisterVersion
	var err error
	if opts.DryRun && opts.Register != nil {
		reg.Register = *opts.Register
	} else if reg, err = db.CurrentRegister(ctx, tenantID); errors.Is(err, ErrNotFound) {
		return rep, ErrRetentionNoRegister
	} else if err != nil {
		return rep, fmt.Errorf("retention: %w", err)
	}
	fvs, err := db.AllFormVersions(ctx, tenantID)
	if err != nil {
		return rep, fmt.Errorf("retention: %w", err)
	}
	now := db.now()
	if opts.DryRun && !opts.At.IsZero() {
		now = opts.At
	}
	rules := rulesOf(reg.Register, now)
	counts := retentionCounter{}
	if !opts.DryRun {
		if rep.RunID, rep.holder, rep.Resumed, counts, err = db.startRetentionRun(ctx, actor, tenantID); err != nil {
			return rep, err
		}
	}
	for _, fv := range fvs {
		if fv.Status == FormDraft {
			continue // a draft has no submissions
		}
		if err := db.retainForm(ctx, actor, tenantID, planOf(fv), rules, now, opts, &rep, counts); err != nil {
			return db.failRun(ctx, tenantID, rep, counts, err)
		}
	}
	if err := db.retainFixed(ctx, actor, tenantID, now, opts, &rep, counts); err != nil {
		return db.failRun(ctx, tenantID, rep, counts, err)
	}
	if err := db.retainRequests(ctx, actor, tenantID, now, opts, &rep, counts); err != nil {
		return db.failRun(ctx, tenantID, rep, counts, err)
	}
	if err := db.retainPersonKeys(ctx, actor, tenantID, now, opts, &rep, counts); err != nil {
		return db.failRun(ctx, tenantID, rep, counts, err)
	}
	if !opts.DryRun {
		// Aggregates hold no person, so they are simply deleted by day
		// once past the analytics category's period (SEC-1).
		if err := db.PruneAnalytics(ctx, tenantID, statsDay(now.AddDate(0, 0, -AnalyticsRetention(reg.Register)))); err != nil {
			return db.failRun(ctx, tenantID, rep, counts, err)
		}
	}
	rep.Counts = counts.list()
	if opts.DryRun {
		return rep, nil
	}
	err = db.write(ctx, func(tx *Tx) error {
		if err := tx.saveRunCounts(tenantID, rep.lease(), counts, "done", now); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "retention.run", ObjectType: "retention_run",
			ObjectID: rep.RunID, Purpose: fmt.Sprintf("retention run: %d value set(s) expired, %d held", rep.Total(), rep.Held)})
	})
	if err != nil {
		return rep, fmt.Errorf("retention: finish run: %w", err)
	}
	return rep, nil
}

// failRun keeps the run 'running' when ctx was stopped, releasing its
// lease so that the next run takes it up at once, and marks it failed
// otherwise. A run that lost its lease leaves the record to its new holder.
func (db *DB) failRun(ctx context.Context, tenantID string, rep RetentionReport, counts retentionCounter, cause error) (RetentionReport, error) {
	rep.Counts = counts.list()
	if rep.RunID == "" || errors.Is(cause, ErrRetentionLeaseLost) {
		return rep, fmt.Errorf("retention: %w", cause)
	}
	status := "failed"
	if ctx.Err() != nil {
		status = "released"
	}
	_ = db.write(context.WithoutCancel(ctx), func(tx *Tx) error {
		return tx.saveRunCounts(tenantID, rep.lease(), counts, status, db.now())
	})
	return rep, fmt.Errorf("retention: %w", cause)
}

// RetentionLease is how long a run holds its tenant's run record without
// renewing it; every chunk renews it. A run whose process died is taken
// up by the next run once its lease has run out.
const RetentionLease = 5 * time.Minute

// RetentionBusyError: another run of the tenant holds the lease (the daily
// job while an operator runs the command, or the other way round). The
// second run did nothing; the first one's counts stay right.
type RetentionBusyError struct {
	RunID     string
	StartedAt time.Time
	StartedBy string // as RetentionRun.StartedBy
	Until     time.Time
}

func (e *RetentionBusyError) Error() string {
	return fmt.Sprintf("another retention run of this tenant is in progress (run %s, started %s by %s, holding it until at least %s): this run did nothing",
		e.RunID, e.StartedAt.UTC().Format(time.RFC3339), e.StartedBy, e.Until.UTC().Format(time.RFC3339))
}

// ErrRetentionLeaseLost: the run's lease ran out and another run took the
// record up; the chunk that found it was not committed.
var ErrRetentionLeaseLost = errors.New("another run took over this retention run (its lease ran out)")

// runLease names a run record and the token of the run holding it.
type runLease struct{ id, holder string }

func (r RetentionReport) lease() runLease { return runLease{r.RunID, r.holder} }

func rulesOf(r register.Register, now time.Time) map[string]retentionRule {
	rules := map[string]retentionRule{}
	for _, c := range r.Categories {
		if c.RetentionDays <= 0 || !slices.Contains(register.ExpiryActions, c.Expiry) {
			continue // a category without a period never expires here (the register's validation requires one)
		}
		rules[c.Key] = retentionRule{key: c.Key, action: c.Expiry, closed: c.RetentionStart == register.StartCaseClosed,
			cutoff: micros(now.AddDate(0, 0, -c.RetentionDays))}
	}
	return rules
}

// startRetentionRun takes up the tenant's unfinished run or starts one,
// and takes its lease; a *RetentionBusyError when another run holds it.
func (db *DB) startRetentionRun(ctx context.Context, actor audit.Actor, tenantID string) (string, string, bool, retentionCounter, error) {
	var id string
	var resumed bool
	var busy *RetentionBusyError
	counts := retentionCounter{}
	holder := newID(db.now())
	err := db.write(ctx, func(tx *Tx) error {
		busy, resumed, counts = nil, false, retentionCounter{}
		now := tx.db.now()
		until := micros(now.Add(RetentionLease))
		var raw, by string
		var started int64
		var lease sql.NullInt64
		err := tx.queryRow(`SELECT id, counts, started_at, started_by, lease_until FROM retention_runs WHERE tenant_id = $1 AND status = 'running'
			ORDER BY started_at DESC LIMIT 1`, tenantID).Scan(&id, &raw, &started, &by, &lease)
		switch {
		case err == nil:
			if lease.Valid && lease.Int64 > micros(now) {
				busy = &RetentionBusyError{RunID: id, StartedAt: fromMicros(started), StartedBy: by, Until: fromMicros(lease.Int64)}
				return nil
			}
			resumed = true
			if err := json.Unmarshal([]byte(raw), &counts); err != nil {
				counts = retentionCounter{}
			}
			// The condition holds against a run of another process that
			// took the lease in between (PostgreSQL re-reads the row).
			res, err := tx.exec(`UPDATE retention_runs SET resumed = resumed + 1, lease_until = $1, lease_holder = $2
				WHERE tenant_id = $3 AND id = $4 AND (lease_until IS NULL OR lease_until <= $5)`, until, holder, tenantID, id, micros(now))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				busy = &RetentionBusyError{RunID: id, StartedAt: fromMicros(started), StartedBy: by, Until: fromMicros(until)}
			}
			return nil
		case errors.Is(err, sql.ErrNoRows):
			id = newID(now)
			// One running record per tenant (a unique index): a run of
			// another process that started in between makes this fail.
			_, err = tx.exec(`INSERT INTO retention_runs (id, tenant_id, started_at, status, started_by, lease_until, lease_holder)
				VALUES ($1, $2, $3, 'running', $4, $5, $6)`, id, tenantID, micros(now), string(actor.Kind)+":"+actor.ID, until, holder)
			return err
		default:
			return err
		}
	})
	if isUniqueViolation(err) {
		return "", "", false, nil, &RetentionBusyError{RunID: "?", StartedAt: db.now(), StartedBy: "another process", Until: db.now().Add(RetentionLease)}
	}
	if err != nil {
		return "", "", false, nil, fmt.Errorf("retention: start run: %w", err)
	}
	if busy != nil {
		return "", "", false, nil, busy
	}
	return id, holder, resumed, counts, nil
}

// saveRunCounts records the run's counts as long as it holds the lease
// (ErrRetentionLeaseLost otherwise, and the caller's transaction is rolled
// back): "running" renews the lease, "released" gives it up (the run was
// stopped; the record stays running for the next run), "done" and
// "failed" end the run.
func (tx *Tx) saveRunCounts(tenantID string, l runLease, counts retentionCounter, status string, now time.Time) error {
	b, err := json.Marshal(counts)
	if err != nil {
		return err
	}
	var finished, until, holder any
	switch status {
	case "running":
		until, holder = micros(tx.db.now().Add(RetentionLease)), l.holder
	case "released":
		status = "running"
	default:
		finished = micros(now)
	}
	res, err := tx.exec(`UPDATE retention_runs SET counts = $1, status = $2, finished_at = $3, lease_until = $4, lease_holder = $5
		WHERE tenant_id = $6 AND id = $7 AND lease_holder = $8`, string(b), status, finished, until, holder, tenantID, l.id, l.holder)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrRetentionLeaseLost
	}
	return nil
}

// retentionRow is a candidate submission.
type retentionRow struct {
	id                string
	created           int64
	closed            sql.NullInt64
	applied           string
	data              []byte
	held              bool
	pseudonymisedOnce bool
}

// heldClause is true when a live legal hold covers submission s.
const heldClause = `EXISTS (SELECT 1 FROM legal_holds h WHERE h.tenant_id = s.tenant_id AND h.form_key = s.form_key
	AND h.lifted_at IS NULL AND h.until_at > $4 AND (h.submission_id IS NULL OR h.submission_id = s.id))`

// retainForm applies the due categories of one form version, chunk by chunk.
func (db *DB) retainForm(ctx context.Context, actor audit.Actor, tenantID string, p formPlan, rules map[string]retentionRule,
	now time.Time, opts RetentionOptions, rep *RetentionReport, counts retentionCounter) error {
	var due []retentionRule
	for _, c := range p.cats {
		if r, ok := rules[c]; ok {
			due = append(due, r)
		}
	}
	if len(due) == 0 {
		return nil
	}
	// Only rows where some category has expired and is not yet applied.
	args := []any{tenantID, p.key, p.version, micros(now)}
	var conds []string
	var maxCut int64
	for _, r := range due {
		col := "s.created_at"
		if r.closed {
			col = "s.closed_at"
		}
		args = append(args, r.cutoff, "%,"+r.key+",%")
		conds = append(conds, fmt.Sprintf("(%s <= $%d AND s.retention_applied NOT LIKE $%d)", col, len(args)-1, len(args)))
		maxCut = max(maxCut, r.cutoff)
	}
	args = append(args, maxCut)
	nMax := len(args)
	data := "s.data"
	if opts.DryRun {
		data = "NULL" // a dry run opens nothing
	}
	q := fmt.Sprintf(`SELECT s.id, s.created_at, s.closed_at, s.retention_applied, %s, %s FROM submissions s
		WHERE s.tenant_id = $1 AND s.form_key = $2 AND s.form_version = $3 AND s.retention_spent_at IS NULL
		AND s.created_at <= $%d AND (%s) AND (s.created_at > $%d OR (s.created_at = $%d AND s.id > $%d))
		ORDER BY s.created_at, s.id LIMIT %d`, data, heldClause, nMax, strings.Join(conds, " OR "), nMax+1, nMax+1, nMax+2, opts.Chunk)
	// Reading and opening the next chunk overlaps writing this one: the
	// writer (shared with the inbox and intake) gets only the SQL.
	type prepared struct {
		changes []rowChange
		err     error
	}
	next := make(chan prepared, 1)
	pctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		for range next { // wait for the reader to stop: it updates rep
		}
	}()
	go func() {
		defer close(next)
		lastCreated, lastID := int64(-1), ""
		for pctx.Err() == nil {
			rows, err := db.retentionCandidates(pctx, q, append(slices.Clone(args), lastCreated, lastID))
			if err != nil {
				next <- prepared{err: fmt.Errorf("form %s version %d: %w", p.key, p.version, err)}
				return
			}
			if len(rows) == 0 {
				return
			}
			lastCreated, lastID = rows[len(rows)-1].created, rows[len(rows)-1].id
			changes, err := db.prepareChunk(pctx, actor, tenantID, p, due, rows, opts, rep, counts)
			if err != nil {
				err = fmt.Errorf("form %s version %d: %w", p.key, p.version, err)
			}
			select {
			case next <- prepared{changes, err}:
			case <-pctx.Done():
				return
			}
			if err != nil || len(rows) < opts.Chunk {
				return
			}
		}
	}()
	// The writer is shared with the inbox and intake. A read chunk is
	// written in bulk transactions bounded in time, not in rows: each stops
	// after RetentionWriteBudget, or as soon as an interactive write (a
	// clerk's audited read, an intake) is waiting, and commits what it
	// did; the rest goes in the next one. So a clerk waits at most for a
	// few rows and a commit, whatever the chunk size.
	for pr := range next {
		if pr.err != nil {
			return pr.err
		}
		for changes := pr.changes; len(changes) > 0; {
			if err := ctx.Err(); err != nil {
				return err
			}
			k, err := db.writeChunk(ctx, actor, tenantID, p, changes, now, rep.lease(), counts)
			if err != nil {
				return fmt.Errorf("form %s version %d: %w", p.key, p.version, err)
			}
			changes = changes[k:]
			if opts.AfterChunk != nil {
				opts.AfterChunk()
			}
		}
		db.checkpointAside(ctx)
	}
	return ctx.Err()
}

// retentionYield is how many rows the sweep prepares between two yields
// of its processor.
const retentionYield = 16

// checkpointAside copies SQLite's write-ahead log into the database from a
// connection of the pool, next to the writer rather than in it: a sweep
// fills the log quickly, and left to the automatic checkpoint the copy runs
// inside some commit of the writer, which a clerk then waits for. A
// passive checkpoint waits for nobody and blocks nobody.
func (db *DB) checkpointAside(ctx context.Context) {
	if db.dialect == SQLite {
		db.sql.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// RetentionWriteBudget is how long one retention transaction may hold the
// writer when nothing else waits for it; it yields sooner when something
// does (see DB.writeBulk).
const RetentionWriteBudget = 20 * time.Millisecond

// retentionStep is how many rows a retention transaction writes between
// two looks at the clock and at the writer's queue: few on SQLite, where a
// row is a statement in process; more on PostgreSQL, where a step is one
// statement and a round trip.
func (db *DB) retentionStep() int {
	if db.dialect == Postgres {
		return 64
	}
	return 16
}

func (db *DB) retentionCandidates(ctx context.Context, q string, args []any) ([]retentionRow, error) {
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []retentionRow
	for rows.Next() {
		var r retentionRow
		if err := rows.Scan(&r.id, &r.created, &r.closed, &r.applied, &r.data, &r.held); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// rowChange is what a chunk writes for one submission.
type rowChange struct {
	row                    retentionRow
	applied                string
	data                   []byte
	expired                []retentionRule
	files                  []string // file fields whose attachments go
	dropContact, keepIndex bool
	spent, remove          bool
}

// prepareChunk computes every row's change outside the writer (the
// cryptography runs here); a dry run only counts.
func (db *DB) prepareChunk(ctx context.Context, actor audit.Actor, tenantID string, p formPlan, due []retentionRule, rows []retentionRow,
	opts RetentionOptions, rep *RetentionReport, counts retentionCounter) ([]rowChange, error) {
	var changes []rowChange
	for i, r := range rows {
		if i%retentionYield == retentionYield-1 {
			// The sweep's reading and sealing must not keep a processor
			// from a clerk's request for a whole scheduler slice.
			runtime.Gosched()
		}
		ch := rowChange{row: r, applied: r.applied}
		for _, rule := range due {
			if strings.Contains(r.applied, ","+rule.key+",") {
				continue
			}
			start := r.created
			if rule.closed {
				if !r.closed.Valid {
					continue
				}
				start = r.closed.Int64
			}
			if start <= rule.cutoff {
				ch.expired = append(ch.expired, rule)
			}
		}
		if len(ch.expired) == 0 {
			continue
		}
		if r.held {
			rep.Held++
			continue
		}
		if opts.DryRun {
			for _, rule := range ch.expired {
				counts[countKey(rule.key, "", rule.action)]++
			}
			continue
		}
		if err := db.expireAnswers(tenantID, p, &ch, ruleMap(due)); errors.Is(err, errRowUnreadable) {
			rep.Unreadable++
			db.alertUnreadable(ctx, []unreadable{unreadableOf(actor, tenantID, "submission", r.id, r.data, err)})
			continue
		} else if err != nil {
			return nil, fmt.Errorf("submission %s: %w", r.id, err)
		}
		changes = append(changes, ch)
	}
	return changes, nil
}

// writeChunk writes the first of changes, its audit events (one per
// category and action, with the count) and the run's counts in one
// transaction, and returns how many of changes it handled: it stops after
// RetentionWriteBudget or when an interactive write waits (at least one
// step is always written, so a run always advances).
func (db *DB) writeChunk(ctx context.Context, actor audit.Actor, tenantID string, p formPlan, changes []rowChange, now time.Time,
	run runLease, counts retentionCounter) (int, error) {
	var next retentionCounter
	var took int
	err := db.writeBulk(ctx, func(tx *Tx) error {
		began := time.Now()
		chunk := retentionCounter{}
		var done chunkDone
		// Holds are looked up once per transaction, inside it: a hold set
		// after the rows were read is seen here.
		formHeld, held, err := tx.heldIn(tenantID, p.key, now)
		if err != nil {
			return err
		}
		var live []rowChange
		written := map[string]bool{}
		took = 0
		for took < len(changes) {
			step := changes[took:min(len(changes), took+tx.db.retentionStep())]
			took += len(step)
			var batch []rowChange
			for _, ch := range step {
				if !formHeld && !held[ch.row.id] {
					batch = append(batch, ch) // the others were put on hold since they were read
				}
			}
			w, err := tx.applyRetentionAll(tenantID, batch, now)
			if err != nil {
				return err
			}
			maps.Copy(written, w)
			live = append(live, batch...)
			// Let a clerk's goroutine run (it may be waiting for a
			// processor to queue its write) before looking at the queue.
			runtime.Gosched()
			if tx.interactiveWaiting() || time.Since(began) > RetentionWriteBudget {
				break
			}
		}
		for _, ch := range live {
			if !written[ch.row.id] {
				continue // changed since it was read: the next run sees it again
			}
			for _, rule := range ch.expired {
				chunk[countKey(rule.key, "", rule.action)]++
			}
			switch {
			case ch.remove:
				chunk[countKey("", "submissions", "remove")]++
				done.removed = append(done.removed, ch.row.id)
			case ch.spent:
				done.spent = append(done.spent, ch.row.id)
			default:
				for _, f := range ch.files {
					done.files = append(done.files, [2]string{ch.row.id, f})
				}
			}
		}
		if err := tx.finishChunk(tenantID, done); err != nil {
			return err
		}
		for _, c := range chunk.list() {
			code := "retention." + c.Action
			purpose := "category " + c.Category
			if c.Category == "" {
				purpose = "form " + p.key
			}
			if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: code, ObjectType: "submissions",
				ObjectID: fmt.Sprint(c.Count), Purpose: purpose}); err != nil {
				return err
			}
		}
		next = counts.plus(chunk)
		return tx.saveRunCounts(tenantID, run, next, "running", now)
	})
	if err != nil {
		return 0, err
	}
	maps.Copy(counts, next)
	return took, nil
}

// plus returns c with more added, leaving c as it is: a write function
// may run twice (the writer retries a batch), so it never changes what
// lives outside it.
func (c retentionCounter) plus(more retentionCounter) retentionCounter {
	out := maps.Clone(c)
	for k, n := range more {
		out[k] += n
	}
	return out
}

func ruleMap(rs []retentionRule) map[string]retentionRule {
	m := make(map[string]retentionRule, len(rs))
	for _, r := range rs {
		m[r.key] = r
	}
	return m
}

var errRowUnreadable = errors.New("answers cannot be opened")

// expireAnswers opens the row's answers, removes or pseudonymises the
// expired categories' values and seals what is left.
func (db *DB) expireAnswers(tenantID string, p formPlan, ch *rowChange, due map[string]retentionRule) error {
	for _, rule := range ch.expired {
		ch.files = append(ch.files, p.files[rule.key]...)
		if rule.key == p.contact {
			ch.dropContact = true
			ch.keepIndex = ch.keepIndex || rule.action == register.ExpiryPseudonymise
		}
		ch.applied = addApplied(ch.applied, rule.key)
	}
	ch.spent = true
	allDelete := true
	for _, c := range p.cats {
		applied := strings.Contains(ch.applied, ","+c+",")
		r, ok := due[c]
		ch.spent = ch.spent && applied
		allDelete = allDelete && ok && r.action == register.ExpiryDelete
		if ok && applied && r.action == register.ExpiryPseudonymise {
			ch.row.pseudonymisedOnce = true
		}
	}
	ch.remove = ch.spent && allDelete
	if ch.remove {
		return nil // the row goes: nothing to seal
	}
	answers := map[string]form.Answer{}
	if !ch.spent || ch.row.pseudonymisedOnce {
		// Values stay (other categories) or become pseudonyms: open them.
		// When every value simply goes, nothing needs opening, which also
		// lets retention reach answers whose key is already gone.
		plain, err := db.keys.Open(tenantID, submissionAD(tenantID, ch.row.id), ch.row.data)
		if err != nil {
			return fmt.Errorf("%w: %w", errRowUnreadable, err)
		}
		if err := json.Unmarshal(plain, &answers); err != nil {
			return err
		}
		if err := db.expireValues(tenantID, p, ch.expired, answers); err != nil {
			return err
		}
	}
	b, err := json.Marshal(answers)
	if err != nil {
		return err
	}
	ch.data, err = db.sealLike(tenantID, ch.row.data, !ch.spent, submissionAD(tenantID, ch.row.id), b)
	return err
}

// expireValues removes or pseudonymises the expired categories' answers.
func (db *DB) expireValues(tenantID string, p formPlan, expired []retentionRule, answers map[string]form.Answer) error {
	pseudo := func(v string) (string, error) {
		mac, err := db.keys.BlindIndex(tenantID, "retention-pseudonym", []byte(v))
		if err != nil {
			return "", err
		}
		return "pseudonym:" + hex.EncodeToString(mac[:12]), nil
	}
	for _, rule := range expired {
		for _, k := range p.fields[rule.key] {
			a, ok := answers[k]
			if !ok {
				continue
			}
			if rule.action != register.ExpiryPseudonymise {
				delete(answers, k)
				continue
			}
			var out form.Answer
			if a.Address != nil {
				b, _ := json.Marshal(a.Address)
				a.Value = string(b)
			}
			var err error
			if a.Value != "" {
				if out.Value, err = pseudo(a.Value); err != nil {
					return err
				}
			}
			for _, v := range a.Values {
				pv, err := pseudo(v)
				if err != nil {
					return err
				}
				out.Values = append(out.Values, pv)
			}
			answers[k] = out
		}
	}
	return nil
}

func addApplied(applied, key string) string {
	if applied == "" {
		applied = ","
	}
	return applied + key + ","
}

// applyRetention writes one submission's own row; false when the row
// changed or was put on hold since it was read (nothing written). What
// hangs off it (attachments, history) is done for the whole chunk at once
// by finishChunk.
func (tx *Tx) applyRetention(tenantID string, ch rowChange, now time.Time) (bool, error) {
	id := ch.row.id
	if ch.remove {
		var n int
		err := tx.queryRow(`SELECT count(*) FROM submissions s WHERE s.tenant_id = $1 AND s.id = $2 AND s.retention_applied = $3`,
			tenantID, id, ch.row.applied).Scan(&n)
		return n == 1, err
	}
	set := []string{"data = $4", "retention_applied = $5"}
	if ch.dropContact {
		set = append(set, "contact = NULL")
		if !ch.keepIndex {
			set = append(set, "contact_index = NULL")
		}
	}
	if ch.spent {
		set = append(set, "lang = NULL", "receipt_hash = NULL", "receipt_expires_at = NULL", "retention_spent_at = $6")
		if !ch.row.pseudonymisedOnce {
			set = append(set, "subject_index = NULL")
		}
	}
	args := []any{tenantID, id, ch.row.applied, ch.data, ch.applied}
	if ch.spent {
		args = append(args, micros(now))
	}
	res, err := tx.exec(`UPDATE submissions SET `+strings.Join(set, ", ")+`
		WHERE tenant_id = $1 AND id = $2 AND retention_applied = $3`, args...)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// applyRetentionAll writes the chunk's rows and returns those written. On
// SQLite a prepared statement per row costs least (in process, and a
// statement with thousands of $n parameters parses slowly); on PostgreSQL
// every statement is a round trip, so the rows go in one UPDATE … FROM
// (VALUES …) (per-dialect SQL: the casts).
func (tx *Tx) applyRetentionAll(tenantID string, changes []rowChange, now time.Time) (map[string]bool, error) {
	written := make(map[string]bool, len(changes))
	var batch []rowChange
	for _, ch := range changes {
		if tx.db.dialect == Postgres && !ch.remove {
			batch = append(batch, ch)
			continue
		}
		ok, err := tx.applyRetention(tenantID, ch, now)
		if err != nil {
			return nil, err
		}
		written[ch.row.id] = ok
	}
	if len(batch) == 0 {
		return written, nil
	}
	args := []any{tenantID, micros(now)}
	rows := make([]string, len(batch))
	for i, ch := range batch {
		n := len(args)
		rows[i] = fmt.Sprintf("($%d::text, $%d::text, $%d::bytea, $%d::text, $%d::boolean, $%d::boolean, $%d::boolean, $%d::boolean)",
			n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8)
		args = append(args, ch.row.id, ch.row.applied, ch.data, ch.applied, ch.dropContact, ch.dropContact && !ch.keepIndex, ch.spent,
			ch.spent && !ch.row.pseudonymisedOnce)
	}
	res, err := tx.tx.QueryContext(tx.ctx, `UPDATE submissions AS s SET data = v.data, retention_applied = v.applied,
		contact = CASE WHEN v.drop_contact THEN NULL ELSE s.contact END,
		contact_index = CASE WHEN v.drop_index THEN NULL ELSE s.contact_index END,
		lang = CASE WHEN v.spent THEN NULL ELSE s.lang END,
		receipt_hash = CASE WHEN v.spent THEN NULL ELSE s.receipt_hash END,
		receipt_expires_at = CASE WHEN v.spent THEN NULL ELSE s.receipt_expires_at END,
		retention_spent_at = CASE WHEN v.spent THEN $2 ELSE s.retention_spent_at END,
		subject_index = CASE WHEN v.drop_subject THEN NULL ELSE s.subject_index END
		FROM (VALUES `+strings.Join(rows, ", ")+`) AS v (id, old, data, applied, drop_contact, drop_index, spent, drop_subject)
		WHERE s.tenant_id = $1 AND s.id = v.id AND s.retention_applied = v.old
		RETURNING s.id`, args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	for res.Next() {
		var id string
		if err := res.Scan(&id); err != nil {
			return nil, err
		}
		written[id] = true
	}
	return written, res.Err()
}

// heldIn reports whether a live hold covers the whole form, and which of
// its submissions are held one by one.
func (tx *Tx) heldIn(tenantID, formKey string, now time.Time) (bool, map[string]bool, error) {
	rows, err := tx.query(`SELECT COALESCE(submission_id, '') FROM legal_holds WHERE tenant_id = $1 AND form_key = $2
		AND lifted_at IS NULL AND until_at > $3`, tenantID, formKey, micros(now))
	if err != nil {
		return false, nil, err
	}
	defer rows.Close()
	held := map[string]bool{}
	form := false
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return false, nil, err
		}
		if id == "" {
			form = true
		}
		held[id] = true
	}
	if err := rows.Err(); err != nil {
		return false, nil, err
	}
	// Art. 18 GDPR: a restricted person's submissions are held like a
	// legal hold while the restriction is in force (subject_request_kinds.go).
	return form, held, tx.retentionRestrictedIn(tenantID, formKey, held)
}

// chunkDone is what a chunk's rows leave to do: submissions now spent
// (their attachments go, their history loses its texts), submissions to
// remove with everything that hangs off them, and single file fields.
type chunkDone struct {
	spent, removed []string
	files          [][2]string // submission id, field key
}

// finishChunk does, in a few set-based statements per chunk rather than a
// few per row, what hangs off the chunk's submissions. On SQLite the ids go
// as one JSON array (json_each): one prepared statement whatever the chunk's
// length, where a list of $n parameters is parsed anew each time, in time
// that grows with the square of its length. On PostgreSQL the IN lists vary
// in length (pgx caches what it prepares itself).
func (tx *Tx) finishChunk(tenantID string, d chunkDone) error {
	exec := func(q string, ids []string) error {
		if len(ids) == 0 {
			return nil
		}
		if tx.db.dialect == SQLite {
			b, err := json.Marshal(ids)
			if err != nil {
				return err
			}
			_, err = tx.exec(fmt.Sprintf(q, "SELECT value FROM json_each($2)"), tenantID, string(b))
			return err
		}
		args := make([]any, 0, len(ids)+1)
		args = append(args, tenantID)
		marks := make([]string, len(ids))
		for i, id := range ids {
			args = append(args, id)
			marks[i] = fmt.Sprintf("$%d", i+2)
		}
		_, err := tx.tx.ExecContext(tx.ctx, fmt.Sprintf(q, strings.Join(marks, ", ")), args...)
		return err
	}
	gone := append(slices.Clone(d.spent), d.removed...)
	steps := []struct {
		q   string
		ids []string
	}{
		{`DELETE FROM attachments WHERE tenant_id = $1 AND submission_id IN (%s)`, gone},
		// A rectified value's history ends with the submission's values (DSR-1).
		{`DELETE FROM submission_rectifications WHERE tenant_id = $1 AND submission_id IN (%s)`, gone},
		{`UPDATE submission_events SET body = NULL WHERE tenant_id = $1 AND submission_id IN (%s)`, d.spent},
		{`UPDATE submission_replies SET body = NULL WHERE tenant_id = $1 AND submission_id IN (%s)`, d.spent},
		{`DELETE FROM submission_events WHERE tenant_id = $1 AND submission_id IN (%s)`, d.removed},
		{`DELETE FROM submission_replies WHERE tenant_id = $1 AND submission_id IN (%s)`, d.removed},
		{`DELETE FROM legal_holds WHERE tenant_id = $1 AND submission_id IN (%s)`, d.removed},
		{`DELETE FROM submissions WHERE tenant_id = $1 AND id IN (%s)`, d.removed},
	}
	for _, st := range steps {
		if err := exec(st.q, st.ids); err != nil {
			return err
		}
	}
	for _, f := range d.files {
		if _, err := tx.exec(`DELETE FROM attachments WHERE tenant_id = $1 AND submission_id = $2 AND field_key = $3`,
			tenantID, f[0], f[1]); err != nil {
			return err
		}
	}
	return nil
}

// RetentionRun is one run in the history: no personal data, only counts.
type RetentionRun struct {
	ID         string
	StartedAt  time.Time
	FinishedAt *time.Time
	Status     string // running, done, failed
	StartedBy  string // "system:retention.run", "user:<id>", "operator:cli:<name>"
	Resumed    int
	Counts     []RetentionCount
}

// RetentionRuns lists tenantID's latest runs, newest first (at most
// limit). They hold counts, not personal data, so reading is not audited.
func (db *DB) RetentionRuns(ctx context.Context, tenantID string, limit int) ([]RetentionRun, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id, started_at, finished_at, status, started_by, resumed, counts FROM retention_runs
		WHERE tenant_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("retention runs: %w", err)
	}
	defer rows.Close()
	var out []RetentionRun
	for rows.Next() {
		var r RetentionRun
		var started int64
		var finished sql.NullInt64
		var raw string
		if err := rows.Scan(&r.ID, &started, &finished, &r.Status, &r.StartedBy, &r.Resumed, &raw); err != nil {
			return nil, fmt.Errorf("retention runs: %w", err)
		}
		r.StartedAt = fromMicros(started)
		if finished.Valid {
			t := fromMicros(finished.Int64)
			r.FinishedAt = &t
		}
		c := retentionCounter{}
		if json.Unmarshal([]byte(raw), &c) == nil {
			r.Counts = c.list()
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("retention runs: %w", err)
	}
	return out, nil
}

// NextExpiries returns, per register category of tenantID's current
// register, the earliest moment a stored value of it that has not expired
// yet reaches the end of its period (a moment already past: it expires at
// the next run, or is held). Categories no stored value uses are absent.
// It reads dates only, so it is not audited.
func (db *DB) NextExpiries(ctx context.Context, tenantID string) (map[string]time.Time, error) {
	reg, err := db.CurrentRegister(ctx, tenantID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("next expiries: %w", err)
	}
	days := map[string]register.Category{}
	for _, c := range reg.Register.Categories {
		if c.RetentionDays > 0 {
			days[c.Key] = c
		}
	}
	fvs, err := db.AllFormVersions(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("next expiries: %w", err)
	}
	out := map[string]time.Time{}
	for _, fv := range fvs {
		if fv.Status == FormDraft {
			continue
		}
		for _, key := range planOf(fv).cats {
			c, ok := days[key]
			if !ok {
				continue
			}
			col := "created_at"
			if c.RetentionStart == register.StartCaseClosed {
				col = "closed_at"
			}
			var first sql.NullInt64
			if err := db.sql.QueryRowContext(ctx, `SELECT min(`+col+`) FROM submissions WHERE tenant_id = $1 AND form_key = $2
				AND form_version = $3 AND retention_spent_at IS NULL AND retention_applied NOT LIKE $4`,
				tenantID, fv.Key, fv.Version, "%,"+key+",%").Scan(&first); err != nil {
				return nil, fmt.Errorf("next expiries: %w", err)
			}
			if !first.Valid {
				continue
			}
			at := fromMicros(first.Int64).AddDate(0, 0, c.RetentionDays)
			if cur, ok := out[key]; !ok || at.Before(cur) {
				out[key] = at
			}
		}
	}
	return out, nil
}
