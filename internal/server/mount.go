package server

import (
	"net/http"
	"strings"
)

// Mount routes every request whose path starts with apiPrefix (such as
// "/api/") to api and every other request to web, untouched: web keeps
// its own 404s, redirects and middleware for all its paths, and the API
// its own for its paths. No mux sits in between, so neither side sees
// the other's paths cleaned or redirected.
func Mount(web http.Handler, apiPrefix string, api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, apiPrefix) {
			api.ServeHTTP(w, r)
			return
		}
		web.ServeHTTP(w, r)
	})
}
