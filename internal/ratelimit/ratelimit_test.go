package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

// TestLimiter: a key bursts up to the limit, is refused after, regains
// tokens with time, and other keys are not touched; full buckets are
// forgotten once there are many keys.
func TestLimiter(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	l := New(3, func() time.Time { return now })
	for i := range 3 {
		if !l.Allow("a") {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	if l.Allow("a") {
		t.Fatal("the 4th request in a minute was allowed")
	}
	if !l.Allow("b") {
		t.Fatal("another key is limited by the first")
	}
	now = now.Add(20 * time.Second) // one token back
	if !l.Allow("a") || l.Allow("a") {
		t.Fatal("a token is not regained after minute/limit")
	}
	for i := range maxKeys + 1 {
		l.Allow(fmt.Sprint("k", i))
	}
	now = now.Add(time.Minute)
	l.Allow("trigger")
	if n := len(l.buckets); n > 10 {
		t.Fatalf("%d buckets kept after they were full again", n)
	}
}
