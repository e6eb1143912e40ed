package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/sitemd"
	"github.com/kluis/kluis/internal/store"
)

// The tenant's site pages: editors (account.EditSite) write them in the
// back office under Website; visitors read the published version at
// /{tenant}/site/{slug}, in their language or the tenant's default
// language (marked with lang on the part, WCAG 3.1.2). The pages work
// without JavaScript.

// siteLink is one entry of the site's menu.
type siteLink struct {
	Href, Title, Lang string
	Current           bool
}

// siteArticle is a page's text ready to show: in one language, rendered.
type siteArticle struct {
	Lang    string // the HTML lang of the text when it is not the page's, else ""
	Title   string
	Summary string
	Body    template.HTML
}

// siteTextFor picks the text in lang, else the tenant's default language.
func siteTextFor(text map[string]store.SiteText, lang, defaultLang string) (store.SiteText, string) {
	// A home page's intro has a body and no title: either makes a text.
	if t, ok := text[lang]; ok && (t.Title != "" || t.Body != "") {
		return t, ""
	}
	if t, ok := text[defaultLang]; ok {
		return t, defaultLang
	}
	for _, l := range store.SiteLangs {
		if t, ok := text[l]; ok {
			return t, l
		}
	}
	return store.SiteText{}, ""
}

func articleOf(text map[string]store.SiteText, lang, defaultLang string) (siteArticle, error) {
	t, other := siteTextFor(text, lang, defaultLang)
	body, err := sitemd.Render(t.Body)
	return siteArticle{Lang: other, Title: t.Title, Summary: t.Summary, Body: body}, err
}

// siteMenu is the menu of the tenant's published pages.
func (a *App) siteMenu(r *http.Request, current string) ([]siteLink, error) {
	t := tenantFrom(r.Context())
	pages, err := a.opts.Store.PublishedSitePages(r.Context(), t.ID)
	if err != nil {
		return nil, err
	}
	lang := string(LangFrom(r.Context()))
	var menu []siteLink
	for _, p := range pages {
		text, other := siteTextFor(p.Text, lang, t.DefaultLang)
		menu = append(menu, siteLink{Href: "/" + t.Slug + "/site/" + p.Slug, Title: text.Title, Lang: other, Current: p.Slug == current})
	}
	return menu, nil
}

type sitePublicPage struct {
	Slug    string
	Article siteArticle
	Date    *siteDate // a news item's
	News    string    // a news item's way to the list of news
	Menu    []siteLink
	Preview bool
	Back    string // the preview's way back to the editor
}

// siteItem is what a public page shows of a page, a news item or a home
// page: its published (or, previewed, its last saved) version.
type siteItem struct {
	Kind, Slug, Date string
	Home             store.SiteHome
	Text             map[string]store.SiteText
}

// siteShow serves a published page; a draft, an unpublished page or none
// is a 404.
func (a *App) siteShow(w http.ResponseWriter, r *http.Request) {
	a.servePublic(w, r, a.publicKey(r, "site"), a.siteRender)
}

// siteRender renders what siteShow serves from the render cache (pagecache.go).
func (a *App) siteRender(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	p, err := a.opts.Store.PublishedSitePage(r.Context(), t.ID, r.PathValue("slug"))
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "site page", err)
		return
	}
	a.renderSitePage(w, r, "sitepage", siteItem{Kind: store.SiteKindPage, Slug: p.Slug, Text: p.Text}, "")
}

// renderSitePage renders a page's or a news item's text as visitors see
// it, with the menu: the public page, or (back set) the editor's preview.
func (a *App) renderSitePage(w http.ResponseWriter, r *http.Request, name string, it siteItem, back string) {
	t := tenantFrom(r.Context())
	art, err := articleOf(it.Text, string(LangFrom(r.Context())), t.DefaultLang)
	if err != nil {
		a.internalError(w, r, "render site page", err)
		return
	}
	current := it.Slug
	if it.Kind != store.SiteKindPage {
		current = ""
	}
	menu, err := a.siteMenu(r, current)
	if err != nil {
		a.internalError(w, r, "site menu", err)
		return
	}
	p := sitePublicPage{Slug: t.Slug, Article: art, Menu: menu, Preview: back != "", Back: back}
	if it.Kind == store.SiteKindNews {
		p.Date, p.News = siteDateOf(it.Date), "/"+t.Slug+"/site/news"
	}
	a.render(w, r, http.StatusOK, name, p)
}

// siteListPage is the editor's list of pages.
type siteListPage struct {
	Slug  string
	Pages []siteListRow
	Done  string
}

type siteListRow struct {
	ID, Title, Href  string
	Date             string // a news item's, dd.mm.jjjj
	State            string // draft, published, or published with a newer draft
	Published        bool
	Version, PubVers int
	Updated          string
}

// siteRows are the editor's rows of pages or news items; at is the public
// address the slug follows.
func (a *App) siteRows(r *http.Request, pages []store.SitePage, at string) []siteListRow {
	t := tenantFrom(r.Context())
	lang := string(LangFrom(r.Context()))
	var rows []siteListRow
	for _, sp := range pages {
		text, _ := siteTextFor(sp.Text, lang, t.DefaultLang)
		row := siteListRow{ID: sp.ID, Title: text.Title, Href: at + sp.Slug,
			Published: sp.PublishedVersion > 0, Version: sp.Version, PubVers: sp.PublishedVersion,
			Updated: localTime(sp.UpdatedAt)}
		if d := siteDateOf(sp.Date); d != nil {
			row.Date = d.Text
		}
		switch {
		case !row.Published:
			row.State = a.t(r, "site.state.draft", row.Version)
		case row.PubVers == row.Version:
			row.State = a.t(r, "site.state.published", row.PubVers)
		default:
			row.State = a.t(r, "site.state.published_draft", row.PubVers, row.Version)
		}
		rows = append(rows, row)
	}
	return rows
}

func (a *App) siteList(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	pages, err := a.opts.Store.SitePages(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "site pages", err)
		return
	}
	p := siteListPage{Slug: t.Slug, Pages: a.siteRows(r, pages, "/"+t.Slug+"/site/")}
	switch r.URL.Query().Get("done") {
	case "published":
		p.Done = a.t(r, "site.done.published")
	case "unpublished":
		p.Done = a.t(r, "site.done.unpublished")
	}
	a.render(w, r, http.StatusOK, "site", p)
}

// siteEditPage is the editor's form, with the page's history.
type siteEditPage struct {
	Kind      string // store.SiteKind*
	Date      string // a news item's date as typed
	News      string // how many news items a home page shows, as typed
	Featured  []homeFeatureRow
	Places    []int // the places a featured page may take
	Done      string
	Heading   string
	ViewHref  string // the published page's public address
	Action    string // where a new home page's form posts
	Slug      string
	ID        string // "" for a new page
	Base      int
	Published int
	Saved     int
	Errors    fieldErrors
	PageSlug  string
	Position  string
	Langs     []siteLangFields
	History   []siteHistoryRow
}

type siteLangFields struct {
	Lang, Name           string // code, language's name
	Title, Summary, Body string
	TitleErr, SummaryErr string
	BodyErr              []string
}

type siteHistoryRow struct {
	Version   int
	Slug      string
	When, Who string
	Published bool
}

func (a *App) siteNew(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderSiteEdit(w, r, me, http.StatusOK, "", store.SiteDraft{Position: 1}, 0, nil)
}

// sitePageOf reads the request's page ({id}); false when it answered (a
// 404 for a page of another tenant or none).
func (a *App) sitePageOf(w http.ResponseWriter, r *http.Request) (store.SitePage, bool) {
	p, _, err := a.opts.Store.SitePage(r.Context(), tenantFrom(r.Context()).ID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return p, false
	}
	if err != nil {
		a.internalError(w, r, "site page", err)
		return p, false
	}
	return p, true
}

func (a *App) siteEdit(w http.ResponseWriter, r *http.Request, me account.User) {
	p, ok := a.sitePageOf(w, r)
	if !ok {
		return
	}
	a.renderSiteEdit(w, r, me, http.StatusOK, p.ID, draftOf(p), p.Version, nil)
}

// draftOf is a saved page as its editor's form shows it.
func draftOf(p store.SitePage) store.SiteDraft {
	d := store.SiteDraft{Kind: p.Kind, Slug: p.Slug, Position: p.Position, Home: p.Home, Text: p.Text}
	if sd := siteDateOf(p.Date); sd != nil {
		d.Date = sd.Text
	}
	return d
}

func (a *App) renderSiteEdit(w http.ResponseWriter, r *http.Request, me account.User, status int, id string, d store.SiteDraft, base int, verr *store.SiteValidationError) {
	t := tenantFrom(r.Context())
	lang := LangFrom(r.Context())
	p := siteEditPage{Kind: d.Kind, Date: d.Date, News: strconv.Itoa(d.Home.News), Slug: t.Slug, ID: id, Base: base,
		PageSlug: d.Slug, Position: strconv.Itoa(d.Position)}
	if p.Kind == "" {
		p.Kind = store.SiteKindPage
	}
	r = navAt(r, siteNavOf(p.Kind))
	switch p.Kind {
	case store.SiteKindNews:
		p.Heading, p.ViewHref = a.t(r, "news.edit.title"), "/"+t.Slug+"/site/news/"+d.Slug
		if id == "" {
			p.Heading = a.t(r, "news.new")
		}
	case store.SiteKindHome:
		p.Heading, p.ViewHref = a.t(r, "sitehome.title"), "/"+t.Slug+"/"
		if id == "" {
			p.Action = "/" + t.Slug + "/admin/site/home"
		}
	default:
		p.Heading, p.ViewHref = a.t(r, "site.edit.title"), "/"+t.Slug+"/site/"+d.Slug
		if id == "" {
			p.Heading = a.t(r, "site.new")
		}
	}
	if d.Home.News < 0 {
		p.News = r.PostForm.Get("news")
	}
	p.Saved, _ = strconv.Atoi(r.URL.Query().Get("saved"))
	if r.URL.Query().Get("done") == "published" {
		p.Done = a.t(r, "sitehome.done.published")
	}
	if p.Kind == store.SiteKindHome {
		pages, err := a.opts.Store.SitePages(r.Context(), t.ID)
		if err != nil {
			a.internalError(w, r, "site pages", err)
			return
		}
		at := map[string]int{}
		for i, fid := range d.Home.Featured {
			at[fid] = i + 1
		}
		for i, sp := range pages {
			text, _ := siteTextFor(sp.Text, string(lang), t.DefaultLang)
			p.Featured = append(p.Featured, homeFeatureRow{ID: sp.ID, Title: text.Title, At: at[sp.ID]})
			p.Places = append(p.Places, i+1)
		}
	}
	msg := func(field string) []string {
		if verr == nil {
			return nil
		}
		var ms []string
		for _, pr := range verr.Fields[field] {
			ms = append(ms, locale.T(lang, pr.Key, pr.Args...))
		}
		return ms
	}
	first := func(ms []string) string {
		if len(ms) > 0 {
			return ms[0]
		}
		return ""
	}
	for _, f := range store.SiteFieldOrder() {
		for _, m := range msg(f) {
			p.Errors = append(p.Errors, fieldError{siteFieldID(f), m})
		}
	}
	for _, l := range store.SiteLangs {
		tx := d.Text[l]
		p.Langs = append(p.Langs, siteLangFields{Lang: l, Name: a.t(r, "site.lang."+l), Title: tx.Title, Summary: tx.Summary, Body: tx.Body,
			TitleErr: first(msg(l + ".title")), SummaryErr: first(msg(l + ".summary")), BodyErr: msg(l + ".body")})
	}
	if id != "" {
		page, versions, err := a.opts.Store.SitePage(r.Context(), t.ID, id)
		if errors.Is(err, store.ErrNotFound) {
			a.notFound(w, r) // a refused save of a page that is not (or no longer) there
			return
		}
		if err != nil {
			a.internalError(w, r, "site page", err)
			return
		}
		p.Published = page.PublishedVersion
		// The history names the editors: reading their names is recorded
		// (user.list), as on every page that shows staff names.
		users, err := a.opts.Store.Users(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID)
		if err != nil {
			a.internalError(w, r, "site page editors", err)
			return
		}
		names := map[string]string{}
		for _, u := range users {
			names[u.ID] = a.showName(r, u).Name
		}
		for _, v := range versions {
			who := names[v.CreatedBy]
			if who == "" {
				who = a.t(r, "auditlog.obj.user_unknown")
			}
			p.History = append(p.History, siteHistoryRow{Version: v.Version, Slug: v.Slug, When: localTime(v.CreatedAt), Who: who,
				Published: v.Version == page.PublishedVersion})
		}
	}
	a.render(w, r, status, "siteedit", p)
}

// siteFieldID is the form control's id of a store field ("nl.title" →
// "nl-title").
func siteFieldID(f string) string {
	b := []byte(f)
	for i := range b {
		if b[i] == '.' {
			b[i] = '-'
		}
	}
	return string(b)
}

func (a *App) siteSave(w http.ResponseWriter, r *http.Request, me account.User) {
	if err := r.ParseForm(); err != nil {
		a.bodyError(w, r, err)
		return
	}
	t := tenantFrom(r.Context())
	id := r.PathValue("id")
	pos, err := strconv.Atoi(r.PostForm.Get("position"))
	if err != nil {
		pos = -1
	}
	kind := store.SiteKindPage
	switch {
	case id != "":
		p, ok := a.sitePageOf(w, r)
		if !ok {
			return
		}
		kind = p.Kind
	case r.URL.Path == "/"+t.Slug+"/admin/site/news/new":
		kind = store.SiteKindNews
	case r.URL.Path == "/"+t.Slug+"/admin/site/home":
		kind = store.SiteKindHome
	}
	d := store.SiteDraft{Kind: kind, Slug: r.PostForm.Get("slug"), Position: pos, Date: r.PostForm.Get("date"), Text: map[string]store.SiteText{}}
	if kind == store.SiteKindHome {
		pages, err := a.opts.Store.SitePages(r.Context(), t.ID)
		if err != nil {
			a.internalError(w, r, "site pages", err)
			return
		}
		d.Home.Featured = homeFeatured(r.PostForm, pages)
		if d.Home.News, err = strconv.Atoi(strings.TrimSpace(r.PostForm.Get("news"))); err != nil {
			d.Home.News = -1
		}
	}
	for _, l := range store.SiteLangs {
		d.Text[l] = store.SiteText{Title: r.PostForm.Get(l + "-title"), Summary: r.PostForm.Get(l + "-summary"), Body: r.PostForm.Get(l + "-body")}
	}
	base, _ := strconv.Atoi(r.PostForm.Get("version"))
	newID, v, err := a.opts.Store.SaveSitePage(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, id, d, base)
	var verr *store.SiteValidationError
	switch {
	case errors.As(err, &verr):
		if pos < 0 {
			d.Position = 0
		}
		a.renderSiteEdit(w, r, me, http.StatusUnprocessableEntity, id, d, base, verr)
	case errors.Is(err, store.ErrConflict) && id == "" && kind == store.SiteKindHome:
		// Another editor made the home page meanwhile: edit that one.
		a.siteHomeEdit(w, r, me)
	case errors.Is(err, store.ErrConflict):
		a.renderSiteEdit(w, r, me, http.StatusConflict, id, d, v, &store.SiteValidationError{Fields: map[string][]store.SiteProblem{
			store.SiteFieldSlug: {{Key: "site.err.conflict"}}}})
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "save site page", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/site/"+url.PathEscape(newID)+"?saved="+strconv.Itoa(v), http.StatusSeeOther)
	}
}

// sitePreview shows the last saved version as visitors would see it,
// marked "Voorbeeld", inside the back office.
func (a *App) sitePreview(w http.ResponseWriter, r *http.Request, me account.User) {
	p, ok := a.sitePageOf(w, r)
	if !ok {
		return
	}
	t := tenantFrom(r.Context())
	back := "/" + t.Slug + "/admin/site/" + url.PathEscape(p.ID)
	r = navAt(r, siteNavOf(p.Kind))
	if p.Kind == store.SiteKindHome {
		a.renderFront(w, r, &siteItem{Kind: p.Kind, Home: p.Home, Text: p.Text}, back)
		return
	}
	a.renderSitePage(w, r, "sitepreview", siteItem{Kind: p.Kind, Slug: p.Slug, Date: p.Date, Text: p.Text}, back)
}

// siteNavOf is the navigation page of a page of kind (its editor's
// address, /admin/site/{id}, says nothing of its kind).
func siteNavOf(kind string) string {
	switch kind {
	case store.SiteKindNews:
		return "/admin/site/news"
	case store.SiteKindHome:
		return "/admin/site/home"
	}
	return "/admin/site"
}

// siteListOf is where the editor lands after publishing or unpublishing
// a page of kind.
func siteListOf(tenantSlug string, p store.SitePage) string {
	switch p.Kind {
	case store.SiteKindNews:
		return "/" + tenantSlug + "/admin/site/news"
	case store.SiteKindHome:
		return "/" + tenantSlug + "/admin/site/" + url.PathEscape(p.ID)
	}
	return "/" + tenantSlug + "/admin/site"
}

func (a *App) sitePublish(w http.ResponseWriter, r *http.Request, me account.User) {
	if err := r.ParseForm(); err != nil {
		a.bodyError(w, r, err)
		return
	}
	t := tenantFrom(r.Context())
	id := r.PathValue("id")
	v, _ := strconv.Atoi(r.PostForm.Get("version"))
	err := a.opts.Store.PublishSitePage(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, id, v)
	var verr *store.SiteValidationError
	switch {
	case errors.As(err, &verr):
		p, _, err := a.opts.Store.SitePage(r.Context(), t.ID, id)
		if err != nil {
			a.internalError(w, r, "site page", err)
			return
		}
		a.renderSiteEdit(w, r, me, http.StatusUnprocessableEntity, id, draftOf(p), p.Version, verr)
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "publish site page", err)
	default:
		p, ok := a.sitePageOf(w, r)
		if !ok {
			return
		}
		http.Redirect(w, r, siteListOf(t.Slug, p)+"?done=published", http.StatusSeeOther)
	}
}

func (a *App) siteUnpublish(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	p, ok := a.sitePageOf(w, r)
	if !ok {
		return
	}
	err := a.opts.Store.UnpublishSitePage(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "unpublish site page", err)
	default:
		http.Redirect(w, r, siteListOf(t.Slug, p)+"?done=unpublished", http.StatusSeeOther)
	}
}
