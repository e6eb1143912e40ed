// Package server owns the HTTP listener of Kluis: it serves a handler (the
// web and api routes, mounted by the caller) over HTTP or HTTPS with
// timeouts and header limits, and shuts down gracefully when its context
// ends.
//
// It imports only the standard library; the handlers come from its caller.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// Config configures Serve. Zero durations and sizes take the defaults of
// withDefaults.
type Config struct {
	// Addr is the TCP address to listen on, such as ":8443" or
	// "127.0.0.1:0" (any free port; see Serve's ready callback).
	Addr string
	// TLSCertFile and TLSKeyFile are PEM files; with both set Serve speaks
	// HTTPS (TLS 1.2 or later), with neither plain HTTP, for use behind a
	// TLS-terminating proxy or in development.
	TLSCertFile, TLSKeyFile string
	// ACME, when set (acmecert's Manager.TLSConfig), gives the
	// certificates of the names it allows (tenants' own host names) and
	// answers TLS-ALPN-01; Serve then speaks HTTPS, and for any other name
	// uses the certificate files when given.
	ACME *tls.Config
	// ChallengeAddr, with ACME, is the plain HTTP address (":80") where
	// Challenge answers HTTP-01 and redirects everything else to HTTPS.
	ChallengeAddr string
	Challenge     http.Handler

	ReadHeaderTimeout time.Duration // default 5s
	ReadTimeout       time.Duration // default 30s
	WriteTimeout      time.Duration // default 60s
	IdleTimeout       time.Duration // default 120s
	ShutdownTimeout   time.Duration // default 15s: how long in-flight requests get to finish
	MaxHeaderBytes    int           // default 64 KiB
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&c.ReadHeaderTimeout, 5*time.Second)
	set(&c.ReadTimeout, 30*time.Second)
	set(&c.WriteTimeout, 60*time.Second)
	set(&c.IdleTimeout, 120*time.Second)
	set(&c.ShutdownTimeout, 15*time.Second)
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = 64 << 10
	}
	return c
}

// Serve serves h on cfg.Addr until ctx ends, then shuts down gracefully:
// it stops accepting connections and lets in-flight requests finish within
// cfg.ShutdownTimeout. It returns nil after a clean shutdown.
//
// ready, if not nil, is called with the bound address once the listener is
// open, so that callers can use port 0 and learn the port. Errors opening
// the listener or loading the certificate are returned at once, as one
// sentence fit for an operator.
func Serve(ctx context.Context, cfg Config, h http.Handler, log *slog.Logger, ready func(addr net.Addr)) error {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tlsConfig, err := loadTLS(cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		return err
	}
	if cfg.ACME != nil {
		tlsConfig = withACME(cfg.ACME, tlsConfig)
	}
	if cfg.ACME != nil && cfg.ChallengeAddr != "" {
		var lc net.ListenConfig
		cln, err := lc.Listen(ctx, "tcp", cfg.ChallengeAddr)
		if err != nil {
			return setupErrorf(err, "cannot listen on the ACME challenge address %q: %s", cfg.ChallengeAddr, reason(err))
		}
		csrv := &http.Server{Handler: cfg.Challenge, ReadHeaderTimeout: cfg.ReadHeaderTimeout, ReadTimeout: cfg.ReadTimeout,
			WriteTimeout: cfg.WriteTimeout, IdleTimeout: cfg.IdleTimeout, MaxHeaderBytes: cfg.MaxHeaderBytes,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		go csrv.Serve(cln)
		defer csrv.Close()
		log.Info("ACME challenge listener", "addr", cln.Addr().String())
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return setupErrorf(err, "cannot listen on address %q: %s", cfg.Addr, reason(err))
	}

	srv := &http.Server{
		Handler:           h,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// Requests keep ctx's values but not its cancellation: when ctx
		// ends, in-flight requests should finish, not be cut off.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	srv.RegisterOnShutdown(func() {
		log.Info("server shutting down, waiting for in-flight requests", "timeout", cfg.ShutdownTimeout)
	})

	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	log.Info("server listening", "addr", ln.Addr().String(), "scheme", scheme)
	if ready != nil {
		ready(ln.Addr())
	}

	select {
	case err := <-errc:
		return fmt.Errorf("server stopped unexpectedly: %w", err)
	case <-ctx.Done():
	}

	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
		<-errc
		return fmt.Errorf("in-flight requests did not finish within the shutdown timeout of %s", cfg.ShutdownTimeout)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server stopped with an error during shutdown: %w", err)
	}
	log.Info("server stopped")
	return nil
}

// withACME returns the TLS configuration that asks acme first (it refuses
// names no tenant configured before any order) and falls back to the
// certificate files of static, when given, for every other name.
func withACME(acme, static *tls.Config) *tls.Config {
	c := harden(acme.Clone())
	if static == nil || len(static.Certificates) == 0 {
		return c
	}
	get, fallback := c.GetCertificate, &static.Certificates[0]
	c.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if cert, err := get(hello); err == nil {
			return cert, nil
		}
		return fallback, nil
	}
	return c
}

// loadTLS returns the TLS configuration for the given PEM files, or nil
// for plain HTTP when both are empty.
func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case certFile == "" || keyFile == "":
		return nil, errors.New("serving HTTPS needs both a TLS certificate file and a key file")
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, setupErrorf(err, "cannot read TLS certificate file %q: %s", certFile, reason(err))
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, setupErrorf(err, "cannot read TLS key file %q: %s", keyFile, reason(err))
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, setupErrorf(err, "cannot use TLS certificate %q with key %q: %s",
			certFile, keyFile, strings.TrimPrefix(err.Error(), "tls: "))
	}
	return harden(&tls.Config{Certificates: []tls.Certificate{cert}}), nil
}

// cipherSuites are the TLS 1.2 suites Kluis accepts: ECDHE key exchange
// (forward secrecy) with an AEAD cipher only. Go's defaults also accept
// CBC suites with SHA-1 MACs, which current guidance retires. TLS 1.3
// suites are not configurable and all acceptable.
var cipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// harden sets what every server TLS configuration of Kluis shares: TLS
// 1.2 at the least (1.3 is preferred: Go negotiates the highest version
// both sides speak) and only forward-secret AEAD suites for 1.2 (ASVS
// 12.1.1, 12.1.2).
func harden(c *tls.Config) *tls.Config {
	c.MinVersion = tls.VersionTLS12
	c.CipherSuites = cipherSuites
	return c
}

// RedirectToHTTPS is the plain-HTTP side of a server that speaks HTTPS:
// pages a person opens in a browser are redirected to the same address
// over HTTPS, but nothing under apiPrefix is. A program that calls the
// API over plain HTTP must fail visibly, not have its request (with its
// key) silently repeated over HTTPS while the plain one went out in the
// clear (ASVS 4.1.2).
func RedirectToHTTPS(apiPrefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if strings.HasPrefix(r.URL.Path, apiPrefix) || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, "Use HTTPS.\n")
			return
		}
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		target := "https://" + host + r.URL.RequestURI()
		http.Redirect(w, r, target, http.StatusMovedPermanently)
	})
}

// reason returns the innermost useful description of a listen or file
// error, without the operation and address prefixes that the caller's
// message already gives: "address already in use", "no such file or
// directory", "invalid port".
func reason(err error) string {
	var addrErr *net.AddrError
	if errors.As(err, &addrErr) {
		return addrErr.Err
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "host " + dnsErr.Name + ": " + dnsErr.Err
	}
	var sysErr *os.SyscallError
	if errors.As(err, &sysErr) {
		return sysErr.Err.Error()
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Err.Error()
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err.Error()
	}
	return err.Error()
}

// setupError is an error starting the server: a message in one sentence for
// the operator, with the cause kept for errors.Is and errors.As.
type setupError struct {
	msg string
	err error
}

func (e *setupError) Error() string { return e.msg }
func (e *setupError) Unwrap() error { return e.err }

func setupErrorf(cause error, format string, args ...any) error {
	return &setupError{msg: fmt.Sprintf(format, args...), err: cause}
}
