package acmecert_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/acmecert"
	"github.com/kluis/kluis/internal/acmecert/pebbletest"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// TestClauseLOC2_TwoNodesOnOneDatabaseOrderOnceServeBoth: two Managers
// (two nodes behind one load balancer) share the database cache. Against a
// real ACME server (pebble), the first node's handshake orders the tenant
// host's certificate while the HTTP-01 challenge reaches the OTHER node,
// which answers it from the shared cache; the second node's handshake then
// serves the same certificate (same serial) and sends the CA no order; no row of the cache
// holds a private key in plaintext. On both databases.
func TestClauseLOC2_TwoNodesOnOneDatabaseOrderOnceServeBoth(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		challenge, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer challenge.Close()
		// Certificates live 90 days and are renewed 30 days before expiry:
		// no renewal during the test, so every order counted is a first one.
		pebble := pebbletest.Start(t, challenge.Addr().(*net.TCPAddr).Port, 90*24*time.Hour)

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
		known := func(ctx context.Context, host string) (bool, error) {
			_, err := env.DB.TenantByHost(ctx, host)
			if errors.Is(err, store.ErrNotFound) {
				return false, nil
			}
			return err == nil, err
		}
		orders := &orderLog{next: pebble.Client.Transport}
		node := func() *acmecert.Manager {
			m, err := acmecert.New(acmecert.Options{DirectoryURL: pebble.Directory, Email: "ops@kluis.example",
				Cache: acmecert.DBCache{DB: env.DB}, Known: known,
				HTTPClient: &http.Client{Transport: orders, Timeout: 30 * time.Second}})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		a, b := node(), node()
		// Every node answers HTTP-01 on its port 80 (which makes autocert
		// offer that challenge); the CA's request lands on node b, not on
		// a, which orders.
		a.HTTPHandler(nil)
		go http.Serve(challenge, b.HTTPHandler(nil))
		serve := func(m *acmecert.Manager) string {
			ln, err := tls.Listen("tcp", "127.0.0.1:0", m.TLSConfig())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
			return ln.Addr().String()
		}
		addrA, addrB := serve(a), serve(b)
		roots := pebble.Roots(t)

		leafA, err := handshake(addrA, "www.gent.be", roots)
		if err != nil {
			t.Fatalf("node a: %v", err)
		}
		// autocert may try tls-alpn-01 first (a failed order) before
		// http-01: what matters is that node b adds none.
		ordered := orders.count("www.gent.be")
		if ordered < 1 {
			t.Fatal("no order by node a")
		}
		leafB, err := handshake(addrB, "www.gent.be", roots)
		if err != nil {
			t.Fatalf("node b: %v", err)
		}
		if leafB.SerialNumber.Cmp(leafA.SerialNumber) != 0 {
			t.Fatalf("node b serves serial %v, node a %v", leafB.SerialNumber, leafA.SerialNumber)
		}
		if n := orders.count("www.gent.be"); n != ordered {
			t.Fatalf("node b ordered again: %d orders, %d before its handshake", n, ordered)
		}

		rows, err := env.Raw(t).Query(`SELECT name, data FROM acme_cache`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		names := map[string]bool{}
		for rows.Next() {
			var name string
			var data []byte
			if err := rows.Scan(&name, &data); err != nil {
				t.Fatal(err)
			}
			names[name] = true
			if bytes.Contains(data, []byte("PRIVATE KEY")) || bytes.Contains(data, []byte("CERTIFICATE")) {
				t.Errorf("cache entry %s is stored in plaintext", name)
			}
		}
		if !names["www.gent.be"] {
			t.Fatalf("the shared cache holds %v, not the host's certificate", names)
		}
	})
}
