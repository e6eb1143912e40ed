package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Brussels without a zone database on the host

	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
)

//go:embed templates/*.html templates/partials/*.html
var templateFiles embed.FS

// Page is what every template executes with: the common page data and the
// handler's own Data. In templates, translate with {{.T "key" args…}} (use
// $.T inside range and with), and reach handler data through .Data.
type Page struct {
	Lang      locale.Lang
	Title     string // from the catalogue key "page.<name>.title", if present
	RequestID string
	Version   string
	Data      any
	// Staff is the back-office layout's navigation; nil on public pages
	// (a citizen's form, the sign-in pages).
	Staff *StaffNav
	// TenantHome is the public home of the tenant the page belongs to
	// ("" on platform pages), where an error page leads a citizen back.
	TenantHome string
	// Brand is the tenant's look on a tenant's pages (nil elsewhere, and
	// on the operators' realm): the staff layout and footer show it.
	Brand *Brand
	// Path is the request's path, which marks the current entry of a
	// navigation.
	Path string
}

// T translates key into the page's language; see locale.T.
func (p Page) T(key string, args ...any) string { return locale.T(p.Lang, key, args...) }

// HTMLLang is the value of the html element's lang attribute.
func (p Page) HTMLLang() string { return p.Lang.HTMLLang() }

// LangLink is one entry of the language switch.
type LangLink struct {
	Code     locale.Lang
	HTMLLang string
	Name     string
	Current  bool
}

// LangForm is the id of the page's form whose typed values the language
// switch carries over (a citizen's half-filled e-loket form), or "" when the
// switch is plain links.
func (p Page) LangForm() string {
	if _, ok := p.Data.(formPage); ok {
		return "eloket"
	}
	if f, ok := p.Data.(interface{ langForm() string }); ok {
		return f.langForm()
	}
	return ""
}

// LangAction is the path the language switch posts the form to: the
// form's own address when the page is shown elsewhere (a form prefilled
// at the sign-in's return address), else "" (this page).
func (p Page) LangAction() string {
	if f, ok := p.Data.(formPage); ok {
		return f.Action
	}
	return ""
}

// Languages lists the entries of the language switch.
func (p Page) Languages() []LangLink {
	var links []LangLink
	for _, l := range locale.Supported() {
		links = append(links, LangLink{Code: l, HTMLLang: l.HTMLLang(), Name: l.Name(), Current: l == p.Lang})
	}
	return links
}

// parsePages parses templates/base.html and the shared pieces in
// templates/partials/ together with each other file in templates/ into one
// template set per page, keyed by the file name without ".html". A page
// defines "content" and may redefine "title".
func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{"static": staticURL, "datetime": datetime,
		"fieldCtx":  func(p Page, f formFieldView) fieldContext { return fieldContext{Page: p, Field: f} },
		"hasPrefix": strings.HasPrefix, "periodLabel": periodLabel,
		"brandingInput": func(p Page, f brandingField) brandingInput { return brandingInput{brandingField: f, P: p} }}
	funcs["day"] = dayText // a date without its time (ORG-1…ORG-5 declarations)
	base, err := template.New("base.html").Funcs(funcs).ParseFS(templateFiles, "templates/base.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse base template: %w", err)
	}
	files, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	pages := make(map[string]*template.Template)
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "base" {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("clone base template for %s: %w", name, err)
		}
		if _, err := t.ParseFS(templateFiles, f); err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes the page name (templates/<name>.html in the base layout)
// with status, wrapping data in a Page. The page is rendered into a buffer
// first, so a template error gives a clean 500 rather than half a page.
func (a *App) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	lang := a.langOf(r)
	if status >= 400 {
		data = cappedData(data) // a refused value is not echoed whole (echo.go)
	}
	p := Page{
		Lang:      lang,
		RequestID: RequestIDFrom(r.Context()),
		Version:   a.opts.Version,
		Data:      data,
	}
	if t := tenantFrom(r.Context()); t.Slug != "" && !t.IsPlatform() {
		p.TenantHome = "/" + t.Slug + "/"
		p.Path = r.URL.Path
		b := a.brandOf(r.Context())
		p.Brand = &b
	}
	if u, ok := staffFrom(r.Context()); ok {
		p.Staff = a.staffNav(r, u)
	}
	if key := "page." + name + ".title"; locale.Has(lang, key) {
		p.Title = locale.T(lang, key)
	}
	var buf bytes.Buffer
	err := fmt.Errorf("no template %q", name)
	if t, ok := a.pages[name]; ok {
		err = t.ExecuteTemplate(&buf, "base", p)
	}
	if err != nil {
		a.log.LogAttrs(r.Context(), slog.LevelError, "render page",
			slog.String("page", name),
			slog.String("request_id", p.RequestID),
			slog.String("error", err.Error()))
		if name == errorPage {
			a.plainError(w, r)
		} else {
			a.error(w, r, http.StatusInternalServerError)
		}
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", lang.HTMLLang())
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage is the template for all error pages.
const errorPage = "error"

// errorData is the Data of the error page.
type errorData struct {
	Status int
	Title  string
	Body   string
}

// error renders the localized error page for status, with the request id
// as a reference. It never shows error detail: log that before calling.
func (a *App) error(w http.ResponseWriter, r *http.Request, status int) {
	a.errorWith(w, r, status, fmt.Sprintf("error.%d", status))
}

// errorWith renders the error page with status and the texts key+".title"
// and key+".body" (the generic ones when there are none).
func (a *App) errorWith(w http.ResponseWriter, r *http.Request, status int, key string) {
	lang := a.langOf(r)
	if !locale.Has(lang, key+".title") {
		key = "error.generic"
	}
	a.render(w, r, status, errorPage, errorData{
		Status: status,
		Title:  locale.T(lang, key+".title"),
		Body:   locale.T(lang, key+".body"),
	})
}

// notFound renders the localized 404 page.
func (a *App) notFound(w http.ResponseWriter, r *http.Request) {
	a.error(w, r, http.StatusNotFound)
}

// plainError is the last resort when even the error page fails to render.
func (a *App) plainError(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, "Internal error. Reference: %s\n", RequestIDFrom(r.Context()))
}

// t translates key into the request's language.
func (a *App) t(r *http.Request, key string, args ...any) string {
	return locale.T(a.langOf(r), key, args...)
}

// internalError logs err with the request id (never personal data: callers
// pass errors from the store, which carry ids only) and renders the 500
// page.
// When the database is out of reach (store.Unavailable) the answer is the
// 503 page instead: the request changed nothing and may be tried again.
func (a *App) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	a.log.ErrorContext(r.Context(), what, "request_id", RequestIDFrom(r.Context()), "error", err.Error())
	a.failed(w, r, err)
}

// failed renders the page for an unexpected error err, already logged:
// 503 with a Retry-After when the database is unavailable, else 500.
func (a *App) failed(w http.ResponseWriter, r *http.Request, err error) {
	if store.Unavailable(err) {
		w.Header().Set("Retry-After", "30")
		a.error(w, r, http.StatusServiceUnavailable)
		return
	}
	a.error(w, r, http.StatusInternalServerError)
}

// brussels is the time zone people read times in; time/tzdata embeds the
// zone database, so the static binary needs none on the host.
var brussels = func() *time.Location {
	l, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		panic("web: " + err.Error())
	}
	return l
}()

// datetime shows a moment as Belgians write it, in Belgian time:
// 22.11.2026 10:19.
func datetime(t time.Time) string { return t.In(brussels).Format("02.01.2006 15:04") }
