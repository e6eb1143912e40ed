package auditproof_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
)

// benchLog is a large clean log held as its hashes only (32 MB for a
// million events); its events are rebuilt on the fly in a few nanoseconds,
// so that the benchmarks measure verification, not memory.
type benchLog struct {
	n      int
	hashes [][]byte
	gen    []byte
}

var objectIDs = func() []string {
	s := make([]string, 64)
	for i := range s {
		s[i] = fmt.Sprintf("s-%04d", i)
	}
	return s
}()

func (l *benchLog) fill(e *audit.Event, i int) {
	*e = audit.Event{TenantID: tenant, Seq: int64(i + 1),
		Time:   time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond),
		Actor:  audit.Actor{Kind: audit.KindUser, ID: "u-17", Role: "caseworker", RequestID: "req-5f1c2a"},
		Action: "submission.read", ObjectType: "submission", ObjectID: objectIDs[i%len(objectIDs)],
		Subject: "9f2c0aa1b3d4e5f6", Purpose: "handling the request", Outcome: audit.OutcomeSuccess}
	if i%7 == 3 {
		e.Action, e.ObjectType, e.ObjectID, e.Outcome = "login.failure", "user", "u-4", audit.OutcomeFailure
	}
	if i == 0 {
		e.PrevHash = l.gen
	} else {
		e.PrevHash = l.hashes[i-1]
	}
	if l.hashes != nil && i < len(l.hashes) && l.hashes[i] != nil {
		e.Hash = l.hashes[i]
	}
}

var benchLogs = map[int]*benchLog{}

func newBenchLog(n int) *benchLog {
	if l, ok := benchLogs[n]; ok {
		return l
	}
	l := &benchLog{n: n, hashes: make([][]byte, n), gen: audit.Genesis(tenant)}
	flat := make([]byte, n*32)
	var e audit.Event
	for i := 0; i < n; i++ {
		l.fill(&e, i)
		h := e.ComputeHash()
		l.hashes[i] = flat[i*32 : (i+1)*32 : (i+1)*32]
		copy(l.hashes[i], h)
	}
	benchLogs[n] = l
	return l
}

func (l *benchLog) events() auditproof.Events {
	i := 0
	return func(e *audit.Event) (bool, error) {
		if i >= l.n {
			return false, nil
		}
		l.fill(e, i)
		i++
		return true, nil
	}
}

// checkpoints signs the checkpoints of the first n events, one every
// `every` events.
func (l *benchLog) checkpoints(b *testing.B, k key, n, every int) []auditproof.SignedCheckpoint {
	var cps []auditproof.SignedCheckpoint
	lg := auditproof.NewLog()
	var e audit.Event
	for i := 0; i < n; i++ {
		l.fill(&e, i)
		if err := lg.AppendEvent(&e); err != nil {
			b.Fatal(err)
		}
		if (i+1)%every == 0 {
			note, err := auditproof.Sign(auditproof.Checkpoint{Origin: origin, Size: lg.Size(), Root: lg.Root()}, k.signer)
			if err != nil {
				b.Fatal(err)
			}
			cps = append(cps, auditproof.SignedCheckpoint{Name: fmt.Sprint(i + 1), Note: note})
		}
	}
	return cps
}

const million = 1_000_000

// BenchmarkSignCheckpoint signs one checkpoint (target ≤ 50 ms).
func BenchmarkSignCheckpoint(b *testing.B) {
	k := newKey(b)
	c := auditproof.Checkpoint{Origin: origin, Size: 123456789, Root: bytes.Repeat([]byte{7}, 32)}
	for b.Loop() {
		if _, err := auditproof.Sign(c, k.signer); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/checkpoint")
}

// BenchmarkLogAppend appends a million events' leaves to a compact range
// and takes the root; the baseline in the same run is the chain hash the
// store already computes for each event (ComputeHash). merkle/chain is the
// Merkle bookkeeping's cost relative to the chain's.
func BenchmarkLogAppend(b *testing.B) {
	l := newBenchLog(million)
	var e audit.Event
	start := time.Now()
	for i := 0; i < million; i++ {
		l.fill(&e, i)
		_ = e.ComputeHash()
	}
	chain := time.Since(start)
	b.ResetTimer()
	for b.Loop() {
		lg := auditproof.NewLog()
		for i := 0; i < million; i++ {
			l.fill(&e, i)
			if err := lg.AppendEvent(&e); err != nil {
				b.Fatal(err)
			}
		}
		_ = lg.Root()
	}
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(per.Nanoseconds())/million, "ns/leaf")
	b.ReportMetric(float64(chain.Nanoseconds())/million, "chain-ns/event")
	b.ReportMetric(float64(per)/float64(chain), "merkle/chain")
}

// BenchmarkVerify verifies a million events against ten checkpoints
// (target ≥ 1,000,000 events/s). The baseline in the same run is the
// chain walk alone (what `kluis audit verify` does today, over the same
// events); verify/chain is the checkpoints' cost.
func BenchmarkVerify(b *testing.B) {
	l := newBenchLog(million)
	k := newKey(b)
	cps := l.checkpoints(b, k, million, 100_000)
	var e audit.Event
	start := time.Now()
	v, next := audit.NewVerifier(tenant), l.events()
	for {
		ok, _ := next(&e)
		if !ok {
			break
		}
		if err := v.Next(&e); err != nil {
			b.Fatal(err)
		}
	}
	chain := time.Since(start)
	b.ResetTimer()
	for b.Loop() {
		r, err := auditproof.Verify(tenant, origin, k.v, cps, l.events())
		if err != nil || r.Events != million {
			b.Fatal(r, err)
		}
	}
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(million/per.Seconds(), "events/s")
	b.ReportMetric(million/chain.Seconds(), "chain-events/s")
	b.ReportMetric(float64(per)/float64(chain), "verify/chain")
}

// benchExport is the export of the first n events of the million.
func benchExport(b *testing.B, n int) []byte {
	l := newBenchLog(million)
	var buf bytes.Buffer
	w, _ := auditproof.NewExportWriter(&buf, tenant)
	var e audit.Event
	for i := 0; i < n; i++ {
		l.fill(&e, i)
		if err := w.Write(&e); err != nil {
			b.Fatal(err)
		}
	}
	_ = w.Flush()
	return buf.Bytes()
}

// BenchmarkReadExport reads 100,000 events from a JSON Lines export: the
// cost of the file before verification starts.
func BenchmarkReadExport(b *testing.B) {
	const n = 100_000
	data := benchExport(b, n)
	buf := bytes.NewBuffer(data)
	var e audit.Event
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		x, err := auditproof.NewExportReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		for {
			ok, err := x.Next(&e)
			if err != nil {
				b.Fatal(err)
			}
			if !ok {
				break
			}
			count++
		}
		if count != n {
			b.Fatal(count)
		}
	}
	b.ReportMetric(n/(b.Elapsed()/time.Duration(b.N)).Seconds(), "events/s")
}

// BenchmarkVerifyExport is what `kluis audit verify --export` will do:
// read 100,000 events from their export (47 MB, held in memory to leave
// the disk out) and verify them against ten checkpoints.
func BenchmarkVerifyExport(b *testing.B) {
	const n = 100_000
	data := benchExport(b, n)
	k := newKey(b)
	cps := newBenchLog(million).checkpoints(b, k, n, 10_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		x, err := auditproof.NewExportReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		r, err := auditproof.Verify(x.Tenant(), origin, k.v, cps, x.Next)
		if err != nil || r.Events != n {
			b.Fatal(r, err)
		}
	}
	b.ReportMetric(n/(b.Elapsed()/time.Duration(b.N)).Seconds(), "events/s")
}
