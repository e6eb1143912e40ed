package acmecert_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/acmecert"
	"github.com/kluis/kluis/internal/acmecert/pebbletest"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// orderLog records the names of every new-order request sent to the CA.
type orderLog struct {
	next http.RoundTripper
	mu   sync.Mutex
	ids  []string
}

func (o *orderLog) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		var jws struct{ Payload string }
		json.Unmarshal(b, &jws)
		p, _ := base64.RawURLEncoding.DecodeString(jws.Payload)
		var order struct{ Identifiers []struct{ Value string } }
		if json.Unmarshal(p, &order) == nil && len(order.Identifiers) > 0 {
			o.mu.Lock()
			for _, id := range order.Identifiers {
				o.ids = append(o.ids, id.Value)
			}
			o.mu.Unlock()
		}
	}
	return o.next.RoundTrip(r)
}

func (o *orderLog) count(host string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, id := range o.ids {
		if id == host {
			n++
		}
	}
	return n
}

// handshake connects to addr as a browser asking for host would, trusting
// roots only, and returns the leaf it was given.
func handshake(addr, host string, roots *x509.CertPool) (*x509.Certificate, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 30 * time.Second}, "tcp", addr, &tls.Config{ServerName: host, RootCAs: roots})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0], nil
}

// TestACME_TenantHostGetsCertificateRenewedBeforeExpiry_UnknownHostNoOrder:
// against a real ACME server (pebble) and a real HTTP-01 challenge fetched
// over loopback, a host name a tenant configured in the store gets a
// certificate that verifies against the CA's root; a certificate whose
// remaining life is within RenewBefore is renewed by autocert before it
// expires (a second order, a new serial in the cache); the renewal decision
// follows the injected clock; a name no tenant configured is refused by the
// host policy and never reaches the CA as an order; the cached keys are
// mode 0600 in a 0700 directory.
func TestACME_TenantHostGetsCertificateRenewedBeforeExpiry_UnknownHostNoOrder(t *testing.T) {
	challenge, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer challenge.Close()
	// Certificates live an hour and are renewed from two hours before
	// expiry: each one is due at once, so renewal is observable now.
	pebble := pebbletest.Start(t, challenge.Addr().(*net.TCPAddr).Port, time.Hour)

	env := storetest.SQLite(t)
	ctx := context.Background()
	op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
	tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: "gent", LegalName: "Stad Gent", EnterpriseNumber: "0207451227",
		DPOName: "D", DPOEmail: "dpo@gent.be"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.AddTenantHost(ctx, op, tn.ID, "www.gent.be"); err != nil {
		t.Fatal(err)
	}
	orders := &orderLog{next: pebble.Client.Transport}
	var lookups int
	var mu sync.Mutex
	now := time.Now()
	cacheDir := filepath.Join(t.TempDir(), "acme")
	m, err := acmecert.New(acmecert.Options{DirectoryURL: pebble.Directory, Email: "ops@kluis.example", CacheDir: cacheDir,
		HTTPClient: &http.Client{Transport: orders, Timeout: 30 * time.Second}, RenewBefore: 2 * time.Hour,
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		Known: func(ctx context.Context, host string) (bool, error) {
			mu.Lock()
			lookups++
			mu.Unlock()
			_, err := env.DB.TenantByHost(ctx, host)
			if errors.Is(err, store.ErrNotFound) {
				return false, nil
			}
			return err == nil, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	go http.Serve(challenge, m.HTTPHandler(nil))
	ln, err := tls.Listen("tcp", "127.0.0.1:0", m.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	roots := pebble.Roots(t)

	// A name no tenant configured: refused before any order.
	for _, h := range []string{"www.elders.be", "192.0.2.1", "localhost"} {
		if _, err := handshake(ln.Addr().String(), h, roots); err == nil {
			t.Fatalf("%s got a certificate", h)
		}
	}
	if err := m.HostPolicy(ctx, "www.elders.be"); !errors.Is(err, acmecert.ErrNotConfigured) {
		t.Fatalf("host policy for an unknown name: %v", err)
	}
	if n := orders.count("www.elders.be"); n != 0 {
		t.Fatalf("%d orders for a name no tenant configured", n)
	}

	// The tenant's host: a certificate from the CA, verified against its root.
	leaf, err := handshake(ln.Addr().String(), "www.gent.be", roots)
	if err != nil {
		t.Fatalf("handshake for the tenant's host: %v", err)
	}
	if leaf.Subject.CommonName != "www.gent.be" && (len(leaf.DNSNames) == 0 || leaf.DNSNames[0] != "www.gent.be") {
		t.Fatalf("certificate for %v", leaf.DNSNames)
	}
	if n := orders.count("www.gent.be"); n < 1 {
		t.Fatal("no order for the tenant's host")
	}

	// Secrets on disk: 0700 directory, 0600 files (account key, certificate and key).
	if st, err := os.Stat(cacheDir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("cache directory: %v %v", st.Mode(), err)
	}
	files, _ := os.ReadDir(cacheDir)
	if len(files) < 2 {
		t.Fatalf("cache holds %d files", len(files))
	}
	for _, f := range files {
		st, _ := f.Info()
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f.Name(), st.Mode().Perm())
		}
		if strings.Contains(f.Name(), "elders") {
			t.Errorf("cache holds %s", f.Name())
		}
	}

	// Renewal before expiry: autocert orders again on its own and the
	// cache then holds a certificate with another serial.
	deadline := time.Now().Add(60 * time.Second)
	for orders.count("www.gent.be") < 2 || cachedSerial(t, cacheDir, "www.gent.be") == leaf.SerialNumber.String() {
		if time.Now().After(deadline) {
			t.Fatalf("no renewal: %d orders", orders.count("www.gent.be"))
		}
		time.Sleep(100 * time.Millisecond) // the CA works in another process; no clock reaches it
	}
	renewed, err := handshake(ln.Addr().String(), "www.gent.be", roots)
	if err != nil || renewed.SerialNumber.Cmp(leaf.SerialNumber) == 0 || !renewed.NotAfter.After(time.Now()) {
		t.Fatalf("after renewal: %v serial %v", err, renewed)
	}

	// The renewal decision on the injected clock.
	m90, _ := acmecert.New(acmecert.Options{DirectoryURL: pebble.Directory, CacheDir: t.TempDir(), Known: func(context.Context, string) (bool, error) { return true, nil }})
	exp := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	c := &x509.Certificate{NotAfter: exp}
	for _, tc := range []struct {
		at  time.Time
		due bool
	}{{exp.Add(-31 * 24 * time.Hour), false}, {exp.Add(-30*24*time.Hour - time.Second), false}, {exp.Add(-30 * 24 * time.Hour), true}, {exp.Add(-time.Hour), true}} {
		if got := m90.RenewalDue(c, tc.at); got != tc.due {
			t.Errorf("RenewalDue at %s before expiry = %v", exp.Sub(tc.at), got)
		}
	}

	// The host policy's answers are cached on the injected clock.
	mu.Lock()
	before := lookups
	mu.Unlock()
	m.HostPolicy(ctx, "www.elders.be")
	mu.Lock()
	same := lookups == before
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	m.HostPolicy(ctx, "www.elders.be")
	mu.Lock()
	defer mu.Unlock()
	if !same || lookups != before+1 {
		t.Fatalf("host lookups: cached %v, %d after expiry (was %d)", same, lookups, before)
	}
}

func cachedSerial(t *testing.T, dir, host string) string {
	b, err := os.ReadFile(filepath.Join(dir, host))
	if err != nil {
		return ""
	}
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return ""
		}
		if blk.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return ""
			}
			return c.SerialNumber.String()
		}
	}
}
