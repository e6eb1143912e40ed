package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/kluis/kluis/internal/passkey"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// A tenant's own host names (www.gemeente.be): a request whose Host is one
// of them is that tenant's, and its path needs no /{tenant} prefix. The
// prefix still works on the host, so every link the pages write
// ("/gemeente/vraag") keeps working there, and the platform's address keeps
// serving every tenant by prefix.

// tenantHostKey carries the tenant host a request came in on.
type tenantHostKey struct{}

// tenantHostFrom returns the tenant host name of the request, "" when it
// came in on another name (the platform's address).
func tenantHostFrom(ctx context.Context) string {
	h, _ := ctx.Value(tenantHostKey{}).(string)
	return h
}

// requestHost is r's host name without port or trailing dot, lower-case.
func requestHost(r *http.Request) string {
	h := r.Host
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

// hostTenantSlug returns the slug of the tenant that holds host, "" when
// none does. Unknown names are cached as "" too, so a flood of made-up
// Host headers costs one query per name and second, not one per request.
func (a *App) hostTenantSlug(ctx context.Context, host string) (string, error) {
	if a.opts.Store == nil || host == "" || net.ParseIP(strings.Trim(host, "[]")) != nil {
		return "", nil
	}
	return a.hostSlugs.get(host, func() (string, error) {
		t, err := a.opts.Store.TenantByHost(ctx, host)
		if errors.Is(err, store.ErrNotFound) {
			return "", nil
		}
		return t.Slug, err
	})
}

// platformPath says whether p is served by the platform on every host
// (assets, health, the audit key), never read as a tenant page.
func platformPath(p string) bool {
	return strings.HasPrefix(p, "/static/") || p == "/healthz" || p == "/readyz" || strings.HasPrefix(p, "/.well-known/kluis-")
}

// onTenantHost returns r as the platform route table must see it: on a
// tenant host, a path without the tenant's prefix gets it.
func (a *App) onTenantHost(r *http.Request) (*http.Request, error) {
	host := requestHost(r)
	if base := a.baseHost(); host == base {
		return r, nil
	}
	slug, err := a.hostTenantSlug(r.Context(), host)
	if err != nil || slug == "" {
		return r, err
	}
	r = r.WithContext(context.WithValue(r.Context(), tenantHostKey{}, host))
	p, prefix := r.URL.Path, "/"+slug
	if p == prefix || strings.HasPrefix(p, prefix+"/") || platformPath(p) {
		return r, nil
	}
	u := *r.URL
	u.Path = prefix + p
	if u.RawPath != "" {
		u.RawPath = prefix + u.RawPath
	}
	r.URL = &u
	return r, nil
}

// baseHost is the host name of Options.BaseURL ("" when none).
func (a *App) baseHost() string {
	b := a.opts.BaseURL
	if i := strings.Index(b, "://"); i >= 0 {
		b = b[i+3:]
	}
	if i := strings.IndexByte(b, '/'); i >= 0 {
		b = b[:i]
	}
	return requestHost(&http.Request{Host: b})
}

// publicBase is the scheme and host a link for people on this request's
// address starts with: the tenant host when the request came in on one,
// else the base URL.
func (a *App) publicBase(r *http.Request) string {
	if h := tenantHostFrom(r.Context()); h != "" {
		scheme := "http"
		if a.opts.TLS || strings.HasPrefix(a.opts.BaseURL, "https:") {
			scheme = "https"
		}
		// With the request's port, if any (a development port): the
		// browser's origin has it.
		return scheme + "://" + strings.ToLower(r.Host)
	}
	return strings.TrimRight(a.opts.BaseURL, "/")
}

// tenantLink is the absolute address of path on t's pages for a link Kluis
// writes into a mail, a receipt or a document: on the tenant's primary
// host when it marked one, else on the base URL under /{slug}
// (tenant.Link). If the primary host cannot be read the base URL is used:
// that link works too, on every host.
func (a *App) tenantLink(t tenant.Tenant, path string) string {
	return tenant.Link(a.opts.BaseURL, t.Slug, a.primaryHost(t), path)
}

// primaryHost is t's primary host name, "" when none (or unreadable).
func (a *App) primaryHost(t tenant.Tenant) string {
	if a.opts.Store == nil {
		return ""
	}
	primary, _ := a.primaryHosts.get(t.ID, func() (string, error) {
		return a.opts.Store.TenantPrimaryHost(context.Background(), t.ID)
	})
	return primary
}

// relyingParty is the WebAuthn relying party of the request's address: a
// passkey belongs to one host name (its RP ID), so on a tenant host the
// ceremony runs for that host and a passkey made on the platform's address
// is not offered there (and the other way round). nil: passkeys are off.
func (a *App) relyingParty(r *http.Request) *passkey.RP {
	h := tenantHostFrom(r.Context())
	if h == "" {
		return a.rp
	}
	base := a.publicBase(r)
	rp, err := a.hostRPs.get(base, func() (*passkey.RP, error) { return passkey.New(base, "Kluis") })
	if err != nil {
		return nil
	}
	return rp
}
