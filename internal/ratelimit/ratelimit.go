// Package ratelimit provides an in-memory token bucket per key (a client
// address, an API key): each key may burst up to the limit and regains
// one request every minute/limit. It imports only the standard library.
package ratelimit

import (
	"sync"
	"time"
)

// maxKeys is how many keys a Limiter holds before it forgets those whose
// buckets are full again (they lose nothing by being forgotten).
const maxKeys = 10000

// Limiter is a token bucket per key, safe for concurrent use.
type Limiter struct {
	mu        sync.Mutex
	perMinute float64
	buckets   map[string]*bucket
	now       func() time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New allows perMinute requests a minute per key, in bursts of up to
// perMinute; now is the clock (time.Now, or a test's).
func New(perMinute int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{perMinute: float64(perMinute), buckets: map[string]*bucket{}, now: now}
}

// Allow takes a token for key and reports whether there was one.
func (l *Limiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.buckets) > maxKeys {
		for k, b := range l.buckets {
			if now.Sub(b.at) >= time.Minute {
				delete(l.buckets, k)
			}
		}
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.perMinute, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.perMinute, b.tokens+now.Sub(b.at).Minutes()*l.perMinute)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
