package web

import (
	"bytes"
	"container/list"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kluis/kluis/internal/tenant"
)

// The public pages' render cache ("public pages are cheap", design §1): a
// citizen's page (an empty form, the privacy statement, the tenant's home,
// a published site page) is rendered once per version and served from
// memory; only what is per view — the form's page token — is written per
// request. Middleware still runs for every request, so the security
// headers, the request id and the analytics count are those of a rendered
// page.
//
// What keys an entry (publicKey): the tenant and everything of its record a
// page shows, the tenant's generation (bumped by every staff write of this
// node, invalidatePublic), the language, the host the request came in on
// (a tenant host or the platform's address), the path, and whatever the
// caller adds (a form's published version). A change made on this node is
// therefore never served stale. A change made elsewhere (another node, the
// CLI) is seen after at most publicPageTTL, the same second the data caches
// the pages read from (tenants, brandings, published forms) already allow.
//
// Memory is bounded: an LRU over the bytes held, publicCacheBytes at most;
// the least recently served page goes first. Only 200 answers are kept, so
// made-up paths never fill it.
//
// To put another public page in the cache (news items, a composed home
// page): in its GET handler, call
//
//	a.servePublic(w, r, key, func(w http.ResponseWriter, r *http.Request) { …render… })
//
// with key from a.publicKey(r, version stamps…), and make sure the writes
// that change the page go through a.require (which invalidates the
// tenant's pages) or call a.invalidatePublic(tenantID).

// publicPageTTL is how long a rendered page is served before it is
// rendered again, which bounds how late a change made on another node
// shows.
const publicPageTTL = time.Second

// publicCacheBytes caps the bytes the render cache holds.
const publicCacheBytes = 32 << 20

// pageCache is an LRU of rendered pages, bounded by bytes.
type pageCache struct {
	mu      sync.Mutex
	now     func() time.Time
	ttl     time.Duration
	max     int
	size    int
	lru     *list.List // front: most recently served; values *cachedPage
	entries map[string]*list.Element
	gens    map[string]uint64 // generation by tenant id
	// marker stands for the per-view token in a rendered page: random per
	// process, the length of a real token, so it occurs nowhere else.
	marker string
}

// cachedPage is one rendered page: its header and its body split where the
// per-view token goes.
type cachedPage struct {
	key    string
	header http.Header
	parts  [][]byte
	size   int
	exp    time.Time
}

func newPageCache(maxBytes int, ttl time.Duration) *pageCache {
	return &pageCache{now: time.Now, ttl: ttl, max: maxBytes, lru: list.New(), entries: map[string]*list.Element{},
		gens: map[string]uint64{}, marker: newToken()}
}

func (c *pageCache) get(key string) (*cachedPage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	p := el.Value.(*cachedPage)
	if !c.now().Before(p.exp) {
		c.remove(el)
		return nil, false
	}
	c.lru.MoveToFront(el)
	return p, true
}

func (c *pageCache) put(p *cachedPage) {
	if p.size > c.max/8 {
		return // one page may not push out most others
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[p.key]; ok {
		c.remove(el)
	}
	p.exp = c.now().Add(c.ttl)
	c.entries[p.key] = c.lru.PushFront(p)
	c.size += p.size
	for c.size > c.max {
		c.remove(c.lru.Back())
	}
}

func (c *pageCache) remove(el *list.Element) {
	p := c.lru.Remove(el).(*cachedPage)
	delete(c.entries, p.key)
	c.size -= p.size
}

// generation is the tenant's current generation.
func (c *pageCache) generation(tenantID string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gens[tenantID]
}

// bump starts a new generation for the tenant: its entries are no longer
// reached (and age out of the LRU).
func (c *pageCache) bump(tenantID string) {
	c.mu.Lock()
	c.gens[tenantID]++
	c.mu.Unlock()
}

// len is the number of pages held.
func (c *pageCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// publicKey is the cache key of r's page: the tenant (with every field of
// its record a page may show) and its generation, the language, the host,
// the path, and the caller's version stamps.
func (a *App) publicKey(r *http.Request, stamps ...string) string {
	t := tenantFrom(r.Context())
	var b strings.Builder
	for _, s := range []string{t.ID, strconv.FormatUint(a.publicPages.generation(t.ID), 10), tenantStamp(t),
		string(LangFrom(r.Context())), tenantHostFrom(r.Context()), r.URL.Path} {
		b.WriteString(s)
		b.WriteByte(0)
	}
	for _, s := range stamps {
		b.WriteString(s)
		b.WriteByte(0)
	}
	return b.String()
}

// tenantStamp is what of a tenant's record public pages show.
func tenantStamp(t tenant.Tenant) string {
	return strings.Join([]string{t.Slug, t.LegalName, t.EnterpriseNumber, t.DPOName, t.DPOEmail, t.DefaultLang, t.Status}, "\x1f")
}

// cacheable says whether r may be answered from the cache: a GET (or HEAD)
// whose query, if any, only picks the language.
func cacheable(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if r.URL.RawQuery == "" {
		return true
	}
	q := r.URL.Query()
	_, lang := q["lang"]
	return len(q) == 1 && lang
}

// servePublic answers r with the page of key: from the cache, or rendered
// by render (which writes the per-view token as a.publicPages.marker) and
// kept when it answers 200. Each answer gets a fresh token.
func (a *App) servePublic(w http.ResponseWriter, r *http.Request, key string, render func(http.ResponseWriter, *http.Request)) {
	a.servePublicStamped(w, r, key, render, nil)
}

// startedSuffix follows the marker where a form page holds its signed
// start time (analytics_timing.go): like the token, it is per view, so
// it is written per answer by stamp, from the answer's own token.
const startedSuffix = "~started"

// servePublicStamped is servePublic for a page with a per-view start time:
// stamp(token) is written where render wrote marker+startedSuffix.
func (a *App) servePublicStamped(w http.ResponseWriter, r *http.Request, key string, render func(http.ResponseWriter, *http.Request), stamp func(token string) string) {
	if !cacheable(r) {
		rec := &pageRecorder{header: http.Header{}}
		render(rec, r)
		a.writePage(w, rec.header, rec.status, bytes.Split(rec.body.Bytes(), []byte(a.publicPages.marker)), stamp)
		return
	}
	if p, ok := a.publicPages.get(key); ok {
		a.writePage(w, p.header, http.StatusOK, p.parts, stamp)
		return
	}
	rec := &pageRecorder{header: http.Header{}}
	render(rec, r)
	parts := bytes.Split(rec.body.Bytes(), []byte(a.publicPages.marker))
	// A page that sets a cookie is someone's, not everyone's.
	if rec.status == http.StatusOK && rec.header.Get("Set-Cookie") == "" {
		a.publicPages.put(&cachedPage{key: key, header: rec.header.Clone(), parts: parts, size: rec.body.Len() + len(key)})
	}
	a.writePage(w, rec.header, rec.status, parts, stamp)
}

// writePage writes a rendered page with a fresh token where the marker was
// (one token per answer: the page's per-view token) and, where the marker
// is followed by startedSuffix, stamp(token).
func (a *App) writePage(w http.ResponseWriter, header http.Header, status int, parts [][]byte, stamp func(string) string) {
	h := w.Header()
	for k, v := range header {
		h[k] = append([]string(nil), v...)
	}
	if status == 0 {
		status = http.StatusOK
	}
	token := newToken()
	started := ""
	if stamp != nil {
		started = stamp(token)
	}
	// The length is known: the body goes out unchunked, straight from
	// the cached parts (no copy of the page per request).
	n := 0
	for i, p := range parts {
		if i > 0 {
			if bytes.HasPrefix(p, []byte(startedSuffix)) {
				n += len(started) - len(startedSuffix)
			} else {
				n += len(token)
			}
		}
		n += len(p)
	}
	h.Set("Content-Length", strconv.Itoa(n))
	w.WriteHeader(status)
	for i, p := range parts {
		if i > 0 {
			if bytes.HasPrefix(p, []byte(startedSuffix)) {
				io.WriteString(w, started)
				p = p[len(startedSuffix):]
			} else {
				io.WriteString(w, token)
			}
		}
		w.Write(p)
	}
}

// invalidatePublic drops a tenant's rendered pages and the data they are
// made from (published forms, look, tenant record), so that this node's
// next answer shows a change it made. a.require calls it after every staff
// write; call it from any other path that changes what a public page shows.
func (a *App) invalidatePublic(t tenant.Tenant) {
	a.publicPages.bump(t.ID)
	a.publishedForms.forgetPrefix(t.ID + "/")
	a.brandings.forget(t.ID)
	a.frozen.forget(t.ID)
	a.tenants.forget(t.Slug)
}

// pageRecorder keeps what a handler writes, to cache it.
type pageRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (p *pageRecorder) Header() http.Header { return p.header }

func (p *pageRecorder) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}

func (p *pageRecorder) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return p.body.Write(b)
}
