package magda

// A consumer's connection as an organisation configures it: PEM text and
// plain values, checked field by field before they are stored, and turned
// into a client Config when a call is made.

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/tenant"
)

// Settings are a consumer's connection to GeefPersoon as stored per
// organisation. ClientKeyPEM is the secret (the store seals it); the rest
// is public or configuration.
type Settings struct {
	Endpoint         string        // https URL of the GeefPersoon service
	ConsumerID       string        // the organisation's KBO number (10 digits)
	Capacity         string        // capacity code (hoedanigheid)
	AuthorisationRef string        // the authorisation (beraadslaging) the calls rest on
	ClientCertPEM    string        // the TLS client certificate (and any intermediates)
	ClientKeyPEM     string        // its RSA private key
	ServerCAPEM      string        // the roots the service's TLS certificate must chain to
	ResponseCertPEM  string        // the certificate answers are signed with
	Timeout          time.Duration // a whole call
}

// Timeout bounds: long enough for a slow register, short enough that a
// citizen's form does not hang.
const (
	MinTimeout     = 100 * time.Millisecond
	MaxTimeout     = 60 * time.Second
	DefaultTimeout = 10 * time.Second
)

// SettingsError names, per field, why settings are refused. Fields:
// endpoint, consumer, capacity, authorisation, client_cert, client_key,
// server_ca, response_cert, timeout. Reasons: required, not_https, invalid,
// kbo, unparseable, expired, not_yet_valid, not_rsa, key_mismatch.
type SettingsError struct{ Fields map[string]string }

func (e *SettingsError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+" "+e.Fields[k])
	}
	return "magda: invalid connection: " + strings.Join(parts, "; ")
}

// Normalize trims what people paste and strips the KBO number's dots.
func (s Settings) Normalize() Settings {
	s.Endpoint = strings.TrimSpace(s.Endpoint)
	s.ConsumerID = tenant.NormalizeKBO(s.ConsumerID)
	s.Capacity = strings.TrimSpace(s.Capacity)
	s.AuthorisationRef = strings.TrimSpace(s.AuthorisationRef)
	for _, p := range []*string{&s.ClientCertPEM, &s.ClientKeyPEM, &s.ServerCAPEM, &s.ResponseCertPEM} {
		*p = strings.TrimSpace(strings.ReplaceAll(*p, "\r\n", "\n"))
		if *p != "" {
			*p += "\n"
		}
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	return s
}

// Validate checks every field at now and returns a *SettingsError naming
// each bad one, or nil.
func (s Settings) Validate(now time.Time) error {
	f := map[string]string{}
	if u, err := url.Parse(s.Endpoint); s.Endpoint == "" {
		f["endpoint"] = "required"
	} else if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" {
		f["endpoint"] = "not_https"
	}
	if s.ConsumerID == "" {
		f["consumer"] = "required"
	} else if tenant.CheckKBO(s.ConsumerID) != "" {
		f["consumer"] = "kbo"
	}
	if s.Capacity == "" {
		f["capacity"] = "required"
	} else if !codeLike(s.Capacity) {
		f["capacity"] = "invalid"
	}
	if s.AuthorisationRef == "" {
		f["authorisation"] = "required"
	} else if len(s.AuthorisationRef) > 200 {
		f["authorisation"] = "invalid"
	}
	if s.Timeout < MinTimeout || s.Timeout > MaxTimeout {
		f["timeout"] = "invalid"
	}
	var leaf *x509.Certificate
	if certs, reason := parseCerts(s.ClientCertPEM); reason != "" {
		f["client_cert"] = reason
	} else {
		leaf = certs[0]
		f["client_cert"] = validity(leaf, now)
		if _, ok := leaf.PublicKey.(*rsa.PublicKey); !ok && f["client_cert"] == "" {
			f["client_cert"] = "not_rsa"
		}
	}
	if key, reason := parseRSAKey(s.ClientKeyPEM); reason != "" {
		f["client_key"] = reason
	} else if pub, ok := leafKey(leaf); ok && !pub.Equal(&key.PublicKey) {
		f["client_key"] = "key_mismatch"
	}
	if _, reason := parseCerts(s.ServerCAPEM); reason != "" {
		f["server_ca"] = reason
	}
	if certs, reason := parseCerts(s.ResponseCertPEM); reason != "" {
		f["response_cert"] = reason
	} else if _, ok := certs[0].PublicKey.(*rsa.PublicKey); !ok {
		f["response_cert"] = "not_rsa"
	} else {
		f["response_cert"] = validity(certs[0], now)
	}
	for k, v := range f {
		if v == "" {
			delete(f, k)
		}
	}
	if len(f) > 0 {
		return &SettingsError{Fields: f}
	}
	return nil
}

func leafKey(leaf *x509.Certificate) (*rsa.PublicKey, bool) {
	if leaf == nil {
		return nil, false
	}
	pub, ok := leaf.PublicKey.(*rsa.PublicKey)
	return pub, ok
}

func validity(c *x509.Certificate, now time.Time) string {
	switch {
	case now.After(c.NotAfter):
		return "expired"
	case now.Before(c.NotBefore):
		return "not_yet_valid"
	}
	return ""
}

func codeLike(s string) bool {
	if len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// parseCerts reads every CERTIFICATE block of a PEM text.
func parseCerts(text string) ([]*x509.Certificate, string) {
	if strings.TrimSpace(text) == "" {
		return nil, "required"
	}
	var certs []*x509.Certificate
	rest := []byte(text)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, "unparseable"
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, "unparseable"
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 || strings.TrimSpace(string(rest)) != "" {
		return nil, "unparseable"
	}
	return certs, ""
}

// parseRSAKey reads one PKCS#1 or PKCS#8 RSA private key.
func parseRSAKey(text string) (*rsa.PrivateKey, string) {
	if strings.TrimSpace(text) == "" {
		return nil, "required"
	}
	b, rest := pem.Decode([]byte(text))
	if b == nil || strings.TrimSpace(string(rest)) != "" {
		return nil, "unparseable"
	}
	switch b.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
		if err != nil {
			return nil, "unparseable"
		}
		return k, ""
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, "unparseable"
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, "not_rsa"
		}
		return rk, ""
	case "EC PRIVATE KEY":
		return nil, "not_rsa"
	}
	return nil, "unparseable"
}

// ClientCertificate returns the parsed client certificate (the leaf), for
// showing its subject, issuer and expiry.
func (s Settings) ClientCertificate() (*x509.Certificate, error) {
	certs, reason := parseCerts(s.ClientCertPEM)
	if reason != "" {
		return nil, errors.New("magda: client certificate " + reason)
	}
	return certs[0], nil
}

// Config turns valid settings into a client configuration. It does not
// check expiry: Validate does, and a call with an expired certificate is
// refused by the service as a TLS failure, which is the outcome to record.
func (s Settings) Config() (Config, error) {
	certs, reason := parseCerts(s.ClientCertPEM)
	if reason != "" {
		return Config{}, errors.New("magda: client certificate " + reason)
	}
	key, reason := parseRSAKey(s.ClientKeyPEM)
	if reason != "" {
		return Config{}, errors.New("magda: client key " + reason)
	}
	cas, reason := parseCerts(s.ServerCAPEM)
	if reason != "" {
		return Config{}, errors.New("magda: server CA " + reason)
	}
	rsp, reason := parseCerts(s.ResponseCertPEM)
	if reason != "" {
		return Config{}, errors.New("magda: answer certificate " + reason)
	}
	pool := x509.NewCertPool()
	for _, c := range cas {
		pool.AddCert(c)
	}
	chain := make([][]byte, len(certs))
	for i, c := range certs {
		chain[i] = c.Raw
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return Config{
		Endpoint:     s.Endpoint,
		ConsumerID:   s.ConsumerID,
		Capacity:     s.Capacity,
		ClientCert:   tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: certs[0]},
		ServerCAs:    pool,
		ResponseCert: rsp[0],
		Timeout:      timeout,
	}, nil
}

// Outcome codes: what a call amounted to, for the audit log, the CSV of
// calls and the message shown (never shown raw).
const (
	OutcomeFound          = "found"
	OutcomeNotFound       = "not_found"
	OutcomeNotInRepertory = "not_in_repertory"
	OutcomeRefused        = "refused"
	OutcomeTLSRefused     = "tls_refused"
	OutcomeBadSignature   = "bad_signature"
	OutcomeProtocol       = "protocol"
	OutcomeUnavailable    = "unavailable"
	OutcomeTimeout        = "timeout"
)

// OutcomeOf names the outcome of a GeefPersoon call from its error (nil:
// found).
func OutcomeOf(err error) string {
	switch {
	case err == nil:
		return OutcomeFound
	case errors.Is(err, ErrNotFound):
		return OutcomeNotFound
	case errors.Is(err, ErrNotInRepertory):
		return OutcomeNotInRepertory
	case errors.Is(err, ErrTLSRefused):
		return OutcomeTLSRefused
	case errors.Is(err, ErrBadSignature):
		return OutcomeBadSignature
	case errors.Is(err, ErrTimeout):
		return OutcomeTimeout
	case errors.Is(err, ErrUnavailable):
		return OutcomeUnavailable
	case errors.Is(err, ErrRefused):
		return OutcomeRefused
	}
	return OutcomeProtocol
}
