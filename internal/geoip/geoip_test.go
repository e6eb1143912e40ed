package geoip_test

import (
	"net/netip"
	"testing"

	"github.com/kluis/kluis/internal/geoip"
	"github.com/kluis/kluis/internal/geoip/geoiptest"
)

// TestAnalyticsGeoIPCountry: a country database written in the MaxMind DB
// format opens with the production reader and tells each network's
// country, for IPv4 and IPv6, and "" for an address it does not know.
func TestAnalyticsGeoIPCountry(t *testing.T) {
	db, err := geoip.Open(geoiptest.Write(t, map[string]string{
		"192.0.2.0/24": "BE", "198.51.100.0/25": "NL", "198.51.100.128/25": "FR", "2001:db8:be::/48": "BE", "2001:db8:de::/48": "DE",
		"203.0.0.0/8": "AU", "203.0.113.0/24": "NZ", // one network inside another
	}))
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{
		"192.0.2.1": "BE", "192.0.2.255": "BE", "198.51.100.5": "NL", "198.51.100.200": "FR", "::ffff:192.0.2.9": "BE",
		"2001:db8:be::1": "BE", "2001:db8:de:1::1": "DE", "203.0.113.1": "NZ", "203.0.112.1": "AU", "203.255.0.1": "AU", "2001:db8:ff::1": "", "10.0.0.1": "",
	} {
		if got := db.Country(netip.MustParseAddr(addr)); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
	var none *geoip.DB
	if none.Country(netip.MustParseAddr("192.0.2.1")) != "" {
		t.Error("no database tells a country")
	}
	if _, err := geoip.Open(t.TempDir() + "/missing.mmdb"); err == nil {
		t.Error("a missing file opens")
	}
}
