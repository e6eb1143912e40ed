package web

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
)

// The builder: pages, fields and the form's own texts, changed one step
// at a time with plain HTML forms (no JavaScript). Each step changes a copy
// of the working version and saves it with SaveFormDraft; when the result
// breaks a rule, the page comes back with a message at each input and
// nothing is saved.

// textLangs are the languages of a form's texts, Dutch first (required).
var textLangs = locale.Supported()

// textInput is one language of a text (a label, a help text, a title).
type textInput struct {
	ID, Name, Lang, HTMLLang, LangName, Value, Error string
}

// textInputs lays out t as one input per language, named prefix_lang.
func textInputs(prefix string, t register.Text, errs fieldErrors) []textInput {
	var out []textInput
	for _, l := range textLangs {
		id := prefix + "_" + string(l)
		out = append(out, textInput{ID: id, Name: id, Lang: string(l), HTMLLang: l.HTMLLang(), LangName: l.Name(),
			Value: t[string(l)], Error: errs.For(id)})
	}
	return out
}

// postedText reads the inputs prefix_nl, prefix_fr and prefix_en; empty
// languages are left out, and nil when all are empty.
func postedText(v url.Values, prefix string) register.Text {
	var t register.Text
	for _, l := range textLangs {
		if s := strings.TrimSpace(v.Get(prefix + "_" + string(l))); s != "" {
			if t == nil {
				t = register.Text{}
			}
			t[string(l)] = s
		}
	}
	return t
}

// inputID is the id of the input a problem path ("label.nl",
// "options[2].value", "accept[0]") points into.
func inputID(rest string) string {
	rest, _, _ = strings.Cut(rest, "[")
	return strings.ReplaceAll(rest, ".", "_")
}

// fieldInputID is the input of the field edit page for the rest of a
// problem path after "pages[i].fields[j].".
func fieldInputID(rest string) string {
	switch id := inputID(rest); id {
	case "":
		return "key"
	case "max_bytes":
		return "max_mb"
	default:
		return id
	}
}

// settingsInputID is the input of the settings page for a problem path.
func settingsInputID(path string) string { return inputID(path) }

// slugKey turns a title into a key: lower case letters and digits, sep
// between words, accents dropped, at most 40 characters.
func slugKey(s string, sep rune) string {
	var b strings.Builder
	gap := false
	for _, c := range strings.ToLower(s) {
		if c >= 'à' && c <= 'ÿ' {
			c = rune("aaaaaaaceeeeiiiidnooooo/ouuuuyty"[c-'à'])
		}
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			if gap && b.Len() > 0 {
				b.WriteRune(sep)
			}
			gap = false
			b.WriteRune(c)
		default:
			gap = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	return b.String()
}

// uniqueKey is key, or key with a number when taken.
func uniqueKey(key string, sep string, taken func(string) bool) string {
	k := key
	for n := 2; taken(k); n++ {
		k = key + sep + strconv.Itoa(n)
	}
	return k
}

// fieldIndex finds the field key in f.
func fieldIndex(f form.Form, key string) (page, field int, ok bool) {
	for i, p := range f.Pages {
		for j, fl := range p.Fields {
			if fl.Key == key {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

func pageIndex(f form.Form, key string) int {
	return slices.IndexFunc(f.Pages, func(p form.Page) bool { return p.Key == key })
}

// builderStep is what one step of the builder works on: the form, a copy
// of its working version to change, and the page or field the path names.
type builderStep struct {
	st          formState
	f           form.Form
	page, field int
}

// beginStep parses the request's form, loads the path's {key} and finds
// its {page} or {field} when the route has one; false when it answered
// (400, 404 for a form, page or field the tenant does not have, 500).
func (a *App) beginStep(w http.ResponseWriter, r *http.Request) (builderStep, bool) {
	if !a.parseForm(w, r) {
		return builderStep{}, false
	}
	st, ok := a.loadForm(w, r, r.PathValue("key"))
	if !ok {
		return builderStep{}, false
	}
	if base := r.PostForm.Get("base"); base != "" && base != store.FormBase(st.working()) {
		// Another admin saved since this page was shown: change nothing.
		a.errorWith(w, r, http.StatusConflict, "forms.edited")
		return builderStep{}, false
	}
	b := builderStep{st: st, f: cloneForm(st.working().Form), page: -1, field: -1}
	switch {
	case r.PathValue("field") != "":
		b.page, b.field, ok = fieldIndex(b.f, r.PathValue("field"))
	case r.PathValue("page") != "":
		b.page = pageIndex(b.f, r.PathValue("page"))
		ok = b.page >= 0
	}
	if !ok {
		a.notFound(w, r)
	}
	return b, ok
}

// pageErrors turns the problems of a change made on the form's page into
// errors at the input anchor: one message per problem, with what it is
// about.
func (a *App) pageErrors(r *http.Request, f form.Form, ps []form.Problem, anchor string) fieldErrors {
	var errs fieldErrors
	for _, p := range a.problemsView(r, f, ps) {
		errs = append(errs, fieldError{anchor, p.Subject.Text + ": " + p.Message})
	}
	return errs
}

// formPageCreate adds a page at the end of the form: its Dutch title, and
// a key made from it unless one is given.
func (a *App) formPageCreate(w http.ResponseWriter, r *http.Request, me account.User) {
	b, ok := a.beginStep(w, r)
	if !ok {
		return
	}
	st, f := b.st, b.f
	in := newInput{Key: strings.TrimSpace(r.PostForm.Get("page_key")), Title: strings.TrimSpace(r.PostForm.Get("page_title"))}
	key := in.Key
	if key == "" {
		key = uniqueKey(cmp.Or(slugKey(in.Title, '-'), "pagina"), "-", func(k string) bool { return pageIndex(f, k) >= 0 })
	}
	f.Pages = append(f.Pages, form.Page{Key: key, Title: register.Text{"nl": in.Title}})
	ps, err := a.saveDraft(r, me, f)
	switch {
	case err != nil:
		a.saveFailed(w, r, err)
	case len(ps) > 0:
		var errs fieldErrors
		for _, p := range ps {
			id := "page_title"
			if strings.HasSuffix(p.Path, ".key") {
				id = "page_key"
			}
			errs = append(errs, fieldError{id, a.problemText(r, p)})
		}
		a.renderAdminForm(w, r, me, http.StatusUnprocessableEntity, st, adminFormPage{Errors: errs, NewPage: in})
	default:
		http.Redirect(w, r, formPath(r, f.Key)+"?done=saved#page-"+key, http.StatusSeeOther)
	}
}

// formPageDelete removes an empty page (a page with fields: 409, its
// fields are moved or deleted first).
func (a *App) formPageDelete(w http.ResponseWriter, r *http.Request, me account.User) {
	b, ok := a.beginStep(w, r)
	if !ok {
		return
	}
	st, f, i := b.st, b.f, b.page
	if len(f.Pages[i].Fields) > 0 {
		a.renderAdminForm(w, r, me, http.StatusConflict, st, adminFormPage{Errors: fieldErrors{{"page-" + f.Pages[i].Key,
			a.t(r, "forms.page.error.not_empty")}}})
		return
	}
	f.Pages = slices.Delete(f.Pages, i, i+1)
	a.saveFromPage(w, r, me, st, f, "pages", "deleted")
}

// formPageUpdate sets a page's titles in Dutch, French and English (a
// French or English title left empty falls back to the Dutch one).
func (a *App) formPageUpdate(w http.ResponseWriter, r *http.Request, me account.User) {
	b, ok := a.beginStep(w, r)
	if !ok {
		return
	}
	st, f, i := b.st, b.f, b.page
	title := register.Text{}
	for _, l := range []string{"nl", "fr", "en"} {
		if v := strings.TrimSpace(r.PostForm.Get("title_" + l)); v != "" {
			title[l] = v
		}
	}
	f.Pages[i].Title = title
	a.saveFromPage(w, r, me, st, f, "page-"+f.Pages[i].Key, "saved")
}

// formPageMove moves a page, with its fields, one place up or down.
func (a *App) formPageMove(w http.ResponseWriter, r *http.Request, me account.User) {
	b, ok := a.beginStep(w, r)
	if !ok {
		return
	}
	st, f, i := b.st, b.f, b.page
	j := i
	switch r.PostForm.Get("direction") {
	case "up":
		j = max(0, i-1)
	case "down":
		j = min(len(f.Pages)-1, i+1)
	default:
		a.error(w, r, http.StatusBadRequest)
		return
	}
	f.Pages[i], f.Pages[j] = f.Pages[j], f.Pages[i]
	a.saveFromPage(w, r, me, st, f, "page-"+f.Pages[j].Key, "saved")
}

// saveFromPage saves a change made with a button on the form's page: back
// to the page with done, or the page with the problems at anchor.
func (a *App) saveFromPage(w http.ResponseWriter, r *http.Request, me account.User, st formState, f form.Form, anchor, done string) {
	ps, err := a.saveDraft(r, me, f)
	switch {
	case err != nil:
		a.saveFailed(w, r, err)
	case len(ps) > 0:
		a.renderAdminForm(w, r, me, http.StatusUnprocessableEntity, st, adminFormPage{Errors: a.pageErrors(r, f, ps, anchor)})
	default:
		http.Redirect(w, r, formPath(r, f.Key)+"?done="+done+"#"+anchor, http.StatusSeeOther)
	}
}

// formFieldCreate adds a field at the end of a page: its type and Dutch
// label, and a key made from the label unless one is given. Then to the
// field's own page, for the rest.
func (a *App) formFieldCreate(w http.ResponseWriter, r *http.Request, me account.User) {
	b, ok := a.beginStep(w, r)
	if !ok {
		return
	}
	st, f, i := b.st, b.f, b.page
	pk := f.Pages[i].Key
	in := newInput{Key: strings.TrimSpace(r.PostForm.Get("field_key")), Title: strings.TrimSpace(r.PostForm.Get("field_label")),
		Type: r.PostForm.Get("field_type")}
	key := in.Key
	if key == "" {
		key = slugKey(in.Title, '_')
		if key == "" || key[0] < 'a' {
			key = "veld_" + key
		}
		key = uniqueKey(strings.TrimSuffix(key, "_"), "_", func(k string) bool { _, _, ok := fieldIndex(f, k); return ok })
	}
	f.Pages[i].Fields = append(f.Pages[i].Fields, form.Field{Key: key, Type: in.Type, Label: register.Text{"nl": in.Title}})
	ps, err := a.saveDraft(r, me, f)
	switch {
	case err != nil:
		a.saveFailed(w, r, err)
	case len(ps) > 0:
		var errs fieldErrors
		for _, p := range ps {
			id := "new-" + pk + "-label"
			switch {
			case strings.HasSuffix(p.Path, ".key"):
				id = "new-" + pk + "-key"
			case strings.HasSuffix(p.Path, ".type"):
				id = "new-" + pk + "-type"
			}
			errs = append(errs, fieldError{id, a.problemText(r, p)})
		}
		a.renderAdminForm(w, r, me, http.StatusUnprocessableEntity, st, adminFormPage{Errors: errs, NewField: map[string]newInput{pk: in}})
	default:
		http.Redirect(w, r, formPath(r, f.Key)+"/fields/"+key, http.StatusSeeOther)
	}
}

// formFieldMove moves a field one place up or down; past the top or
// bottom of its page it goes to the end of the page before or the start
// of the page after.
func (a *App) formFieldMove(w http.ResponseWriter, r *http.Request, me account.User) {
	b, ok := a.beginStep(w, r)
	if !ok {
		return
	}
	st, f, i, j := b.st, b.f, b.page, b.field
	fl := f.Pages[i].Fields[j]
	ti, tj := i, j
	switch dir := r.PostForm.Get("direction"); {
	case dir == "up" && j > 0:
		tj = j - 1
	case dir == "up" && i > 0:
		ti, tj = i-1, len(f.Pages[i-1].Fields)
	case dir == "down" && j < len(f.Pages[i].Fields)-1:
		tj = j + 1
	case dir == "down" && i < len(f.Pages)-1:
		ti, tj = i+1, 0
	case dir != "up" && dir != "down":
		a.error(w, r, http.StatusBadRequest)
		return
	}
	f.Pages[i].Fields = slices.Delete(f.Pages[i].Fields, j, j+1)
	f.Pages[ti].Fields = slices.Insert(f.Pages[ti].Fields, tj, fl)
	a.saveFromPage(w, r, me, st, f, "field-"+fl.Key, "saved")
}

// formFieldDelete removes a field.
func (a *App) formFieldDelete(w http.ResponseWriter, r *http.Request, me account.User) {
	b, ok := a.beginStep(w, r)
	if !ok {
		return
	}
	st, f, i, j := b.st, b.f, b.page, b.field
	pk := f.Pages[i].Key
	f.Pages[i].Fields = slices.Delete(f.Pages[i].Fields, j, j+1)
	a.saveFromPage(w, r, me, st, f, "page-"+pk, "deleted")
}

// fieldInput is the field edit page's inputs, as stored or as typed.
type fieldInput struct {
	Key, Type                  string
	Label, Help                register.Text
	Required                   bool
	Category, Purpose          string
	Options                    string // one answer a line: value | nl | fr | en
	MaxLength, Min, Max, MaxMB string
	Accept                     []string
	// PrefillData is the register data the field is prefilled with ("":
	// none), PrefillReadOnly whether the citizen may not correct it.
	PrefillData     string
	PrefillReadOnly bool
}

func fieldInputOf(fl form.Field) fieldInput {
	in := fieldInput{Key: fl.Key, Type: fl.Type, Label: fl.Label, Help: fl.Help, Required: fl.Required, Category: fl.Category,
		Purpose: fl.Purpose, Accept: fl.Accept}
	if fl.Prefill != nil {
		in.PrefillData, in.PrefillReadOnly = fl.Prefill.Data, fl.Prefill.ReadOnly
	}
	var lines []string
	for _, o := range fl.Options {
		parts := []string{o.Value, o.Label["nl"], o.Label["fr"], o.Label["en"]}
		for len(parts) > 2 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		lines = append(lines, strings.Join(parts, " | "))
	}
	in.Options = strings.Join(lines, "\n")
	if fl.MaxLength > 0 {
		in.MaxLength = strconv.Itoa(fl.MaxLength)
	}
	if fl.Min != nil {
		in.Min = formatNumber(*fl.Min)
	}
	if fl.Max != nil {
		in.Max = formatNumber(*fl.Max)
	}
	if fl.MaxBytes > 0 {
		in.MaxMB = formatNumber(float64(fl.MaxBytes) / (1 << 20))
	}
	return in
}

// formatNumber writes a number as Belgians do, with a decimal comma.
func formatNumber(n float64) string {
	return strings.Replace(strconv.FormatFloat(n, 'f', -1, 64), ".", ",", 1)
}

// parseNumber reads a number with a decimal comma or point; nil when empty.
func parseNumber(s string) (*float64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	if s == "" {
		return nil, true
	}
	n, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	if err != nil {
		return nil, false
	}
	return &n, true
}

func postedFieldInput(v url.Values) fieldInput {
	return fieldInput{Key: strings.TrimSpace(v.Get("key")), Type: v.Get("type"), Label: postedText(v, "label"),
		Help: postedText(v, "help"), Required: v.Get("required") != "", Category: v.Get("category"), Purpose: v.Get("purpose"),
		Options: v.Get("options"), MaxLength: v.Get("max_length"), Min: v.Get("min"), Max: v.Get("max"), MaxMB: v.Get("max_mb"),
		Accept: v["accept"], PrefillData: v.Get("prefill_data"), PrefillReadOnly: v.Get("prefill_read_only") != ""}
}

// field builds the field from the inputs. Only the settings of its type
// are kept: after a type change, the old type's settings go. Inputs that
// cannot be read are named in errs (message keys by input id).
func (in fieldInput) field(prev form.Field) (form.Field, map[string][]any) {
	fl := form.Field{Key: in.Key, Type: in.Type, Label: in.Label, Help: in.Help, Required: in.Required, Category: in.Category,
		Purpose: in.Purpose}
	if in.PrefillData != "" {
		// The one source there is; Validate checks the data and the type.
		fl.Prefill = &form.Prefill{Source: form.PrefillSource, Data: in.PrefillData, ReadOnly: in.PrefillReadOnly}
	}
	errs := map[string][]any{}
	changed := in.Type != prev.Type
	switch in.Type {
	case form.TypeChoice, form.TypeMultiChoice:
		if changed && strings.TrimSpace(in.Options) == "" {
			break
		}
		for n, line := range strings.Split(in.Options, "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			parts := strings.Split(line, "|")
			if len(parts) > 1+len(textLangs) {
				errs["options"] = []any{"forms.field.error.option_parts", n + 1}
				continue
			}
			o := form.Option{Value: strings.TrimSpace(parts[0]), Label: register.Text{}}
			if len(parts) == 1 {
				o.Label["nl"] = o.Value
			}
			for k, l := range textLangs {
				if k+1 < len(parts) && strings.TrimSpace(parts[k+1]) != "" {
					o.Label[string(l)] = strings.TrimSpace(parts[k+1])
				}
			}
			fl.Options = append(fl.Options, o)
		}
	case form.TypeNumber:
		var ok bool
		if fl.Min, ok = parseNumber(in.Min); !ok {
			errs["min"] = []any{"form.error.number"}
		}
		if fl.Max, ok = parseNumber(in.Max); !ok {
			errs["max"] = []any{"form.error.number"}
		}
	case form.TypeText, form.TypeLongText:
		if s := strings.TrimSpace(in.MaxLength); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				errs["max_length"] = []any{"forms.field.error.whole_number"}
			}
			fl.MaxLength = n
		}
	case form.TypeFile:
		fl.Accept = in.Accept
		if mb, ok := parseNumber(in.MaxMB); !ok || (mb != nil && *mb <= 0) {
			errs["max_mb"] = []any{"form.error.number"}
		} else if mb != nil {
			fl.MaxBytes = int64(*mb * (1 << 20))
		}
	}
	return fl, errs
}

// registerErrors checks the category and purpose chosen for a field
// against the register (REG-1, REG-4): each empty (the draft is not
// finished) or the register's, and the purpose one the category serves.
func registerErrors(reg register.Register, category, purpose, lang string) map[string][]any {
	errs := map[string][]any{}
	c, okC := reg.Category(category)
	if category != "" && !okC {
		errs["category"] = []any{"form.problem.category_unknown", category}
	}
	p, okP := reg.Purpose(purpose)
	switch {
	case purpose != "" && !okP:
		errs["purpose"] = []any{"form.problem.purpose_unknown", purpose}
	case okC && okP && !slices.Contains(c.Purposes, purpose):
		errs["purpose"] = []any{"forms.field.error.purpose_of_category", p.Name.In(lang), c.Name.In(lang)}
	}
	return errs
}

// choice is one option of a select.
type choice struct {
	Value    string
	Text     loc
	Selected bool
}

// acceptChoice is one attachment type a file field may take.
type acceptChoice struct {
	Value, Name string
	Checked     bool
}

// acceptNames are the attachment types as people know them.
var acceptNames = map[string]string{"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG", "image/heic": "HEIC",
	"image/webp": "WebP", "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (.docx)",
	"application/vnd.oasis.opendocument.text": "OpenDocument (.odt)"}

// fieldPage is the data of templates/form-field.html.
type fieldPage struct {
	Slug, TenantName string
	Base             string // the working version the page shows (store.FormBase)
	FormKey          string
	FormTitle        loc
	FieldKey         string // the key as stored (the page's address)
	In               fieldInput
	Labels, Helps    []textInput
	Types            []string
	Categories       []choice
	Purposes         []choice
	PurposesOf       loc // the category the purposes are filtered by, when one is chosen
	Accept           []acceptChoice
	Errors           fieldErrors
	Todo             []string // what still stops publishing, for this field
	HasRegister      bool
	Prefills         []choice // the register data a field can be prefilled with
}

// formFieldShow is a field's edit page.
func (a *App) formFieldShow(w http.ResponseWriter, r *http.Request, me account.User) {
	b, ok := a.beginStep(w, r)
	if !ok {
		return
	}
	a.renderField(w, r, http.StatusOK, b.st, fieldInputOf(b.f.Pages[b.page].Fields[b.field]), nil)
}

// formFieldUpdate saves a field's edit page. Every input that breaks a
// rule is named; nothing is saved then.
func (a *App) formFieldUpdate(w http.ResponseWriter, r *http.Request, me account.User) {
	b, ok := a.beginStep(w, r)
	if !ok {
		return
	}
	st, f, i, j := b.st, b.f, b.page, b.field
	in := postedFieldInput(r.PostForm)
	prev := f.Pages[i].Fields[j]
	fl, unread := in.field(prev)
	// What cannot be read or breaks the register, then the definition's
	// own rules: one message per input.
	bad := map[string]string{}
	for id, m := range unread {
		bad[id] = a.t(r, m[0].(string), m[1:]...)
	}
	for id, m := range registerErrors(st.Register, in.Category, in.Purpose, string(LangFrom(r.Context()))) {
		bad[id] = a.t(r, m[0].(string), m[1:]...)
	}
	f.Pages[i].Fields[j] = fl
	if f.ConfirmationField == prev.Key {
		f.ConfirmationField = fl.Key
	}
	prefix := fmt.Sprintf("pages[%d].fields[%d].", i, j)
	for _, p := range f.Validate() {
		rest, mine := strings.CutPrefix(p.Path, prefix)
		id, msg := fieldInputID(rest), a.problemText(r, p)
		switch {
		case !mine && p.Key == "confirmation_field":
			id = "type"
		case !mine:
			id = "key"
		case strings.HasPrefix(rest, "options["):
			n, _ := strconv.Atoi(strings.TrimPrefix(strings.SplitN(rest, "]", 2)[0], "options["))
			msg = a.t(r, "forms.field.option_problem", n+1, msg)
		}
		if id == "prefill_source" {
			id = "prefill_data"
		}
		if _, ok := bad[id]; !ok {
			bad[id] = msg
		}
	}
	// In the order of the page, so that the summary reads top-down.
	var errs fieldErrors
	for _, id := range []string{"key", "label_nl", "label_fr", "label_en", "help_nl", "help_fr", "help_en", "type", "options", "min",
		"max", "max_length", "accept", "max_mb", "category", "purpose", "prefill_data"} {
		if msg, ok := bad[id]; ok {
			errs = append(errs, fieldError{id, msg})
		}
	}
	saved := false
	if len(errs) == 0 {
		ps, err := a.saveDraft(r, me, f)
		if err != nil {
			a.saveFailed(w, r, err)
			return
		}
		for _, p := range ps { // Validate passed above: not expected
			errs = append(errs, fieldError{"key", a.problemText(r, p)})
		}
		saved = len(ps) == 0
	}
	if !saved {
		a.renderField(w, r, http.StatusUnprocessableEntity, st, in, errs)
		return
	}
	http.Redirect(w, r, formPath(r, f.Key)+"?done=saved#field-"+fl.Key, http.StatusSeeOther)
}

// renderField renders a field's edit page with in's values.
func (a *App) renderField(w http.ResponseWriter, r *http.Request, status int, st formState, in fieldInput, errs fieldErrors) {
	t := tenantFrom(r.Context())
	lang := string(LangFrom(r.Context()))
	f := st.working().Form
	p := fieldPage{Base: store.FormBase(st.working()), Slug: t.Slug, TenantName: t.LegalName, FormKey: f.Key, FormTitle: locOf(f.Title, lang), FieldKey: r.PathValue("field"),
		In: in, Labels: textInputs("label", in.Label, errs), Helps: textInputs("help", in.Help, errs), Types: form.Types,
		Errors: errs, HasRegister: len(st.Register.Categories) > 0}
	reg := st.Register
	for _, c := range reg.Categories {
		name := locOf(c.Name, lang)
		name.Text += " (" + c.Class + ")"
		p.Categories = append(p.Categories, choice{Value: c.Key, Text: name, Selected: c.Key == in.Category})
	}
	// Only the purposes the chosen category serves (REG-4); all of them
	// while no category is chosen.
	c, chosen := reg.Category(in.Category)
	if chosen {
		p.PurposesOf = locOf(c.Name, lang)
	}
	for _, pu := range reg.Purposes {
		if chosen && !slices.Contains(c.Purposes, pu.Key) {
			continue
		}
		p.Purposes = append(p.Purposes, choice{Value: pu.Key, Text: locOf(pu.Name, lang), Selected: pu.Key == in.Purpose})
	}
	for _, d := range form.PrefillData {
		p.Prefills = append(p.Prefills, choice{Value: d, Text: loc{Text: a.t(r, "prefill.data."+d)}, Selected: d == in.PrefillData})
	}
	accept := in.Accept
	if len(accept) == 0 {
		accept = form.DefaultAccept
	}
	for _, mt := range form.AllowedAccept {
		p.Accept = append(p.Accept, acceptChoice{Value: mt, Name: acceptNames[mt], Checked: slices.Contains(accept, mt)})
	}
	// What still stops publishing, as stored; not beside the errors of
	// what was just typed.
	if i, j, ok := fieldIndex(f, p.FieldKey); ok && len(errs) == 0 {
		prefix := fmt.Sprintf("pages[%d].fields[%d].", i, j)
		for _, pr := range f.Publishable(reg) {
			if strings.HasPrefix(pr.Path, prefix) {
				p.Todo = append(p.Todo, a.problemText(r, pr))
			}
		}
	}
	a.render(w, r, status, "form-field", p)
}

// settingsPage is the data of templates/form-settings.html.
type settingsPage struct {
	Slug, TenantName  string
	Base              string // the working version the page shows (store.FormBase)
	FormKey           string
	FormTitle         loc
	Titles            []textInput
	Intros, Dones     []textInput
	ConfirmationMail  bool
	ConfirmationField string
	EmailFields       []choice
	HandlingDays      string // as typed, or the stored value
	Errors            fieldErrors
	StatusMail        statusMailView
}

// formSettingsShow is the page of the form's own texts and the
// confirmation mail.
func (a *App) formSettingsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	st, ok := a.loadForm(w, r, r.PathValue("key"))
	if !ok {
		return
	}
	a.renderSettings(w, r, http.StatusOK, st, st.working().Form, nil)
}

// formSettingsUpdate saves the form's texts and confirmation mail.
func (a *App) formSettingsUpdate(w http.ResponseWriter, r *http.Request, me account.User) {
	b, ok := a.beginStep(w, r)
	if !ok {
		return
	}
	st, f := b.st, b.f
	v := r.PostForm
	f.Title, f.Intro, f.Done = postedText(v, "title"), postedText(v, "intro"), postedText(v, "done")
	f.ConfirmationMail, f.ConfirmationField = v.Get("confirmation_mail") != "", v.Get("confirmation_field")
	if !f.ConfirmationMail {
		f.ConfirmationField = ""
	}
	f.StatusMail = postedStatusMail(v)
	days, ok := parseHandlingDays(v.Get("handling_days"))
	if !ok {
		// Not a number: nothing is saved; the other fields are judged
		// too, so that every problem shows at once.
		errs := fieldErrors{{"handling_days", a.t(r, "form.problem.handling_days", form.MaxHandlingDays)}}
		for _, p := range f.Validate() {
			errs = append(errs, fieldError{settingsInputID(p.Path), a.problemText(r, p)})
		}
		a.renderSettingsTyped(w, r, http.StatusUnprocessableEntity, st, f, errs, v.Get("handling_days"))
		return
	}
	f.HandlingDays = days
	ps, err := a.saveDraft(r, me, f)
	switch {
	case err != nil:
		a.saveFailed(w, r, err)
	case len(ps) > 0:
		var errs fieldErrors
		for _, p := range ps {
			errs = append(errs, fieldError{settingsInputID(p.Path), a.problemText(r, p)})
		}
		a.renderSettingsTyped(w, r, http.StatusUnprocessableEntity, st, f, errs, v.Get("handling_days"))
	default:
		http.Redirect(w, r, formPath(r, f.Key)+"?done=saved", http.StatusSeeOther)
	}
}

// parseHandlingDays reads a form's handling time as typed: empty for none
// (0), else a whole number of calendar days from 1 to form.MaxHandlingDays.
func parseHandlingDays(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1 && n <= form.MaxHandlingDays
}

func (a *App) renderSettings(w http.ResponseWriter, r *http.Request, status int, st formState, f form.Form, errs fieldErrors) {
	days := ""
	if f.HandlingDays > 0 {
		days = strconv.Itoa(f.HandlingDays)
	}
	a.renderSettingsTyped(w, r, status, st, f, errs, days)
}

// renderSettingsTyped renders the settings page with the handling time as
// typed (re-shown as is when refused).
func (a *App) renderSettingsTyped(w http.ResponseWriter, r *http.Request, status int, st formState, f form.Form, errs fieldErrors, days string) {
	t := tenantFrom(r.Context())
	lang := string(LangFrom(r.Context()))
	p := settingsPage{Base: store.FormBase(st.working()), Slug: t.Slug, TenantName: t.LegalName, FormKey: f.Key, FormTitle: locOf(st.working().Form.Title, lang),
		Titles: textInputs("title", f.Title, errs), Intros: textInputs("intro", f.Intro, errs), Dones: textInputs("done", f.Done, errs),
		ConfirmationMail: f.ConfirmationMail, ConfirmationField: f.ConfirmationField, HandlingDays: days, Errors: errs,
		StatusMail: a.statusMailViewOf(r, f, errs)}
	for _, fl := range f.Fields() {
		if fl.Type == form.TypeEmail {
			p.EmailFields = append(p.EmailFields, choice{Value: fl.Key, Text: locOf(fl.Label, lang), Selected: fl.Key == f.ConfirmationField})
		}
	}
	a.render(w, r, status, "form-settings", p)
}
