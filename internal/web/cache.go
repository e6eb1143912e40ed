package web

import (
	"strings"
	"sync"
	"time"
)

// ttlCache keeps values for a short time, so that the e-loket's hottest
// reads (the tenant of a path, a published form) do not cost a query per
// request. Entries live ttl; whatever must be exact is checked again where
// it matters (a submission is refused in its transaction when the form
// version it was filled in under is no longer the published one).
type ttlCache[V any] struct {
	mu      sync.Mutex
	ttl     time.Duration
	entries map[string]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v   V
	exp time.Time
}

func newTTLCache[V any](ttl time.Duration) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl, entries: map[string]ttlEntry[V]{}}
}

// get returns the value of key, calling load when there is none or it has
// expired; load's errors are not cached.
func (c *ttlCache[V]) get(key string, load func() (V, error)) (V, error) {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.exp) {
		return e.v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if len(c.entries) > 10000 {
		for k, e := range c.entries {
			if !now.Before(e.exp) {
				delete(c.entries, k)
			}
		}
	}
	c.entries[key] = ttlEntry[V]{v, now.Add(c.ttl)}
	c.mu.Unlock()
	return v, nil
}

// forget drops key, so that the next get loads it afresh (after a change
// this node made itself).
func (c *ttlCache[V]) forget(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}

// forgetPrefix drops every key that starts with prefix (a tenant's forms
// after a change that tenant's staff made).
func (c *ttlCache[V]) forgetPrefix(prefix string) {
	c.mu.Lock()
	for k := range c.entries {
		if strings.HasPrefix(k, prefix) {
			delete(c.entries, k)
		}
	}
	c.mu.Unlock()
}
