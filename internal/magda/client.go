package magda

// The GeefPersoon client: one signed SOAP call over mutual TLS per question,
// with a unique reference per call so that every call traces back to who
// asked (LOC-2; the consumer's logging duty).

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"syscall"
	"time"
)

// Transport errors, each a clear outcome for the caller (and its audit event).
var (
	ErrTLSRefused  = errors.New("magda: the secure connection was refused (client or server certificate)")
	ErrUnavailable = errors.New("magda: the service cannot be reached")
	ErrTimeout     = errors.New("magda: the service did not answer in time")
)

// Config is one consumer's connection to one GeefPersoon endpoint.
type Config struct {
	Endpoint     string            // https URL of the GeefPersoon service
	ConsumerID   string            // the consumer's identity (KBO number)
	Capacity     string            // capacity code (hoedanigheid)
	ClientCert   tls.Certificate   // TLS client certificate; its RSA key also signs the Body
	ServerCAs    *x509.CertPool    // roots that the service's TLS certificate must chain to
	ResponseCert *x509.Certificate // the certificate MAGDA (or the simulator) signs answers with
	Timeout      time.Duration     // whole call, connection included
	Now          func() time.Time  // injectable clock for the message timestamp
}

// Client calls GeefPersoon.
type Client struct {
	cfg    Config
	key    *rsa.PrivateKey
	leaf   *x509.Certificate
	rspKey *rsa.PublicKey
	http   *http.Client
}

// NewClient checks the configuration and prepares the mutual-TLS transport.
func NewClient(cfg Config) (*Client, error) {
	if len(cfg.ClientCert.Certificate) == 0 {
		return nil, errors.New("magda: no client certificate")
	}
	key, ok := cfg.ClientCert.PrivateKey.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("magda: the client key must be RSA (RSA-SHA256 signature)")
	}
	leaf, err := x509.ParseCertificate(cfg.ClientCert.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("magda: client certificate: %w", err)
	}
	if cfg.ResponseCert == nil {
		return nil, errors.New("magda: no certificate to verify answers with")
	}
	rspKey, ok := cfg.ResponseCert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("magda: the answer certificate must hold an RSA key")
	}
	if cfg.ConsumerID == "" || cfg.Capacity == "" || cfg.Endpoint == "" {
		return nil, errors.New("magda: endpoint, consumer identity and capacity code are required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{
			MinVersion:   tls.VersionTLS12,
			RootCAs:      cfg.ServerCAs,
			Certificates: []tls.Certificate{cfg.ClientCert},
		},
		ForceAttemptHTTP2: false,
		Proxy:             nil,
	}
	return &Client{cfg: cfg, key: key, leaf: leaf, rspKey: rspKey,
		http: &http.Client{Transport: tr, Timeout: cfg.Timeout}}, nil
}

// CallError is the outcome of a call that did not find a person. It keeps
// the call's reference so the caller can audit it.
type CallError struct {
	Reference string
	Err       error
	Outcome   *Outcome // the parsed answer, when there was one
}

func (e *CallError) Error() string { return e.Err.Error() }
func (e *CallError) Unwrap() error { return e.Err }

// Result is a found person with the call's reference and any warnings.
type Result struct {
	Reference string
	Person    Person
	Warnings  []Exception
}

// NewReference returns a unique message reference (a random UUID).
func NewReference() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// BuildRequest returns the GeefPersoon body for one INSZ under reference ref.
func BuildRequest(consumer, capacity, ref, insz string, now time.Time) ([]byte, error) {
	var r Request
	r.Verzoek.Context.Naam = ServiceName
	r.Verzoek.Context.Versie = ServiceVersion
	r.Verzoek.Context.Bericht.Type = "VRAAG"
	r.Verzoek.Context.Bericht.Tijdstip.Datum = now.Format("2006-01-02")
	r.Verzoek.Context.Bericht.Tijdstip.Tijd = now.Format("15:04:05.000")
	r.Verzoek.Context.Bericht.Afzender = Sender{Identificatie: consumer, Referte: ref, Hoedanigheid: capacity}
	r.Verzoek.Vragen.Vraag = []Question{{Referte: ref, INSZ: insz}}
	return xml.Marshal(r)
}

// GeefPersoon asks the register for the person with this INSZ. Every error is
// a *CallError carrying the reference, wrapping one of ErrTLSRefused,
// ErrUnavailable, ErrTimeout, ErrBadSignature, ErrProtocol, ErrNotFound,
// ErrNotInRepertory or ErrRefused. Error texts never hold the INSZ.
func (c *Client) GeefPersoon(ctx context.Context, insz string) (*Result, error) {
	return c.GeefPersoonWithReference(ctx, NewReference(), insz)
}

// GeefPersoonWithReference is GeefPersoon under a reference the caller made
// (NewReference) and recorded before the call: the consumer's logging duty
// is then met before anything leaves (fail closed).
func (c *Client) GeefPersoonWithReference(ctx context.Context, ref, insz string) (*Result, error) {
	fail := func(err error) (*Result, error) { return nil, &CallError{Reference: ref, Err: err} }
	if !ValidINSZ(insz) {
		return fail(fmt.Errorf("%w: not a valid INSZ", ErrRefused))
	}
	body, err := BuildRequest(c.cfg.ConsumerID, c.cfg.Capacity, ref, insz, c.cfg.Now())
	if err != nil {
		return fail(err)
	}
	env, err := SignEnvelope(body, c.key, c.leaf)
	if err != nil {
		return fail(err)
	}
	// In TLS 1.3 the server checks our certificate after the client has
	// finished its handshake: a refusal is an alert on the first read, or,
	// when the server closes first, a reset or an end of stream. So a
	// connection that ends after a TLS 1.3 handshake and before any byte
	// of an answer is our certificate refused, not the service down.
	var tls13Done, answered bool
	trace := &httptrace.ClientTrace{
		TLSHandshakeDone: func(cs tls.ConnectionState, err error) {
			tls13Done = err == nil && cs.Version == tls.VersionTLS13
		},
		GotFirstResponseByte: func() { answered = true },
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodPost, c.cfg.Endpoint, bytes.NewReader(env))
	if err != nil {
		return fail(err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"`+ServiceName+`"`)
	resp, err := c.http.Do(req)
	if err != nil {
		kind := classifyTransport(err)
		if kind == ErrUnavailable && tls13Done && !answered && closedEarly(err) {
			kind = ErrTLSRefused
		}
		return fail(kind)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return fail(classifyTransport(err))
	}
	if len(data) > maxResponse {
		return fail(fmt.Errorf("%w: answer too large", ErrProtocol))
	}
	canonBody, err := VerifyEnvelope(data, c.rspKey)
	if err != nil {
		return fail(err)
	}
	out, err := parseResponseBody(canonBody)
	if err != nil {
		return fail(err)
	}
	// An answer must be for this call; only a refusal without any reference
	// (a SOAP fault) carries none, and it carries no personal data either.
	if out.Reference != ref && (out.Kind != KindRefused || out.Reference != "") {
		return fail(fmt.Errorf("%w: the answer is for another reference", ErrProtocol))
	}
	if err := out.Err(); err != nil {
		return nil, &CallError{Reference: ref, Err: err, Outcome: out}
	}
	return &Result{Reference: ref, Person: *out.Person, Warnings: out.Warnings}, nil
}

// classifyTransport names what went wrong before an answer arrived.
func classifyTransport(err error) error {
	var alert tls.AlertError
	var verr *tls.CertificateVerificationError
	var rerr tls.RecordHeaderError
	var nerr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		return ErrTimeout
	case errors.As(err, &alert), errors.As(err, &verr), errors.As(err, &rerr):
		return ErrTLSRefused
	case isRemoteAlert(err):
		return ErrTLSRefused
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrUnavailable
	}
	var operr *net.OpError
	if errors.As(err, &operr) {
		return ErrUnavailable
	}
	return fmt.Errorf("%w: %T", ErrUnavailable, err)
}

// closedEarly: the peer reset or ended the connection.
func closedEarly(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.EPIPE)
}

func isRemoteAlert(err error) bool {
	var operr *net.OpError
	return errors.As(err, &operr) && operr.Op == "remote error"
}
