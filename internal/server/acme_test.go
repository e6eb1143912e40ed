package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/acmecert"
	"github.com/kluis/kluis/internal/acmecert/pebbletest"
)

// TestServeACME: with ACME, Serve answers HTTP-01 on its plain listener
// and a tenant's host name gets its certificate from the CA (a real
// pebble) on the HTTPS listener; any other name gets the certificate
// files' certificate, and no order.
func TestServeACME(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := probe.Addr().(*net.TCPAddr).Port
	probe.Close()
	pebble := pebbletest.Start(t, port, 24*time.Hour)
	m, err := acmecert.New(acmecert.Options{DirectoryURL: pebble.Directory, CacheDir: t.TempDir(), HTTPClient: pebble.Client,
		Known: func(_ context.Context, h string) (bool, error) { return h == "www.gent.be", nil }})
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, platformPool := selfSigned(t)
	r := start(t, Config{Addr: "127.0.0.1:0", TLSCertFile: certFile, TLSKeyFile: keyFile, ACME: m.TLSConfig(),
		ChallengeAddr: "127.0.0.1:" + strconv.Itoa(port), Challenge: m.HTTPHandler(nil)}, http.HandlerFunc(hello), nil)

	dial := func(name string, roots *x509.CertPool) (*x509.Certificate, error) {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 30 * time.Second}, "tcp", r.addr, &tls.Config{ServerName: name, RootCAs: roots})
		if err != nil {
			return nil, err
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0], nil
	}
	leaf, err := dial("www.gent.be", pebble.Roots(t))
	if err != nil || leaf.DNSNames[0] != "www.gent.be" {
		t.Fatalf("tenant host: %v", err)
	}
	if _, err := dial("127.0.0.1", platformPool); err != nil {
		t.Fatalf("the platform's own name with the certificate files: %v", err)
	}
	// A name no tenant has gets the platform's certificate (which does
	// not name it), not one from the CA.
	if _, err := dial("www.elders.be", pebble.Roots(t)); err == nil {
		t.Fatal("an unknown name got a certificate from the CA")
	}
	// Plain HTTP other than challenges goes to HTTPS.
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).
		Get("http://127.0.0.1:" + strconv.Itoa(port) + "/vraag")
	if err != nil || resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "https://127.0.0.1") || !strings.HasSuffix(resp.Header.Get("Location"), "/vraag") {
		t.Fatalf("plain HTTP: %v %v", err, resp)
	}
}
