package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

func newsDraft(slug, date, title string) store.SiteDraft {
	return store.SiteDraft{Kind: store.SiteKindNews, Slug: slug, Date: date, Text: map[string]store.SiteText{
		"nl": {Title: title, Summary: "Kort", Body: "## Wat\n\nNieuws."},
		"fr": {Title: title + " (fr)"},
	}}
}

func siteActions(t *testing.T, env *storetest.Env, tenantID string) string {
	t.Helper()
	events, _ := auditActions(t, env, tenantID)
	var got []string
	for _, e := range events {
		if strings.HasPrefix(e.Action, "site.") {
			got = append(got, e.Action+" "+e.Actor.ID+" "+strings.Fields(e.ObjectID)[0])
		}
	}
	return strings.Join(got, ",")
}

// expectRefused saves d as a new page of tn and wants it refused with key
// on field.
func expectRefused(t *testing.T, env *storetest.Env, tenantID string, d store.SiteDraft, field, key string) {
	t.Helper()
	_, _, err := env.DB.SaveSitePage(ctx, clerk("editor1"), tenantID, "", d, 0)
	var verr *store.SiteValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("err %v", err)
	}
	if ps := verr.Fields[field]; len(ps) == 0 || ps[0].Key != key {
		t.Fatalf("fields %+v, want %s on %s", verr.Fields, key, field)
	}
}

// TestClauseAUD1_SiteNews_SavePublishHistoryAndAudit: news items are site
// pages with a date: versioned with who and when, published one version
// at a time, listed newest first by their date and paginated, each write
// audited as site.news.*; they are not content pages (not in the menu,
// not at /site/{slug}); another tenant sees none of it.
func TestClauseAUD1_SiteNews_SavePublishHistoryAndAudit(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "zonnedal")
		old, v, err := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, "", newsDraft("markt", "3.11.2026", "Kerstmarkt"), 0)
		if err != nil || v != 1 {
			t.Fatalf("save: %d %v", v, err)
		}
		recent, _, err := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, "", newsDraft("werken", "2026-12-01", "Wegenwerken"), 0)
		if err != nil {
			t.Fatal(err)
		}
		draft, _, err := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, "", newsDraft("later", "24.12.2026", "Later"), 0)
		if err != nil {
			t.Fatal(err)
		}
		if items, total, _ := env.DB.PublishedNews(ctx, tn.ID, 0, 10); len(items) != 0 || total != 0 {
			t.Fatalf("drafts are public: %+v", items)
		}
		for _, id := range []string{recent, old} {
			if err := env.DB.PublishSitePage(ctx, clerk("editor2"), tn.ID, id, 1); err != nil {
				t.Fatal(err)
			}
		}
		items, total, err := env.DB.PublishedNews(ctx, tn.ID, 0, 10)
		if err != nil || total != 2 || len(items) != 2 || items[0].Slug != "werken" || items[1].Slug != "markt" || items[1].Date != "2026-11-03" {
			t.Fatalf("news: %+v %d %v", items, total, err)
		}
		if page, total, _ := env.DB.PublishedNews(ctx, tn.ID, 1, 1); len(page) != 1 || total != 2 || page[0].Slug != "markt" {
			t.Fatalf("second page: %+v", page)
		}
		// A new version with a new date: the public item keeps its
		// published date until that version is published.
		if _, v, err := env.DB.SaveSitePage(ctx, clerk("editor2"), tn.ID, old, newsDraft("markt", "10.12.2026", "Kerstmarkt"), 1); err != nil || v != 2 {
			t.Fatalf("second version: %d %v", v, err)
		}
		if it, _ := env.DB.PublishedSiteItem(ctx, tn.ID, store.SiteKindNews, "markt"); it.Date != "2026-11-03" {
			t.Fatalf("a draft changed the public date: %+v", it)
		}
		p, versions, err := env.DB.SitePage(ctx, tn.ID, old)
		if err != nil || p.Kind != store.SiteKindNews || p.Date != "2026-12-10" || len(versions) != 2 ||
			versions[0].Date != "2026-12-10" || versions[1].Date != "2026-11-03" || versions[0].CreatedBy != "editor2" {
			t.Fatalf("page %+v history %+v %v", p, versions, err)
		}
		if err := env.DB.PublishSitePage(ctx, clerk("editor1"), tn.ID, old, 2); err != nil {
			t.Fatal(err)
		}
		if items, _, _ := env.DB.PublishedNews(ctx, tn.ID, 0, 10); items[0].Slug != "markt" {
			t.Fatalf("newest first by date: %+v", items)
		}
		// News is not a content page.
		if menu, _ := env.DB.PublishedSitePages(ctx, tn.ID); len(menu) != 0 {
			t.Fatalf("news in the menu: %+v", menu)
		}
		if _, err := env.DB.PublishedSitePage(ctx, tn.ID, "markt"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("news at /site/{slug}: %v", err)
		}
		if pages, _ := env.DB.SitePages(ctx, tn.ID); len(pages) != 0 {
			t.Fatalf("news among the pages: %+v", pages)
		}
		if news, _ := env.DB.SiteNews(ctx, tn.ID); len(news) != 3 || news[0].ID != draft {
			t.Fatalf("editor's news list: %+v", news)
		}
		if err := env.DB.UnpublishSitePage(ctx, clerk("editor1"), tn.ID, recent); err != nil {
			t.Fatal(err)
		}
		if _, total, _ := env.DB.PublishedNews(ctx, tn.ID, 0, 10); total != 1 {
			t.Fatalf("unpublished item still listed: %d", total)
		}
		want := "site.news.save editor1 1,site.news.save editor1 1,site.news.save editor1 1,site.news.publish editor2 1,site.news.publish editor2 1," +
			"site.news.save editor2 2,site.news.publish editor1 2,site.news.unpublish editor1 1"
		if got := siteActions(t, env, tn.ID); got != want {
			t.Fatalf("audit:\n%s\nwant\n%s", got, want)
		}
		other := newTenant(t, env, "elders")
		if items, _, _ := env.DB.PublishedNews(ctx, other.ID, 0, 10); len(items) != 0 {
			t.Fatal("another tenant lists the news")
		}
		if err := env.DB.PublishSitePage(ctx, clerk("x"), other.ID, old, 1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other tenant publishes the item: %v", err)
		}
	})
}

// TestSiteNews_BadInputSavesNothing: a news item without a date, with a
// date that does not parse or does not exist, a page at the reserved
// address "news": each refused on its field, nothing saved or audited.
func TestSiteNews_BadInputSavesNothing(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "zonnedal")
		for name, tc := range map[string]struct {
			d          store.SiteDraft
			field, key string
		}{
			"no date":       {newsDraft("a", "", "A"), "date", "news.err.date_required"},
			"not a date":    {newsDraft("a", "morgen", "A"), "date", "news.err.date_format"},
			"no such day":   {newsDraft("a", "31.02.2026", "A"), "date", "news.err.date_format"},
			"reserved slug": {siteDraft("news", "tekst"), "slug", "news.err.slug_reserved"},
			"no title":      {newsDraft("a", "01.12.2026", ""), "nl.title", "site.err.title_required"},
		} {
			t.Run(name, func(t *testing.T) { expectRefused(t, env, tn.ID, tc.d, tc.field, tc.key) })
		}
		news, _ := env.DB.SiteNews(ctx, tn.ID)
		pages, _ := env.DB.SitePages(ctx, tn.ID)
		if len(news)+len(pages) != 0 || siteActions(t, env, tn.ID) != "" {
			t.Fatalf("refused saves left %d items, audit %q", len(news)+len(pages), siteActions(t, env, tn.ID))
		}
	})
}

// TestClauseAUD1_SiteHome_ComposePublishAndAudit: the home page is one
// site page per tenant: its intro, featured pages in order (only
// published ones shown) and number of news items are versioned and
// published like a page, audited as site.home.*; a second home page, a
// featured id that is not a page and a bad number are refused with
// nothing saved.
func TestClauseAUD1_SiteHome_ComposePublishAndAudit(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "zonnedal")
		if _, err := env.DB.PublishedHome(ctx, tn.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a home page before any: %v", err)
		}
		a, _, _ := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, "", siteDraft("contact", "## Loket"), 0)
		b, _, _ := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, "", siteDraft("uren", "## Loket"), 0)
		if err := env.DB.PublishSitePage(ctx, clerk("editor1"), tn.ID, b, 1); err != nil {
			t.Fatal(err)
		}
		item, _, _ := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, "", newsDraft("markt", "01.12.2026", "Markt"), 0)
		before := siteActions(t, env, tn.ID)
		home := func(featured []string, news int) store.SiteDraft {
			return store.SiteDraft{Kind: store.SiteKindHome, Home: store.SiteHome{Featured: featured, News: news},
				Text: map[string]store.SiteText{"nl": {Body: "Welkom in **Zonnedal**."}, "fr": {Body: "Bienvenue."}}}
		}
		for name, tc := range map[string]struct {
			d          store.SiteDraft
			field, key string
		}{
			"news item featured": {home([]string{item}, 3), "featured", "sitehome.err.featured_unknown"},
			"unknown featured":   {home([]string{"nope"}, 3), "featured", "sitehome.err.featured_unknown"},
			"too many news":      {home(nil, 21), "news", "sitehome.err.news"},
			"negative news":      {home(nil, -1), "news", "sitehome.err.news"},
			"unsafe intro":       {store.SiteDraft{Kind: store.SiteKindHome, Text: map[string]store.SiteText{"nl": {Body: "<b>x</b>"}}}, "nl.body", "site.md.raw_html"},
		} {
			t.Run(name, func(t *testing.T) { expectRefused(t, env, tn.ID, tc.d, tc.field, tc.key) })
		}
		if _, err := env.DB.SiteHomePage(ctx, tn.ID); !errors.Is(err, store.ErrNotFound) || siteActions(t, env, tn.ID) != before {
			t.Fatalf("refused home pages saved something: %v", err)
		}
		id, v, err := env.DB.SaveSitePage(ctx, clerk("editor2"), tn.ID, "", home([]string{a, b}, 2), 0)
		if err != nil || v != 1 {
			t.Fatalf("save home: %v", err)
		}
		if _, _, err := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, "", home(nil, 1), 0); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("a second home page: %v", err)
		}
		if got, _ := env.DB.SiteHomePage(ctx, tn.ID); got != id {
			t.Fatalf("home page id %q, want %q", got, id)
		}
		if _, err := env.DB.PublishedHome(ctx, tn.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a saved home page is public before it is published: %v", err)
		}
		if err := env.DB.PublishSitePage(ctx, clerk("editor2"), tn.ID, id, 1); err != nil {
			t.Fatal(err)
		}
		h, err := env.DB.PublishedHome(ctx, tn.ID)
		if err != nil || h.Home.News != 2 || strings.Join(h.Home.Featured, ",") != a+","+b || h.Text["nl"].Body != "Welkom in **Zonnedal**." {
			t.Fatalf("home: %+v %v", h, err)
		}
		// Only published featured pages are shown, in the chosen order.
		if ps, _ := env.DB.PublishedSitePagesByID(ctx, tn.ID, h.Home.Featured); len(ps) != 1 || ps[0].Slug != "uren" {
			t.Fatalf("featured: %+v", ps)
		}
		if _, v, err := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, id, home([]string{b, a}, 0), 1); err != nil || v != 2 {
			t.Fatalf("second version: %v", err)
		}
		if _, versions, _ := env.DB.SitePage(ctx, tn.ID, id); len(versions) != 2 || versions[1].CreatedBy != "editor2" {
			t.Fatalf("history: %+v", versions)
		}
		if err := env.DB.UnpublishSitePage(ctx, clerk("editor1"), tn.ID, id); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.PublishedHome(ctx, tn.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unpublished home is public: %v", err)
		}
		want := before + ",site.home.save editor2 1,site.home.publish editor2 1,site.home.save editor1 2,site.home.unpublish editor1 1"
		if got := siteActions(t, env, tn.ID); got != want {
			t.Fatalf("audit:\n%s\nwant\n%s", got, want)
		}
	})
}
