package web

// ASVS 5.0.0 chapter V13.4, Unintended Information Leakage: what the
// public listener must not answer.

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// prober returns a function that asks one web side for a target and
// returns status and body.
func prober(t *testing.T) func(method, target string, header map[string]string) (int, string) {
	a, _ := newTestApp(t, Options{})
	h := a.Handler()
	return func(method, target string, header map[string]string) (int, string) {
		t.Helper()
		resp := request{method: method, target: target, header: header}.do(t, h)
		return resp.StatusCode, bodyOf(t, resp)
	}
}

// cleaned reports a redirect the mux gives to the cleaned form of a path
// with "." or ".." in it; the cleaned path is probed on its own.
func cleaned(status int) bool {
	return status == http.StatusMovedPermanently || status == http.StatusTemporaryRedirect
}

// TestASVS_13_4_1_NoSourceControlMetadataServed: static files are
// embedded in the binary by name (no directory of the host is served), so
// no .git or .svn can be reached, not even through a path trick.
func TestASVS_13_4_1_NoSourceControlMetadataServed(t *testing.T) {
	probe := prober(t)
	for _, target := range []string{"/.git/config", "/.git/HEAD", "/static/.git/config", "/static/../.git/config",
		"/static/%2e%2e/.git/HEAD", "/.svn/entries", "/.hg/store", "/.env", "/static/.env", "/go.mod", "/static/../go.mod"} {
		status, body := probe(http.MethodGet, target, nil)
		if status != http.StatusNotFound && !cleaned(status) {
			t.Errorf("%s: %d", target, status)
		}
		for _, leak := range []string{"[core]", "ref: refs/", "module github.com", "repositoryformatversion"} {
			if strings.Contains(body, leak) {
				t.Errorf("%s shows %q", target, leak)
			}
		}
	}
	names := 0
	for name := range staticHashes {
		names++
		if strings.HasPrefix(filepath.Base(name), ".") || strings.Contains(name, "/.") {
			t.Errorf("a hidden file among the static files: %s", name)
		}
	}
	if names == 0 {
		t.Fatal("no static files: the check is broken")
	}
}

// TestASVS_13_4_2_NoDebugFeaturesInTheBinary: no profiler or variable dump
// is linked into the program, none answers, and an internal error shows
// the request id only, never a stack or the panic's text.
func TestASVS_13_4_2_NoDebugFeaturesInTheBinary(t *testing.T) {
	probe := prober(t)
	root := filepath.Join("..", "..")
	n := 0
	for _, dir := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			n++
			for _, imp := range []string{`"net/http/pprof"`, `"expvar"`, `"runtime/pprof"`, `"golang.org/x/net/trace"`} {
				if strings.Contains(string(b), imp) {
					t.Errorf("%s imports %s", p, imp)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 100 {
		t.Fatalf("scanned %d files: the walk is broken", n)
	}
	for _, target := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/vars", "/debug/requests"} {
		if status, _ := probe(http.MethodGet, target, nil); status != http.StatusNotFound {
			t.Errorf("%s: %d", target, status)
		}
	}
	status, body := probe(http.MethodGet, "/test/panic", nil)
	if status != http.StatusInternalServerError {
		t.Fatalf("panic: %d", status)
	}
	for _, leak := range []string{"secret detail", "goroutine", ".go:", "panic"} {
		if strings.Contains(body, leak) {
			t.Errorf("the error page shows %q", leak)
		}
	}
}

// TestASVS_13_4_3_NoDirectoryListings: the static directory and the
// tenant paths list nothing.
func TestASVS_13_4_3_NoDirectoryListings(t *testing.T) {
	probe := prober(t)
	for _, target := range []string{"/static/", "/static", "/static/./", "/templates/", "/static/img/"} {
		status, body := probe(http.MethodGet, target, nil)
		if status != http.StatusNotFound && !cleaned(status) {
			t.Errorf("%s: %d", target, status)
		}
		for _, leak := range []string{`href="kluis.css"`, `href="passkey.js"`, "<pre>"} {
			if strings.Contains(body, leak) {
				t.Errorf("%s lists %q", target, leak)
			}
		}
	}
}

// TestASVS_13_4_4_TraceRefused: TRACE (and its cousin TRACK) is not
// answered on any path, and the refusal does not echo the request (its
// cookie) back.
func TestASVS_13_4_4_TraceRefused(t *testing.T) {
	probe := prober(t)
	for _, method := range []string{"TRACE", "TRACK"} {
		for _, target := range []string{"/", "/healthz", "/static/kluis.css", "/gent/", "/gent/login"} {
			status, body := probe(method, target, map[string]string{"Cookie": sessionCookie + "=SECRET-TOKEN-4711"})
			if status != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %d, want 405", method, target, status)
			}
			if strings.Contains(body, "SECRET-TOKEN-4711") {
				t.Errorf("%s %s echoes the request", method, target)
			}
		}
	}
}

// TestASVS_13_4_5_NoMonitoringOrInternalDocsOnThePublicListener: the
// public listener has no metrics, status or internal documentation pages
// (the health checks say ok or not, nothing more). The API's own
// description, /api/v1/openapi.json, is published on purpose for the
// municipalities' integrators (docs/api.md).
func TestASVS_13_4_5_NoMonitoringOrInternalDocsOnThePublicListener(t *testing.T) {
	probe := prober(t)
	for _, target := range []string{"/metrics", "/status", "/server-status", "/admin/", "/swagger", "/swagger-ui/", "/docs/",
		"/api-docs", "/actuator", "/actuator/health", "/debug", "/_internal"} {
		if status, _ := probe(http.MethodGet, target, nil); status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", target, status)
		}
	}
	for _, target := range []string{"/healthz", "/readyz"} {
		_, body := probe(http.MethodGet, target, nil)
		if len(body) > 200 {
			t.Errorf("%s says more than ok or not: %d bytes", target, len(body))
		}
		for _, leak := range []string{"version", "go1.", "sqlite", "postgres", "uptime", "goroutine"} {
			if strings.Contains(strings.ToLower(body), leak) {
				t.Errorf("%s shows %q: %s", target, leak, body)
			}
		}
	}
}
