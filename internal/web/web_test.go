package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTestApp returns an App whose logs go to the returned buffer, with test
// routes mounted behind the real middleware chain.
func newTestApp(t *testing.T, opts Options) (*App, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.testRoutes = func(a *App, mux *http.ServeMux) {
		mux.HandleFunc("GET /test/panic", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Disposition", "attachment") // must not survive
			panic("secret detail 4711")
		})
		mux.HandleFunc("GET /test/partial-panic", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "half a page")
			panic("secret detail 4712")
		})
		mux.HandleFunc("POST /test/form", func(w http.ResponseWriter, r *http.Request) {
			if !a.parseForm(w, r) {
				return
			}
			io.WriteString(w, "got "+r.PostForm.Get("x"))
		})
	}
	return New(opts), logs
}

type request struct {
	method string
	target string
	body   string
	header map[string]string
}

func (rq request) do(t *testing.T, h http.Handler) *http.Response {
	t.Helper()
	method := rq.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	req := httptest.NewRequest(method, rq.target, body)
	if rq.body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func bodyOf(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// everyKind is one request of every kind of response the shell gives.
var everyKind = []struct {
	name       string
	req        request
	wantStatus int
}{
	{"home", request{target: "/"}, http.StatusOK},
	{"healthz", request{target: "/healthz"}, http.StatusOK},
	{"readyz", request{target: "/readyz"}, http.StatusOK},
	{"static css", request{target: staticURL("kluis.css")}, http.StatusOK},
	{"static svg", request{target: staticURL("logo.svg")}, http.StatusOK},
	{"not found", request{target: "/no/such/page"}, http.StatusNotFound},
	{"static not found", request{target: "/static/nope.js"}, http.StatusNotFound},
	{"method not allowed", request{method: http.MethodPost, target: "/"}, http.StatusMethodNotAllowed},
	{"cross-origin post", request{method: http.MethodPost, target: "/test/form", body: "x=1",
		header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, http.StatusForbidden},
	{"body too large", request{method: http.MethodPost, target: "/test/form", body: "x=" + strings.Repeat("a", 200)},
		http.StatusRequestEntityTooLarge},
	{"panic", request{target: "/test/panic"}, http.StatusInternalServerError},
}

func TestASVS_3_4_3_CSPOnEveryResponse(t *testing.T) {
	a, _ := newTestApp(t, Options{BodyLimit: 100})
	for _, tt := range everyKind {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.req.do(t, a.Handler())
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			csp := resp.Header.Get("Content-Security-Policy")
			if csp != contentSecurityPolicy {
				t.Errorf("Content-Security-Policy = %q, want %q", csp, contentSecurityPolicy)
			}
			// ASVS 3.4.3 asks for object-src 'none' and base-uri 'none'
			// and an allowlist for scripts.
			for _, d := range []string{"default-src 'none'", "object-src 'none'", "base-uri 'none'", "script-src 'self'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("CSP lacks %q", d)
				}
			}
		})
	}
}

func TestASVS_3_4_4_SecurityHeadersOnEveryResponse(t *testing.T) {
	want := map[string]string{
		"X-Content-Type-Options":       "nosniff",     // 3.4.4
		"Referrer-Policy":              "no-referrer", // 3.4.5
		"X-Frame-Options":              "DENY",        // 3.4.6 (legacy)
		"Cross-Origin-Opener-Policy":   "same-origin", // 3.4.8
		"Cross-Origin-Resource-Policy": "same-origin", // 3.5.8
		"Permissions-Policy":           "camera=(), microphone=(), geolocation=(), interest-cohort=()",
	}
	a, _ := newTestApp(t, Options{BodyLimit: 100})
	for _, tt := range everyKind {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.req.do(t, a.Handler())
			for k, v := range want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if resp.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
}

func TestASVS_3_4_1_ClauseLOC2_HSTSOnlyWithTLS(t *testing.T) {
	for _, tls := range []bool{false, true} {
		a, _ := newTestApp(t, Options{TLS: tls, BodyLimit: 100})
		for _, tt := range everyKind {
			t.Run(tt.name, func(t *testing.T) {
				got := tt.req.do(t, a.Handler()).Header.Get("Strict-Transport-Security")
				want := ""
				if tls {
					want = "max-age=31536000; includeSubDomains"
				}
				if got != want {
					t.Errorf("TLS=%v: Strict-Transport-Security = %q, want %q", tls, got, want)
				}
			})
		}
	}
}

func TestCacheControl(t *testing.T) {
	a, _ := newTestApp(t, Options{BodyLimit: 100})
	for _, tt := range everyKind {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.req.do(t, a.Handler())
			got := resp.Header.Get("Cache-Control")
			want := "no-store"
			if strings.HasPrefix(tt.name, "static ") && resp.StatusCode == http.StatusOK {
				want = "public, max-age=31536000, immutable"
			}
			if got != want {
				t.Errorf("Cache-Control = %q, want %q", got, want)
			}
		})
	}
}

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestRequestID(t *testing.T) {
	tests := []struct {
		name     string
		incoming string
		wantSame bool
	}{
		{"none given is generated", "", false},
		{"well-formed is kept", "abc-DEF-123-456", true},
		{"64 chars is kept", strings.Repeat("a", 64), true},
		{"too short is replaced", "abc1234", false},
		{"too long is replaced", strings.Repeat("a", 65), false},
		{"bad characters are replaced", "abcd1234<script>", false},
		{"log injection is replaced", "abcd1234\nlevel=ERROR", false},
		{"underscore is replaced", "abcd_1234", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, logs := newTestApp(t, Options{})
			hdr := map[string]string{}
			if tt.incoming != "" {
				hdr["X-Request-Id"] = tt.incoming
			}
			resp := request{target: "/no/such/page", header: hdr}.do(t, a.Handler())
			id := resp.Header.Get("X-Request-Id")
			if tt.wantSame {
				if id != tt.incoming {
					t.Errorf("X-Request-Id = %q, want %q", id, tt.incoming)
				}
			} else if !hexID.MatchString(id) {
				t.Errorf("X-Request-Id = %q, want 32 fresh hex digits", id)
			}
			if body := bodyOf(t, resp); !strings.Contains(body, id) {
				t.Errorf("error page does not show request id %q", id)
			}
			if !strings.Contains(logs.String(), `"request_id":"`+id+`"`) {
				t.Errorf("access log lacks request id %q:\n%s", id, logs)
			}
		})
	}
	t.Run("unique", func(t *testing.T) {
		a, _ := newTestApp(t, Options{})
		seen := map[string]bool{}
		for range 50 {
			id := request{target: "/healthz"}.do(t, a.Handler()).Header.Get("X-Request-Id")
			if seen[id] {
				t.Fatalf("request id %q repeated", id)
			}
			seen[id] = true
		}
	})
}

func TestASVS_16_2_5_AccessLogWithoutPersonalData(t *testing.T) {
	a, logs := newTestApp(t, Options{})
	request{target: "/static/jan.janssens@example.be?rijksregisternummer=85073003328&lang=fr"}.do(t, a.Handler())
	request{target: "/?naam=Janssens"}.do(t, a.Handler())
	request{target: "/burger/Janssens"}.do(t, a.Handler())

	out := logs.String()
	for _, secret := range []string{"janssens", "Janssens", "85073003328", "rijksregisternummer", "naam="} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
	var lines []map[string]any
	for l := range strings.Lines(out) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "http request" {
			lines = append(lines, m)
		}
	}
	wantPatterns := []string{"GET /static/{file...}", "GET /{$}", "GET /{tenant}/"}
	if len(lines) != len(wantPatterns) {
		t.Fatalf("got %d access log lines, want %d:\n%s", len(lines), len(wantPatterns), out)
	}
	for i, l := range lines {
		if l["pattern"] != wantPatterns[i] {
			t.Errorf("line %d: pattern = %v, want %q", i, l["pattern"], wantPatterns[i])
		}
		for _, k := range []string{"method", "status", "duration", "request_id"} {
			if _, ok := l[k]; !ok {
				t.Errorf("line %d lacks %q: %v", i, k, l)
			}
		}
	}
	if lines[0]["status"] != float64(http.StatusNotFound) || lines[1]["status"] != float64(http.StatusOK) {
		t.Errorf("statuses = %v, %v; want 404, 200", lines[0]["status"], lines[1]["status"])
	}
}

func TestASVS_5_2_1_RequestBodyLimit(t *testing.T) {
	a, _ := newTestApp(t, Options{BodyLimit: 100})
	tests := []struct {
		name       string
		body       string
		chunked    bool
		lang       string
		wantStatus int
		wantBody   string
	}{
		{"under the limit", "x=hello", false, "", http.StatusOK, "got hello"},
		{"declared over the limit", "x=" + strings.Repeat("a", 200), false, "", http.StatusRequestEntityTooLarge, "Te veel gegevens"},
		{"streamed over the limit", "x=" + strings.Repeat("a", 200), true, "", http.StatusRequestEntityTooLarge, "Te veel gegevens"},
		{"localized", "x=" + strings.Repeat("a", 200), true, "fr-BE", http.StatusRequestEntityTooLarge, "Trop de données"},
		{"exactly the limit", "x=" + strings.Repeat("a", 98), true, "", http.StatusOK, "got aaa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/test/form", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.lang != "" {
				req.Header.Set("Accept-Language", tt.lang)
			}
			if tt.chunked {
				req.ContentLength = -1
			}
			rec := httptest.NewRecorder()
			a.Handler().ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("body lacks %q:\n%s", tt.wantBody, rec.Body)
			}
		})
	}
}

func TestIsBodyTooLarge(t *testing.T) {
	r := http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader("abcdef")), 3)
	_, err := io.ReadAll(r)
	if !IsBodyTooLarge(err) || !IsBodyTooLarge(errors.Join(errors.New("read form"), err)) {
		t.Errorf("IsBodyTooLarge(%v) = false", err)
	}
	if IsBodyTooLarge(io.ErrUnexpectedEOF) || IsBodyTooLarge(nil) {
		t.Error("IsBodyTooLarge true for other errors")
	}
}

func TestASVS_3_5_1_ClauseLOC3_CrossOriginRequestsRefused(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		header     map[string]string
		wantStatus int
	}{
		{"cross-site post", http.MethodPost, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site post", http.MethodPost, map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"origin mismatch post", http.MethodPost, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"cross-site put", http.MethodPut, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"cross-site delete", http.MethodDelete, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-origin post", http.MethodPost, map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusOK},
		{"matching origin post", http.MethodPost, map[string]string{"Origin": "http://example.com"}, http.StatusOK},
		{"non-browser post", http.MethodPost, nil, http.StatusOK},
		{"user-initiated navigation", http.MethodPost, map[string]string{"Sec-Fetch-Site": "none"}, http.StatusOK},
	}
	a, logs := newTestApp(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := request{method: tt.method, target: "/test/form", body: "x=1", header: tt.header}.do(t, a.Handler())
			if tt.method != http.MethodPost && tt.wantStatus == http.StatusOK {
				t.Fatal("bad test")
			}
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusForbidden {
				if body := bodyOf(t, resp); !strings.Contains(body, "Geen toegang") {
					t.Errorf("403 page not localized:\n%s", body)
				}
			}
		})
	}
	t.Run("localized", func(t *testing.T) {
		resp := request{method: http.MethodPost, target: "/test/form", body: "x=1",
			header: map[string]string{"Sec-Fetch-Site": "cross-site", "Accept-Language": "en"}}.do(t, a.Handler())
		if body := bodyOf(t, resp); !strings.Contains(body, "Access denied") || !strings.Contains(body, `<html lang="en">`) {
			t.Errorf("403 page not in English:\n%s", body)
		}
	})
	if !strings.Contains(logs.String(), "cross-origin request refused") {
		t.Error("refusal not logged")
	}
}

func TestLanguage(t *testing.T) {
	a, _ := newTestApp(t, Options{})
	tests := []struct {
		name     string
		target   string
		header   map[string]string
		wantLang string
		wantText string
	}{
		{"dutch by default", "/", nil, "nl-BE", "Welkom bij Kluis"},
		{"belgian french header", "/", map[string]string{"Accept-Language": "fr-BE,fr;q=0.9"}, "fr-BE", "Bienvenue sur Kluis"},
		{"english header", "/", map[string]string{"Accept-Language": "en-GB,en;q=0.9,nl;q=0.5"}, "en", "Welcome to Kluis"},
		{"unsupported header", "/", map[string]string{"Accept-Language": "de-DE"}, "nl-BE", "Welkom bij Kluis"},
		{"query wins", "/?lang=en", map[string]string{"Accept-Language": "fr"}, "en", "Welcome to Kluis"},
		{"cookie wins over header", "/", map[string]string{"Accept-Language": "en", "Cookie": "lang=fr"}, "fr-BE", "Bienvenue"},
		{"404 localized", "/nope", map[string]string{"Accept-Language": "fr"}, "fr-BE", "Page introuvable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := request{target: tt.target, header: tt.header}.do(t, a.Handler())
			body := bodyOf(t, resp)
			if want := `<html lang="` + tt.wantLang + `">`; !strings.Contains(body, want) {
				t.Errorf("body lacks %s", want)
			}
			if !strings.Contains(body, tt.wantText) {
				t.Errorf("body lacks %q", tt.wantText)
			}
			if got := resp.Header.Get("Content-Language"); got != tt.wantLang {
				t.Errorf("Content-Language = %q, want %q", got, tt.wantLang)
			}
		})
	}
}

func TestLanguageCookie(t *testing.T) {
	t.Run("query sets the cookie and the cookie sticks", func(t *testing.T) {
		a, _ := newTestApp(t, Options{})
		resp := request{target: "/?lang=en"}.do(t, a.Handler())
		if body := bodyOf(t, resp); !strings.Contains(body, `<html lang="en">`) {
			t.Fatal("?lang=en did not give English")
		}
		cookies := resp.Cookies()
		if len(cookies) != 1 {
			t.Fatalf("got %d cookies, want 1", len(cookies))
		}
		c := cookies[0]
		if c.Name != "lang" || c.Value != "en" || c.Path != "/" || !c.HttpOnly || c.Secure ||
			c.SameSite != http.SameSiteLaxMode || c.MaxAge != 365*24*60*60 {
			t.Errorf("cookie = %+v", c)
		}
		// The next request sends it back, with no query.
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		req.Header.Set("Accept-Language", "fr")
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		if !strings.Contains(rec.Body.String(), `<html lang="en">`) {
			t.Error("cookie not honoured")
		}
		if len(rec.Result().Cookies()) != 0 {
			t.Error("cookie set again without ?lang=")
		}
	})
	t.Run("invalid query sets no cookie", func(t *testing.T) {
		a, _ := newTestApp(t, Options{})
		resp := request{target: "/?lang=de"}.do(t, a.Handler())
		if len(resp.Cookies()) != 0 {
			t.Errorf("cookies = %v", resp.Cookies())
		}
	})
	t.Run("ASVS 3.3.1 and 3.3.3: secure __Host- cookie over TLS", func(t *testing.T) {
		a, _ := newTestApp(t, Options{TLS: true})
		resp := request{target: "/?lang=fr"}.do(t, a.Handler())
		c := resp.Cookies()
		if len(c) != 1 || c[0].Name != "__Host-lang" || !c[0].Secure || c[0].Path != "/" || c[0].Domain != "" {
			t.Fatalf("cookies = %+v", c)
		}
		resp = request{target: "/", header: map[string]string{"Cookie": "__Host-lang=fr"}}.do(t, a.Handler())
		if !strings.Contains(bodyOf(t, resp), `<html lang="fr-BE">`) {
			t.Error("__Host-lang cookie not honoured")
		}
	})
}

func TestLangFrom(t *testing.T) {
	if got := LangFrom(context.Background()); got != "nl" {
		t.Errorf("LangFrom(background) = %q, want nl", got)
	}
	if got := RequestIDFrom(context.Background()); got != "" {
		t.Errorf("RequestIDFrom(background) = %q, want empty", got)
	}
	var gotLang, gotID string
	a := New(Options{testRoutes: func(a *App, mux *http.ServeMux) {
		mux.HandleFunc("GET /test/ctx", func(w http.ResponseWriter, r *http.Request) {
			gotLang, gotID = string(LangFrom(r.Context())), RequestIDFrom(r.Context())
		})
	}})
	resp := request{target: "/test/ctx?lang=fr"}.do(t, a.Handler())
	if gotLang != "fr" || gotID != resp.Header.Get("X-Request-Id") {
		t.Errorf("LangFrom = %q, RequestIDFrom = %q (header %q)", gotLang, gotID, resp.Header.Get("X-Request-Id"))
	}
}

// focusable matches the start of elements that take keyboard focus.
var focusable = regexp.MustCompile(`<(a|button|input|select|textarea|summary)[\s>]|tabindex="[0-9]`)

func TestLayoutAccessibility(t *testing.T) {
	a, _ := newTestApp(t, Options{})
	for _, target := range []string{"/", "/nope", "/test/panic", "/?lang=fr", "/?lang=en"} {
		t.Run(target, func(t *testing.T) {
			body := bodyOf(t, request{target: target}.do(t, a.Handler()))
			_, afterBody, ok := strings.Cut(body, "<body>")
			if !ok {
				t.Fatal("no <body>")
			}
			first := focusable.FindStringIndex(afterBody)
			if first == nil || !strings.HasPrefix(afterBody[first[0]:], `<a class="skip-link" href="#main">`) {
				t.Errorf("first focusable element is not the skip link: %.80q", afterBody[first[0]:])
			}
			for _, want := range []string{
				`<header`, `<main id="main"`, `<footer`, `<nav class="main-nav" aria-label="`,
				`<nav class="lang-switch" aria-label="`, `<meta name="viewport"`, `<title>`,
				`lang="nl-BE" hreflang="nl-BE"`, `lang="fr-BE" hreflang="fr-BE"`, `lang="en" hreflang="en"`,
				`>Nederlands</a>`, `>Français</a>`, `>English</a>`, `<h1>`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %s", want)
				}
			}
			if n := strings.Count(body, `aria-current="true"`); n != 1 {
				t.Errorf("%d links marked aria-current, want 1", n)
			}
			if n := strings.Count(body, `<main`); n != 1 {
				t.Errorf("%d main elements, want 1", n)
			}
		})
	}
	t.Run("current language marked", func(t *testing.T) {
		body := bodyOf(t, request{target: "/?lang=fr"}.do(t, a.Handler()))
		if !strings.Contains(body, `<a href="?lang=fr" lang="fr-BE" hreflang="fr-BE" aria-current="true">Français</a>`) {
			t.Errorf("French not marked current:\n%s", body)
		}
	})
}

func TestReadyz(t *testing.T) {
	ok := func(context.Context) error { return nil }
	secret := errors.New("dial postgres://kluis:hunter2@db: connection refused")
	failing := func(context.Context) error { return secret }
	waitsForCtx := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	ignoresCtx := func(context.Context) error { <-stuck; return nil }

	tests := []struct {
		name       string
		checks     []Check
		wantStatus int
		wantBody   string
	}{
		{"no checks", nil, http.StatusOK, `{"status":"ok","checks":{}}`},
		{"all pass", []Check{{"database", ok}, {"keyring", ok}}, http.StatusOK,
			`{"status":"ok","checks":{"database":"ok","keyring":"ok"}}`},
		{"one fails", []Check{{"database", failing}, {"keyring", ok}}, http.StatusServiceUnavailable,
			`{"status":"fail","checks":{"database":"fail","keyring":"ok"}}`},
		{"slow check honouring ctx", []Check{{"database", ok}, {"keyring", waitsForCtx}}, http.StatusServiceUnavailable,
			`{"status":"fail","checks":{"database":"ok","keyring":"fail"}}`},
		{"stuck check ignoring ctx", []Check{{"database", ignoresCtx}, {"keyring", ok}}, http.StatusServiceUnavailable,
			`{"status":"fail","checks":{"database":"fail","keyring":"ok"}}`},
		{"panicking check", []Check{{"database", func(context.Context) error { panic("boom hunter2") }}}, http.StatusServiceUnavailable,
			`{"status":"fail","checks":{"database":"fail"}}`},
		{"nil check", []Check{{"database", nil}}, http.StatusServiceUnavailable,
			`{"status":"fail","checks":{"database":"fail"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, logs := newTestApp(t, Options{Checks: tt.checks})
			a.readyTimeout = 50 * time.Millisecond
			resp := request{target: "/readyz"}.do(t, a.Handler())
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			body := bodyOf(t, resp)
			if strings.TrimSpace(body) != tt.wantBody {
				t.Errorf("body = %s, want %s", body, tt.wantBody)
			}
			if strings.Contains(body, "hunter2") || strings.Contains(body, "refused") {
				t.Errorf("body leaks error detail: %s", body)
			}
			if tt.wantStatus != http.StatusOK && !strings.Contains(logs.String(), "readiness check") {
				t.Errorf("failure not logged:\n%s", logs)
			}
		})
	}
}

func TestHealthz(t *testing.T) {
	a, _ := newTestApp(t, Options{Checks: []Check{{"database", func(context.Context) error { return errors.New("down") }}}})
	resp := request{target: "/healthz"}.do(t, a.Handler())
	if body := bodyOf(t, resp); resp.StatusCode != http.StatusOK || body != "ok" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\"", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestASVS_16_5_1_PanicShowsGenericErrorWithRequestID(t *testing.T) {
	for _, tt := range []struct{ lang, want string }{{"", "Interne fout"}, {"en", "Internal error"}, {"fr", "Erreur interne"}} {
		t.Run("lang="+tt.lang, func(t *testing.T) {
			a, logs := newTestApp(t, Options{})
			resp := request{target: "/test/panic", header: map[string]string{"Accept-Language": tt.lang}}.do(t, a.Handler())
			body := bodyOf(t, resp)
			id := resp.Header.Get("X-Request-Id")
			if resp.StatusCode != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500", resp.StatusCode)
			}
			if !strings.Contains(body, tt.want) || !strings.Contains(body, id) {
				t.Errorf("page lacks %q or request id %q:\n%s", tt.want, id, body)
			}
			if strings.Contains(body, "secret detail") || strings.Contains(body, "goroutine") {
				t.Errorf("page leaks panic detail:\n%s", body)
			}
			if got := resp.Header.Get("Content-Disposition"); got != "" {
				t.Errorf("Content-Disposition = %q survived the panic", got)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			out := logs.String()
			if !strings.Contains(out, "secret detail 4711") || !strings.Contains(out, "panic serving request") {
				t.Errorf("panic not logged:\n%s", out)
			}
			if !strings.Contains(out, `"status":500`) {
				t.Errorf("access log lacks status 500:\n%s", out)
			}
		})
	}
	t.Run("after a partial response the connection is aborted", func(t *testing.T) {
		a, logs := newTestApp(t, Options{})
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", v)
			}
			if !strings.Contains(logs.String(), "secret detail 4712") {
				t.Error("panic not logged")
			}
		}()
		request{target: "/test/partial-panic"}.do(t, a.Handler())
	})
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	a, _ := newTestApp(t, Options{})
	tests := []struct {
		name       string
		req        request
		wantStatus int
		wantText   string
		wantAllow  string
	}{
		{"unknown path", request{target: "/no/such/page"}, http.StatusNotFound, "Pagina niet gevonden", ""},
		{"unknown path french", request{target: "/nope", header: map[string]string{"Accept-Language": "fr"}}, http.StatusNotFound, "Page introuvable", ""},
		{"unknown static file", request{target: "/static/nope.css"}, http.StatusNotFound, "Pagina niet gevonden", ""},
		{"static directory", request{target: "/static/"}, http.StatusNotFound, "Pagina niet gevonden", ""},
		{"static traversal", request{target: "/static/..%2fapp.go"}, http.StatusNotFound, "Pagina niet gevonden", ""},
		{"post to a get page", request{method: http.MethodPost, target: "/"}, http.StatusMethodNotAllowed, "Actie niet toegestaan", "GET, HEAD"},
		// Go's mux also lists POST, which the tenant subtree (/{tenant}/)
		// accepts; what matters is a 405, not a redirect into a tenant.
		{"delete healthz", request{method: http.MethodDelete, target: "/healthz"}, http.StatusMethodNotAllowed, "Actie niet toegestaan", "GET, HEAD, POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.req.do(t, a.Handler())
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if body := bodyOf(t, resp); !strings.Contains(body, tt.wantText) {
				t.Errorf("body lacks %q", tt.wantText)
			}
			if got := resp.Header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestStatic(t *testing.T) {
	a, _ := newTestApp(t, Options{})
	tests := []struct {
		name      string
		target    string
		wantType  string
		wantCache string
	}{
		{"versioned css", staticURL("kluis.css"), "text/css; charset=utf-8", "public, max-age=31536000, immutable"},
		{"versioned svg", staticURL("logo.svg"), "image/svg+xml", "public, max-age=31536000, immutable"},
		{"unversioned css", "/static/kluis.css", "text/css; charset=utf-8", "no-cache"},
		{"stale version", "/static/kluis.css?v=000000000000", "text/css; charset=utf-8", "no-cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := request{target: tt.target}.do(t, a.Handler())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d", resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if got := resp.Header.Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.wantCache)
			}
			if bodyOf(t, resp) == "" {
				t.Error("empty body")
			}
		})
	}
	t.Run("etag revalidation", func(t *testing.T) {
		resp := request{target: "/static/kluis.css"}.do(t, a.Handler())
		etag := resp.Header.Get("ETag")
		resp = request{target: "/static/kluis.css", header: map[string]string{"If-None-Match": etag}}.do(t, a.Handler())
		if etag == "" || resp.StatusCode != http.StatusNotModified {
			t.Errorf("ETag %q, revalidation status %d, want 304", etag, resp.StatusCode)
		}
	})
	t.Run("pages link versioned files", func(t *testing.T) {
		body := bodyOf(t, request{target: "/"}.do(t, a.Handler()))
		for _, f := range []string{"kluis.css", "logo.svg"} {
			// html/template escapes & in attributes; our URLs have none.
			if !strings.Contains(body, `"`+staticURL(f)+`"`) {
				t.Errorf("page does not link %s", staticURL(f))
			}
		}
	})
}

// TestClauseLOC3_NoInlineScriptOrStyle keeps the templates and static files
// compatible with the CSP (no 'unsafe-inline'): no style attributes or
// elements, no inline scripts or event handlers, no javascript: URLs.
func TestClauseLOC3_NoInlineScriptOrStyle(t *testing.T) {
	forbidden := []*regexp.Regexp{
		regexp.MustCompile(`(?i)\sstyle\s*=`),
		regexp.MustCompile(`(?i)<style[\s>]`),
		regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		regexp.MustCompile(`(?i)javascript:`),
	}
	scriptTag := regexp.MustCompile(`(?i)<script\b[^>]*>`)
	scriptSrc := regexp.MustCompile(`(?i)\ssrc\s*=`)
	check := func(fsys fs.FS, glob string) {
		names, err := fs.Glob(fsys, glob)
		if err != nil || len(names) == 0 {
			t.Fatalf("no files match %s: %v", glob, err)
		}
		for _, name := range names {
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				t.Fatal(err)
			}
			for _, re := range forbidden {
				if loc := re.FindIndex(b); loc != nil {
					t.Errorf("%s: forbidden %q at byte %d", name, b[loc[0]:loc[1]], loc[0])
				}
			}
			for _, tag := range scriptTag.FindAll(b, -1) {
				if !scriptSrc.Match(tag) {
					t.Errorf("%s: inline script %q", name, tag)
				}
			}
		}
	}
	check(templateFiles, "templates/*.html")
	check(templateFiles, "templates/partials/*.html")
	check(staticFiles, "*.svg")
}

func TestTemplatesParse(t *testing.T) {
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"home", errorPage} {
		if pages[name] == nil {
			t.Errorf("page %q missing", name)
		}
	}
}

func TestRenderUnknownPage(t *testing.T) {
	a, logs := newTestApp(t, Options{})
	rec := httptest.NewRecorder()
	a.render(rec, httptest.NewRequest(http.MethodGet, "/", nil), http.StatusOK, "no-such-page", nil)
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "Interne fout") {
		t.Errorf("render of unknown page = %d:\n%s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "no-such-page") {
		t.Error("render failure not logged")
	}
}
