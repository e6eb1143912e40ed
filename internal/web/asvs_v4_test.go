package web

// ASVS 5.0.0 chapter V4, API and Web Service, and the checks that hold
// for every response of every route (V4.1.1, V14.2.2, V14.3.2, V3.4.6):
// those run the authorisation matrix once, every route as every party,
// and look at every response it gave.

import (
	"bufio"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// routeResponse is one response of the authorisation matrix.
type routeResponse struct {
	pattern, party string
	status         int
	header         http.Header
	body           string
}

var (
	matrixOnce      sync.Once
	matrixResponses []routeResponse
)

// everyRouteResponse runs the authorisation matrix once per test binary
// and returns every response it gave: every route, as every party
// (anonymous, staff of each role, another tenant's admin, an operator).
func everyRouteResponse(t *testing.T) []routeResponse {
	t.Helper()
	matrixOnce.Do(func() {
		var mu sync.Mutex
		runAuthorisationMatrix(t, func(row authzRow, party string, resp *http.Response, body string) {
			mu.Lock()
			defer mu.Unlock()
			matrixResponses = append(matrixResponses, routeResponse{row.pattern, party, resp.StatusCode, resp.Header.Clone(), body})
		})
	})
	if len(matrixResponses) < 1000 {
		t.Fatalf("the matrix gave %d responses: it did not run through", len(matrixResponses))
	}
	return matrixResponses
}

// TestASVS_4_1_1_EveryBodyHasContentTypeWithCharset: every response of
// every route that has a body names its type, and a textual type its
// character set, so no browser guesses either.
func TestASVS_4_1_1_EveryBodyHasContentTypeWithCharset(t *testing.T) {
	for _, r := range everyRouteResponse(t) {
		if r.body == "" {
			continue
		}
		ct := r.header.Get("Content-Type")
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Errorf("%s as %s (%d): Content-Type %q: %v", r.pattern, r.party, r.status, ct, err)
			continue
		}
		// JSON is UTF-8 by definition and has no charset parameter (RFC
		// 8259, section 11); the standard names text/ and XML types.
		textual := strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "xml") || mt == "application/javascript"
		if textual && !strings.EqualFold(params["charset"], "utf-8") {
			t.Errorf("%s as %s (%d): Content-Type %q without charset=utf-8", r.pattern, r.party, r.status, ct)
		}
		if strings.HasPrefix(r.body, "<!DOCTYPE html>") && mt != "text/html" {
			t.Errorf("%s as %s: a page served as %q", r.pattern, r.party, ct)
		}
	}
}

// publicCacheable are the routes whose answers may be kept by browsers and
// shared caches: our own static files and a tenant's look and site images,
// public and versioned. Everything else may hold personal data.
var publicCacheable = map[string]bool{
	"GET /static/{file...}":          true,
	"GET /{tenant}/logo":             true,
	"GET /{tenant}/brand.css":        true,
	"GET /{tenant}/site/images/{id}": true,
}

// TestASVS_14_3_2_NoStoreOnEveryResponseToSomeoneSignedIn: whatever a
// signed-in person is shown (pages, downloads, errors, redirects), the
// browser is told not to keep it.
func TestASVS_14_3_2_NoStoreOnEveryResponseToSomeoneSignedIn(t *testing.T) {
	n := 0
	for _, r := range everyRouteResponse(t) {
		if r.party == "anonymous" || (publicCacheable[r.pattern] && r.status == http.StatusOK) {
			continue
		}
		n++
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s as %s (%d): Cache-Control %q, want no-store", r.pattern, r.party, r.status, cc)
		}
	}
	if n < 1000 {
		t.Errorf("only %d responses to signed-in parties checked", n)
	}
}

// TestASVS_14_2_2_NothingButPublicFilesIsCacheableByProxies: no response
// a proxy or load balancer could store, except the public files.
func TestASVS_14_2_2_NothingButPublicFilesIsCacheableByProxies(t *testing.T) {
	for _, r := range everyRouteResponse(t) {
		cc := r.header.Get("Cache-Control")
		if publicCacheable[r.pattern] && r.status == http.StatusOK {
			continue
		}
		if cc != "no-store" {
			t.Errorf("%s as %s (%d): Cache-Control %q, want no-store", r.pattern, r.party, r.status, cc)
		}
		if r.header.Get("Expires") != "" || r.header.Get("ETag") != "" || r.header.Get("Last-Modified") != "" {
			t.Errorf("%s as %s: validators or Expires on a private response: %v", r.pattern, r.party, r.header)
		}
	}
}

// TestASVS_3_4_6_FrameAncestorsNoneOnEveryRoute: no response of any route,
// to anyone, can be framed.
func TestASVS_3_4_6_FrameAncestorsNoneOnEveryRoute(t *testing.T) {
	for _, r := range everyRouteResponse(t) {
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s as %s (%d): CSP %q", r.pattern, r.party, r.status, csp)
		}
	}
}

// TestASVS_4_2_1_TransferEncodingWinsOverContentLength: a raw HTTP/1.1
// request carrying both framings is read by its chunks (the Content-Length
// ignored), so the bytes after it are the next request and nothing is
// smuggled; ambiguous framings are refused and the connection closed.
func TestASVS_4_2_1_TransferEncodingWinsOverContentLength(t *testing.T) {
	a, _ := newTestApp(t, Options{})
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	roundTrip := func(raw string) []*http.Response {
		t.Helper()
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, raw); err != nil {
			t.Fatal(err)
		}
		var out []*http.Response
		br := bufio.NewReader(c)
		for {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				return out
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body = io.NopCloser(strings.NewReader(string(b)))
			out = append(out, resp)
			if resp.Close {
				return out
			}
		}
	}

	// Content-Length says 3 ("x=s"); the chunks carry "x=smuggled".
	// Then a second request, pipelined.
	got := roundTrip("POST /test/form HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
		"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\na\r\nx=smuggled\r\n0\r\n\r\n" +
		"GET /healthz HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
	if len(got) != 2 {
		t.Fatalf("%d responses, want 2 (the post and the health check)", len(got))
	}
	if b := bodyOf(t, got[0]); got[0].StatusCode != http.StatusOK || b != "got smuggled" {
		t.Errorf("the post was read as %d %q, want its chunks: got smuggled", got[0].StatusCode, b)
	}
	if got[1].StatusCode != http.StatusOK {
		t.Errorf("the pipelined request: %d", got[1].StatusCode)
	}

	for name, raw := range map[string]string{
		"two lengths":        "POST /test/form HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nx=abc",
		"two encodings":      "POST /test/form HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
		"unknown encoding":   "POST /test/form HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: xchunked\r\nContent-Length: 3\r\n\r\nx=a",
		"space before colon": "POST /test/form HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\nx=a",
	} {
		got := roundTrip(raw + "GET /healthz HTTP/1.1\r\nHost: example.com\r\n\r\n")
		if len(got) != 1 || got[0].StatusCode < 400 || got[0].StatusCode >= 600 || !got[0].Close {
			var codes []int
			for _, r := range got {
				codes = append(codes, r.StatusCode)
			}
			t.Errorf("%s: responses %v, want one refusal and the connection closed", name, codes)
		}
	}
}

// TestASVS_4_1_3_NoOtherProxyHeaderIsBelieved: the one header a proxy
// sets that Kluis reads is X-Forwarded-For, in clientIP, which believes
// it only from a trusted proxy
// (TestASVS_4_1_3_ClauseUSR6_ClientAddressTrustsOnlyConfiguredProxies);
// no handler reads X-Real-IP, Forwarded, X-Forwarded-Proto/Host or a user
// header a client could set instead.
func TestASVS_4_1_3_NoOtherProxyHeaderIsBelieved(t *testing.T) {
	read := regexp.MustCompile(`Header(\(\))?\.(Get|Values)\("([^"]+)"\)`)
	proxyish := regexp.MustCompile(`(?i)^(x-forwarded-|x-real-ip|forwarded|x-original-|x-client-|x-user|x-remote-|true-client-ip|cf-connecting-ip)`)
	found := false
	for _, f := range goSources(t, ".", filepath.Join("..", "api")) {
		for _, m := range read.FindAllStringSubmatch(f.text, -1) {
			if !proxyish.MatchString(m[3]) {
				continue
			}
			if m[3] == "X-Forwarded-For" && filepath.Base(f.path) == "clientip.go" {
				found = true
				continue
			}
			t.Errorf("%s reads %s", f.path, m[3])
		}
	}
	if !found {
		t.Error("clientip.go no longer reads X-Forwarded-For: the scan is broken")
	}
}
