package tenant

import (
	"net"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// FieldHost is the form field of a host name, as HostError names it.
const FieldHost = "host"

// Host problems, as catalogue keys (hosts.*.json).
const (
	HostEmpty    = "hosts.error.empty"
	HostInvalid  = "hosts.error.invalid"
	HostPort     = "hosts.error.port"
	HostIP       = "hosts.error.ip"
	HostWildcard = "hosts.error.wildcard"
	HostOneLabel = "hosts.error.one_label"
	HostTaken    = "hosts.error.taken"
	// HostNotOwn: a host marked primary must be one of the tenant's own.
	HostNotOwn = "hosts.error.not_own"
)

// Link is the absolute address of path (starting with "/") on a tenant's
// pages, for links Kluis writes into mails, receipts and documents: on the
// tenant's primary host name when it has one (https://e-loket.gemeente.be
// + path, no /{slug} prefix: the host router adds it), else on the
// platform's base URL under /{slug}. Every such link is made here, so a
// tenant's own address is used everywhere or nowhere (LOC-2).
//
// Link on a Tenant read from the store uses its PrimaryHost.
func (t Tenant) Link(baseURL, path string) string { return Link(baseURL, t.Slug, t.PrimaryHost, path) }

// Link is tenant.Link with the parts spelled out.
func Link(baseURL, slug, primaryHost, path string) string {
	if primaryHost != "" {
		return "https://" + primaryHost + path
	}
	return strings.TrimRight(baseURL, "/") + "/" + slug + path
}

// NormalizeHost returns the host name s in the form it is stored and
// matched in: trimmed, without a trailing dot, lower-case, internationalised
// names in their ASCII (IDNA "xn--") form. A port, an IP literal, a
// wildcard, a URL or a single label (localhost) is refused with a
// *ValidationError on FieldHost, because a certificate can only be ordered
// for a full DNS name and a Host header is matched on the name alone.
func NormalizeHost(s string) (string, error) {
	bad := func(key string) (string, error) {
		return "", &ValidationError{Fields: map[string]string{FieldHost: key}}
	}
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	switch {
	case s == "":
		return bad(HostEmpty)
	case strings.Contains(s, "*"):
		return bad(HostWildcard)
	case strings.Contains(s, "/") || strings.Contains(s, "@") || !utf8.ValidString(s):
		// Invalid UTF-8 would become U+FFFD in IDNA, a name that is
		// itself refused: refuse it here (found by FuzzNormalizeHost).
		return bad(HostInvalid)
	}
	if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return bad(HostIP)
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		if _, err := netip.ParseAddr(h); err == nil {
			return bad(HostIP)
		}
		return bad(HostPort)
	}
	ascii, err := idna.Lookup.ToASCII(s)
	if err != nil || len(ascii) > 253 {
		return bad(HostInvalid)
	}
	ascii = strings.ToLower(ascii)
	if !strings.Contains(ascii, ".") {
		return bad(HostOneLabel)
	}
	for _, label := range strings.Split(ascii, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return bad(HostInvalid)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return bad(HostInvalid)
			}
		}
	}
	// A name of digits and dots only would be read as an address by some
	// clients (1.2.3 is 1.2.0.3 to inet_aton).
	if strings.Trim(ascii, "0123456789.") == "" {
		return bad(HostIP)
	}
	// The stored form must be its own normal form, or a Host header and
	// the stored name could disagree.
	if again, err := idna.Lookup.ToASCII(ascii); err != nil || again != ascii {
		return bad(HostInvalid)
	}
	return ascii, nil
}
