// Package api owns the JSON API of Kluis under /api/v1: its route table, the
// handlers, their middleware (request ids, security headers, body limits,
// panic recovery, access log, per-key rate limit), problem+json errors
// (RFC 9457) and the OpenAPI 3.1 document, kept by hand and tested against
// the routes.
//
// Integrations authenticate with a tenant's API key as a bearer token and
// nothing else: the API sets and reads no cookies and keeps no sessions, so
// a browser never sends a credential on its own and cross-site request
// forgery does not apply (no CSRF defence is needed, and none is used).
//
// It may import the standard library, locale, audit and store; it never
// imports web.
package api

import (
	"github.com/kluis/kluis/internal/ratelimit"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/kluis/kluis/internal/store"
)

// Defaults of Options.
const (
	DefaultBodyLimit int64 = 64 << 10
	DefaultRateLimit       = 600
)

// Prefix is the path below which the API answers; everything else is the
// web side's.
const Prefix = "/api/"

// Options configures an API.
type Options struct {
	// Logger receives access and error logs; nil discards them.
	Logger *slog.Logger
	// Store serves the API; required.
	Store *store.DB
	// TLS says the API is served over HTTPS: it turns on HSTS.
	TLS bool
	// BodyLimit caps request bodies in bytes; 0 means DefaultBodyLimit.
	BodyLimit int64
	// RateLimit caps requests per key per minute; 0 means DefaultRateLimit.
	RateLimit int
	// BaseURL is the site's public address, for the look-up link in the
	// status mail a move through the API sends the citizen.
	BaseURL string
	// Observe, when set, hears every request's route pattern ("-" when
	// none matched), status and duration: the operators' metrics. Never
	// the path, which holds tenant slugs and ids.
	Observe func(pattern string, status int, elapsed time.Duration)
}

// API is the JSON API. Create it with New; it is safe for concurrent use.
type API struct {
	log      *slog.Logger
	opts     Options
	mux      *http.ServeMux
	patterns []string
	handler  http.Handler
	limiter  *ratelimit.Limiter
	refusals *ratelimit.Limiter // refused keys recorded in the audit log: once a minute per key
}

// New returns an API with its routes and middleware set up.
func New(opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.BodyLimit <= 0 {
		opts.BodyLimit = DefaultBodyLimit
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = DefaultRateLimit
	}
	a := &API{log: opts.Logger, opts: opts, mux: http.NewServeMux()}
	now := time.Now
	if opts.Store != nil {
		now = opts.Store.Now
	}
	a.limiter = ratelimit.New(opts.RateLimit, now) // per key; the store's clock, so tests advance it
	a.refusals = ratelimit.New(1, now)
	a.routes()
	a.handler = a.middleware(http.HandlerFunc(a.dispatch))
	return a
}

// Handler returns the root handler: the route table in the middleware.
func (a *API) Handler() http.Handler { return a.handler }

// routes is the route table of the API, the one place to read what it
// serves. Every route is in openapi.json (TestOpenAPIDocumentsEveryRoute).
func (a *API) routes() {
	a.handle("GET /api/v1/openapi.json", a.openAPIShow)
	a.handle("GET /api/v1/{tenant}/submissions", a.withKey(store.ScopeSubmissionsRead, a.submissionsList))
	a.handle("GET /api/v1/{tenant}/submissions/{id}", a.withKey(store.ScopeSubmissionsRead, a.submissionShow))
	a.handle("POST /api/v1/{tenant}/submissions/{id}/status", a.withKey(store.ScopeSubmissionsWrite, a.submissionStatus))
	a.handle("GET /api/v1/{tenant}/submissions/{id}/attachments/{attachment}", a.withKey(store.ScopeAttachmentsRead, a.attachmentShow))
	a.handle("POST /api/v1/{tenant}/analytics/pageviews", a.withKey(store.ScopeAnalyticsIngest, a.pageviewsIngest))
	a.handle("GET /api/v1/{tenant}/analytics", a.withKey(store.ScopeAnalyticsRead, a.analyticsShow))
}

func (a *API) handle(pattern string, h http.HandlerFunc) {
	a.mux.HandleFunc(pattern, h)
	a.patterns = append(a.patterns, pattern)
}

// dispatch routes a request, answering an unknown path with 404 and a
// known path with the wrong method with 405, both as problems.
func (a *API) dispatch(w http.ResponseWriter, r *http.Request) {
	if _, pattern := a.mux.Handler(r); pattern != "" {
		if st := stateFrom(r); st != nil {
			st.pattern = pattern
		}
		a.mux.ServeHTTP(w, r) // sets the path values, which Handler does not
		return
	}
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := a.mux.Handler(probe); p != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		for _, m := range allow {
			w.Header().Add("Allow", m)
		}
		a.problem(w, r, http.StatusMethodNotAllowed, "method_not_allowed", nil)
		return
	}
	a.problem(w, r, http.StatusNotFound, "not_found", nil)
}
