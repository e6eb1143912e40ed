package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"
)

// requestState is what the middleware learns about a request as it goes:
// its id, route pattern, key and response status, for the access log.
type requestState struct {
	id, pattern, keyID string
	status             int
}

type stateKey struct{}

func stateFrom(r *http.Request) *requestState {
	st, _ := r.Context().Value(stateKey{}).(*requestState)
	return st
}

// requestIDFrom is the request's id ("" outside the middleware).
func requestIDFrom(r *http.Request) string {
	if st := stateFrom(r); st != nil {
		return st.id
	}
	return ""
}

// stateWriter notes the status written.
type stateWriter struct {
	http.ResponseWriter
	st *requestState
}

func (w *stateWriter) WriteHeader(code int) {
	if w.st.status == 0 {
		w.st.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *stateWriter) Write(b []byte) (int, error) {
	if w.st.status == 0 {
		w.st.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *stateWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middleware wraps h in the chain, outermost first.
func (a *API) middleware(h http.Handler) http.Handler {
	chain := []func(http.Handler) http.Handler{
		a.recoverPanics,
		a.requestID,
		a.accessLog,
		a.securityHeaders,
		a.limitBody,
	}
	for i := len(chain) - 1; i >= 0; i-- {
		h = chain[i](h)
	}
	return h
}

// recoverPanics creates the request state and turns a panic into a logged
// error and a 500 problem that shows the request id and nothing else.
func (a *API) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &requestState{}
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		sw := &stateWriter{ResponseWriter: w, st: st}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			a.log.LogAttrs(r.Context(), slog.LevelError, "panic serving API request",
				slog.String("request_id", st.id), slog.String("method", r.Method), slog.String("pattern", st.pattern),
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
			if st.status != 0 {
				panic(http.ErrAbortHandler)
			}
			for _, k := range []string{"Content-Disposition", "Content-Length", "Content-Type"} {
				sw.Header().Del(k)
			}
			a.problem(sw, r, http.StatusInternalServerError, "internal", nil)
		}()
		next.ServeHTTP(sw, r)
	})
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]{8,64}$`)

// requestID reuses a well-formed incoming X-Request-Id or makes one.
func (a *API) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			var b [16]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		if st := stateFrom(r); st != nil {
			st.id = id
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r)
	})
}

// accessLog writes one line per request: method, route pattern (never the
// path or query, which hold ids and filters), status, duration, request
// id and the key's id — never a token, an answer or a file name.
func (a *API) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := stateFrom(r)
		if st == nil {
			st = &requestState{}
		}
		completed := false
		defer func() {
			status := st.status
			switch {
			case status == 0 && !completed:
				status = http.StatusInternalServerError
			case status == 0:
				status = http.StatusOK
			}
			pattern := st.pattern
			if pattern == "" {
				pattern = "-"
			}
			elapsed := time.Since(start)
			a.log.LogAttrs(r.Context(), slog.LevelInfo, "api request",
				slog.String("method", r.Method), slog.String("pattern", pattern), slog.Int("status", status),
				slog.Duration("duration", elapsed), slog.String("request_id", st.id), slog.String("key_id", st.keyID))
			if a.opts.Observe != nil {
				a.opts.Observe(pattern, status, elapsed)
			}
		}()
		next.ServeHTTP(w, r)
		completed = true
	})
}

// securityHeaders: an API response is data, never a page: nothing may
// load from it or frame it, browsers must not sniff it, nothing caches it.
func (a *API) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if a.opts.TLS {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses a body declared too large at once (413) and caps the
// rest, so a body that turns out too large fails to read (handlers answer
// 413 then too). The ingest route has a larger cap (IngestBodyLimit):
// IngestMaxViews page views do not fit in the API's usual limit.
func (a *API) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := a.opts.BodyLimit
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/analytics/pageviews") {
			limit = max(limit, IngestBodyLimit)
		}
		if r.ContentLength > limit {
			w.Header().Set("Connection", "close")
			a.problem(w, r, http.StatusRequestEntityTooLarge, "too_large", nil)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}
