// Package mail delivers Kluis's outgoing mail to an SMTP relay, over
// STARTTLS or implicit TLS, and describes failures without personal data:
// an SMTP reply code and class, never an address or the server's own text
// (which often repeats the address). Whether a failure is worth retrying is
// told by IsPermanent.
//
// It knows nothing of the outbox: the store queues mails and the jobs
// package feeds them to a Sender. It imports the standard library and
// github.com/wneessen/go-mail.
package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes of Config.TLS.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which must succeed (default)
	TLSImplicit = "tls"      // TLS from the first byte ("SMTPS", port 465)
	TLSNone     = "none"     // no encryption: only to a relay on the loopback interface (tests)
)

// Config names the SMTP relay and how to talk to it.
type Config struct {
	Host string
	// Port defaults to 587 for starttls, 465 for tls and 25 for none.
	Port               int
	Username, Password string // both or neither; authentication only over TLS
	// TLS is TLSStartTLS (the default when empty), TLSImplicit or TLSNone.
	TLS string
	// From is the sender, e.g. "Gemeente Demo <noreply@demo.be>".
	From string
	// HeloName is the name given in EHLO; default the machine's host name.
	HeloName string
	// Timeout bounds one delivery (connect, TLS, every command); default 30 s.
	Timeout time.Duration
	// RootCAs verifies the relay's certificate instead of the system roots
	// (a private CA, or a test's self-signed certificate).
	RootCAs *x509.CertPool
	// InsecureSkipVerify accepts any certificate. For tests only.
	InsecureSkipVerify bool
}

// Sender delivers mail to one relay. It is safe for concurrent use; each
// Send opens its own connection.
type Sender struct {
	cfg      Config
	from     string
	msgidDom string
	opts     []gomail.Option
}

// Host is the relay's host name: a sub-processor may name it (SUB-2).
func (s *Sender) Host() string { return s.cfg.Host }

// New checks cfg and returns a Sender. It does not connect.
func New(cfg Config) (*Sender, error) {
	if cfg.Host == "" {
		return nil, errors.New("mail: no SMTP host configured")
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: the sender address %q is not valid", cfg.From)
	}
	if (cfg.Username == "") != (cfg.Password == "") {
		return nil, errors.New("mail: give both an SMTP user name and a password, or neither")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	opts := []gomail.Option{gomail.WithTimeout(cfg.Timeout)}
	switch cfg.TLS {
	case TLSStartTLS:
		if cfg.Port == 0 {
			cfg.Port = gomail.DefaultPortTLS
		}
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		if cfg.Port == 0 {
			cfg.Port = gomail.DefaultPortSSL
		}
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		if !isLoopback(cfg.Host) {
			return nil, fmt.Errorf("mail: TLS %q is allowed only for a relay on the loopback interface, not %s", TLSNone, cfg.Host)
		}
		if cfg.Username != "" {
			return nil, errors.New("mail: SMTP authentication needs TLS")
		}
		if cfg.Port == 0 {
			cfg.Port = gomail.DefaultPort
		}
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("mail: TLS must be %q, %q or %q, not %q", TLSStartTLS, TLSImplicit, TLSNone, cfg.TLS)
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("mail: port %d is out of range", cfg.Port)
	}
	opts = append(opts, gomail.WithPort(cfg.Port), gomail.WithTLSConfig(&tls.Config{
		ServerName:         cfg.Host,
		MinVersion:         tls.VersionTLS12,
		RootCAs:            cfg.RootCAs,
		InsecureSkipVerify: cfg.InsecureSkipVerify,
	}))
	if cfg.HeloName != "" {
		opts = append(opts, gomail.WithHELO(cfg.HeloName))
	}
	if cfg.Username != "" {
		// Auto-discovery picks the strongest mechanism the relay offers
		// and refuses plain-text ones on an unencrypted connection.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	dom := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	s := &Sender{cfg: cfg, from: from.String(), msgidDom: dom, opts: opts}
	// Build a client once to catch what go-mail itself refuses.
	if _, err := gomail.NewClient(cfg.Host, opts...); err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	return s, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send delivers one text/plain UTF-8 message to one recipient, in lang
// (a BCP 47 tag; "nl" and "fr" are sent as "nl-BE" and "fr-BE"). A failure
// is an *Error: its text names the SMTP status only, never the recipient.
func (s *Sender) Send(ctx context.Context, to, subject, body, lang string) error {
	m := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP),
		gomail.WithNoDefaultUserAgent())
	if err := m.From(s.from); err != nil {
		return &Error{Permanent: true, detail: "invalid sender address"}
	}
	if err := m.To(to); err != nil {
		return &Error{Permanent: true, detail: "invalid recipient address"}
	}
	m.Subject(subject)
	m.SetBodyString(gomail.TypeTextPlain, body)
	if cl := ContentLanguage(lang); cl != "" {
		m.SetGenHeader(gomail.HeaderContentLang, cl)
	}
	// Automatic mail: no out-of-office replies back to the relay (RFC 3834).
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	m.SetMessageIDWithValue(newMessageID(s.msgidDom))
	m.SetDate()
	c, err := gomail.NewClient(s.cfg.Host, s.opts...)
	if err != nil {
		return &Error{Relay: true, detail: "client configuration"}
	}
	sc, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return classify(err)
	}
	// Once the relay has accepted the message a failing QUIT does not undo
	// the delivery: reporting it as a failure would send the mail twice.
	defer c.CloseWithSMTPClient(sc)
	if err := c.SendWithSMTPClient(sc, m); err != nil {
		return classify(err)
	}
	return nil
}

// newMessageID makes a Message-ID in the sender's domain rather than the
// machine's host name, which is nobody's business.
func newMessageID(domain string) string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "@" + domain
}

var tagRE = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// ContentLanguage turns a language into the Content-Language header value:
// Dutch and French are the Belgian variants, another valid tag is kept as
// given, and anything else yields "" (no header).
func ContentLanguage(lang string) string {
	switch strings.ToLower(lang) {
	case "nl":
		return "nl-BE"
	case "fr":
		return "fr-BE"
	case "de":
		return "de-BE"
	}
	if !tagRE.MatchString(lang) {
		return ""
	}
	return lang
}

// Error is a failed delivery, described without personal data.
type Error struct {
	// Permanent is true when the relay refused this message for good (a
	// 5xx reply to the recipient or the data) or the message itself is
	// invalid: trying again will not help.
	Permanent bool
	// Relay is true when the failure lies with the connection or session
	// (unreachable, TLS, authentication, the sender), not this message:
	// the other queued messages will fail alike. Such failures are never
	// permanent, since fixing the configuration makes them succeed.
	Relay bool
	// Code is the SMTP reply code (421, 550 …), 0 when there was none.
	Code int
	// Enhanced is the RFC 3463 status ("5.1.1") when the relay gave one.
	Enhanced string
	detail   string // a fixed phrase, never the server's text
}

func (e *Error) Error() string {
	class := "temporary"
	if e.Permanent {
		class = "permanent"
	}
	var what []string
	if e.Code != 0 {
		what = append(what, fmt.Sprint(e.Code))
	}
	if e.Enhanced != "" {
		what = append(what, e.Enhanced)
	}
	if e.detail != "" {
		what = append(what, e.detail)
	}
	return fmt.Sprintf("smtp: %s failure (%s)", class, strings.Join(what, " "))
}

// IsPermanent reports whether err is a delivery failure that retrying will
// not mend. Anything else (a 4xx reply, a network or TLS problem, a
// failure of the relay session) is temporary.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// IsRelayFailure reports whether err lies with the relay connection or
// session rather than one message, so that the other queued messages would
// fail alike.
func IsRelayFailure(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Relay
}

var enhancedRE = regexp.MustCompile(`\b[245]\.\d{1,3}\.\d{1,3}\b`)

// classify turns a go-mail error into an *Error, keeping only codes.
func classify(err error) *Error {
	var se *gomail.SendError
	if errors.As(err, &se) {
		e := &Error{Code: se.ErrorCode(), Enhanced: se.EnhancedStatusCode()}
		switch se.Reason {
		case gomail.ErrSMTPMailFrom, gomail.ErrConnCheck, gomail.ErrSMTPReset:
			// The relay refused our sender or the session: not this
			// message's fault, and it would refuse the others too.
			e.Relay, e.detail = true, stage(se.Reason)
		case gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			e.Permanent, e.detail = true, stage(se.Reason)
		default:
			e.Permanent = e.Code >= 500 && e.Code < 600
			e.detail = stage(se.Reason)
			if e.Code == 0 {
				e.detail += ": " + netDetail(err)
			}
		}
		return e
	}
	// Everything before MAIL FROM: dialling, the greeting, EHLO, STARTTLS,
	// authentication. A reply code may be known; the failure is the relay's.
	e := &Error{Relay: true}
	var te *textproto.Error
	if errors.As(err, &te) {
		e.Code = te.Code
		e.Enhanced = enhancedRE.FindString(te.Msg)
		e.detail = "session"
		if isAuthFailure(err) {
			e.detail = "authentication"
		}
		return e
	}
	e.detail = "connection: " + netDetail(err)
	if isAuthFailure(err) {
		e.detail = "authentication"
	}
	return e
}

// isAuthFailure recognises go-mail's authentication errors, which carry
// no type of their own.
func isAuthFailure(err error) bool {
	s := err.Error()
	return strings.Contains(s, "SMTP AUTH") || strings.Contains(s, "SMTP Auth")
}

func stage(r gomail.SendErrReason) string {
	switch r {
	case gomail.ErrSMTPMailFrom:
		return "sender refused"
	case gomail.ErrSMTPRcptTo:
		return "recipient"
	case gomail.ErrSMTPData, gomail.ErrSMTPDataClose, gomail.ErrWriteContent:
		return "data"
	case gomail.ErrGetRcpts:
		return "invalid recipient address"
	case gomail.ErrNoUnencoded:
		return "relay lacks 8BITMIME"
	case gomail.ErrConnCheck, gomail.ErrSMTPReset:
		return "session"
	}
	return "delivery"
}

// netDetail names the kind of a transport failure with a fixed phrase.
func netDetail(err error) string {
	var ne net.Error
	var ve *tls.CertificateVerificationError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var oe *net.OpError
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &ve), errors.As(err, &ue), errors.As(err, &he):
		return "TLS certificate not trusted"
	case strings.Contains(err.Error(), "tls:"), strings.Contains(err.Error(), "STARTTLS"):
		return "TLS"
	case errors.As(err, &oe) && oe.Op == "dial":
		return "cannot connect"
	}
	return "network"
}
