package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestMount(t *testing.T) {
	side := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(name)) })
	}
	h := Mount(side("web"), "/api/", side("api"))
	for path, want := range map[string]string{
		"/api/v1/openapi.json": "api", "/api/": "api", "/api": "web", "/apiary/": "web", "/gent/api/v1": "web", "/": "web", "/static/kluis.css": "web",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if got := rec.Body.String(); got != want {
			t.Errorf("%s went to %s, want %s", path, got, want)
		}
	}
}
