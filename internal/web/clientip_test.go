package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// TestASVS_4_1_3_ClauseUSR6_ClientAddressTrustsOnlyConfiguredProxies: X-Forwarded-For names
// the client only when the connection comes from a trusted proxy, and then
// only its rightmost address that is not a trusted proxy.
func TestASVS_4_1_3_ClauseUSR6_ClientAddressTrustsOnlyConfiguredProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48"),
		netip.MustParsePrefix("192.0.2.10/32")}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		remote  string
		xff     []string // header lines
		want    string
	}{
		{"no proxies configured: header ignored", nil, "203.0.113.5:4711", []string{"198.51.100.1"}, "203.0.113.5"},
		{"no proxies configured: spoofed loopback ignored", nil, "203.0.113.5:4711", []string{"127.0.0.1"}, "203.0.113.5"},
		{"untrusted peer cannot spoof", trusted, "203.0.113.5:4711", []string{"10.1.2.3"}, "203.0.113.5"},
		{"trusted proxy: its client", trusted, "10.0.0.2:4711", []string{"198.51.100.1"}, "198.51.100.1"},
		{"trusted proxy, client-written entries left of the real one ignored", trusted, "10.0.0.2:4711",
			[]string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"client spoofs a trusted address in front", trusted, "10.0.0.2:4711",
			[]string{"10.9.9.9, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies in a chain", trusted, "10.0.0.2:4711", []string{"198.51.100.1, 192.0.2.10"}, "198.51.100.1"},
		{"several header lines are one list", trusted, "10.0.0.2:4711", []string{"6.6.6.6", "198.51.100.1, 10.0.0.9"}, "198.51.100.1"},
		{"trusted proxy without header", trusted, "10.0.0.2:4711", nil, "10.0.0.2"},
		{"garbage after the client: the last trusted hop", trusted, "10.0.0.2:4711", []string{"198.51.100.1, not-an-ip"}, "10.0.0.2"},
		{"only trusted hops: the leftmost", trusted, "10.0.0.2:4711", []string{"10.0.0.3, 10.0.0.4"}, "10.0.0.3"},
		{"entry with a port", trusted, "10.0.0.2:4711", []string{"198.51.100.1:5555"}, "198.51.100.1"},
		{"IPv6 proxy and client", trusted, "[2001:db8:ffff::1]:4711", []string{"[2001:db8:1::7]:80"}, "2001:db8:1::7"},
		{"IPv4-mapped IPv6 peer is the IPv4 proxy", trusted, "[::ffff:10.0.0.2]:4711", []string{"198.51.100.1"}, "198.51.100.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &App{opts: Options{TrustedProxies: tt.trusted}}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remote
			for _, h := range tt.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			if got := a.clientIP(r); got != tt.want {
				t.Fatalf("clientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestASVS_15_3_4_ClauseUSR6_RateLimitNotBypassedBySpoofedHeader: a client that sends
// a new X-Forwarded-For on every request still shares one budget, unless
// it really comes through a trusted proxy.
func TestASVS_15_3_4_ClauseUSR6_RateLimitNotBypassedBySpoofedHeader(t *testing.T) {
	for _, tt := range []struct {
		name    string
		trusted []netip.Prefix
		remote  string
		want429 bool
	}{
		{"direct client spoofing", nil, "203.0.113.5:4711", true},
		{"untrusted proxy spoofing", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "203.0.113.5:4711", true},
		{"trusted proxy, different clients", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, "10.0.0.2:4711", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := newTestApp(t, Options{TrustedProxies: tt.trusted})
			h := a.rateLimited(newRateLimiter(3), func(w http.ResponseWriter, r *http.Request) {})
			limited := false
			for i := range 10 {
				r := httptest.NewRequest(http.MethodPost, "/", nil)
				r.RemoteAddr = tt.remote
				r.Header.Set("X-Forwarded-For", netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)}).String())
				rec := httptest.NewRecorder()
				h(rec, r)
				if rec.Code == http.StatusTooManyRequests {
					limited = true
				}
			}
			if limited != tt.want429 {
				t.Fatalf("rate limited: %v, want %v", limited, tt.want429)
			}
		})
	}
}
