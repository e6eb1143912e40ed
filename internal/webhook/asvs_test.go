package webhook

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestASVS_12_3_2_WebhookRefusesAnUntrustedCertificate: a delivery to a
// receiver whose certificate does not chain to a trusted root fails
// before a byte of the body is sent; trusting the receiver's root makes
// the same delivery go through. Plain http is refused outright (12.3.1).
func TestASVS_12_3_2_WebhookRefusesAnUntrustedCertificate(t *testing.T) {
	received := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { received++ }))
	t.Cleanup(srv.Close)
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	m := Message{URL: srv.URL + "/in", ID: "msg_1", Secret: secret, Body: []byte(`{}`), Time: time.Now()}

	res := NewClient(ClientOptions{Allow: loopback}).Deliver(context.Background(), m)
	if res.Delivered || received != 0 || !strings.Contains(res.Reason, "certificate") {
		t.Fatalf("untrusted certificate: %+v, %d received", res, received)
	}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	if res := NewClient(ClientOptions{Allow: loopback, RootCAs: pool}).Deliver(context.Background(), m); !res.Delivered || received != 1 {
		t.Fatalf("trusted certificate: %+v, %d received", res, received)
	}
	m.URL = strings.Replace(srv.URL, "https://", "http://", 1)
	if res := NewClient(ClientOptions{Allow: loopback, RootCAs: pool}).Deliver(context.Background(), m); res.Delivered || !res.Permanent || received != 1 {
		t.Fatalf("plain http: %+v", res)
	}
}
