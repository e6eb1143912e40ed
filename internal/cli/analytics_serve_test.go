package cli

import (
	"database/sql"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeFlushesAnalyticsOnShutdown: views counted in memory by a running
// `kluis serve` reach the aggregate table when it stops, before the next
// periodic flush: a shutdown loses no counts, and no request wrote them.
func TestServeFlushesAnalyticsOnShutdown(t *testing.T) {
	s := newSandbox(t)
	base, stop := s.serving(t, "serve", "--demo")
	dbPath := filepath.Join(s.dir, "data", "kluis.db")
	raw, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	views := func() int {
		var n int
		if err := raw.QueryRow(`SELECT COALESCE(SUM(count), 0) FROM analytics_views WHERE path = '/'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for range 3 {
		req, _ := http.NewRequest(http.MethodGet, base+"/demo/", nil)
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /demo/: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	if n := views(); n != 0 {
		t.Fatalf("%d views written on the request path", n)
	}
	if res := stop(); !strings.HasPrefix(res, "exit 0") {
		t.Fatalf("serve: %s", res)
	}
	if n := views(); n != 3 {
		t.Fatalf("after shutdown %d views of the front page, want 3", n)
	}
}
