package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/analytics"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// The render cache of public pages (pagecache.go): each test names the
// change it proves is never served stale.

var pageToken = regexp.MustCompile(`name="token" value="([^"]+)"`)

// publicGet is an anonymous citizen's GET of target: status and body.
func publicGet(t *testing.T, h http.Handler, target string) (int, string) {
	t.Helper()
	resp := request{target: target}.do(t, h)
	return resp.StatusCode, bodyOf(t, resp)
}

// newPublicEnv is gent with the demo register and forms published.
func newPublicEnv(t *testing.T, env *storetest.Env) *formsEnv {
	t.Helper()
	fe := newFormsEnv(t, env)
	publishForms(t, env, fe.gent)
	return fe
}

func TestPublicPageCache_FormPublishServesTheNewVersionAtOnce(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newPublicEnv(t, env)
		ctx := context.Background()
		h := fe.app.Handler()
		f := form.DemoForm("vraag")
		old := f.Title.In("nl")
		for range 2 { // the second answer is the cached one
			if _, body := publicGet(t, h, "/gent/vraag"); !strings.Contains(body, escaped(old)) {
				t.Fatalf("the form lacks its title %q", old)
			}
		}
		f.Title = register.Text{"nl": "Vraag aan de stad, tweede versie", "fr": "Question, version deux", "en": "Question, version two"}
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		d, err := env.DB.SaveFormDraft(ctx, op, fe.gent.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ApproveNotice(ctx, op, fe.gent.ID, f.Key, d.Version, store.NoticeDigest(form.NoticeFor(f, register.Demo()).JSON())); err != nil {
			t.Fatal(err)
		}
		fe.post(t, "/gent/admin/forms/vraag/publish", url.Values{"version": {strconv.Itoa(d.Version)}}, http.StatusSeeOther)
		if _, body := publicGet(t, h, "/gent/vraag"); !strings.Contains(body, "Vraag aan de stad, tweede versie") || strings.Contains(body, escaped(old)) {
			t.Fatal("after the publish the form page still shows the old version")
		}
		if _, body := publicGet(t, h, "/gent/"); !strings.Contains(body, "Vraag aan de stad, tweede versie") {
			t.Fatal("after the publish the tenant home still lists the old title")
		}
	})
}

func TestPublicPageCache_SitePagePublishAndUnpublishShowAtOnce(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newPublicEnv(t, env)
		ctx := context.Background()
		h := fe.app.Handler()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		draft := func(id, title string, base int) (string, int) {
			id, v, err := env.DB.SaveSitePage(ctx, op, fe.gent.ID, id, store.SiteDraft{Slug: "openingsuren", Position: 1,
				Text: map[string]store.SiteText{"nl": {Title: title, Body: "Open van 9 tot 12."}}}, base)
			if err != nil {
				t.Fatal(err)
			}
			return id, v
		}
		id, v := draft("", "Openingsuren", 0)
		if code, _ := publicGet(t, h, "/gent/site/openingsuren"); code != http.StatusNotFound {
			t.Fatalf("a draft: %d", code)
		}
		fe.post(t, "/gent/admin/site/"+id+"/publish", url.Values{"version": {strconv.Itoa(v)}}, http.StatusSeeOther)
		for range 2 {
			if _, body := publicGet(t, h, "/gent/site/openingsuren"); !strings.Contains(body, "<h1>Openingsuren</h1>") {
				t.Fatal("the published page is not served")
			}
		}
		_, v = draft(id, "Openingsuren in de zomer", v)
		fe.post(t, "/gent/admin/site/"+id+"/publish", url.Values{"version": {strconv.Itoa(v)}}, http.StatusSeeOther)
		if _, body := publicGet(t, h, "/gent/site/openingsuren"); !strings.Contains(body, "<h1>Openingsuren in de zomer</h1>") {
			t.Fatal("a new published version is not served at once")
		}
		if _, body := publicGet(t, h, "/gent/"); !strings.Contains(body, "Openingsuren in de zomer") {
			t.Fatal("the home does not link the new title at once")
		}
		fe.post(t, "/gent/admin/site/"+id+"/unpublish", url.Values{"x": {"1"}}, http.StatusSeeOther)
		if code, _ := publicGet(t, h, "/gent/site/openingsuren"); code != http.StatusNotFound {
			t.Fatalf("an unpublished page is still served: %d", code)
		}
		if _, body := publicGet(t, h, "/gent/"); strings.Contains(body, "/gent/site/openingsuren") {
			t.Fatal("the home still links an unpublished page")
		}
	})
}

func TestPublicPageCache_BrandingChangeShowsOnEveryPageAtOnce(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newPublicEnv(t, env)
		h := fe.app.Handler()
		pages := []string{"/gent/", "/gent/vraag", "/gent/privacy"}
		for _, p := range pages {
			if _, body := publicGet(t, h, p); strings.Contains(body, "Gemeente Zonnedal") {
				t.Fatalf("%s shows the look before it is set", p)
			}
		}
		if resp, body := brandingPost(t, fe.loginEnv, fe.admin, goodBranding(), "", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("branding: %d\n%s", resp.StatusCode, body)
		}
		for _, p := range pages {
			if _, body := publicGet(t, h, p); !strings.Contains(body, "Gemeente Zonnedal") {
				t.Errorf("%s does not show the new look at once", p)
			}
		}
	})
}

func TestPublicPageCache_RegisterChangeShowsInThePrivacyStatementAtOnce(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		re := newRegisterEnv(t, env, Options{})
		h := re.app.Handler()
		for range 2 {
			if _, body := publicGet(t, h, "/gent/privacy"); !strings.Contains(body, "730") {
				t.Fatal("the statement lacks the retention of 730 days")
			}
		}
		changed := register.Demo()
		for i := range changed.Categories {
			if changed.Categories[i].RetentionDays == 730 {
				changed.Categories[i].RetentionDays = 365
			}
		}
		_, cmp := re.upload(t, "/gent/admin/register", re.admin, "register.yaml", changed.MarshalYAMLDocument())
		resp, _ := re.confirmUpload(t, "/gent/admin/register/save", re.admin, cmp)
		wantRedirect(t, "save", resp, "/gent/admin/register?saved=2")
		if _, body := publicGet(t, h, "/gent/privacy"); !strings.Contains(body, "365") || strings.Contains(body, ">730") {
			t.Fatal("the privacy statement still shows the old register")
		}
	})
}

// The tenant's record (its default language here) is part of the key: a
// page rendered for the old record is not served for the new one.
func TestPublicPageCache_TenantLanguageChangeIsNotServedStale(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newPublicEnv(t, env)
		h := fe.app.Handler()
		publishSitePage(t, env, fe.gent.ID, "uren", map[string]store.SiteText{"nl": {Title: "Openingsuren"}, "fr": {Title: "Heures d'ouverture"}})
		// An English visitor reads the tenant's default language.
		if _, body := publicGet(t, h, "/gent/site/uren?lang=en"); !strings.Contains(body, "<h1>Openingsuren</h1>") {
			t.Fatal("an English visitor does not get the Dutch default")
		}
		if _, err := env.Raw(t).Exec(`UPDATE tenants SET default_lang = 'fr' WHERE id = $1`, fe.gent.ID); err != nil {
			t.Fatal(err)
		}
		fe.app.tenants.forget("gent") // as its one second runs out
		if _, body := publicGet(t, h, "/gent/site/uren?lang=en"); !strings.Contains(body, "<h1>Heures d&#39;ouverture</h1>") {
			t.Fatal("after the tenant's language changed, the page rendered for the old one is served")
		}
	})
}

// A page asked on the tenant's host and by its /{tenant} prefix are kept
// apart, and each is the page a fresh render gives.
func TestPublicPageCache_HostAndPrefixAreCachedApart(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newPublicEnv(t, env)
		if _, err := env.DB.AddTenantHost(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, fe.gent.ID, "www.gent.be"); err != nil {
			t.Fatal(err)
		}
		h := fe.app.Handler()
		fresh := func(host, target string) string {
			t.Helper()
			a, _ := newTestApp(t, fe.app.opts)
			return normalToken(bodyOf(t, onHost(t, a.Handler(), http.MethodGet, host, target, "", nil)))
		}
		before := fe.app.publicPages.len()
		for range 2 {
			viaHost := normalToken(bodyOf(t, onHost(t, h, http.MethodGet, "www.gent.be", "/vraag", "", nil)))
			byPrefix := normalToken(bodyOf(t, onHost(t, h, http.MethodGet, "loket.gent.be", "/gent/vraag", "", nil)))
			if viaHost != fresh("www.gent.be", "/vraag") || byPrefix != fresh("loket.gent.be", "/gent/vraag") {
				t.Fatal("a cached page differs from a fresh render")
			}
		}
		if got := fe.app.publicPages.len() - before; got != 2 {
			t.Fatalf("host and prefix: %d cache entries, want 2", got)
		}
	})
}

// normalToken blanks the page token, the one part that differs per view.
func normalToken(body string) string {
	body = pageStarted.ReplaceAllString(body, `name="started" value=""`)
	return pageToken.ReplaceAllString(body, `name="token" value=""`)
}

// pageStarted finds a form page's signed start time, per view like the token.
var pageStarted = regexp.MustCompile(`name="started" value="[^"]*"`)

func TestPublicPageCache_EachViewGetsItsOwnTokenWhichIsAccepted(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newPublicEnv(t, env)
		h := fe.app.Handler()
		seen := map[string]bool{}
		var last string
		for range 3 {
			_, body := publicGet(t, h, "/gent/vraag")
			m := pageToken.FindStringSubmatch(body)
			if m == nil || len(m[1]) != len(fe.app.publicPages.marker) || strings.Contains(body, fe.app.publicPages.marker) {
				t.Fatal("the page lacks a token or shows the cache's marker")
			}
			if seen[m[1]] {
				t.Fatal("two views got the same token")
			}
			seen[m[1]], last = true, m[1]
		}
		resp := request{method: http.MethodPost, target: "/gent/vraag", body: url.Values{"token": {last}, "name": {"Bench"},
			"email": {"b@example.be"}, "topic": {"street"}, "message": {"De straatverlichting brandt niet."}}.Encode(),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}.do(t, h)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("a post with a cached page's token: %d", resp.StatusCode)
		}
	})
}

func TestPublicPageCache_AnalyticsCountsCachedPages(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		counter := analytics.NewCounter()
		le := newLoginEnv(t, env, Options{Analytics: counter})
		publishForms(t, env, le.gent)
		h := le.app.Handler()
		for range 5 {
			for _, p := range []string{"/gent/", "/gent/vraag", "/gent/privacy"} {
				resp := request{target: p, header: map[string]string{"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"}}.do(t, h)
				if code := resp.StatusCode; code != http.StatusOK {
					t.Fatalf("%s: %d", p, code)
				}
			}
		}
		views := map[string]int64{}
		b := counter.Drain()
		for v, n := range b.Views {
			views[v.Path] += n
		}
		var started int64
		for e, n := range b.Forms {
			if e.FormKey == "vraag" && e.Event == analytics.EventStarted {
				started += n
			}
		}
		if views["/"] != 5 || views["/privacy"] != 5 || started != 5 {
			t.Fatalf("5 views each (4 from the cache): home %d, privacy %d, form started %d; all views %v", views["/"], views["/privacy"], started, views)
		}
	})
}

func TestPublicPageCache_SecurityHeadersAreThoseOfARenderedPage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newPublicEnv(t, env)
		h := fe.app.Handler()
		for _, p := range []string{"/gent/", "/gent/vraag", "/gent/privacy"} {
			miss := request{target: p}.do(t, h).Header
			hit := request{target: p}.do(t, h).Header
			for k := range miss {
				if k == "X-Request-Id" || k == "Date" {
					continue
				}
				if strings.Join(miss[k], ",") != strings.Join(hit[k], ",") {
					t.Errorf("%s: header %s is %q rendered, %q cached", p, k, miss[k], hit[k])
				}
			}
			for _, k := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Cache-Control", "Content-Language"} {
				if hit.Get(k) == "" {
					t.Errorf("%s: a cached answer lacks %s", p, k)
				}
			}
			if len(hit) != len(miss) {
				t.Errorf("%s: %d headers rendered, %d cached", p, len(miss), len(hit))
			}
		}
	})
}

// A change made elsewhere (another node, the CLI) shows within the
// cache's time to live.
func TestPublicPageCache_ChangeByAnotherNodeShowsWithinItsTTL(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newPublicEnv(t, env)
		now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
		fe.app.publicPages.now = func() time.Time { return now }
		h := fe.app.Handler()
		if _, body := publicGet(t, h, "/gent/privacy"); !strings.Contains(body, "730") {
			t.Fatal("the statement lacks the retention of 730 days")
		}
		changed := register.Demo()
		for i := range changed.Categories {
			if changed.Categories[i].RetentionDays == 730 {
				changed.Categories[i].RetentionDays = 365
			}
		}
		if _, err := env.DB.SaveRegister(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, fe.gent.ID, changed); err != nil {
			t.Fatal(err)
		}
		now = now.Add(publicPageTTL)
		if _, body := publicGet(t, h, "/gent/privacy"); !strings.Contains(body, "365") {
			t.Fatal("a change made elsewhere is not shown after the cache's time to live")
		}
	})
}

func TestPageCache_LRUBoundedByBytes(t *testing.T) {
	c := newPageCache(1000, time.Minute)
	page := func(key string) *cachedPage {
		return &cachedPage{key: key, header: http.Header{}, parts: [][]byte{make([]byte, 100)}, size: 100}
	}
	for i := range 10 {
		c.put(page(strconv.Itoa(i)))
	}
	if _, ok := c.get("0"); !ok { // 0 is now the most recently served
		t.Fatal("a page within the cap was dropped")
	}
	for i := 10; i < 15; i++ {
		c.put(page(strconv.Itoa(i)))
	}
	if c.size > 1000 || c.len() != 10 {
		t.Fatalf("%d bytes in %d pages, cap 1000", c.size, c.len())
	}
	if _, ok := c.get("0"); !ok {
		t.Error("the most recently served page was dropped")
	}
	if _, ok := c.get("1"); ok {
		t.Error("the least recently served page was kept")
	}
	c.put(&cachedPage{key: "big", header: http.Header{}, size: 200})
	if _, ok := c.get("big"); ok {
		t.Error("a page of more than an eighth of the cap was kept")
	}
}

// A form page from the cache carries a start time of its own view, signed
// with that view's token: a submission after a cached view is timed from
// when it was shown, not from when the page was first rendered.
func TestPublicPageCache_CachedFormCarriesItsOwnViewsStart(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newPublicEnv(t, env)
		h := fe.app.Handler()
		var starts []string
		for range 3 {
			_, body := publicGet(t, h, "/gent/vraag")
			v := carriedOn(body)
			unix, _, ok := strings.Cut(v.Get(startedField), ".")
			if !ok {
				t.Fatalf("no signed start on the page: %q", v.Get(startedField))
			}
			req := httptest.NewRequest(http.MethodPost, "/gent/vraag", strings.NewReader(v.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if err := req.ParseForm(); err != nil {
				t.Fatal(err)
			}
			if _, ok := fe.app.startedAt(req, "vraag", v.Get("token")); !ok {
				t.Fatal("the start on a cached page does not verify with the page's own token")
			}
			starts = append(starts, unix)
			env.Clock.Advance(time.Minute)
		}
		if starts[0] == starts[1] || starts[1] == starts[2] {
			t.Fatalf("cached views carry the same start: %v", starts)
		}
	})
}
