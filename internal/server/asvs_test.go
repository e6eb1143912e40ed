package server

// ASVS 5.0.0 V12.1 (TLS) and V4.1.2 (redirects to HTTPS), proven by real
// handshakes and requests against Serve.

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestASVS_12_1_1_OnlyTLS12AndLaterWithTLS13Preferred(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	r := start(t, Config{Addr: "127.0.0.1:0", TLSCertFile: certFile, TLSKeyFile: keyFile}, http.HandlerFunc(hello), nil)
	handshake := func(min, max uint16) (uint16, error) {
		c, err := tls.Dial("tcp", r.addr, &tls.Config{RootCAs: pool, MinVersion: min, MaxVersion: max})
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.ConnectionState().Version, nil
	}
	// A client that speaks everything gets the latest.
	if v, err := handshake(tls.VersionTLS10, tls.VersionTLS13); err != nil || v != tls.VersionTLS13 {
		t.Errorf("open client: version %x, %v; want TLS 1.3", v, err)
	}
	if v, err := handshake(tls.VersionTLS12, tls.VersionTLS12); err != nil || v != tls.VersionTLS12 {
		t.Errorf("TLS 1.2 client: version %x, %v", v, err)
	}
	for _, old := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		if v, err := handshake(old, old); err == nil {
			t.Errorf("a %s handshake succeeded (%x)", tls.VersionName(old), v)
		}
	}
}

func TestASVS_12_1_2_OnlyForwardSecretAEADSuitesOnTLS12(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t) // an ECDSA certificate
	r := start(t, Config{Addr: "127.0.0.1:0", TLSCertFile: certFile, TLSKeyFile: keyFile}, http.HandlerFunc(hello), nil)
	good := []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	}
	var all []*tls.CipherSuite
	all = append(all, tls.CipherSuites()...)
	all = append(all, tls.InsecureCipherSuites()...)
	accepted := 0
	for _, s := range all {
		if !slices.Contains(s.SupportedVersions, tls.VersionTLS12) {
			continue
		}
		c, err := tls.Dial("tcp", r.addr, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{s.ID}})
		ok := err == nil
		if ok {
			c.Close()
			accepted++
		}
		if want := slices.Contains(good, s.ID); ok != want {
			t.Errorf("%s: accepted %v, want %v", s.Name, ok, want)
		}
	}
	if accepted != len(good) {
		t.Errorf("%d suites accepted, want %d", accepted, len(good))
	}
}

// TestASVS_4_1_2_OnlyPagesRedirectToHTTPS: on the plain-HTTP port of an
// HTTPS server, a browser asking for a page is sent to HTTPS; an API call,
// or any post, is refused instead of being redirected.
func TestASVS_4_1_2_OnlyPagesRedirectToHTTPS(t *testing.T) {
	h := RedirectToHTTPS("/api/")
	tests := []struct {
		method, target string
		wantStatus     int
		wantLocation   string
	}{
		{"GET", "http://loket.gent.be/gent/vraag?lang=fr", http.StatusMovedPermanently, "https://loket.gent.be/gent/vraag?lang=fr"},
		{"HEAD", "http://loket.gent.be:80/gent/", http.StatusMovedPermanently, "https://loket.gent.be/gent/"},
		{"GET", "http://loket.gent.be/api/v1/gent/submissions", http.StatusBadRequest, ""},
		{"DELETE", "http://loket.gent.be/api/v1/gent/submissions/1", http.StatusBadRequest, ""},
		{"POST", "http://loket.gent.be/gent/vraag", http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, nil))
		if rec.Code != tt.wantStatus || rec.Header().Get("Location") != tt.wantLocation {
			t.Errorf("%s %s: %d to %q, want %d to %q", tt.method, tt.target, rec.Code, rec.Header().Get("Location"), tt.wantStatus, tt.wantLocation)
		}
	}
}
