package web

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// News items and the composed home page: site pages of another kind
// (store.SiteKindNews, store.SiteKindHome), written, versioned, previewed,
// published and audited through the page machinery of site_show.go. News
// is public at /{tenant}/site/news (newest first, paginated, with an Atom
// feed) and /{tenant}/site/news/{slug}; a published home page composes the
// front page at /{tenant}/ (tenantShow), which always links the e-loket's
// forms. All of it works without JavaScript.

// newsPerPage is the length of a page of the public news list.
const newsPerPage = 10

// siteDate is a news item's date, shown as people read it (dd.mm.jjjj)
// and given to machines in <time datetime>.
type siteDate struct{ ISO, Text string }

func siteDateOf(iso string) *siteDate {
	t, err := time.Parse("2006-01-02", iso)
	if err != nil {
		return nil
	}
	return &siteDate{ISO: iso, Text: t.Format("02.01.2006")}
}

// newsLink is a news item in a list.
type newsLink struct {
	Href, Title, Summary, Lang string
	Date                       *siteDate
}

func (a *App) newsLinks(r *http.Request, items []store.PublishedPage) []newsLink {
	t := tenantFrom(r.Context())
	lang := string(LangFrom(r.Context()))
	var out []newsLink
	for _, it := range items {
		text, other := siteTextFor(it.Text, lang, t.DefaultLang)
		out = append(out, newsLink{Href: "/" + t.Slug + "/site/news/" + it.Slug, Title: text.Title, Summary: text.Summary,
			Lang: other, Date: siteDateOf(it.Date)})
	}
	return out
}

type newsListPage struct {
	Slug       string
	Items      []newsLink
	Menu       []siteLink
	Page, Last int
	Prev, Next string
}

// newsList serves the published news, newest first, newsPerPage at a time
// (?page=N; a page past the end is a 404).
func (a *App) newsList(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	n := 1
	if q := r.URL.Query().Get("page"); q != "" {
		var err error
		if n, err = strconv.Atoi(q); err != nil || n < 1 {
			a.notFound(w, r)
			return
		}
	}
	items, total, err := a.opts.Store.PublishedNews(r.Context(), t.ID, (n-1)*newsPerPage, newsPerPage)
	if err != nil {
		a.internalError(w, r, "news", err)
		return
	}
	last := max(1, (total+newsPerPage-1)/newsPerPage)
	if n > last {
		a.notFound(w, r)
		return
	}
	menu, err := a.siteMenu(r, "")
	if err != nil {
		a.internalError(w, r, "site menu", err)
		return
	}
	p := newsListPage{Slug: t.Slug, Items: a.newsLinks(r, items), Menu: menu, Page: n, Last: last}
	base := "/" + t.Slug + "/site/news"
	if n > 1 {
		p.Prev = base + "?page=" + strconv.Itoa(n-1)
	}
	if n < last {
		p.Next = base + "?page=" + strconv.Itoa(n+1)
	}
	a.render(w, r, http.StatusOK, "newslist", p)
}

// newsShow serves a published news item; a draft or none is a 404.
func (a *App) newsShow(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	p, err := a.opts.Store.PublishedSiteItem(r.Context(), t.ID, store.SiteKindNews, r.PathValue("slug"))
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "news item", err)
		return
	}
	a.renderSitePage(w, r, "sitepage", siteItem{Kind: store.SiteKindNews, Slug: p.Slug, Date: p.Date, Text: p.Text}, "")
}

// The Atom feed (RFC 4287) of the latest news, in the visitor's language.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Link    []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Link    atomLink `xml:"link"`
	Summary string   `xml:"summary,omitempty"`
}

func (a *App) newsFeed(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	items, _, err := a.opts.Store.PublishedNews(r.Context(), t.ID, 0, 20)
	if err != nil {
		a.internalError(w, r, "news feed", err)
		return
	}
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	origin := scheme + "://" + r.Host
	// abs makes a tenant path absolute: on the tenant's primary host when
	// it has one (tenant.Link), else on the address the feed was read on.
	abs := func(p string) string {
		if h := a.primaryHost(t); h != "" {
			return tenant.Link("", t.Slug, h, strings.TrimPrefix(p, "/"+t.Slug))
		}
		return origin + p
	}
	f := atomFeed{Lang: string(LangFrom(r.Context())), ID: abs("/" + t.Slug + "/site/news"),
		Title: a.t(r, "news.feed.title", t.LegalName), Author: atomAuthor{Name: t.LegalName},
		Link: []atomLink{{Rel: "self", Href: abs("/" + t.Slug + "/site/news/feed.atom")}, {Href: abs("/" + t.Slug + "/site/news")}}}
	updated := time.Unix(0, 0).UTC()
	for i, l := range a.newsLinks(r, items) {
		at := items[i].PublishedAt.UTC()
		if at.After(updated) {
			updated = at
		}
		f.Entries = append(f.Entries, atomEntry{ID: abs(l.Href), Title: l.Title, Updated: at.Format(time.RFC3339),
			Link: atomLink{Href: abs(l.Href)}, Summary: l.Summary})
	}
	f.Updated = updated.Format(time.RFC3339)
	b, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		a.internalError(w, r, "news feed", err)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	_, _ = w.Write(append([]byte(xml.Header), b...))
}

// newsStaffPage is the editor's list of news items.
type newsStaffPage struct {
	Slug  string
	Items []siteListRow
	Done  string
}

func (a *App) siteNewsList(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	items, err := a.opts.Store.SiteNews(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "news", err)
		return
	}
	p := newsStaffPage{Slug: t.Slug, Items: a.siteRows(r, items, "/"+t.Slug+"/site/news/")}
	switch r.URL.Query().Get("done") {
	case "published":
		p.Done = a.t(r, "news.done.published")
	case "unpublished":
		p.Done = a.t(r, "news.done.unpublished")
	}
	a.render(w, r, http.StatusOK, "sitenews", p)
}

func (a *App) siteNewsNew(w http.ResponseWriter, r *http.Request, me account.User) {
	today := a.opts.Store.Now().In(workdays.Brussels).Format("02.01.2006")
	a.renderSiteEdit(w, r, me, http.StatusOK, "", store.SiteDraft{Kind: store.SiteKindNews, Date: today}, 0, nil)
}

// siteHomeEdit is the home page's editor: the one home page of the
// tenant, or a new one when none was saved.
func (a *App) siteHomeEdit(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	id, err := a.opts.Store.SiteHomePage(r.Context(), t.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.renderSiteEdit(w, r, me, http.StatusOK, "", store.SiteDraft{Kind: store.SiteKindHome, Home: store.SiteHome{News: 3}}, 0, nil)
	case err != nil:
		a.internalError(w, r, "site home page", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/site/"+url.PathEscape(id), http.StatusSeeOther)
	}
}

// homeFeatured reads the home page form's featured pages: a select per
// page ("feature-<id>") with its place on the front page, empty for not
// featured; ordered by that place, then by the menu's order.
func homeFeatured(form url.Values, pages []store.SitePage) []string {
	type pick struct {
		id       string
		at, menu int
	}
	var picks []pick
	for i, p := range pages {
		if n, err := strconv.Atoi(form.Get("feature-" + p.ID)); err == nil && n > 0 {
			picks = append(picks, pick{p.ID, n, i})
		}
	}
	sort.SliceStable(picks, func(i, j int) bool { return picks[i].at < picks[j].at })
	var ids []string
	for _, p := range picks {
		ids = append(ids, p.id)
	}
	return ids
}

// homeFeatureRow is one page in the home page form's choice of featured
// pages.
type homeFeatureRow struct {
	ID, Title string
	At        int // place on the front page, 0: not featured
}

// homeView is what the front page shows of a published home page.
type homeView struct {
	Intro    siteArticle
	Featured []siteFeatured
	News     []newsLink
	AllNews  string // the news list's address when there is news
}

type siteFeatured struct {
	Href, Title, Summary, Lang string
}

// homeOf prepares a home page's composition for the front page: the intro
// in the visitor's language, the featured pages that are published, the
// latest news.
func (a *App) homeOf(r *http.Request, text map[string]store.SiteText, layout store.SiteHome) (*homeView, error) {
	t := tenantFrom(r.Context())
	lang := string(LangFrom(r.Context()))
	intro, err := articleOf(text, lang, t.DefaultLang)
	if err != nil {
		return nil, err
	}
	h := &homeView{Intro: intro}
	pages, err := a.opts.Store.PublishedSitePagesByID(r.Context(), t.ID, layout.Featured)
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		tx, other := siteTextFor(p.Text, lang, t.DefaultLang)
		h.Featured = append(h.Featured, siteFeatured{Href: "/" + t.Slug + "/site/" + p.Slug, Title: tx.Title, Summary: tx.Summary, Lang: other})
	}
	if layout.News > 0 {
		items, total, err := a.opts.Store.PublishedNews(r.Context(), t.ID, 0, layout.News)
		if err != nil {
			return nil, err
		}
		h.News = a.newsLinks(r, items)
		if total > 0 {
			h.AllNews = "/" + t.Slug + "/site/news"
		}
	}
	return h, nil
}
