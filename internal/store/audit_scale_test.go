package store_test

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// scaleLog makes a tenant's audit log as a municipality's looks after a
// couple of years: many actions, a few very common and some very rare,
// about 50 staff (a few busy clerks), citizens known by the pseudonyms of
// their identifiers, submissions read, listed (list events of 10 ids),
// mailed and handed to webhooks, spread evenly over two years.
type scaleLog struct {
	tenantID string
	n        int
	start    time.Time
	step     time.Duration
	staff    []string
	staffCum []float64
	citizens []string // the identifiers, as the page's search takes them
	pseudo   []string // their pseudonyms, as the log holds them
	codes    []string
	codesCum []float64
	rng      *rand.Rand
}

// scaleRare are actions that happen a handful of times in years.
var scaleRare = []string{"operator.grant", "operator.revoke", "keys.rotate", "user.removed", "tenant.suspend",
	"tenant.reactivate", "mfa.remove", "policy.update"}

func newScaleLog(t testing.TB, env *storetest.Env, tenantID string, n, citizens int) *scaleLog {
	t.Helper()
	s := &scaleLog{tenantID: tenantID, n: n, rng: rand.New(rand.NewPCG(11, uint64(n)))}
	// Two years from the tenant's start; seed moves the clock to their end.
	s.start = env.Clock.Now()
	s.step = 2 * 365 * 24 * time.Hour / time.Duration(n)
	total := 0.0
	for i := range 50 {
		s.staff = append(s.staff, fmt.Sprintf("staff-%02d", i))
		total += 1 / float64(i+1)
		s.staffCum = append(s.staffCum, total)
	}
	for i := range s.staffCum {
		s.staffCum[i] /= total
	}
	for i := range citizens {
		id := fmt.Sprintf("burger%06d@example.be", i)
		index, err := env.Keys.BlindIndex(tenantID, "subject", []byte(id))
		if err != nil {
			t.Fatal(err)
		}
		s.citizens, s.pseudo = append(s.citizens, id), append(s.pseudo, hex.EncodeToString(index[:16]))
	}
	common := map[string]float64{"submission.read": 22, "submission.create": 12, "submission.list": 6, "mail.queue": 6, "mail.sent": 6,
		"webhook.queue": 4, "webhook.delivered": 4, "login.success": 5, "mfa.success": 4, "submission.status": 4, "submission.assign": 3,
		"submission.note": 3, "submission.reply": 2, "attachment.read": 4, "submission.draft.save": 3, "submission.draft.read": 2,
		"audit.read": 1, "user.list": 1, "login.failure": 1, "session.list": 0.5}
	rank := 0
	total = 0
	for _, a := range audit.Actions() {
		w, ok := common[a.Code]
		switch {
		case ok:
		case slices.Contains(scaleRare, a.Code):
			w = 100 * 5 / float64(n) // about five each, whatever n
		default:
			rank++
			w = 0.5 / float64(rank)
		}
		total += w
		s.codes, s.codesCum = append(s.codes, a.Code), append(s.codesCum, total)
	}
	for i := range s.codesCum {
		s.codesCum[i] /= total
	}
	return s
}

func pick(rng *rand.Rand, cum []float64) int {
	i, _ := slices.BinarySearch(cum, rng.Float64())
	return min(i, len(cum)-1)
}

func (s *scaleLog) submission(k int) string { return fmt.Sprintf("sub-%07d", k) }

// gen makes event i; BulkAuditEvents calls it in order.
func (s *scaleLog) gen(i int, e *audit.Event) {
	rng := s.rng
	e.Time = s.start.Add(time.Duration(i) * s.step)
	e.Action = s.codes[pick(rng, s.codesCum)]
	e.Actor = audit.Actor{Kind: audit.KindUser, ID: s.staff[pick(rng, s.staffCum)], Role: "user", RequestID: fmt.Sprintf("req-%d", i)}
	group, _, _ := strings.Cut(e.Action, ".")
	sub := rng.IntN(len(s.pseudo) * 5)
	switch {
	case e.Action == "submission.list":
		ids := make([]string, 10)
		for j := range ids {
			ids[j] = s.submission(rng.IntN(len(s.pseudo) * 5))
		}
		e.ObjectType, e.ObjectID, e.Purpose = "submission", strings.Join(ids, ","), "inbox"
	case group == "submission" || group == "attachment":
		e.ObjectType, e.ObjectID, e.Subject, e.Purpose = "submission", s.submission(sub), s.pseudo[sub%len(s.pseudo)], "handling"
		if strings.HasPrefix(e.Action, "submission.create") || strings.HasPrefix(e.Action, "submission.draft") {
			e.Actor = audit.Actor{Kind: audit.KindCitizen, ID: "anonymous", RequestID: e.Actor.RequestID}
			e.Purpose = "form toelage version 3, register version 2, 0 attachment(s)"
		}
	case group == "mail" || group == "webhook" || group == "export":
		e.Actor = audit.Actor{Kind: audit.KindSystem, ID: group, RequestID: e.Actor.RequestID}
		e.ObjectType, e.ObjectID = group, fmt.Sprintf("%s-%d", group, i)
	default:
		e.ObjectType, e.ObjectID = "user", s.staff[rng.IntN(len(s.staff))]
	}
	if rng.IntN(100) == 0 {
		e.Outcome = audit.OutcomeDenied
	}
}

// seed stores the log.
func (s *scaleLog) seed(t testing.TB, env *storetest.Env) {
	t.Helper()
	if err := env.DB.BulkAuditEvents(ctx, s.tenantID, s.n, s.n >= 1_000_000, s.gen); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(time.Duration(s.n)*s.step + time.Minute)
}

// analyze gathers PostgreSQL's planner statistics, as autovacuum does
// after a large load. (Kluis runs no ANALYZE on SQLite.)
func analyze(t testing.TB, env *storetest.Env) {
	t.Helper()
	if env.Dialect == store.Postgres {
		if _, err := env.Raw(t).Exec(`ANALYZE audit_events; ANALYZE audit_list_objects`); err != nil {
			t.Fatal(err)
		}
	}
}

// scaleFilter is one filter of the audit page as the benchmark and the
// plan test use it: its name, the query (r varies the value between runs)
// and the indexes its plan must read.
type scaleFilter struct {
	name    string
	query   func(r int) store.AuditQuery
	indexes []string
}

func (s *scaleLog) filters() []scaleFilter {
	day := func(r int) (time.Time, time.Time) {
		from := s.start.Add(time.Duration(30+r*17%600) * 24 * time.Hour)
		return from, from.Add(24 * time.Hour)
	}
	return []scaleFilter{
		{"none", func(int) store.AuditQuery { return store.AuditQuery{} }, []string{"audit_events_at"}},
		{"citizen", func(r int) store.AuditQuery { return store.AuditQuery{Subject: s.citizens[r*7919%len(s.citizens)]} },
			[]string{"audit_events_subject"}},
		{"object (submission, also in lists)", func(r int) store.AuditQuery {
			return store.AuditQuery{ObjectID: s.submission(r * 104729 % (len(s.pseudo) * 5))}
		}, []string{"audit_events_object", "audit_list_objects"}},
		{"actor, busiest", func(int) store.AuditQuery { return store.AuditQuery{ActorID: s.staff[0]} }, []string{"audit_events_actor"}},
		{"actor, quietest", func(int) store.AuditQuery { return store.AuditQuery{ActorID: s.staff[49]} }, []string{"audit_events_actor"}},
		{"action, common", func(int) store.AuditQuery { return store.AuditQuery{Actions: []string{"submission.read"}} },
			[]string{"audit_events_action"}},
		{"action, rare", func(r int) store.AuditQuery { return store.AuditQuery{Actions: []string{scaleRare[r%len(scaleRare)]}} },
			[]string{"audit_events_action"}},
		{"group: submissions", func(int) store.AuditQuery {
			return store.AuditQuery{Actions: audit.ActionsIn(audit.GroupSubmissions)}
		}, []string{"audit_events_action"}},
		{"group: accounts", func(int) store.AuditQuery { return store.AuditQuery{Actions: audit.ActionsIn(audit.GroupAccounts)} },
			[]string{"audit_events_action"}},
		{"actor + action", func(r int) store.AuditQuery {
			return store.AuditQuery{ActorID: s.staff[r%len(s.staff)], Actions: []string{"submission.read"}}
		}, []string{"audit_events_actor_action"}},
		{"actor + rare action", func(r int) store.AuditQuery {
			return store.AuditQuery{ActorID: s.staff[0], Actions: []string{scaleRare[r%len(scaleRare)]}}
		}, []string{"audit_events_actor_action"}},
		{"period: one day", func(r int) store.AuditQuery {
			from, to := day(r)
			return store.AuditQuery{From: from, To: to}
		}, []string{"audit_events_at"}},
		{"period + rare action", func(r int) store.AuditQuery {
			from, _ := day(r)
			return store.AuditQuery{From: from, To: from.Add(90 * 24 * time.Hour), Actions: []string{scaleRare[r%len(scaleRare)]}}
		}, []string{"audit_events_action"}},
		{"period + actor", func(r int) store.AuditQuery {
			from, to := day(r)
			return store.AuditQuery{From: from, To: to, ActorID: s.staff[r%len(s.staff)]}
		}, []string{"audit_events_actor"}},
		{"citizen + group", func(r int) store.AuditQuery {
			return store.AuditQuery{Subject: s.citizens[r*7919%len(s.citizens)], Actions: audit.ActionsIn(audit.GroupSubmissions)}
		}, []string{"audit_events_subject"}},
	}
}

// TestClauseAUD1_AuditFiltersReadAnIndex: every filter of the audit page
// — none, citizen, object (also inside list events), actor, one action, a
// group of actions, actor and action, a period, and their combinations —
// is planned as a range of its index of migration 0025 on both databases,
// read in the page's order (no sort of the matches) for the first page and
// the pages after it; the test fails when an index is dropped.
func TestClauseAUD1_AuditFiltersReadAnIndex(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		s := newScaleLog(t, env, tn.ID, 20_000, 2_000)
		s.seed(t, env)
		// Before the statistics (just after a large import, before
		// autovacuum came by) and after them. Without statistics
		// PostgreSQL expects a tenant to have a few dozen events and
		// sorts them for the page without a filter (a sort of the whole
		// log): that is why a restore ends with ANALYZE
		// (docs/operations.md). Every other filter holds without.
		for _, analyzed := range []bool{false, true} {
			filters := s.filters()
			if analyzed {
				analyze(t, env)
			} else if env.Dialect == store.Postgres {
				filters = filters[1:]
			}
			checkAuditPlans(t, env, tn.ID, filters)
		}
	})
}

func checkAuditPlans(t *testing.T, env *storetest.Env, tenantID string, filters []scaleFilter) {
	t.Helper()
	for _, f := range filters {
		for _, next := range []bool{false, true} {
			plan, err := env.DB.AuditLogPlan(ctx, tenantID, f.query(1), next)
			if err != nil {
				t.Fatalf("%s: %v", f.name, err)
			}
			for _, index := range f.indexes {
				if !strings.Contains(plan, index) {
					t.Errorf("%s (next page %v): the plan does not read %s:\n%s", f.name, next, index, plan)
				}
			}
			// One driving range per branch, in the page's order: a sort
			// is allowed only to merge branches or the few rows of
			// list events.
			if len(f.query(1).Actions) <= 1 && !strings.HasPrefix(f.name, "object") {
				if strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort") {
					t.Errorf("%s (next page %v): the plan sorts the matches:\n%s", f.name, next, plan)
				}
			}
			if !slices.Contains(f.indexes, "audit_events_at") && strings.Contains(plan, "audit_events_at") {
				t.Errorf("%s (next page %v): the plan reads the whole log by time:\n%s", f.name, next, plan)
			}
			if strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "SCAN audit_events") {
				t.Errorf("%s (next page %v): the plan scans the table:\n%s", f.name, next, plan)
			}
		}
	}
}

// TestClauseAUD1_AuditDownloadHoldsEveryEvent: a download of the log holds
// every event of its filter — here more than 10,000, the old cap —, newest
// first, each once, handed over in bounded batches (constant memory),
// and is recorded once, before the first batch, with the newest event it
// can hold; events appended during the download are not in it.
func TestClauseAUD1_AuditDownloadHoldsEveryEvent(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		s := newScaleLog(t, env, tn.ID, 20_000, 500)
		s.seed(t, env)
		analyze(t, env)
		if n, err := env.DB.VerifyAudit(ctx, tn.ID); err != nil || n != 20_001 {
			t.Fatalf("the seeded log does not verify: %d events, %v", n, err)
		}
		dpo := audit.Actor{Kind: audit.KindUser, ID: "dpo-1", Role: "dpo", RequestID: "r"}
		group := audit.ActionsIn(audit.GroupSubmissions)
		for _, q := range []store.AuditQuery{{}, {Actions: group}} {
			var matching []audit.Event
			if err := env.DB.EachAuditEvent(ctx, tn.ID, func(e *audit.Event) error {
				if len(q.Actions) == 0 || slices.Contains(q.Actions, e.Action) {
					matching = append(matching, audit.Event{Seq: e.Seq, Time: e.Time})
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			// The page's order: newest first by time, then by sequence.
			slices.SortFunc(matching, func(a, b audit.Event) int {
				if c := b.Time.Compare(a.Time); c != 0 {
					return c
				}
				return int(b.Seq - a.Seq)
			})
			var want []int64
			for _, e := range matching {
				want = append(want, e.Seq)
			}
			if len(want) <= 10_000 {
				t.Fatalf("the test needs more than 10,000 matching events, has %d", len(want))
			}
			var got []int64
			var last audit.Event
			batches, largest := 0, 0
			n, err := env.DB.AuditExport(ctx, dpo, tn.ID, q, func(b []audit.Event) error {
				if batches == 0 {
					// Recorded before the first event leaves the store.
					last = lastEvent(t, env, tn.ID)
					// Appended during the download: not in it.
					if err := env.DB.Audit(ctx, audit.Event{TenantID: tn.ID, Actor: dpo, Action: "submission.read",
						ObjectType: "submission", ObjectID: "late"}); err != nil {
						t.Fatal(err)
					}
				}
				batches, largest = batches+1, max(largest, len(b))
				for _, e := range b {
					got = append(got, e.Seq)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(got)) || !slices.Equal(got, want) {
				t.Fatalf("filter %v: the download holds %d events (n %d), want %d, newest first", q.Actions != nil, len(got), n, len(want))
			}
			if largest > 1000 || batches < len(want)/1000 {
				t.Fatalf("%d batches, the largest of %d events", batches, largest)
			}
			if last.Action != "audit.export" || last.ObjectID != fmt.Sprintf("1-%d", slices.Max(want)) && len(q.Actions) == 0 {
				t.Fatalf("the download was recorded as %s %s", last.Action, last.ObjectID)
			}
		}
	})
}

// BenchmarkAuditPageFilters times the first page (50 events, newest
// first, the read recorded as the page records it) of each filter of the
// audit page on a log of 100,000 events in one tenant, on SQLite and
// PostgreSQL, and prints p50 and p95 per filter over 40 runs with varying
// values. Run it with -benchtime=1x: the seeding is the long part.
func BenchmarkAuditPageFilters(b *testing.B) { benchAuditPage(b, 100_000, 20_000) }

// BenchmarkAuditPageFilters5M is the same on 5,000,000 events, 200,000
// citizens (the benchmark of AUD-1's page at scale: each p95 ≤ 100 ms). It
// seeds for minutes and takes some GB of disk per database, so it runs only
// with KLUIS_BENCH_5M=1.
func BenchmarkAuditPageFilters5M(b *testing.B) {
	if os.Getenv("KLUIS_BENCH_5M") != "1" {
		b.Skip("set KLUIS_BENCH_5M=1 to seed 5,000,000 events")
	}
	benchAuditPage(b, 5_000_000, 200_000)
}

func benchAuditPage(b *testing.B, n, citizens int) {
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		tn, err := env.DB.CreateTenant(ctx, operator, tenant.New{Slug: "gent", LegalName: "Gemeente Gent",
			EnterpriseNumber: "0207.451.227", DPOName: "DPO", DPOEmail: "dpo@gent.example", DefaultLang: "nl"})
		if err != nil {
			b.Fatal(err)
		}
		s := newScaleLog(b, env, tn.ID, n, citizens)
		t0 := time.Now()
		s.seed(b, env)
		analyze(b, env)
		seeded := time.Since(t0)
		size := ""
		if env.Dialect == store.SQLite {
			if fi, err := os.Stat(env.Path); err == nil {
				size = fmt.Sprintf("%.2f GB file", float64(fi.Size())/1e9)
			}
		} else {
			var table, indexes int64
			env.Raw(b).QueryRow(`SELECT pg_table_size('audit_events'), pg_indexes_size('audit_events')`).Scan(&table, &indexes)
			size = fmt.Sprintf("table %.2f GB, indexes %.2f GB", float64(table)/1e9, float64(indexes)/1e9)
		}
		dpo := audit.Actor{Kind: audit.KindUser, ID: "dpo-1", Role: "dpo", RequestID: "bench"}
		const runs = 40
		var out strings.Builder
		fmt.Fprintf(&out, "\n%s: %d events, %d citizens, seeded (PostgreSQL: and analysed) in %s (%s)\n", env.Dialect, n, citizens, seeded.Round(time.Second), size)
		fmt.Fprintf(&out, "%-36s %9s %9s %9s %7s\n", "filter (first page of 50)", "p50", "p95", "max", "rows")
		var worst time.Duration
		b.ResetTimer()
		for range b.N {
			for _, f := range s.filters() {
				var d []time.Duration
				rows := 0
				for r := range runs {
					t0 := time.Now()
					p, err := env.DB.AuditLog(ctx, dpo, tn.ID, f.query(r))
					d = append(d, time.Since(t0))
					if err != nil {
						b.Fatalf("%s: %v", f.name, err)
					}
					rows += len(p.Events)
				}
				slices.Sort(d)
				p95 := d[runs*95/100-1]
				worst = max(worst, p95)
				fmt.Fprintf(&out, "%-36s %9s %9s %9s %7.1f\n", f.name, d[runs/2].Round(10*time.Microsecond),
					p95.Round(10*time.Microsecond), d[runs-1].Round(10*time.Microsecond), float64(rows)/runs)
			}
		}
		b.StopTimer()
		fmt.Print(out.String())
		b.ReportMetric(float64(worst.Microseconds())/1000, "worst-p95-ms")
	})
}

// TestClauseAUD2_PruningTakesListIdsAlong: the ids of the list events a
// pruning removes leave audit_list_objects with them, and the object filter
// still finds the list events that remain (AUD-1, AUD-2).
func TestClauseAUD2_PruningTakesListIdsAlong(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent").ID
		signer, _ := keyringSigner(t, env.DB)
		clerk := audit.Actor{Kind: audit.KindUser, ID: "clerk-1", Role: "user", RequestID: "r"}
		list := func(ids string) {
			t.Helper()
			if err := env.DB.Audit(ctx, audit.Event{TenantID: tn, Actor: clerk, Action: "submission.list", ObjectType: "submission",
				ObjectID: ids, Purpose: "inbox"}); err != nil {
				t.Fatal(err)
			}
		}
		list("sub-a,sub-b")
		head, err := env.DB.AuditHead(ctx, tn)
		if err != nil {
			t.Fatal(err)
		}
		signAt(t, env.DB, tn, head.Seq, signer, "cp")
		env.Clock.Advance(25 * month)
		list("sub-a,sub-c")
		rec, err := env.DB.PruneAudit(ctx, tn, signer)
		if err != nil || rec.Size != head.Seq {
			t.Fatalf("prune: %v (through %d, want %d)", err, rec.Size, head.Seq)
		}
		var old, kept int
		raw := env.Raw(t)
		raw.QueryRow(`SELECT count(*) FROM audit_list_objects WHERE tenant_id = $1 AND seq <= $2`, tn, rec.Size).Scan(&old)
		raw.QueryRow(`SELECT count(*) FROM audit_list_objects WHERE tenant_id = $1 AND seq > $2`, tn, rec.Size).Scan(&kept)
		if old != 0 || kept != 2 {
			t.Fatalf("list ids of pruned events %d (want 0), of kept events %d (want 2)", old, kept)
		}
		dpo := audit.Actor{Kind: audit.KindUser, ID: "dpo-1", Role: "dpo", RequestID: "r"}
		p, err := env.DB.AuditLog(ctx, dpo, tn, store.AuditQuery{ObjectID: "sub-a"})
		if err != nil || len(p.Events) != 1 || p.Events[0].ObjectID != "sub-a,sub-c" {
			t.Fatalf("object filter after pruning: %v %+v", err, p.Events)
		}
	})
}
