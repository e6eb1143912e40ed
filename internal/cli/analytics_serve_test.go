package cli

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// TestServeFlushesAnalyticsOnShutdown: views counted in memory by a running
// `kluis serve` reach the aggregate table when it stops, before the next
// periodic flush: a shutdown loses no counts, and no request wrote them.
func TestServeFlushesAnalyticsOnShutdown(t *testing.T) {
	s := newSandbox(t)
	s.env["KLUIS_LISTEN"] = "127.0.0.1:0"
	addrc := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), serveHooksKey{},
		&serveHooks{ready: func(a net.Addr) { addrc <- a }}))
	defer cancel()
	done := make(chan string, 1)
	go func() {
		code, out, errs := s.run(ctx, "serve", "--demo")
		done <- fmt.Sprintf("exit %d\n%s%s", code, out, errs)
	}()
	var base string
	select {
	case a := <-addrc:
		base = "http://" + a.String()
	case res := <-done:
		t.Fatalf("serve stopped: %s", res)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start")
	}
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
	cancel()
	select {
	case res := <-done:
		if res[:6] != "exit 0" {
			t.Fatalf("serve: %s", res)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if n := views(); n != 3 {
		t.Fatalf("after shutdown %d views of the front page, want 3", n)
	}
}
