package web

import "net/http"

// dispatch routes r through the platform route table.
// On a tenant's own host name a path without the tenant prefix is
// that tenant's (see tenant_host.go).
func (a *App) dispatch(w http.ResponseWriter, r *http.Request) {
	r, err := a.onTenantHost(r)
	if err != nil {
		a.internalError(w, r, "resolve tenant host", err)
		return
	}
	a.serveMux(a.mux, w, r)
}

// serveMux routes r through mux. It records the matched pattern for the
// access log and replaces the mux's plain-text 404 and 405 responses with
// localized pages.
func (a *App) serveMux(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	h, pattern := mux.Handler(r)
	if st := stateFrom(r.Context()); st != nil {
		st.pattern = pattern
	}
	if pattern != "" {
		mux.ServeHTTP(w, r) // again, so that r.PathValue works
		return
	}
	// No route matched: let the mux's own handler say why, then answer in
	// our words.
	rec := &headerRecorder{header: make(http.Header)}
	h.ServeHTTP(rec, r)
	switch rec.status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", rec.header.Get("Allow"))
		a.error(w, r, http.StatusMethodNotAllowed)
	case http.StatusNotFound:
		a.notFound(w, r)
	default: // a redirect to a cleaned path
		if loc := rec.header.Get("Location"); loc != "" {
			w.Header().Set("Location", loc)
		}
		w.WriteHeader(rec.status)
	}
}

// headerRecorder captures the status and headers written by a handler and
// discards the body.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header { return h.header }
func (h *headerRecorder) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}
func (h *headerRecorder) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return len(b), nil
}
