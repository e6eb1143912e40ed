// Package acmecert gets and renews the TLS certificates of tenants' own
// host names by ACME (RFC 8555, HTTP-01), with golang.org/x/crypto's
// autocert. Only a name some tenant has configured may cause an order:
// the host policy asks the store (through a short cache) before autocert
// talks to the CA, so a stranger pointing DNS at the platform, or sending
// any SNI name, cannot make Kluis order certificates (or exhaust the CA's
// rate limits) for names no tenant holds.
//
// Certificates and their private keys, and the ACME account key, are
// secrets. By default they live in the database every node shares
// (DBCache), sealed with the platform key, so that nodes behind one load
// balancer order a certificate once and serve the same one; with a cache
// directory instead they live on the node's disk, one file per name, mode
// 0600 in a 0700 directory (autocert.DirCache). Never in the tenant
// export or the logs.
package acmecert

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/kluis/kluis/internal/tenant"
)

// DefaultRenewBefore is how long before expiry a certificate is renewed:
// a third of Let's Encrypt's 90 days, as the CA recommends.
const DefaultRenewBefore = 30 * 24 * time.Hour

// Known says whether some tenant holds host (normalised).
type Known func(ctx context.Context, host string) (bool, error)

// Options configure a Manager.
type Options struct {
	// DirectoryURL is the CA's ACME directory (KLUIS_ACME_DIRECTORY).
	DirectoryURL string
	// Email is the account's contact (KLUIS_ACME_EMAIL); may be empty.
	Email string
	// Cache holds the account key and the certificates (secrets); when nil,
	// CacheDir does.
	Cache autocert.Cache
	// CacheDir is a directory cache of the node's own (without Cache).
	CacheDir string
	// Known decides which names may get a certificate.
	Known Known
	// HTTPClient talks to the CA (tests: one that trusts a local CA).
	HTTPClient *http.Client
	// RenewBefore; DefaultRenewBefore when zero.
	RenewBefore time.Duration
	// CacheFor is how long an answer of Known is kept; a minute when zero.
	CacheFor time.Duration
	// Now is the clock of the host cache and RenewalDue; time.Now when nil.
	Now func() time.Time
}

// ErrNotConfigured is the host policy's refusal: no tenant holds the name.
var ErrNotConfigured = errors.New("acmecert: no tenant has configured this host name")

// Manager is an autocert.Manager whose host policy allows tenants' names.
type Manager struct {
	*autocert.Manager
	opts  Options
	mu    sync.Mutex
	known map[string]knownEntry
}

type knownEntry struct {
	ok  bool
	exp time.Time
}

// New returns the manager. A cache directory is created 0700.
func New(o Options) (*Manager, error) {
	if o.DirectoryURL == "" || (o.Cache == nil && o.CacheDir == "") || o.Known == nil {
		return nil, errors.New("acmecert: a directory URL, a cache and a host lookup are needed")
	}
	if o.RenewBefore <= 0 {
		o.RenewBefore = DefaultRenewBefore
	}
	if o.CacheFor <= 0 {
		o.CacheFor = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cache := o.Cache
	if cache == nil {
		if err := os.MkdirAll(o.CacheDir, 0o700); err != nil {
			return nil, fmt.Errorf("acmecert: cache directory: %w", err)
		}
		if err := os.Chmod(o.CacheDir, 0o700); err != nil {
			return nil, fmt.Errorf("acmecert: cache directory: %w", err)
		}
		cache = autocert.DirCache(o.CacheDir)
	}
	m := &Manager{opts: o, known: map[string]knownEntry{}}
	m.Manager = &autocert.Manager{
		Prompt:      autocert.AcceptTOS,
		Cache:       cache,
		HostPolicy:  m.HostPolicy,
		RenewBefore: o.RenewBefore,
		Email:       o.Email,
		Client:      &acme.Client{DirectoryURL: o.DirectoryURL, HTTPClient: o.HTTPClient},
	}
	return m, nil
}

// HostPolicy allows host only when it is a valid name that some tenant
// has configured; anything else is refused before the CA is contacted.
func (m *Manager) HostPolicy(ctx context.Context, host string) error {
	// The HTTP-01 handler passes the Host header, which may carry a port.
	if name, _, err := net.SplitHostPort(host); err == nil {
		host = name
	}
	h, err := tenant.NormalizeHost(host)
	if err != nil {
		return ErrNotConfigured
	}
	now := m.opts.Now()
	m.mu.Lock()
	e, hit := m.known[h]
	m.mu.Unlock()
	if !hit || !now.Before(e.exp) {
		ok, err := m.opts.Known(ctx, h)
		if err != nil {
			return fmt.Errorf("acmecert: host lookup: %w", err)
		}
		e = knownEntry{ok: ok, exp: now.Add(m.opts.CacheFor)}
		m.mu.Lock()
		if len(m.known) > 10000 {
			clear(m.known)
		}
		m.known[h] = e
		m.mu.Unlock()
	}
	if !e.ok {
		return ErrNotConfigured
	}
	return nil
}

// RenewalDue says whether a certificate valid until leaf.NotAfter is due
// for renewal at now: from RenewBefore before its expiry on. autocert
// makes the same decision on its own clock (it schedules the renewal at
// NotAfter − RenewBefore); this is the decision with an injectable clock,
// for the status the operator sees and for tests.
func (m *Manager) RenewalDue(leaf *x509.Certificate, now time.Time) bool {
	return !now.Before(leaf.NotAfter.Add(-m.opts.RenewBefore))
}
