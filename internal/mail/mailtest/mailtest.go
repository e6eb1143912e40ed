// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp) in
// the test's process, on 127.0.0.1 with a self-signed certificate made for
// the test, offering STARTTLS (or implicit TLS) and optionally PLAIN
// authentication. It keeps every message it accepts and can be told to
// refuse the next deliveries with a 4xx or 5xx reply, as a relay would.
// Its refusals repeat the recipient's address, as real relays do, so that
// tests can prove the address never travels further.
//
// It is for tests only; it imports mail, go-smtp and go-sasl.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/kluis/kluis/internal/mail"
)

// From is the sender address of Config.
const From = "Gemeente Demo <noreply@demo.example>"

// Options shape the server.
type Options struct {
	// ImplicitTLS serves TLS from the first byte instead of STARTTLS.
	ImplicitTLS bool
	// NoTLS offers no encryption at all (no STARTTLS).
	NoTLS bool
	// Username and Password, when set, are required through AUTH PLAIN
	// (offered only once the connection is encrypted).
	Username, Password string
}

// Message is one message the server accepted.
type Message struct {
	From string   // envelope sender
	To   []string // envelope recipients
	TLS  bool     // whether it came over an encrypted connection
	Raw  []byte
	// Header is the parsed header; Subject and Body are decoded to UTF-8.
	Header  netmail.Header
	Subject string
	Body    string
}

// Server is a running SMTP server.
type Server struct {
	Host     string
	Port     int
	CertPool *x509.CertPool // trusts the server's certificate
	opts     Options
	cert     tls.Certificate
	t        testing.TB
	srv      *smtp.Server // nil while stopped
	l        net.Listener
	done     chan struct{}

	mu       sync.Mutex
	msgs     []Message
	rejects  []int // reply codes for the next deliveries' RCPT
	sessions []int // reply codes for the next sessions' EHLO
	authOK   int
}

// Start starts a server on 127.0.0.1:0; it stops when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	cert, pool := selfSigned(t)
	s := &Server{Host: "127.0.0.1", CertPool: pool, opts: opts, cert: cert, t: t}
	s.listen(t, "127.0.0.1:0")
	s.Port = s.l.Addr().(*net.TCPAddr).Port
	t.Cleanup(s.Stop)
	return s
}

// listen serves on addr with a fresh smtp.Server (a closed one cannot
// serve again).
func (s *Server) listen(t testing.TB, addr string) {
	t.Helper()
	srv := smtp.NewServer(backend{s})
	srv.Domain = "relay.test"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 2 << 20
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = &testLogger{t: t}
	var l net.Listener
	var err error
	if s.opts.NoTLS {
		srv.TLSConfig = nil
		srv.AllowInsecureAuth = true
	}
	if s.opts.ImplicitTLS && !s.opts.NoTLS {
		l, err = tls.Listen("tcp", addr, srv.TLSConfig)
	} else {
		l, err = net.Listen("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(l)
	}()
	s.srv, s.l, s.done = srv, l, done
}

// Stop closes the server, as a relay that went down: connections to its
// port are refused until Restart.
func (s *Server) Stop() {
	if s.srv == nil {
		return
	}
	s.srv.Close()
	<-s.done
	s.srv.ErrorLog.(*testLogger).stop()
	s.srv = nil
}

// Restart serves again on the same port, keeping the messages received
// before the stop.
func (s *Server) Restart() {
	s.t.Helper()
	if s.srv == nil {
		s.listen(s.t, net.JoinHostPort(s.Host, strconv.Itoa(s.Port)))
	}
}

// Config returns a sender configuration for this server that verifies its
// certificate.
func (s *Server) Config() mail.Config {
	c := mail.Config{Host: s.Host, Port: s.Port, From: From, TLS: mail.TLSStartTLS, HeloName: "kluis.test",
		Timeout: 10 * time.Second, RootCAs: s.CertPool, Username: s.opts.Username, Password: s.opts.Password}
	switch {
	case s.opts.NoTLS:
		c.TLS = mail.TLSNone
	case s.opts.ImplicitTLS:
		c.TLS = mail.TLSImplicit
	}
	return c
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// RejectNext makes the server refuse the recipient of the next len(codes)
// deliveries, one code each (e.g. 450 or 550).
func (s *Server) RejectNext(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejects = append(s.rejects, codes...)
}

// RejectSessions makes the server refuse the next len(codes) greetings
// (EHLO or HELO), one code each: the relay is there but will not talk. A
// client whose EHLO is refused tries HELO, so refusing a whole connection
// takes two codes.
func (s *Server) RejectSessions(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions = append(s.sessions, codes...)
}

// Logins counts successful authentications.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authOK
}

func smtpError(code int, text string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: text}
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	if len(b.s.sessions) > 0 {
		code := b.s.sessions[0]
		b.s.sessions = b.s.sessions[1:]
		return nil, smtpError(code, "Service not available, try later")
	}
	_, isTLS := c.TLSConnectionState()
	return &session{s: b.s, tls: isTLS}, nil
}

type session struct {
	s      *Server
	tls    bool
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.opts.Username || password != ss.s.opts.Password {
			return errors.New("invalid credentials")
		}
		ss.authed = true
		ss.s.mu.Lock()
		ss.s.authOK++
		ss.s.mu.Unlock()
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.Username != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if len(ss.s.rejects) > 0 {
		code := ss.s.rejects[0]
		ss.s.rejects = ss.s.rejects[1:]
		return smtpError(code, "Mailbox <"+to+"> unavailable")
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Message{From: ss.from, To: ss.to, TLS: ss.tls, Raw: raw}
	if pm, err := netmail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.Header = pm.Header
		m.Subject, _ = new(mime.WordDecoder).DecodeHeader(pm.Header.Get("Subject"))
		body, _ := io.ReadAll(pm.Body)
		if strings.EqualFold(pm.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body, _ = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		}
		m.Body = strings.ReplaceAll(string(body), "\r\n", "\n")
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, m)
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "mailtest relay"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// testLogger logs to the test until the server is stopped: a connection's
// goroutine may still report after the test has ended, when t.Log panics.
type testLogger struct {
	mu      sync.Mutex
	t       testing.TB
	stopped bool
}

func (l *testLogger) Printf(format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stopped {
		l.t.Logf("smtp server: "+format, v...)
	}
}

func (l *testLogger) Println(v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stopped {
		l.t.Log(append([]any{"smtp server:"}, v...)...)
	}
}

func (l *testLogger) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
}
