package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/annex"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// registerFileField is the upload input's name and id.
const registerFileField = "register-file"

// registerPage is the processing register page (REG-1): one version in
// readable form, the version history and, for admins, the upload form.
type registerPage struct {
	Slug, TenantName string
	// Shown is the version on the page (Version 0: there is no register).
	Shown   store.RegisterVersion
	ShownBy string
	Current int // the current version's number
	Annex   annex.Document
	// Recipients of the shown version, with where they process (REG-2).
	Recipients []registerRecipient
	History    []registerHistoryItem
	CanEdit    bool
	Saved      int // the version just saved, or 0
	Errors     fieldErrors
	FileError  string // under the file input: what the summary lists
	// Edit lists the current version's items per section, to change one
	// or add one in the browser (admins only).
	Edit []regSectionView
}

// registerRecipient is one recipient as the register page shows it.
type registerRecipient struct {
	Name               annex.Localized
	Kind               string
	Country, Mechanism string
	InEEA              bool
}

// registerHistoryItem is one line of the version history.
type registerHistoryItem struct {
	Version          int
	Saved, By        string
	Current, Viewing bool
}

// registerVersion reads the register version ?version=N asks for, or the
// current one without it, and the history (newest first). A tenant without
// a register gets a zero version and no history. ok is false when it has
// answered already: 404 for a version that is not there, 500 on errors.
func (a *App) registerVersion(w http.ResponseWriter, r *http.Request) (rv store.RegisterVersion, hist []store.RegisterVersion, ok bool) {
	t := tenantFrom(r.Context())
	n := 0
	if s := r.URL.Query().Get("version"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			a.notFound(w, r)
			return rv, nil, false
		}
	}
	rv, err := a.opts.Store.RegisterAt(r.Context(), t.ID, n)
	switch {
	case errors.Is(err, store.ErrNotFound) && n > 0:
		a.notFound(w, r)
		return rv, nil, false
	case errors.Is(err, store.ErrNotFound):
		return store.RegisterVersion{}, nil, true
	case err != nil:
		a.internalError(w, r, "read register", err)
		return rv, nil, false
	}
	if hist, err = a.opts.Store.RegisterHistory(r.Context(), t.ID); err != nil {
		a.internalError(w, r, "register history", err)
		return rv, nil, false
	}
	return rv, hist, true
}

// annexOf lays out version rv of the tenant's register as annex 1 in the
// request's language.
func (a *App) annexOf(r *http.Request, rv store.RegisterVersion) annex.Document {
	t := tenantFrom(r.Context())
	doc := annex.Build(annex.Input{Register: rv.Register, Version: rv.Version, Saved: datetime(rv.CreatedAt),
		Generated: datetime(a.opts.Store.Now()), Controller: t.LegalName, KBO: tenant.FormatKBO(t.EnterpriseNumber)},
		LangFrom(r.Context()))
	a.addPlatformSubProcessors(r, &doc)
	return doc
}

// registerShow shows the tenant's processing register (ViewRegister).
func (a *App) registerShow(w http.ResponseWriter, r *http.Request, me account.User) {
	saved, _ := strconv.Atoi(r.URL.Query().Get("saved"))
	a.renderRegister(w, r, me, http.StatusOK, saved, nil, "")
}

func (a *App) renderRegister(w http.ResponseWriter, r *http.Request, me account.User, status, saved int, errs fieldErrors,
	fileError string) {
	rv, hist, ok := a.registerVersion(w, r)
	if !ok {
		return
	}
	t := tenantFrom(r.Context())
	lang := string(LangFrom(r.Context()))
	page := registerPage{Slug: t.Slug, TenantName: t.LegalName, Shown: rv, CanEdit: account.Can(me.Role, account.EditRegister),
		Saved: saved, Errors: errs, FileError: fileError, Annex: a.annexOf(r, rv)}
	savers := map[string]string{}
	for i, h := range hist {
		if i == 0 {
			page.Current = h.Version
		}
		page.History = append(page.History, registerHistoryItem{Version: h.Version, Saved: datetime(h.CreatedAt),
			By: a.savedBy(r, me, h.CreatedBy, savers), Current: i == 0, Viewing: h.Version == rv.Version})
	}
	page.ShownBy = a.savedBy(r, me, rv.CreatedBy, savers)
	if page.CanEdit {
		cur := rv
		if rv.Version != page.Current {
			var err error
			if cur, err = a.opts.Store.CurrentRegister(r.Context(), t.ID); err != nil {
				a.internalError(w, r, "read register", err)
				return
			}
		}
		page.Edit = a.regSectionViews(r, cur.Register)
	}
	for _, rc := range rv.Register.Recipients {
		rr := registerRecipient{Name: locOf(rc.Name, lang), Kind: rc.Kind, Country: rc.Country, InEEA: register.InEEA(rc.Country)}
		if rc.TransferMechanism != "" {
			rr.Mechanism = a.t(r, "mechanism."+rc.TransferMechanism)
		}
		page.Recipients = append(page.Recipients, rr)
	}
	a.render(w, r, status, "register", page)
}

// savedBy names who saved a register version ("user:ID", "operator:ID").
// Who may see the tenant's users (admins, the DPO) reads the name, which
// the store records as a consultation; others read "staff member 7F3A",
// the pseudonym removed users get. seen caches names per actor.
func (a *App) savedBy(r *http.Request, me account.User, actor string, seen map[string]string) string {
	if name, ok := seen[actor]; ok {
		return name
	}
	kind, id, _ := strings.Cut(actor, ":")
	name := ""
	switch kind {
	case "operator":
		name = a.t(r, "register.by.operator")
	case "user":
		name = a.t(r, "register.by.user", account.Pseudonym(id))
		if account.Can(me.Role, account.ViewUsers) {
			u, err := a.opts.Store.User(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID, id)
			if err == nil {
				name = a.showName(r, u).Name
			} else if !errors.Is(err, store.ErrNotFound) {
				a.log.WarnContext(r.Context(), "name of register saver", "request_id", RequestIDFrom(r.Context()), "error", err.Error())
			}
		}
	default:
		name = a.t(r, "register.by.system")
	}
	seen[actor] = name
	return name
}

// registerDownload sends a register version as the YAML document admins
// edit and upload again (ViewRegister). The register holds no personal
// data, so the download is not audited.
func (a *App) registerDownload(w http.ResponseWriter, r *http.Request, _ account.User) {
	rv, ok := a.savedRegisterVersion(w, r)
	if !ok {
		return
	}
	t := tenantFrom(r.Context())
	attachment(w, "application/yaml; charset=utf-8", fmt.Sprintf("register-%s-v%d.yaml", t.Slug, rv.Version))
	fmt.Fprintf(w, "# %s — version %d, %s\n", t.LegalName, rv.Version, datetime(rv.CreatedAt))
	w.Write(rv.Register.MarshalYAMLDocument())
}

// savedRegisterVersion is registerVersion for a download: a tenant without
// a register has nothing to download (404).
func (a *App) savedRegisterVersion(w http.ResponseWriter, r *http.Request) (store.RegisterVersion, bool) {
	rv, _, ok := a.registerVersion(w, r)
	if ok && rv.Version == 0 {
		a.notFound(w, r)
		ok = false
	}
	return rv, ok
}

// attachment sets the headers of a download named filename.
func attachment(w http.ResponseWriter, contentType, filename string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
}

var (
	errNoFile       = errors.New("no file chosen")
	errFileTooLarge = errors.New("file too large")
	errNotMultipart = errors.New("not multipart/form-data")
)

// maxParts bounds the parts uploadedFile looks at: an honest form sends one.
const maxParts = 10

// uploadedFile reads the file of form field name from a multipart/form-data
// request, at most limit bytes, without buffering the other parts.
func uploadedFile(r *http.Request, name string, limit int64) ([]byte, error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		return nil, errNotMultipart
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	for range maxParts {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errNoFile
		}
		if err != nil {
			return nil, err
		}
		if p.FormName() != name {
			continue
		}
		if p.FileName() == "" {
			return nil, errNoFile // a browser sends an empty part when no file was chosen
		}
		b, err := io.ReadAll(io.LimitReader(p, limit+1))
		if err != nil {
			return nil, err
		}
		if int64(len(b)) > limit {
			return nil, errFileTooLarge
		}
		return b, nil
	}
	return nil, errNoFile
}

// registerUpload reads an uploaded YAML document for the register's next
// version (EditRegister; REG-1). Any problem — YAML, unknown fields, the
// register's own rules — answers 422 with every problem listed; a valid
// document is compared with the current version, and saved from there
// (registerUploadSave). Nothing is saved here.
func (a *App) registerUpload(w http.ResponseWriter, r *http.Request, me account.User) {
	doc, err := uploadedFile(r, registerFileField, register.MaxYAML)
	switch {
	case errors.Is(err, errNotMultipart):
		a.error(w, r, http.StatusUnsupportedMediaType)
		return
	case errors.Is(err, errFileTooLarge):
		a.error(w, r, http.StatusRequestEntityTooLarge)
		return
	case errors.Is(err, errNoFile):
		msg := a.t(r, "register.error.file")
		a.renderRegister(w, r, me, http.StatusUnprocessableEntity, 0, fieldErrors{{registerFileField, msg}}, msg)
		return
	case err != nil:
		a.bodyError(w, r, err)
		return
	}
	reg, problems := register.ParseYAML(doc)
	if len(problems) == 0 {
		// Valid: compared with the current version before it is saved
		// (registerUploadSave).
		rv, ok := a.currentForEdit(w, r)
		if ok {
			a.renderUploadPreview(w, r, rv, reg)
		}
		return
	}
	a.renderUploadProblems(w, r, me, problems)
}

// renderUploadProblems answers 422 with the register page listing every
// problem of an uploaded document at the file input.
func (a *App) renderUploadProblems(w http.ResponseWriter, r *http.Request, me account.User, problems []register.Problem) {
	errs := make(fieldErrors, len(problems))
	for i, p := range problems {
		if line, ok := strings.CutPrefix(p.Path, "line "); ok {
			p.Path = a.t(r, "register.path.line", line)
		}
		errs[i] = fieldError{registerFileField, p.Message(func(key string, args ...any) string { return a.t(r, key, args...) })}
	}
	summary := a.t(r, "register.error.problem")
	if len(errs) > 1 {
		summary = a.t(r, "register.error.problems", len(errs))
	}
	a.renderRegister(w, r, me, http.StatusUnprocessableEntity, 0, errs, summary)
}

// annexPage is annex 1 as a web page.
type annexPage struct {
	Slug, TenantName string
	Annex            annex.Document
	Current          int // the current version's number; Annex.Version 0: no register
	PDF              string
}

// annexShow shows a register version as annex 1 of the data processing
// agreement, in the page's language (ViewRegister; REG-1, REG-6, REG-7,
// SUB-1).
func (a *App) annexShow(w http.ResponseWriter, r *http.Request, _ account.User) {
	rv, hist, ok := a.registerVersion(w, r)
	if !ok {
		return
	}
	t := tenantFrom(r.Context())
	page := annexPage{Slug: t.Slug, TenantName: t.LegalName, Annex: a.annexOf(r, rv)}
	if len(hist) > 0 {
		page.Current = hist[0].Version
		page.PDF = fmt.Sprintf("/%s/admin/register/annex.pdf?version=%d&lang=%s", t.Slug, rv.Version, LangFrom(r.Context()))
	}
	a.render(w, r, http.StatusOK, "register-annex", page)
}

// annexPDF sends annex 1 as a PDF in the request's language (ViewRegister).
func (a *App) annexPDF(w http.ResponseWriter, r *http.Request, _ account.User) {
	rv, ok := a.savedRegisterVersion(w, r)
	if !ok {
		return
	}
	doc := a.annexOf(r, rv)
	t := tenantFrom(r.Context())
	doc.HTMLTwin = a.tenantLink(t, fmt.Sprintf("/admin/register/annex?version=%d&lang=%s", rv.Version, LangFrom(r.Context())))
	b, err := doc.PDF(a.opts.Store.Now())
	if err != nil {
		a.internalError(w, r, "annex PDF", err)
		return
	}
	attachment(w, "application/pdf", a.t(r, "annex.pdf.filename", tenantFrom(r.Context()).Slug, rv.Version)+".pdf")
	w.Header().Set("Content-Language", LangFrom(r.Context()).HTMLLang())
	w.Write(b)
}
