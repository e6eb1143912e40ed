package acmecert

import (
	"context"
	"errors"

	"golang.org/x/crypto/acme/autocert"

	"github.com/kluis/kluis/internal/store"
)

// DBCache is an autocert.Cache in the database all nodes share (LOC-2,
// SEC-3): the first node that needs a host's certificate orders it and
// stores it; every other node finds it there and serves the same one, so
// a cluster behind a load balancer orders once per name (and stays within
// the CA's rate limits), and a node that joins or restarts orders nothing.
// The store seals each entry with the platform key, bound to its name, so
// no private key is at rest in plaintext, backups included.
type DBCache struct{ DB *store.DB }

var _ autocert.Cache = DBCache{}

// Get returns the entry under name; autocert.ErrCacheMiss when none.
func (c DBCache) Get(ctx context.Context, name string) ([]byte, error) {
	b, err := c.DB.ACMECacheGet(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, autocert.ErrCacheMiss
	}
	return b, err
}

// Put stores data under name, replacing what was there.
func (c DBCache) Put(ctx context.Context, name string, data []byte) error {
	return c.DB.ACMECachePut(ctx, name, data)
}

// Delete removes the entry under name.
func (c DBCache) Delete(ctx context.Context, name string) error {
	return c.DB.ACMECacheDelete(ctx, name)
}
