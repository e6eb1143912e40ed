package cli

import (
	"context"
	"strings"
	"testing"
)

// TestBenchPagesRunsOnATinyLoad: `kluis bench pages` measures the demo's
// public pages (the form, the privacy statement, the home, the published
// site page) on a running server and prints, for each, req/s, p99 and the
// ratio to a bare handler sending the same bytes; a page that answers 404
// fails the run instead of measuring an error page.
func TestBenchPagesRunsOnATinyLoad(t *testing.T) {
	s := newSandbox(t)
	base, _ := s.serving(t, "serve", "--demo")
	code, out, errs := s.run(context.Background(), "bench", "pages", "--url", base, "--clients", "2", "--duration", "200ms", "--limit-in-process")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	for _, p := range benchPagePaths {
		line := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, p+" ") {
				line = l
			}
		}
		if line == "" || !strings.Contains(line, "req/s") || !strings.Contains(line, "p99") || !strings.Contains(line, "ratio ") {
			t.Errorf("no measurement of %s:\n%s", p, out)
		}
	}
	code, out, errs = s.run(context.Background(), "bench", "pages", "--url", base, "--clients", "1", "--duration", "100ms", "--limit-in-process",
		"--pages", "/demo/vraag,/demo/site/bestaat-niet")
	if code == 0 || !strings.Contains(out+errs, "/demo/site/bestaat-niet: answers 404") {
		t.Fatalf("a page that 404s: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs = s.run(context.Background(), "bench", "pages", "--url", "http://192.0.2.1:8080"); code == 0 || !strings.Contains(errs, "loopback") {
		t.Fatalf("a server off loopback: exit %d %s", code, errs)
	}
}
