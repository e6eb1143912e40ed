package audit

import (
	"errors"
	"testing"
	"time"
)

func chain(n int) []Event {
	var evs []Event
	prev := Genesis("t1")
	for i := 1; i <= n; i++ {
		e := Event{TenantID: "t1", Seq: int64(i), Time: time.Unix(int64(i), 0), Actor: Actor{Kind: KindUser, ID: "u1", Role: "user"},
			Action: "submission.read", ObjectType: "submission", ObjectID: "s1", Purpose: "p", Outcome: OutcomeSuccess, PrevHash: prev}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		evs = append(evs, e)
	}
	return evs
}

func verify(evs []Event, head Head) error {
	v := NewVerifier("t1")
	for i := range evs {
		if err := v.Next(&evs[i]); err != nil {
			return err
		}
	}
	return v.Finish(head)
}

func TestHashCoversEveryField(t *testing.T) {
	base := chain(1)[0]
	mutations := map[string]func(*Event){
		"tenant": func(e *Event) { e.TenantID = "t2" }, "seq": func(e *Event) { e.Seq = 2 },
		"time": func(e *Event) { e.Time = e.Time.Add(time.Microsecond) }, "kind": func(e *Event) { e.Actor.Kind = KindSystem },
		"actor": func(e *Event) { e.Actor.ID = "u2" }, "role": func(e *Event) { e.Actor.Role = "admin" },
		"on behalf of": func(e *Event) { e.Actor.OnBehalfOf = "g1" }, "request": func(e *Event) { e.Actor.RequestID = "r" },
		"action": func(e *Event) { e.Action = "x" }, "object type": func(e *Event) { e.ObjectType = "x" },
		"object id": func(e *Event) { e.ObjectID = "x" }, "subject": func(e *Event) { e.Subject = "x" },
		"purpose": func(e *Event) { e.Purpose = "x" }, "outcome": func(e *Event) { e.Outcome = OutcomeFailure },
		"prev": func(e *Event) { e.PrevHash = []byte("x") },
		// Length prefixes keep field boundaries: moving a character from one
		// field to the next changes the hash.
		"boundary": func(e *Event) { e.ObjectType, e.ObjectID = e.ObjectType+e.ObjectID[:1], e.ObjectID[1:] },
	}
	for name, mut := range mutations {
		t.Run(name, func(t *testing.T) {
			e := base
			mut(&e)
			if string(e.ComputeHash()) == string(base.Hash) {
				t.Fatal("hash unchanged")
			}
		})
	}
}

func TestVerifier(t *testing.T) {
	good := chain(5)
	head := Head{Seq: 5, Hash: good[4].Hash}
	if err := verify(good, head); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		evs     func() []Event
		head    Head
		wantSeq int64
	}{
		{"edited", func() []Event { e := chain(5); e[2].Purpose = "other"; return e }, head, 3},
		{"deleted", func() []Event { e := chain(5); return append(e[:1], e[2:]...) }, head, 2},
		{"swapped", func() []Event { e := chain(5); e[1], e[2] = e[2], e[1]; return e }, head, 2},
		{"truncated", func() []Event { return chain(5)[:3] }, head, 4},
		{"extra after head", func() []Event { return chain(5) }, Head{Seq: 4, Hash: good[3].Hash}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b *BrokenError
			if err := verify(tt.evs(), tt.head); !errors.As(err, &b) || b.Seq != tt.wantSeq {
				t.Fatalf("got %v, want broken at %d", err, tt.wantSeq)
			}
		})
	}
}

func TestActorValidate(t *testing.T) {
	if err := (Actor{}).Validate(); err == nil {
		t.Fatal("empty actor accepted")
	}
	if err := (Actor{Kind: "ghost", ID: "x"}).Validate(); err == nil {
		t.Fatal("unknown kind accepted")
	}
	if err := System("job").Validate(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkVerifyChain measures the verifier alone (hashing), without I/O.
func BenchmarkVerifyChain(b *testing.B) {
	evs := chain(10_000)
	head := Head{Seq: 10_000, Hash: evs[len(evs)-1].Hash}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := verify(evs, head); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*10_000/b.Elapsed().Seconds(), "events/s")
}
