package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// signalWriter is a log sink that closes ch the first time a log line
// contains substr: tests wait on log events instead of sleeping.
type signalWriter struct {
	substr string
	ch     chan struct{}
	once   sync.Once
}

func newSignalWriter(substr string) *signalWriter {
	return &signalWriter{substr: substr, ch: make(chan struct{})}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(w.substr)) {
		w.once.Do(func() { close(w.ch) })
	}
	return len(p), nil
}

type running struct {
	addr   string
	cancel context.CancelFunc
	done   chan error
}

// start runs Serve in the background and waits until it listens.
func start(t *testing.T, cfg Config, h http.Handler, log *slog.Logger) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	addrc := make(chan net.Addr, 1)
	go func() { r.done <- Serve(ctx, cfg, h, log, func(a net.Addr) { addrc <- a }) }()
	select {
	case a := <-addrc:
		r.addr = a.String()
	case err := <-r.done:
		cancel()
		t.Fatalf("Serve: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return r
}

// stop cancels the server's context and returns Serve's result.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
		return nil
	}
}

func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func hello(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }

func TestServeHTTP(t *testing.T) {
	r := start(t, Config{Addr: "127.0.0.1:0"}, http.HandlerFunc(hello), nil)
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	if status, body := get(t, c, "http://"+r.addr+"/"); status != http.StatusOK || body != "hello" {
		t.Errorf("GET = %d %q, want 200 hello", status, body)
	}
	if err := r.stop(t); err != nil {
		t.Errorf("Serve = %v, want nil after a clean shutdown", err)
	}
}

func TestGracefulShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		if r.Context().Err() != nil {
			http.Error(w, "request context cancelled", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "finished")
	})
	shuttingDown := newSignalWriter("server shutting down")
	log := slog.New(slog.NewTextHandler(shuttingDown, nil))
	r := start(t, Config{Addr: "127.0.0.1:0"}, h, log)

	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	type result struct {
		status int
		body   string
		err    error
	}
	resc := make(chan result, 1)
	go func() {
		resp, err := c.Get("http://" + r.addr + "/slow")
		if err != nil {
			resc <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		resc <- result{resp.StatusCode, string(b), err}
	}()

	<-started
	r.cancel()
	<-shuttingDown.ch // listeners are closed now; the request is still in flight

	if conn, err := net.Dial("tcp", r.addr); err == nil {
		conn.Close()
		t.Error("new connection accepted during shutdown")
	}
	select {
	case err := <-r.done:
		t.Fatalf("Serve returned %v before the in-flight request finished", err)
	default:
	}

	close(release)
	res := <-resc
	if res.err != nil || res.status != http.StatusOK || res.body != "finished" {
		t.Errorf("in-flight request = %d %q %v, want 200 finished", res.status, res.body, res.err)
	}
	if err := r.stop(t); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}

func TestShutdownTimeout(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
	})
	r := start(t, Config{Addr: "127.0.0.1:0", ShutdownTimeout: 20 * time.Millisecond}, h, nil)
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	go func() {
		if resp, err := c.Get("http://" + r.addr + "/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	err := r.stop(t)
	if err == nil || !strings.Contains(err.Error(), "did not finish within the shutdown timeout") {
		t.Errorf("Serve = %v, want a shutdown timeout error", err)
	}
}

// TestASVS_12_2_1_ClauseLOC2_ServeHTTPS proves Serve speaks HTTPS, TLS 1.2 or later,
// with a certificate and key from files.
func TestASVS_12_2_1_ClauseLOC2_ServeHTTPS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	r := start(t, Config{Addr: "127.0.0.1:0", TLSCertFile: certFile, TLSKeyFile: keyFile}, http.HandlerFunc(hello), nil)

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	c := &http.Client{Transport: tr}
	defer c.CloseIdleConnections()
	resp, err := c.Get("https://" + r.addr + "/")
	if err != nil {
		t.Fatalf("GET over HTTPS: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "hello" {
		t.Errorf("GET = %d %q", resp.StatusCode, body)
	}
	if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("TLS state = %+v, want TLS 1.2 or later", resp.TLS)
	}

	// TLS 1.1 is refused.
	old := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	if conn, err := tls.Dial("tcp", r.addr, old); err == nil {
		conn.Close()
		t.Error("TLS 1.1 handshake succeeded")
	}

	// Plain HTTP to the HTTPS port gets no page.
	plain := &http.Client{Transport: &http.Transport{}}
	defer plain.CloseIdleConnections()
	if resp, err := plain.Get("http://" + r.addr + "/"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) == "hello" {
			t.Error("plain HTTP served the page")
		}
	}
	// An idle HTTP/2 client connection would hold up shutdown for the
	// GOAWAY grace period; real browsers go away on their own.
	c.CloseIdleConnections()
	if err := r.stop(t); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key to
// a temporary directory and returns their paths and a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kluis test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestServeSetupErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	certFile, keyFile, _ := selfSigned(t)
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.pem")

	tests := []struct {
		name    string
		cfg     Config
		want    string
		wantIs  error
		wantNot []string
	}{
		{"port out of range", Config{Addr: "127.0.0.1:99999"},
			`cannot listen on address "127.0.0.1:99999": invalid port`, nil, nil},
		{"too many colons", Config{Addr: "bad:addr:1"},
			`cannot listen on address "bad:addr:1": too many colons in address`, nil, nil},
		{"missing port", Config{Addr: "127.0.0.1"},
			`cannot listen on address "127.0.0.1": missing port in address`, nil, nil},
		{"address in use", Config{Addr: busy.Addr().String()},
			`cannot listen on address "` + busy.Addr().String() + `": address already in use`, syscall.EADDRINUSE, nil},
		{"missing certificate", Config{Addr: "127.0.0.1:0", TLSCertFile: missing, TLSKeyFile: keyFile},
			`cannot read TLS certificate file "` + missing + `": no such file or directory`, os.ErrNotExist, nil},
		{"missing key", Config{Addr: "127.0.0.1:0", TLSCertFile: certFile, TLSKeyFile: missing},
			`cannot read TLS key file "` + missing + `": no such file or directory`, os.ErrNotExist, nil},
		{"garbage certificate", Config{Addr: "127.0.0.1:0", TLSCertFile: garbage, TLSKeyFile: keyFile},
			`cannot use TLS certificate "` + garbage + `" with key "` + keyFile + `": failed to find any PEM data in certificate input`, nil, nil},
		{"certificate without key", Config{Addr: "127.0.0.1:0", TLSCertFile: certFile},
			"serving HTTPS needs both a TLS certificate file and a key file", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			err := Serve(context.Background(), tt.cfg, http.HandlerFunc(hello), nil, func(net.Addr) { called = true })
			if err == nil {
				t.Fatal("Serve = nil, want an error")
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q\nwant      %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
			}
			if called {
				t.Error("ready called on failure")
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	got := Config{}.withDefaults()
	want := Config{
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ShutdownTimeout:   15 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	if got != want {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
	custom := Config{Addr: ":1", ReadTimeout: time.Second, MaxHeaderBytes: 1}
	if got := custom.withDefaults(); got.ReadTimeout != time.Second || got.MaxHeaderBytes != 1 || got.Addr != ":1" {
		t.Errorf("withDefaults overrode set fields: %+v", got)
	}
}
