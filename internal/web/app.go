// Package web owns the HTML side of Kluis: the route table, the page
// handlers (one file per <resource>_<action>), the templates and static
// files (embedded), and the middleware every page passes through: panic
// recovery, request ids, access logging, security headers, body limits,
// cross-origin (CSRF) protection and language negotiation.
//
// It may import the standard library, locale and the domain and store
// packages; it never imports api.
package web

import (
	"context"
	"github.com/kluis/kluis/internal/analytics"
	"github.com/kluis/kluis/internal/geoip"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/kluis/kluis/internal/backup"
	"github.com/kluis/kluis/internal/breached"
	"github.com/kluis/kluis/internal/compliance"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/oidc"
	"github.com/kluis/kluis/internal/passkey"
	"github.com/kluis/kluis/internal/password"
	"github.com/kluis/kluis/internal/scan"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/termination"
)

// DefaultBodyLimit is the request body limit when Options.BodyLimit is 0.
const DefaultBodyLimit int64 = 1 << 20

// DefaultUploadLimit is the multipart body limit when Options.UploadLimit is 0.
const DefaultUploadLimit int64 = 64 << 20

// Scanner judges a file for malware (scan.Client against clamd).
type Scanner interface {
	Scan(ctx context.Context, r io.Reader) (scan.Result, error)
}

// Options configures an App.
type Options struct {
	// Logger receives access and error logs; nil discards them.
	Logger *slog.Logger
	// Version is the build version, available to templates.
	Version string
	// Commit is the build's commit ("unknown" when not recorded), matched
	// against the clause results' (/operator/clauses, SEC-5).
	Commit string
	// ClauseResults is the CI run's clause results file
	// (KLUIS_CLAUSE_RESULTS); empty: every clause test "not run".
	ClauseResults string
	// TLS says the site is served over HTTPS (directly or behind a proxy):
	// it turns on HSTS and Secure cookies.
	TLS bool
	// BodyLimit caps request bodies in bytes; 0 means DefaultBodyLimit.
	BodyLimit int64
	// Checks are run by GET /readyz, together within two seconds.
	Checks []Check
	// Store serves tenant pages; without it every tenant path is 404.
	Store *store.DB
	// BaseURL is the public address of the site, for links sent to people
	// (activation); no trailing slash.
	BaseURL string
	// Hasher hashes the passwords people choose (argon2id, bounded
	// concurrency); nil means password.NewHasher(DefaultParams, 0).
	Hasher *password.Hasher
	// OIDC talks to OpenID providers; nil means oidc.NewClient(nil).
	OIDC *oidc.Client
	// LoginRateLimit caps login posts per client address per minute, on
	// top of the per-account lockout; 0 means DefaultLoginRateLimit.
	LoginRateLimit int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (see clientIP); none: the connection's address.
	TrustedProxies []netip.Prefix
	// Breached checks new passwords against a breached-password corpus
	// when the tenant's policy asks for it; nil: no such check.
	Breached *breached.Checker
	// Scanner judges uploaded files (clamd); nil: uploads are refused,
	// never stored unscanned.
	Scanner Scanner
	// FormRateLimit caps form posts per client address per minute; 0
	// means DefaultLoginRateLimit.
	FormRateLimit int
	// UploadLimit caps multipart bodies (form posts with attachments);
	// 0 means DefaultUploadLimit. Each form caps its own posts lower.
	UploadLimit int64
	// ExportDir is where exports' encrypted files wait for download (the
	// data directory's "exports"; the build job writes there too), unless
	// ExportStore is set.
	ExportDir string
	// ExportStore, when set, is where the encrypted export files are
	// instead: the object store several nodes share (KLUIS_STORAGE), so
	// that any node serves a download another node's worker built.
	ExportStore objstore.Store
	// CheckpointKeyName names the platform's checkpoint-signing key when
	// the first use makes it (config.CheckpointKeyName); "" means
	// "kluis.example/audit".
	CheckpointKeyName string
	// TerminationExporter and TerminationBackups are the end-of-contract
	// procedure's final export and backups (END-3, END-4); nil: the
	// operator gives the manifest of an export made by hand, and the
	// certificate says that no backup store was configured.
	TerminationExporter termination.FinalExporter
	TerminationBackups  termination.KeyBackups
	// Backups are the backup settings the backup pages show (SEC-4,
	// SEC-5): locations, schedule, retention; no keys.
	Backups backup.Settings
	// Compliance is what the configuration says about where data lives and
	// how often the platform checks itself, for the compliance report
	// (ADT-1); no secrets.
	Compliance compliance.Platform
	// RestoreTestJob is the job kind of the restore test when this
	// process's worker runs it; "" hides "run the restore test now".
	RestoreTestJob string
	// Analytics counts views of public pages and form funnels in memory
	// (consent-free analytics); whoever set it flushes it. nil: nothing
	// is counted.
	Analytics *analytics.Counter
	// Observe, when set, hears every request's route pattern ("-" when
	// none matched), status and duration: the operators' metrics. Never
	// the path, which holds tenant slugs and ids.
	Observe func(pattern string, status int, elapsed time.Duration)
	// GeoIP tells a counted view's country from the client's address, in
	// memory; nil (no KLUIS_GEOIP_DB): no country is counted at all.
	GeoIP *geoip.DB

	// testRoutes lets tests in this package add routes (a panicking
	// handler, a body reader) to the real middleware chain.
	testRoutes func(a *App, mux *http.ServeMux)
}

// Check is a named readiness check, such as "database" or "keyring". Fn
// should honour ctx: /readyz gives all checks together two seconds and
// reports a check that is still running then as failed.
type Check struct {
	Name string
	Fn   func(context.Context) error
}

// App is the web application. Create it with New; it is safe for
// concurrent use.
type App struct {
	log  *slog.Logger
	opts Options
	mux  *http.ServeMux
	// tenantMux routes the pages below /{tenant}/.
	tenantMux *http.ServeMux
	// patterns lists every registered route pattern, platform and tenant.
	patterns []string
	pages    map[string]*template.Template
	handler  http.Handler
	// rp is the WebAuthn relying party of Options.BaseURL; nil when the
	// base URL cannot be one (no host name), and then passkeys are off.
	rp *passkey.RP

	readyTimeout time.Duration // bounds all readiness checks together

	// publishedForms caches the published version of a form for a second
	// (tenant id + "/" + key), for the public pages.
	publishedForms *ttlCache[store.FormVersion]
	// tenants caches tenants by slug for a second: a suspension takes
	// effect within that second.
	tenants *ttlCache[tenant.Tenant]
	// brandings caches each tenant's look (by tenant id) for a second:
	// every public page shows it.
	brandings *ttlCache[store.Branding]
	// frozen caches for a second whether a tenant's termination has
	// started (END-4): its forms then take nothing new. The store refuses
	// a submission in its transaction too.
	frozen *ttlCache[bool]
	// hostSlugs caches for a second which tenant slug a host name belongs
	// to ("" for none); hostRPs the WebAuthn relying party of each tenant
	// host (see tenant_host.go).
	hostSlugs *ttlCache[string]
	// primaryHosts caches for a second each tenant's primary host name
	// ("" for none), the address of the links tenantLink writes.
	primaryHosts *ttlCache[string]
	hostRPs      *ttlCache[*passkey.RP]
	// publicPages is the render cache of the citizen's public pages
	// (pagecache.go).
	publicPages *pageCache
	// lastDay is the analytics day of the last second counted.
	lastDay atomic.Pointer[countedDay]
	// timingKey signs form start times (analytics_timing.go).
	timingKey []byte
}

// New returns an App with its routes and middleware set up. It panics if
// the embedded templates do not parse, which tests catch.
func New(opts Options) *App {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.BodyLimit <= 0 {
		opts.BodyLimit = DefaultBodyLimit
	}
	if opts.UploadLimit <= 0 {
		opts.UploadLimit = DefaultUploadLimit
	}
	if opts.Hasher == nil {
		opts.Hasher = password.NewHasher(password.DefaultParams, 0)
	}
	if opts.OIDC == nil {
		opts.OIDC = oidc.NewClient(nil)
	}
	if opts.ExportStore == nil && opts.ExportDir != "" {
		if s, err := objstore.Dir(opts.ExportDir); err == nil {
			opts.ExportStore = s
		} else {
			opts.Logger.Error("export directory", "error", err.Error())
		}
	}
	pages, err := parsePages()
	if err != nil {
		panic("web: " + err.Error())
	}
	a := &App{log: opts.Logger, opts: opts, mux: http.NewServeMux(), tenantMux: http.NewServeMux(), pages: pages,
		readyTimeout: 2 * time.Second, timingKey: newTimingKey(), publishedForms: newTTLCache[store.FormVersion](time.Second),
		tenants: newTTLCache[tenant.Tenant](time.Second), brandings: newTTLCache[store.Branding](time.Second),
		frozen: newTTLCache[bool](time.Second), hostSlugs: newTTLCache[string](time.Second),
		primaryHosts: newTTLCache[string](time.Second),
		hostRPs:      newTTLCache[*passkey.RP](time.Hour), publicPages: newPageCache(publicCacheBytes, publicPageTTL)}
	if rp, err := passkey.New(opts.BaseURL, "Kluis"); err == nil {
		a.rp = rp
	} else if opts.BaseURL != "" {
		a.log.Warn("passkeys are off", "reason", err.Error())
	}
	platform, tenants := &routeTable{mux: a.mux}, &routeTable{mux: a.tenantMux}
	a.routes(platform)
	a.tenantRoutes(tenants)
	a.patterns = append(platform.patterns, tenants.patterns...)
	if opts.testRoutes != nil {
		opts.testRoutes(a, a.mux)
	}
	a.handler = a.middleware(http.HandlerFunc(a.dispatch))
	return a
}

// Handler returns the root handler: the route table wrapped in the
// middleware chain.
func (a *App) Handler() http.Handler { return a.handler }

// middleware wraps h in the chain, outermost first.
func (a *App) middleware(h http.Handler) http.Handler {
	chain := []func(http.Handler) http.Handler{
		a.recoverPanics,
		a.requestID,
		a.accessLog,
		a.securityHeaders,
		a.limitBody,
		a.crossOriginProtection,
		a.negotiateLang,
	}
	for i := len(chain) - 1; i >= 0; i-- {
		h = chain[i](h)
	}
	return h
}
