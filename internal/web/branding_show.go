package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/brand"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
)

// Brand is a tenant's look as templates use it (Page.Brand): the name
// shown, the logo's versioned URL, the accent and the contact block. The
// staff layout and the footer read it; the PDFs and mails use the store's
// settings directly.
type Brand struct {
	Slug       string
	Name       string
	LogoURL    string // "" when the tenant has no logo
	LogoIsPNG  bool
	Accent     string // #rrggbb
	AccentText string // #rrggbb, the colour of text on the accent
	CSSURL     string // the per-tenant style sheet, versioned
	Contact    BrandContact
}

// BrandContact is the contact block ready to show.
type BrandContact struct {
	Address            []string     // lines
	Phone              string       // "09 123 45 67"
	PhoneHref          template.URL // "tel:+3291234567": html/template knows no tel: scheme
	Email, EmailHref   string
	Website            string
	Hours              []string // lines
	HasAny, HasContact bool
}

// brandOf returns the look of the request's tenant: the defaults (legal
// name, Kluis's accent, no logo) when it has set none or its settings
// cannot be read (logged: a page never fails for its look).
func (a *App) brandOf(ctx context.Context) Brand {
	t := tenantFrom(ctx)
	b, err := a.tenantBranding(ctx, t.ID)
	if err != nil {
		a.log.ErrorContext(ctx, "read branding", "request_id", RequestIDFrom(ctx), "error", err.Error())
		b = store.Branding{}
	}
	return brandView(t.Slug, t.LegalName, b)
}

// tenantBranding reads a tenant's branding through a one-second cache:
// every public page shows it.
func (a *App) tenantBranding(ctx context.Context, tenantID string) (store.Branding, error) {
	return a.brandings.get(tenantID, func() (store.Branding, error) { return a.opts.Store.Branding(ctx, tenantID) })
}

var telNumber = regexp.MustCompile(`^\+[0-9]{7,15}$`)

// brandView resolves stored branding into what templates show.
func brandView(slug, legalName string, b store.Branding) Brand {
	r := b.Settings.Resolve(legalName)
	v := Brand{Slug: slug, Name: r.Name, Accent: r.Accent, AccentText: r.AccentText,
		CSSURL: "/" + slug + "/brand.css?v=" + cssVersion(r.CSS())}
	if b.LogoType != "" {
		v.LogoURL = "/" + slug + "/logo?v=" + b.LogoHash
		v.LogoIsPNG = b.LogoType == brand.TypePNG
	}
	c := r.Contact
	if c.Address != "" {
		v.Contact.Address = strings.Split(c.Address, "\n")
	}
	if c.Hours != "" {
		v.Contact.Hours = strings.Split(c.Hours, "\n")
	}
	if c.Phone != "" {
		v.Contact.Phone = brand.FormatPhone(c.Phone)
		if telNumber.MatchString(c.Phone) {
			// Only "+" and digits (validated E.164), so the URL is safe.
			v.Contact.PhoneHref = template.URL("tel:" + c.Phone)
		}
	}
	if c.Email != "" {
		v.Contact.Email, v.Contact.EmailHref = c.Email, "mailto:"+c.Email
	}
	v.Contact.Website = c.Website
	v.Contact.HasContact = c.Phone != "" || c.Email != "" || c.Website != ""
	v.Contact.HasAny = !c.Empty()
	return v
}

// brandCSSRules are the rules of the per-tenant style sheet beyond the
// colours: the logo in the header and the contact block in the footer.
// They live here rather than in kluis.css so that a tenant without a look
// of its own is drawn exactly as before.
const brandCSSRules = `.brand-logo{display:block;height:44px;width:auto;max-width:180px;object-fit:contain}
.brand .brand-name{overflow-wrap:anywhere}
.brand-contact{margin:0 0 1rem}
.brand-contact h2{font-size:1.05rem;margin:0 0 .4rem}
.brand-contact address{font-style:normal;line-height:1.5}
.brand-contact address p{margin:0 0 .35rem}
.brand-contact a{overflow-wrap:anywhere}
.branding-preview{border:1px solid var(--line);padding:1rem;margin:0 0 1.5rem;max-width:100%;overflow-wrap:anywhere}
.branding-preview .brand{display:flex;margin:0 0 1rem}
.branding-preview-actions{display:flex;flex-wrap:wrap;gap:.75rem 1rem;align-items:center}
.branding-preview-actions .button{display:inline-block}
.branding-preview img.current-logo{max-height:60px;max-width:100%;width:auto}
`

func cssVersion(css string) string {
	sum := sha256.Sum256([]byte(css + brandCSSRules))
	return hex.EncodeToString(sum[:6])
}

// brandCSSShow serves the tenant's style sheet: its accent as the custom
// properties kluis.css draws with. A per-tenant file rather than an
// inline style keeps the CSP strict (style-src 'self'); the URL carries a
// hash of the content, so it is cached for a year.
func (a *App) brandCSSShow(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	b, err := a.tenantBranding(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "read branding", err)
		return
	}
	css := b.Settings.Resolve(t.LegalName).CSS()
	serveVersioned(w, r, "text/css; charset=utf-8", cssVersion(css), []byte(css+brandCSSRules))
}

// logoShow serves the tenant's logo from our origin: the stored bytes were
// checked at upload (a PNG re-encoded, an SVG sanitised), and the response
// has its exact type, nosniff (from securityHeaders) and, for an SVG, a
// sandboxing CSP, so that even opened on its own it runs nothing (LOC-3).
func (a *App) logoShow(w http.ResponseWriter, r *http.Request) {
	logo, hash, err := a.opts.Store.BrandingLogo(r.Context(), tenantFrom(r.Context()).ID)
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "read logo", err)
		return
	}
	h := w.Header()
	name := "logo.png"
	if logo.Type == brand.TypeSVG {
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox")
		name = "logo.svg"
	}
	h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": name}))
	serveVersioned(w, r, logo.Type, hash, logo.Data)
}

// serveVersioned answers with body under the ETag version: cached for a
// year when the request names this version (?v=), revalidated otherwise;
// If-None-Match is answered with 304.
func serveVersioned(w http.ResponseWriter, r *http.Request, contentType, version string, body []byte) {
	h := w.Header()
	if r.URL.Query().Get("v") == version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("Content-Type", contentType)
	h.Set("ETag", `"`+version+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// brandingField is one text input of the branding page.
type brandingField struct {
	Name      string
	Label     string // message key
	Hint      string // translated, or ""
	Value     string
	Error     string
	Multiline bool
	Type      string // input type: text, tel, email, url
	Auto      string // autocomplete token, or ""
}

// Describe is the field's aria-describedby: its hint and its error.
func (f brandingField) Describe() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.Name+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.Name+"-error")
	}
	return strings.Join(ids, " ")
}

// brandingInput is what the "branding-input" template executes with: the
// field and the page (for T).
type brandingInput struct {
	brandingField
	P Page
}

// brandingPage is the admin page of the tenant's look.
type brandingPage struct {
	Slug       string
	TenantName string
	CanEdit    bool
	Version    int
	Saved      int
	Errors     fieldErrors
	Brand      Brand
	Contrast   string // the current accent's contrast with white
	Fields     []brandingField
	Contact    []brandingField
	LogoHint   string
	LogoError  string
	HasLogo    bool
	// LogoAgain: a good logo came with a form that had other problems;
	// a browser cannot keep the chosen file, so the page asks for it again.
	LogoAgain bool
}

// brandingShow shows the tenant's look (ViewSettings): the form for
// admins, the values for the DPO.
func (a *App) brandingShow(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	b, err := a.opts.Store.Branding(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "read branding", err)
		return
	}
	saved, _ := strconv.Atoi(r.URL.Query().Get("saved"))
	a.renderBranding(w, r, me, http.StatusOK, b, b.Settings, nil, saved, false)
}

// brandingFormLimit bounds each text part of the branding form.
const brandingFormLimit = 4 << 10

// readBrandingForm reads the multipart branding form part by part: the
// text fields up to brandingFormLimit each, the logo up to one byte more
// than brand.MaxLogoBytes (so that a larger file is known as such without
// reading it whole). logo is nil when no file was chosen.
func readBrandingForm(r *http.Request) (vals url.Values, logo []byte, err error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		return nil, nil, errNotMultipart
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, err
	}
	vals = url.Values{}
	for range 20 {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return vals, logo, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if p.FormName() == brand.FieldLogo {
			if p.FileName() == "" {
				continue
			}
			if logo, err = io.ReadAll(io.LimitReader(p, brand.MaxLogoBytes+1)); err != nil {
				return nil, nil, err
			}
			if logo == nil {
				logo = []byte{}
			}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, brandingFormLimit))
		if err != nil {
			return nil, nil, err
		}
		vals.Add(p.FormName(), string(b))
	}
	return vals, logo, nil
}

// brandingUpdate stores the tenant's look (EditSettings). Every field and
// the logo are checked; when any is wrong the form comes back with a
// message per field and nothing is saved, the good fields and a good logo
// neither.
func (a *App) brandingUpdate(w http.ResponseWriter, r *http.Request, me account.User) {
	vals, upload, err := readBrandingForm(r)
	switch {
	case errors.Is(err, errNotMultipart):
		a.error(w, r, http.StatusUnsupportedMediaType)
		return
	case err != nil:
		a.bodyError(w, r, err)
		return
	}
	t := tenantFrom(r.Context())
	s := brand.Settings{Name: vals.Get(brand.FieldName), Accent: vals.Get(brand.FieldAccent), Contact: brand.Contact{
		Address: vals.Get(brand.FieldAddress), Phone: vals.Get(brand.FieldPhone), Email: vals.Get(brand.FieldEmail),
		Website: vals.Get(brand.FieldWebsite), Hours: vals.Get(brand.FieldHours)}}
	typed := s
	problems := map[string]brand.Problem{}
	var ve *brand.ValidationError
	if err := s.Normalize().Validate(); errors.As(err, &ve) {
		problems = ve.Fields
	}
	var change store.LogoChange
	if upload != nil {
		logo, err := brand.ParseLogo(upload)
		if errors.As(err, &ve) {
			problems[brand.FieldLogo] = ve.Fields[brand.FieldLogo]
		} else {
			change.New = &logo
		}
	} else if vals.Get("logo_remove") != "" {
		change.Remove = true
	}
	base, _ := strconv.Atoi(vals.Get("version"))
	current, err := a.opts.Store.Branding(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "read branding", err)
		return
	}
	if len(problems) > 0 {
		a.renderBranding(w, r, me, http.StatusUnprocessableEntity, current, typed, problems, 0, change.New != nil)
		return
	}
	v, err := a.opts.Store.SetBranding(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, s, change, base)
	a.brandings.forget(t.ID)
	switch {
	case errors.As(err, &ve):
		a.renderBranding(w, r, me, http.StatusUnprocessableEntity, current, typed, ve.Fields, 0, change.New != nil)
	case errors.Is(err, store.ErrConflict):
		a.renderBranding(w, r, me, http.StatusConflict, current, current.Settings,
			map[string]brand.Problem{"branding-form": {Key: "branding.error.conflict"}}, 0, false)
	case err != nil:
		a.internalError(w, r, "set branding", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/branding?saved="+strconv.Itoa(v), http.StatusSeeOther)
	}
}

// renderBranding renders the page: the preview from what is stored, the
// fields with the values shown (as typed when the form comes back) and a
// message for each problem, in the order of the form.
func (a *App) renderBranding(w http.ResponseWriter, r *http.Request, me account.User, status int, stored store.Branding,
	shown brand.Settings, problems map[string]brand.Problem, saved int, logoAgain bool) {
	t := tenantFrom(r.Context())
	page := brandingPage{Slug: t.Slug, TenantName: t.LegalName, CanEdit: account.Can(me.Role, account.EditSettings),
		Version: stored.Version, Saved: saved, Brand: brandView(t.Slug, t.LegalName, stored), HasLogo: stored.LogoType != "",
		LogoHint: a.t(r, "branding.hint.logo", brand.MaxLogoBytes>>10, brand.MaxLogoSide), LogoAgain: logoAgain}
	// Ratios with a decimal comma, as Belgians write them, except in English.
	comma := func(s string) string {
		if a.langOf(r) == locale.EN {
			return s
		}
		return strings.Replace(s, ".", ",", 1)
	}
	page.Contrast = comma(strconv.FormatFloat(float64(int(brand.ContrastRatio(page.Brand.Accent, brand.AccentText)*10))/10, 'f', 1, 64) + ":1")
	msg := func(field string) string {
		p, ok := problems[field]
		if !ok {
			return ""
		}
		args := make([]any, len(p.Args))
		for i, v := range p.Args {
			if s, ok := v.(string); ok {
				v = comma(s)
			}
			args[i] = v
		}
		m := a.t(r, p.Key, args...)
		page.Errors = append(page.Errors, fieldError{field, m})
		return m
	}
	msg("branding-form")
	mk := func(name, label, hint, value, typ, auto string, multi bool) brandingField {
		return brandingField{Name: name, Label: label, Hint: hint, Value: value, Error: msg(name), Multiline: multi, Type: typ, Auto: auto}
	}
	page.Fields = []brandingField{mk(brand.FieldName, "branding.field.name", a.t(r, "branding.hint.name", t.LegalName), shown.Name,
		"text", "organization", false)}
	page.LogoError = msg(brand.FieldLogo)
	page.Fields = append(page.Fields, mk(brand.FieldAccent, "branding.field.accent", a.t(r, "branding.hint.accent"), shown.Accent,
		"text", "off", false))
	c := shown.Contact
	page.Contact = []brandingField{
		mk(brand.FieldAddress, "branding.field.address", "", c.Address, "text", "street-address", true),
		mk(brand.FieldPhone, "branding.field.phone", "", phoneShown(c.Phone), "tel", "tel", false),
		mk(brand.FieldEmail, "branding.field.email", "", c.Email, "email", "email", false),
		mk(brand.FieldWebsite, "branding.field.website", "", c.Website, "url", "url", false),
		mk(brand.FieldHours, "branding.field.hours", a.t(r, "branding.hint.hours"), c.Hours, "text", "", true),
	}
	a.render(w, r, status, "branding", page)
}

// phoneShown writes a stored E.164 number as people type it, and leaves
// what someone typed as it is.
func phoneShown(p string) string {
	if strings.HasPrefix(p, "+32") {
		return brand.FormatPhone(p)
	}
	return p
}
