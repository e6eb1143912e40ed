package breached

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// rangeServer is a real HTTP server on 127.0.0.1 that answers range
// queries for the given passwords (count 42 each) with padding lines, and
// records the paths it was asked for.
type rangeServer struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
}

func newRangeServer(t *testing.T, breached ...string) *rangeServer {
	t.Helper()
	byPrefix := map[string][]string{}
	for _, pw := range breached {
		sum := sha1.Sum([]byte(pw))
		h := strings.ToUpper(hex.EncodeToString(sum[:]))
		byPrefix[h[:5]] = append(byPrefix[h[:5]], h[5:]+":42")
	}
	rs := &rangeServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.mu.Lock()
		rs.paths = append(rs.paths, r.URL.Path)
		rs.mu.Unlock()
		prefix := strings.TrimPrefix(r.URL.Path, "/range/")
		if len(prefix) != 5 {
			http.Error(w, "bad prefix", http.StatusBadRequest)
			return
		}
		lines := append([]string{"0018A45C4D1DEF81644B54AB7F969B88D65:1", "00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0"}, byPrefix[prefix]...)
		if r.Header.Get("Add-Padding") == "true" {
			lines = append(lines, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0")
		}
		fmt.Fprint(w, strings.Join(lines, "\r\n"))
	}))
	t.Cleanup(rs.Close)
	return rs
}

func TestClauseUSR3_BreachedPasswordRangeQuery(t *testing.T) {
	rs := newRangeServer(t, "correct horse battery staple", "Wachtwoord2024!")
	if !strings.HasPrefix(rs.URL, "http://127.0.0.1:") {
		t.Fatalf("server not on 127.0.0.1: %s", rs.URL)
	}
	c := New(rs.URL+"/range/", time.Second)
	for pw, want := range map[string]bool{
		"correct horse battery staple":     true,
		"Wachtwoord2024!":                  true,
		"wachtwoord2024!":                  false, // case matters: another hash
		"paardenbloem kastanjeboom vijver": false,
	} {
		got, err := c.Breached(context.Background(), pw)
		if err != nil || got != want {
			t.Errorf("Breached(%q) = %v, %v; want %v", pw, got, err, want)
		}
	}
	// Only 5-hex prefixes left Kluis, never a password or a full hash.
	for _, p := range rs.paths {
		if len(p) != len("/range/")+5 || strings.ContainsAny(p[len("/range/"):], "abcdefghijklmnopqrstuvwxyz ") {
			t.Errorf("path sent: %q", p)
		}
	}
	// A URL with {prefix} and one without the trailing slash work too.
	for _, u := range []string{rs.URL + "/range/{prefix}", rs.URL + "/range"} {
		if got, err := New(u, time.Second).Breached(context.Background(), "correct horse battery staple"); err != nil || !got {
			t.Errorf("%s: %v %v", u, got, err)
		}
	}
	// No URL: no checker, nothing breached.
	if c := New("", 0); c != nil {
		t.Fatal("a checker without a URL")
	}
	var none *Checker
	if got, err := none.Breached(context.Background(), "x"); got || err != nil {
		t.Fatalf("nil checker: %v %v", got, err)
	}
}

func TestClauseUSR3_BreachedServiceFailuresAreUnavailable(t *testing.T) {
	fail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer fail.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusFound)
	}))
	defer redirect.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/range/"
	l.Close()

	for name, u := range map[string]string{
		"status 503":  fail.URL + "/range/",
		"redirect":    redirect.URL + "/range/",
		"timeout":     slow.URL + "/range/",
		"unreachable": closed,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := New(u, 200*time.Millisecond).Breached(context.Background(), "correct horse battery staple")
			if got || !errors.Is(err, ErrUnavailable) {
				t.Fatalf("got %v, %v; want ErrUnavailable", got, err)
			}
			if strings.Contains(err.Error(), "/range/") || strings.Contains(err.Error(), "horse") {
				t.Fatalf("error shows the query: %v", err)
			}
		})
	}
}
