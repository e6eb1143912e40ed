// Package geoip tells the country of an IP address from a local MaxMind DB
// file (GeoLite2-Country or compatible), read into memory at start: the
// lookup never leaves the process, and only the ISO country code comes out
// (consent-free analytics; the address itself is never kept).
package geoip

import (
	"fmt"
	"net/netip"
	"os"

	"github.com/oschwald/maxminddb-golang/v2"
)

// DB is a country database in memory. It is safe for concurrent use.
type DB struct {
	r *maxminddb.Reader
}

// Open reads the MaxMind DB file at path into memory.
func Open(path string) (*DB, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("geoip: %w", err)
	}
	r, err := maxminddb.OpenBytes(b)
	if err != nil {
		return nil, fmt.Errorf("geoip %s: %w", path, err)
	}
	return &DB{r: r}, nil
}

// record is the part of a country record read: nothing but the code.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
}

// Country is addr's ISO 3166-1 alpha-2 code, upper case, or "" when the
// database does not know it (or the code is not two letters).
func (db *DB) Country(addr netip.Addr) string {
	if db == nil || !addr.IsValid() {
		return ""
	}
	var rec record
	if err := db.r.Lookup(addr.Unmap()).Decode(&rec); err != nil {
		return ""
	}
	c := rec.Country.ISOCode
	if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
		return ""
	}
	return c
}
