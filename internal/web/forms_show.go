package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
)

// The form builder's pages (issue 4, items 3 and 4): the tenant's forms,
// one form with its pages and fields, its version history and its publish
// checklist — the problems Publishable finds against the current register
// (REG-1, REG-4) and the art. 13 notice to approve before publishing
// (DSR-3). Admins edit (EditForms); admins and the DPO read (ViewForms):
// a form definition holds no personal data, but only who answers for
// what is collected needs to see how. Every change is a SaveFormDraft:
// editing a published form makes the next draft version.

// formState is one form of the request's tenant as the admin pages see it.
type formState struct {
	Versions  []store.FormVersion // newest first
	Draft     *store.FormVersion
	Published *store.FormVersion
	Register  register.Register // the tenant's current register (empty without one)
}

// working is the version the pages show and the builder changes: the
// draft, else the published version, else the newest (withdrawn) one.
func (s formState) working() store.FormVersion {
	switch {
	case s.Draft != nil:
		return *s.Draft
	case s.Published != nil:
		return *s.Published
	}
	return s.Versions[0]
}

// loadForm reads the form named by the path's {key} and the current
// register; false when it answered (404 for a form the tenant does not
// have, 500).
func (a *App) loadForm(w http.ResponseWriter, r *http.Request, key string) (formState, bool) {
	t := tenantFrom(r.Context())
	vs, err := a.opts.Store.FormVersions(r.Context(), t.ID, key)
	if err != nil {
		a.internalError(w, r, "form versions", err)
		return formState{}, false
	}
	if len(vs) == 0 {
		a.notFound(w, r)
		return formState{}, false
	}
	st := formState{Versions: vs}
	for i := range vs {
		switch vs[i].Status {
		case store.FormDraft:
			st.Draft = &vs[i]
		case store.FormPublished:
			st.Published = &vs[i]
		}
	}
	reg, ok := a.currentRegister(w, r)
	st.Register = reg
	return st, ok
}

// currentRegister is the tenant's current register, empty when it has
// none yet; false when it answered (500).
func (a *App) currentRegister(w http.ResponseWriter, r *http.Request) (register.Register, bool) {
	rv, err := a.opts.Store.CurrentRegister(r.Context(), tenantFrom(r.Context()).ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		a.internalError(w, r, "current register", err)
		return register.Register{}, false
	}
	return rv.Register, true
}

// formPath is the admin page of form key.
func formPath(r *http.Request, key string) string {
	return "/" + tenantFrom(r.Context()).Slug + "/admin/forms/" + key
}

// formPagePath is where a sensitive action on a form resumes after a
// step-up: the form's page.
func formPagePath(r *http.Request) string { return formPath(r, r.PathValue("key")) }

// formRow is one form of the list.
type formRow struct {
	Key         string
	Title       loc
	Draft       int // version, 0 when none
	Published   int
	PublishedAt *time.Time
	Status      string // message key
}

// formsPage is the data of templates/forms.html.
type formsPage struct {
	Slug, TenantName string
	CanEdit          bool
	Forms            []formRow
	Errors           fieldErrors
	NewKey, NewTitle string
	Imported         string   // the key of the form just imported
	Problems         []string // problems of an import, each with its path
}

// formsShow lists the tenant's forms.
func (a *App) formsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderForms(w, r, me, http.StatusOK, formsPage{Imported: r.URL.Query().Get("imported")})
}

func (a *App) renderForms(w http.ResponseWriter, r *http.Request, me account.User, status int, p formsPage) {
	t := tenantFrom(r.Context())
	vs, err := a.opts.Store.AllFormVersions(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "list forms", err)
		return
	}
	lang := string(LangFrom(r.Context()))
	for _, v := range vs {
		if len(p.Forms) == 0 || p.Forms[len(p.Forms)-1].Key != v.Key {
			// The newest version names the form.
			p.Forms = append(p.Forms, formRow{Key: v.Key, Title: locOf(v.Form.Title, lang)})
		}
		row := &p.Forms[len(p.Forms)-1]
		switch v.Status {
		case store.FormDraft:
			row.Draft = v.Version
		case store.FormPublished:
			row.Published, row.PublishedAt = v.Version, v.PublishedAt
		}
	}
	imported := p.Imported
	p.Imported = ""
	for i := range p.Forms {
		row := &p.Forms[i]
		if row.Key == imported {
			p.Imported = imported
		}
		switch {
		case row.Published > 0 && row.Draft > 0:
			row.Status = "forms.status.published_draft"
		case row.Published > 0:
			row.Status = "forms.status.published"
		case row.Draft > 0:
			row.Status = "forms.status.draft"
		default:
			row.Status = "forms.status.retired"
		}
	}
	p.Slug, p.TenantName, p.CanEdit = t.Slug, t.LegalName, account.Can(me.Role, account.EditForms)
	a.render(w, r, status, "forms", p)
}

// adminFormCreate starts a form: its key (its address) and its Dutch title.
// An existing key is refused (409): the form's own page changes it.
func (a *App) adminFormCreate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	p := formsPage{NewKey: strings.TrimSpace(r.PostForm.Get("key")), NewTitle: strings.TrimSpace(r.PostForm.Get("title"))}
	f := form.Form{Key: p.NewKey, Title: register.Text{"nl": p.NewTitle}}
	if vs, err := a.opts.Store.FormVersions(r.Context(), t.ID, f.Key); err != nil {
		a.internalError(w, r, "form versions", err)
		return
	} else if len(vs) > 0 {
		p.Errors = fieldErrors{{"key", a.t(r, "forms.error.exists", f.Key)}}
		a.renderForms(w, r, me, http.StatusConflict, p)
		return
	}
	ps, err := a.saveDraft(r, me, f)
	switch {
	case err != nil:
		a.saveFailed(w, r, err)
	case len(ps) > 0:
		for _, pr := range ps {
			id := map[string]string{"key": "key", "title.nl": "title"}[pr.Path]
			if id != "" {
				p.Errors = append(p.Errors, fieldError{id, a.problemText(r, pr)})
			}
		}
		a.renderForms(w, r, me, http.StatusUnprocessableEntity, p)
	default:
		http.Redirect(w, r, formPath(r, f.Key), http.StatusSeeOther)
	}
}

// importLimit bounds an import request: the definition and the multipart
// framing around it.
const importLimit = form.MaxDefinition + 16<<10

// formImport reads a JSON definition (multipart, field "definition") and
// saves it as the form's draft: a new form, or the next draft of an
// existing one. Every problem is listed with its path and nothing is
// saved (422); not JSON: 415; larger than form.MaxDefinition: 413.
func (a *App) formImport(w http.ResponseWriter, r *http.Request, me account.User) {
	refuse := func(status int, msg string) {
		a.renderForms(w, r, me, status, formsPage{Errors: fieldErrors{{"definition", msg}}})
	}
	unread := func(err error) {
		if IsBodyTooLarge(err) {
			refuse(http.StatusRequestEntityTooLarge, a.t(r, "forms.import.error.size", form.MaxDefinition>>10))
			return
		}
		a.bodyError(w, r, err)
	}
	r.Body = http.MaxBytesReader(w, r.Body, importLimit)
	mr, err := r.MultipartReader()
	if err != nil {
		refuse(http.StatusUnsupportedMediaType, a.t(r, "forms.import.error.type"))
		return
	}
	var doc []byte
	found := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			unread(err)
			return
		}
		if part.FormName() != "definition" {
			continue
		}
		if !jsonUpload(part.Header.Get("Content-Type"), part.FileName()) {
			refuse(http.StatusUnsupportedMediaType, a.t(r, "forms.import.error.type"))
			return
		}
		doc, err = io.ReadAll(io.LimitReader(part, form.MaxDefinition+1))
		if err != nil {
			unread(err)
			return
		}
		found = true
		break
	}
	switch {
	case !found || len(bytes.TrimSpace(doc)) == 0:
		refuse(http.StatusUnprocessableEntity, a.t(r, "forms.import.error.missing"))
		return
	case len(doc) > form.MaxDefinition:
		refuse(http.StatusRequestEntityTooLarge, a.t(r, "forms.import.error.size", form.MaxDefinition>>10))
		return
	}
	f, ps := form.ParseJSON(doc)
	if len(ps) == 0 {
		ps, err = a.saveDraft(r, me, f)
		if err != nil {
			a.saveFailed(w, r, err)
			return
		}
	}
	if len(ps) > 0 {
		p := formsPage{Errors: fieldErrors{{"definition", a.t(r, "forms.import.error.problems", len(ps))}}}
		for _, pr := range ps {
			p.Problems = append(p.Problems, pr.Message(func(key string, args ...any) string { return a.t(r, key, args...) }))
		}
		a.renderForms(w, r, me, http.StatusUnprocessableEntity, p)
		return
	}
	http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/admin/forms?imported="+f.Key, http.StatusSeeOther)
}

// jsonUpload reports whether an uploaded part is a JSON document: by its
// type, or by its name when the browser names no specific type.
func jsonUpload(contentType, name string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/json", "text/json":
		return true
	case "", "application/octet-stream", "text/plain":
		return strings.EqualFold(path.Ext(name), ".json")
	}
	return false
}

// saveDraft saves f as the form's draft. The problems of an invalid
// definition are returned (nothing saved); err is anything else.
//
// The builder's pages carry the working version they were made from
// (input "base"): when another admin saved in between, nothing is saved
// and err is store.ErrFormEdited (see beginStep).
func (a *App) saveDraft(r *http.Request, me account.User, f form.Form) ([]form.Problem, error) {
	_, err := a.opts.Store.SaveFormDraftOver(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID, f,
		r.PostForm.Get("base"))
	var inv *store.FormInvalidError
	if errors.As(err, &inv) {
		return inv.Problems, nil
	}
	return nil, err
}

// saveFailed answers a draft that could not be saved: 409 when another
// admin saved the form in between (nothing changed), else 500.
func (a *App) saveFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrFormEdited) {
		a.errorWith(w, r, http.StatusConflict, "forms.edited")
		return
	}
	a.internalError(w, r, "save form draft", err)
}

// problemText words a problem in the request's language, without its path
// (the page shows where it is).
func (a *App) problemText(r *http.Request, p form.Problem) string {
	return a.t(r, "form.problem."+p.Key, p.Args...)
}

// adminFormShow is one form's page: its pages and fields, the publish checklist
// and the version history. {key}.json exports the definition instead.
func (a *App) adminFormShow(w http.ResponseWriter, r *http.Request, me account.User) {
	if key, ok := strings.CutSuffix(r.PathValue("key"), ".json"); ok {
		a.formExport(w, r, key)
		return
	}
	st, ok := a.loadForm(w, r, r.PathValue("key"))
	if !ok {
		return
	}
	done := r.URL.Query().Get("done")
	if !slices.Contains(formDone, done) {
		done = ""
	}
	a.renderAdminForm(w, r, me, http.StatusOK, st, adminFormPage{Done: done})
}

// formExport answers the definition as JSON: the working version, or
// ?version=N. It is the format the import reads.
func (a *App) formExport(w http.ResponseWriter, r *http.Request, key string) {
	st, ok := a.loadForm(w, r, key)
	if !ok {
		return
	}
	fv := st.working()
	if s := r.URL.Query().Get("version"); s != "" {
		n, err := strconv.Atoi(s)
		i := -1
		for j, v := range st.Versions {
			if err == nil && v.Version == n {
				i = j
			}
		}
		if i < 0 {
			a.notFound(w, r)
			return
		}
		fv = st.Versions[i]
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-v%d.json"`, fv.Key, fv.Version))
	h.Set("Cache-Control", "no-store")
	w.Write(fv.Form.JSON())
}

// formDone are the messages a form's page shows after an action.
var formDone = []string{"saved", "approved", "published", "withdrawn", "deleted"}

// adminFormPage is the data of templates/form-show.html.
type adminFormPage struct {
	Slug, TenantName string
	Base             string // the working version the page shows (store.FormBase)
	CanEdit          bool
	Key              string
	Title            loc
	Version          int
	IsDraft          bool
	Draft, Published *store.FormVersion
	Withdrawn        bool
	Pages            []pageView
	Versions         []store.FormVersion
	Types            []string
	// The checklist (for a draft).
	Problems    []problemView
	Notice      noticeView
	Digest      string
	NoticeState string // "approved", "changed" (approved, but the text is different now) or "none"
	CanPublish  bool
	// After an action, or the errors of one.
	Done     string
	Errors   fieldErrors
	NewPage  newInput
	NewField map[string]newInput // by page key
	Langs    []string            // the languages a title is written in
}

// newInput is what was typed into an "add" form that came back.
type newInput struct{ Key, Title, Type string }

// pageView is one page of the form with its fields.
type pageView struct {
	Number   int
	Key      string
	Title    loc
	Titles   register.Text // nl/fr/en, for the page's edit form
	Fields   []fieldRow
	New      newInput
	Up, Down bool // it can move
}

// fieldRow is one field in the form's table.
type fieldRow struct {
	Key               string
	Label             loc
	Type              string
	Required          bool
	Category, Purpose loc // names from the register; the key when unknown
	NoCategory        bool
	NoPurpose         bool
	Up, Down          bool // it can move
}

// problemView is one publishing problem in the reader's language: what it
// concerns, the sentence, and where to fix it.
type problemView struct {
	Subject loc
	Message string
	Href    string
}

var problemPath = regexp.MustCompile(`^pages\[(\d+)\](?:\.fields\[(\d+)\])?(?:\.(.+))?$`)

// problemsView words ps for r and links each to where it is fixed: a
// field's edit page (at the input), a page of the form, the form's
// settings.
func (a *App) problemsView(r *http.Request, f form.Form, ps []form.Problem) []problemView {
	lang := string(LangFrom(r.Context()))
	base := formPath(r, f.Key)
	var out []problemView
	for _, p := range ps {
		v := problemView{Message: a.problemText(r, p), Subject: loc{Text: a.t(r, "forms.problem.form")}}
		m := problemPath.FindStringSubmatch(p.Path)
		switch {
		case p.Path == "":
			// The register lacks what every notice needs (the DPO contact).
			v.Subject = loc{Text: a.t(r, "forms.problem.register")}
		case p.Path == "pages":
			v.Href = base + "#add-page"
			if p.Key == "required" {
				v.Message = a.t(r, "forms.problem.no_pages")
			}
		case m != nil:
			i, _ := strconv.Atoi(m[1])
			if i < len(f.Pages) {
				pg := f.Pages[i]
				v.Subject, v.Href = locOf(pg.Title, lang), base+"#page-"+pg.Key
				if m[2] != "" {
					j, _ := strconv.Atoi(m[2])
					if j < len(pg.Fields) {
						fl := pg.Fields[j]
						v.Subject, v.Href = locOf(fl.Label, lang), base+"/fields/"+fl.Key+"#"+fieldInputID(m[3])
					}
				} else if m[3] == "fields" && p.Key == "required" {
					v.Message = a.t(r, "forms.problem.no_fields")
				}
			}
		default:
			v.Href = base + "/settings#" + settingsInputID(p.Path)
		}
		out = append(out, v)
	}
	return out
}

// renderAdminForm renders the form's page from st, with p's action state.
func (a *App) renderAdminForm(w http.ResponseWriter, r *http.Request, me account.User, status int, st formState, p adminFormPage) {
	t := tenantFrom(r.Context())
	lang := string(LangFrom(r.Context()))
	fv := st.working()
	f := fv.Form
	p.Slug, p.TenantName, p.CanEdit, p.Base = t.Slug, t.LegalName, account.Can(me.Role, account.EditForms), store.FormBase(fv)
	p.Key, p.Title, p.Version, p.IsDraft = fv.Key, locOf(f.Title, lang), fv.Version, fv.Status == store.FormDraft
	p.Draft, p.Published, p.Versions, p.Types = st.Draft, st.Published, st.Versions, form.Types
	p.Withdrawn = st.Draft == nil && st.Published == nil
	p.Langs = []string{"nl", "fr", "en"}
	for i, pg := range f.Pages {
		pv := pageView{Number: i + 1, Key: pg.Key, Title: locOf(pg.Title, lang), Titles: pg.Title, New: p.NewField[pg.Key],
			Up: i > 0, Down: i < len(f.Pages)-1}
		for j, fl := range pg.Fields {
			row := fieldRow{Key: fl.Key, Label: locOf(fl.Label, lang), Type: fl.Type, Required: fl.Required,
				Category: loc{Text: fl.Category, Lang: ""}, Purpose: loc{Text: fl.Purpose, Lang: ""}, NoCategory: fl.Category == "", NoPurpose: fl.Purpose == "",
				Up: i > 0 || j > 0, Down: i < len(f.Pages)-1 || j < len(pg.Fields)-1}
			if c, ok := st.Register.Category(fl.Category); ok {
				row.Category = locOf(c.Name, lang)
			}
			if pu, ok := st.Register.Purpose(fl.Purpose); ok {
				row.Purpose = locOf(pu.Name, lang)
			}
			pv.Fields = append(pv.Fields, row)
		}
		p.Pages = append(p.Pages, pv)
	}
	if p.IsDraft {
		p.Problems = a.problemsView(r, f, f.Publishable(st.Register))
		n := form.NoticeFor(f, st.Register)
		p.Notice = newNoticeView(r, t, st.Register, n)
		p.Digest = store.NoticeDigest(n.JSON())
		switch {
		case fv.Notice == nil:
			p.NoticeState = "none"
		case bytes.Equal(fv.Notice, n.JSON()):
			p.NoticeState = "approved"
		default:
			p.NoticeState = "changed"
		}
		p.CanPublish = len(p.Problems) == 0 && p.NoticeState == "approved"
	}
	a.render(w, r, status, "form-show", p)
}

// cloneForm is a deep copy of f, for a change that may be refused.
func cloneForm(f form.Form) form.Form {
	var c form.Form
	if err := json.Unmarshal(f.JSON(), &c); err != nil {
		panic("web: copy form: " + err.Error()) // our own encoding: cannot fail
	}
	return c
}
