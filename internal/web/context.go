package web

import (
	"context"
	"net/http"

	"github.com/kluis/kluis/internal/locale"
)

// requestState is what the middleware learns about a request. The outermost
// middleware puts a pointer to it in the context; inner ones fill it in, so
// that outer ones (recovery, access log) can read what inner ones decided.
type requestState struct {
	id      string      // request id, set by requestID
	lang    locale.Lang // negotiated language, set by negotiateLang
	pattern string      // matched route pattern, set by dispatch
	status  int         // first status written, set by stateWriter
}

type stateKey struct{}

func stateFrom(ctx context.Context) *requestState {
	st, _ := ctx.Value(stateKey{}).(*requestState)
	return st
}

// LangFrom returns the language negotiated for the request, or Dutch when
// ctx did not come through the App's middleware.
func LangFrom(ctx context.Context) locale.Lang {
	if st := stateFrom(ctx); st != nil && st.lang != "" {
		return st.lang
	}
	return locale.NL
}

// RequestIDFrom returns the id of the request, or "" when ctx did not come
// through the App's middleware.
func RequestIDFrom(ctx context.Context) string {
	if st := stateFrom(ctx); st != nil {
		return st.id
	}
	return ""
}

// langOf is the language for a response to r. Pages rendered before the
// language middleware ran (a cross-origin denial, an oversized body) still
// get the right language by negotiating here, without setting the cookie.
func (a *App) langOf(r *http.Request) locale.Lang {
	if st := stateFrom(r.Context()); st != nil && st.lang != "" {
		return st.lang
	}
	return a.negotiate(r)
}

// stateWriter records the first status written into the request state.
type stateWriter struct {
	http.ResponseWriter
	st *requestState
}

func (w *stateWriter) WriteHeader(code int) {
	if w.st.status == 0 && code >= 200 {
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

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *stateWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
