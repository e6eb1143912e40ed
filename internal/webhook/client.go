package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// Client defaults.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxResponse = 64 << 10
)

// ClientOptions configures a Client.
type ClientOptions struct {
	// RootCAs are the trusted roots; nil: the system's. Tests pass the
	// certificate of their httptest server.
	RootCAs *x509.CertPool
	// Allow lists networks the operator explicitly allowed although they
	// are loopback, private or otherwise internal
	// (KLUIS_WEBHOOK_ALLOW_NETWORKS); empty: none.
	Allow []netip.Prefix
	// Timeout bounds one attempt, connection to last byte; 0: DefaultTimeout.
	Timeout time.Duration
	// MaxResponse caps how much of a response is read; 0: DefaultMaxResponse.
	MaxResponse int64
}

// Client delivers signed webhooks over HTTPS. It follows no redirects,
// uses no proxy, and refuses to connect to an address in an internal
// range unless that address is in the allow-list: the check runs on the
// address actually dialled (net.Dialer.Control), so DNS rebinding between
// a check and the connection cannot get around it.
type Client struct {
	http        *http.Client
	maxResponse int64
}

// ErrAddressRefused is the error of a connection to an internal address.
var ErrAddressRefused = errors.New("webhook: the destination resolves to a loopback, private, link-local or otherwise internal address")

// NewClient returns a client with opts.
func NewClient(opts ClientOptions) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxResponse <= 0 {
		opts.MaxResponse = DefaultMaxResponse
	}
	allow := append([]netip.Prefix(nil), opts.Allow...)
	dialer := &net.Dialer{
		Timeout: opts.Timeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return ErrAddressRefused
			}
			if Refused(ap.Addr(), allow) {
				return ErrAddressRefused
			}
			return nil
		},
	}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would be the address dialled, not the destination
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   opts.Timeout,
		ResponseHeaderTimeout: opts.Timeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	return &Client{
		http: &http.Client{
			Transport: tr,
			Timeout:   opts.Timeout,
			// A 3xx is the answer, and a failed attempt: a redirect could
			// lead anywhere, inside the network or outside the register.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		maxResponse: opts.MaxResponse,
	}
}

// internal are ranges no webhook may reach unless allowed, besides what
// netip classifies as loopback, private, link-local, unspecified and
// multicast.
var internal = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64: could reach any IPv4 address
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("2002::/16"),      // 6to4: embeds an IPv4 address
	netip.MustParsePrefix("fc00::/7"),       // unique local (also IsPrivate)
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
}

// Refused reports whether a is loopback, private, link-local, unspecified,
// multicast or in another internal range, and not in allow.
func Refused(a netip.Addr, allow []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range allow {
		if p.Contains(a) {
			return false
		}
	}
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return true
	}
	for _, p := range internal {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Message is one delivery attempt.
type Message struct {
	URL    string
	ID     string // the event id: webhook-id, the same on every retry
	Secret string
	Body   []byte
	Time   time.Time // the attempt's time: webhook-timestamp
	// ContentType is the body's type; "": application/json.
	ContentType string
	// Header holds further headers (the checkpoint push names its tenant
	// and size); the signature headers cannot be replaced by it.
	Header http.Header
}

// Result is the outcome of an attempt. Reason says why it failed in a few
// words without the URL or anything the receiver answered.
type Result struct {
	Status    int // the HTTP status, 0 when none came
	Delivered bool
	// Permanent failures are not retried: the destination was refused.
	Permanent bool
	Reason    string
}

// Deliver signs m and posts it. A 2xx answer delivers it; anything else,
// a redirect included, is a failed attempt.
func (c *Client) Deliver(ctx context.Context, m Message) Result {
	if !ValidURL(m.URL) {
		return Result{Permanent: true, Reason: "refused: not an https URL"}
	}
	sig, err := Sign(m.Secret, m.ID, m.Time, m.Body)
	if err != nil {
		return Result{Permanent: true, Reason: "refused: unusable secret"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return Result{Permanent: true, Reason: "refused: not an https URL"}
	}
	for k, vs := range m.Header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	if m.ContentType != "" {
		req.Header.Set("Content-Type", m.ContentType)
	}
	req.Header.Set("User-Agent", "Kluis-Webhooks/1")
	req.Header.Set(HeaderID, m.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(m.Time.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	resp, err := c.http.Do(req)
	if err != nil {
		return failure(err)
	}
	defer resp.Body.Close()
	// Read (a bounded part of) the answer so the connection can be reused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, c.maxResponse))
	r := Result{Status: resp.StatusCode}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		r.Delivered = true
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		r.Reason = fmt.Sprintf("redirect %d not followed", resp.StatusCode)
	default:
		r.Reason = fmt.Sprintf("http status %d", resp.StatusCode)
	}
	return r
}

// failure words a transport error without its URL (url.Error carries it).
func failure(err error) Result {
	if errors.Is(err, ErrAddressRefused) {
		return Result{Permanent: true, Reason: "refused: the address is internal (not in KLUIS_WEBHOOK_ALLOW_NETWORKS)"}
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return Result{Reason: "timeout"}
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &dnsErr):
		return Result{Reason: "the host name does not resolve"}
	case errors.As(err, &certErr):
		return Result{Reason: "tls: the certificate is not trusted"}
	case errors.Is(err, syscall.ECONNREFUSED):
		return Result{Reason: "connection refused"}
	}
	return Result{Reason: "connection failed"}
}
