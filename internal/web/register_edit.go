package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
)

// Editing the register in the browser (REG-1): one item of one section at
// a time, in a plain HTML form. A change is never saved from the form
// itself: it goes through a comparison page that shows what changes and
// what it affects, and is saved from there with the same store path, the
// same audit event ("register.save") and the same rules (Validate) as a
// YAML upload. The comparison page carries the form's values in hidden
// inputs, so "Terug" brings the form back as it was typed and "Opslaan"
// rebuilds exactly the change that was compared, over the version it was
// compared with (SaveRegisterOver).

// Input kinds of a register edit form.
const (
	inTexts     = "texts"     // a register.Text: one short input per language
	inLongTexts = "longtexts" // a register.Text: one textarea per language
	inText      = "text"      // one line
	inNumber    = "number"    // a whole number
	inSelect    = "select"    // one of a list
	inChecks    = "checks"    // several of a list
	inLines     = "lines"     // a list typed one per line
)

// regInput is one input of a section's edit form, named after the field
// of the register document it fills in.
type regInput struct {
	Name     string
	Kind     string
	Optional bool
}

// regSection is one list of the register as the browser edits it.
type regSection struct {
	Slug   string // in the URL: "data-subjects"
	Doc    string // in the document: "data_subjects"
	Inputs []regInput
}

// regSections are the sections in document order (register.Sections).
var regSections = []regSection{
	{"purposes", "purposes", []regInput{{"name", inTexts, false}, {"legal_basis", inSelect, false},
		{"legal_reference", inLongTexts, true}, {"art9_basis", inSelect, true}}},
	{"categories", "categories", []regInput{{"name", inTexts, false}, {"class", inSelect, false},
		{"purposes", inChecks, false}, {"data_subjects", inChecks, true}, {"recipients", inChecks, true},
		{"retention_days", inNumber, false}, {"retention_start", inSelect, false}, {"expiry", inSelect, false},
		{"reason", inLongTexts, false}, {"countermeasures", inLongTexts, false}}},
	{"data-subjects", "data_subjects", []regInput{{"name", inTexts, false}}},
	{"recipients", "recipients", []regInput{{"name", inTexts, false}, {"kind", inSelect, false},
		{"country", inText, false}, {"transfer_mechanism", inSelect, true}, {"endpoints", inLines, true}}},
	{"sub-processors", "sub_processors", []regInput{{"name", inText, false}, {"head_office", inText, false},
		{"country", inText, false}, {"transfer_mechanism", inSelect, true}, {"service", inLongTexts, false},
		{"measures", inLongTexts, false}, {"endpoints", inLines, true}}},
	{"applications", "applications", []regInput{{"name", inText, false}, {"categories", inChecks, false},
		{"storage", inLongTexts, false}, {"transfer", inLongTexts, false}, {"access", inLongTexts, false}}},
}

// regGeneral is the register's own fields: one "item", the register
// itself, that is changed but never added or removed.
var regGeneral = regSection{"general", "", []regInput{{"subject", inLongTexts, false}, {"duration", inLongTexts, false},
	{"dpo_contact", inText, true}}}

func sectionBySlug(slug string) (regSection, bool) {
	if slug == regGeneral.Slug {
		return regGeneral, true
	}
	for _, s := range regSections {
		if s.Slug == slug {
			return s, true
		}
	}
	return regSection{}, false
}

func sectionByDoc(doc string) (regSection, bool) {
	for _, s := range regSections {
		if s.Doc == doc {
			return s, true
		}
	}
	return regSection{}, false
}

// list is the section's slice in reg (a pointer to a Register).
func (s regSection) list(reg reflect.Value) reflect.Value {
	reg = reflect.Indirect(reg)
	for i := range reg.NumField() {
		if docField(reg.Type().Field(i)) == s.Doc {
			return reg.Field(i)
		}
	}
	panic("register has no section " + s.Doc)
}

// index finds the item with key in the section of reg; -1 when none.
func (s regSection) index(reg *register.Register, key string) int {
	l := s.list(reflect.ValueOf(reg))
	for i := range l.Len() {
		if l.Index(i).FieldByName("Key").String() == key {
			return i
		}
	}
	return -1
}

// keys lists the section's keys in reg.
func (s regSection) keys(reg *register.Register) []string {
	l := s.list(reflect.ValueOf(reg))
	out := make([]string, l.Len())
	for i := range out {
		out[i] = l.Index(i).FieldByName("Key").String()
	}
	return out
}

// docField is a struct field's name in the register document.
func docField(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// fieldOf is the field of item (a struct value) named name in the document.
func fieldOf(item reflect.Value, name string) reflect.Value {
	for i := range item.NumField() {
		if docField(item.Type().Field(i)) == name {
			return item.Field(i)
		}
	}
	panic("register item has no field " + name)
}

var textOfRegister = reflect.TypeOf(register.Text{})

// encodeItem writes item's fields as the edit form's values.
func (s regSection) encodeItem(item reflect.Value) url.Values {
	v := url.Values{}
	for _, in := range s.Inputs {
		f := fieldOf(item, in.Name)
		switch {
		case f.Type() == textOfRegister:
			for l, t := range f.Interface().(register.Text) {
				v.Set(in.Name+"_"+l, t)
			}
		case f.Kind() == reflect.Slice:
			for _, x := range f.Interface().([]string) {
				v.Add(in.Name, x)
			}
		case f.Kind() == reflect.Int:
			if f.Int() != 0 {
				v.Set(in.Name, strconv.FormatInt(f.Int(), 10))
			}
		default:
			v.Set(in.Name, f.String())
		}
	}
	return v
}

// decodeItem fills the fields of item (addressable) from the form's
// values. What cannot be read at all (a number that is not one) is
// returned as an error at its input; the register's rules are Validate's.
func (a *App) decodeItem(r *http.Request, s regSection, v url.Values, item reflect.Value) fieldErrors {
	var errs fieldErrors
	for _, in := range s.Inputs {
		f := fieldOf(item, in.Name)
		switch {
		case f.Type() == textOfRegister:
			f.Set(reflect.ValueOf(postedText(v, in.Name)))
		case in.Kind == inLines:
			var list []string
			for _, line := range strings.Split(strings.ReplaceAll(v.Get(in.Name), "\r", ""), "\n") {
				if line = strings.TrimSpace(line); line != "" {
					list = append(list, line)
				}
			}
			f.Set(reflect.ValueOf(list))
		case in.Kind == inChecks:
			var list []string
			for _, x := range v[in.Name] {
				if x = strings.TrimSpace(x); x != "" && !slices.Contains(list, x) {
					list = append(list, x)
				}
			}
			f.Set(reflect.ValueOf(list))
		case in.Kind == inNumber:
			raw := strings.TrimSpace(v.Get(in.Name))
			n, err := strconv.Atoi(raw)
			if raw != "" && (err != nil || n < 0) {
				errs = append(errs, fieldError{in.Name, a.labelled(r, s, in.Name, a.t(r, "regedit.error.number"))})
				n = 0
			}
			f.SetInt(int64(n))
		case in.Name == "country":
			f.SetString(strings.ToUpper(strings.TrimSpace(v.Get(in.Name))))
		default:
			f.SetString(strings.TrimSpace(v.Get(in.Name)))
		}
	}
	return errs
}

// regEdit is one change to the register as a form posts it: add an item,
// change or remove the item Item, made on the page built from version
// Base.
type regEdit struct {
	Section regSection
	Op      string // "add", "change" or "remove"
	Item    string // the key of the item changed or removed
	Base    int
	Values  url.Values // the section's inputs only
}

// postedEdit reads a change from the request's form (parsed).
func postedEdit(s regSection, form url.Values) regEdit {
	e := regEdit{Section: s, Op: form.Get("op"), Item: form.Get("item"), Values: url.Values{}}
	e.Base, _ = strconv.Atoi(form.Get("base"))
	if e.Op != "change" && e.Op != "remove" {
		e.Op, e.Item = "add", ""
	}
	if s.Doc == "" {
		e.Op, e.Item = "change", ""
	}
	for _, in := range s.Inputs {
		for _, name := range in.names() {
			if vs, ok := form[name]; ok {
				e.Values[name] = vs
			}
		}
	}
	return e
}

// names are the form names the input posts under.
func (in regInput) names() []string {
	if in.Kind != inTexts && in.Kind != inLongTexts {
		return []string{in.Name}
	}
	var out []string
	for _, l := range textLangs {
		out = append(out, in.Name+"_"+string(l))
	}
	return out
}

// errRegisterMoved: the item a change is about is no longer in the
// current register (someone removed it).
var errRegisterMoved = errors.New("the item is no longer in the register")

// apply makes the proposed register: the current one with the change.
// index is where the changed or added item now is (-1 for a removal).
// errs are inputs that could not be read at all.
func (a *App) apply(r *http.Request, cur register.Register, e regEdit) (prop register.Register, index int, errs fieldErrors, err error) {
	if prop, err = copyRegister(cur); err != nil {
		return prop, -1, nil, err
	}
	if e.Section.Doc == "" {
		return prop, 0, a.decodeItem(r, e.Section, e.Values, reflect.ValueOf(&prop).Elem()), nil
	}
	list := e.Section.list(reflect.ValueOf(&prop))
	index = -1
	if e.Op != "add" {
		if index = e.Section.index(&prop, e.Item); index < 0 {
			return prop, -1, nil, errRegisterMoved
		}
	}
	if e.Op == "remove" {
		list.Set(reflect.AppendSlice(list.Slice(0, index), list.Slice(index+1, list.Len())))
		return prop, -1, nil, nil
	}
	item := reflect.New(list.Type().Elem()).Elem()
	if index >= 0 {
		item.Set(list.Index(index)) // fields the form does not show stay as they were
	}
	errs = a.decodeItem(r, e.Section, e.Values, item)
	if c, ok := item.Addr().Interface().(*register.Category); ok && index >= 0 &&
		c.RetentionStart == register.StartSubmission && list.Index(index).FieldByName("RetentionStart").String() == "" {
		c.RetentionStart = "" // unset means from submission: choosing that again is no change
	}
	if index >= 0 {
		list.Index(index).Set(item)
		return prop, index, errs, nil
	}
	// A new item's key comes from its Dutch name: nobody types codes.
	name := fieldOf(item, "name")
	title := name.String()
	if name.Type() == textOfRegister {
		title = name.Interface().(register.Text)["nl"]
	}
	taken := e.Section.keys(&prop)
	key := slugKey(title, '-')
	if key != "" {
		key = uniqueKey(key, "-", func(k string) bool { return slices.Contains(taken, k) })
	}
	item.FieldByName("Key").SetString(key)
	list.Set(reflect.Append(list, item))
	return prop, list.Len() - 1, errs, nil
}

// copyRegister is a deep copy: the proposed register shares no slice or
// map with the stored one (RegisterAt serves versions from memory).
func copyRegister(r register.Register) (register.Register, error) {
	var out register.Register
	b, err := json.Marshal(r)
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	return out, err
}

var registerProblemPath = regexp.MustCompile(`^([a-z_]+)\[(\d+)\](?:\.(.*))?$`)

// problemErrors places each problem of the proposed register: at its input
// when it is about the item edited, else in a sentence that names the item
// it is about, linked to the list under the form ("register-other").
func (a *App) problemErrors(r *http.Request, e regEdit, cur, prop register.Register, index int, ps []register.Problem) (fieldErrors, []regOther) {
	var errs fieldErrors
	var others []regOther
	for _, p := range ps {
		m := registerProblemPath.FindStringSubmatch(p.Path)
		inItem := m != nil && m[1] == e.Section.Doc && m[2] == strconv.Itoa(index)
		rest := ""
		if inItem {
			rest = m[3]
		} else if top, _, _ := strings.Cut(p.Path, "."); e.Section.Doc == "" && slices.ContainsFunc(e.Section.Inputs,
			func(in regInput) bool { return in.Name == top }) {
			inItem, rest = true, p.Path // the register's own fields
		}
		if inItem {
			id := a.problemInput(e.Section, rest)
			if errs.For(id) == "" { // one message an input: the first rule it breaks
				errs = append(errs, fieldError{id, a.labelled(r, e.Section, id, a.problemMessage(r, cur, prop, p))})
			}
			continue
		}
		o := a.otherProblem(r, cur, prop, p, m)
		errs = append(errs, fieldError{"register-other", o.Message})
		others = append(others, o)
	}
	return errs, others
}

// regOther is a problem elsewhere in the register, with a link to the
// form of the item it is about when that item is in the current version.
type regOther struct{ Message, Href string }

// labelled puts the label of input id before msg, so that the error
// summary's line makes sense on its own ("Hoofdzetel: is verplicht").
func (a *App) labelled(r *http.Request, s regSection, id, msg string) string {
	for _, in := range s.Inputs {
		if in.Name == id {
			return a.t(r, "regedit.error.at", a.t(r, "regedit.field."+in.Name), msg)
		}
		for _, l := range textLangs {
			if in.Name+"_"+string(l) == id {
				label := a.t(r, "regedit.diff.in_lang", a.t(r, "regedit.field."+in.Name), a.t(r, "regedit.lang."+string(l)))
				return a.t(r, "regedit.error.at", label, msg)
			}
		}
	}
	return msg
}

// problemInput is the input a problem about the edited item points at
// (rest: "retention_days", "name.nl", "purposes[0]", "key").
func (a *App) problemInput(s regSection, rest string) string {
	name, lang, _ := strings.Cut(rest, ".")
	name, _, _ = strings.Cut(name, "[")
	if name == "key" || name == "" {
		name = "name" // the key is made from the name
	}
	for _, in := range s.Inputs {
		if in.Name != name {
			continue
		}
		if in.Kind == inTexts || in.Kind == inLongTexts {
			if lang == "" || !slices.Contains(textLangs, locale.Lang(lang)) {
				lang = "nl"
			}
			return name + "_" + lang
		}
		return name
	}
	return s.Inputs[0].Name
}

// problemMessage words a problem without its path, naming items by their
// names instead of their keys.
func (a *App) problemMessage(r *http.Request, cur, prop register.Register, p register.Problem) string {
	lang := string(LangFrom(r.Context()))
	switch p.Key {
	case "art9_required":
		if len(p.Args) == 2 {
			code, _ := p.Args[0].(string)
			k, _ := p.Args[1].(string)
			return a.t(r, "regedit.problem.art9", a.classLabel(r, code), itemName(prop, "purposes", k, lang))
		}
	case "unknown_ref":
		if len(p.Args) == 2 {
			what, _ := p.Args[0].(string)
			k, _ := p.Args[1].(string)
			return a.t(r, "regedit.problem.gone", a.t(r, "regedit.one."+what), itemName(cur, what, k, lang))
		}
	case "key_format", "duplicate_key":
		return a.t(r, "regedit.problem.name")
	case "required":
		if _, ok := sectionByDoc(p.Path); ok {
			return a.t(r, "regedit.problem.section_required", a.t(r, "regedit.one."+p.Path))
		}
	}
	return a.t(r, "register.problem."+p.Key, p.Args...)
}

// otherProblem is a problem elsewhere in the register the change causes
// (a category that still uses a removed purpose), as a sentence naming
// the item it is about.
func (a *App) otherProblem(r *http.Request, cur, prop register.Register, p register.Problem, m []string) regOther {
	msg := a.problemMessage(r, cur, prop, p)
	if m == nil {
		return regOther{Message: upperFirst(msg)}
	}
	i, _ := strconv.Atoi(m[2])
	lang := string(LangFrom(r.Context()))
	var o regOther
	var name string
	if s, ok := sectionByDoc(m[1]); ok {
		if keys := s.keys(&prop); i < len(keys) {
			name = itemName(prop, s.Doc, keys[i], lang)
			if s.index(&cur, keys[i]) >= 0 {
				o.Href = "/" + tenantFrom(r.Context()).Slug + "/admin/register/edit/" + s.Slug + "?item=" + url.QueryEscape(keys[i])
			}
		}
	}
	o.Message = a.t(r, "regedit.problem.other", a.t(r, "regedit.one."+m[1]), name, msg)
	return o
}

// itemName is the name of the item with key k in section (a document
// name) of reg in lang, or the key when there is no such item.
func itemName(reg register.Register, section, k, lang string) string {
	s, ok := sectionByDoc(section)
	if !ok {
		return k
	}
	i := s.index(&reg, k)
	if i < 0 {
		return k
	}
	name := fieldOf(s.list(reflect.ValueOf(&reg)).Index(i), "name")
	if name.Type() == textOfRegister {
		return name.Interface().(register.Text).In(lang)
	}
	return name.String()
}

// classLabel is an information class as people read it: its code and its
// label in the reader's language (REG-7).
func (a *App) classLabel(r *http.Request, code string) string {
	if _, ok := register.ClassByCode(code); !ok {
		return code
	}
	return code + " " + a.t(r, "regedit.class."+code)
}

// regEditPage is the edit form of one item.
type regEditPage struct {
	Slug, TenantName string
	Section          string // the section's slug
	SectionTitle     string
	Heading          string
	CanRemove        bool
	Op, Item         string
	Base             int
	Inputs           []regInputView
	Errors           fieldErrors
	Other            []regOther // the problems the summary links to "register-other"
	Conflict         bool
}

// langForm makes the language switch post the form, so that switching
// keeps what was typed.
func (regEditPage) langForm() string { return "register-edit-form" }

// regInputView is one input as the template lays it out.
type regInputView struct {
	ID, Kind, Label, Hint, Error, Value string
	Optional                            bool
	Texts                               []textInput
	Options                             []regOption
}

// regOption is one choice of a select or a list of checkboxes.
type regOption struct {
	Value, Label, Lang string
	Selected           bool
}

// inputViews lays the section's inputs out with values v.
func (a *App) inputViews(r *http.Request, s regSection, reg register.Register, v url.Values, errs fieldErrors) []regInputView {
	var out []regInputView
	for _, in := range s.Inputs {
		iv := regInputView{ID: in.Name, Kind: in.Kind, Optional: in.Optional, Label: a.t(r, "regedit.field."+in.Name),
			Error: errs.For(in.Name)}
		if hint := "regedit.hint." + cmp.Or(s.Doc, s.Slug) + "." + in.Name; a.t(r, hint) != hint {
			iv.Hint = a.t(r, hint)
		}
		switch in.Kind {
		case inTexts, inLongTexts:
			iv.Texts = textInputs(in.Name, postedText(v, in.Name), errs)
		case inLines:
			iv.Value = strings.Join(v[in.Name], "\n")
		case inSelect, inChecks:
			iv.Options = a.regOptions(r, reg, in.Name)
			chosen := v[in.Name]
			if in.Name == "retention_start" && strings.Join(chosen, "") == "" {
				chosen = []string{register.StartSubmission} // unset means from submission
			}
			for i := range iv.Options {
				iv.Options[i].Selected = slices.Contains(chosen, iv.Options[i].Value)
			}
		default:
			iv.Value = v.Get(in.Name)
		}
		out = append(out, iv)
	}
	return out
}

// regOptions are the choices of input name: codes worded for people, or
// the register's own items by name.
func (a *App) regOptions(r *http.Request, reg register.Register, name string) []regOption {
	lang := string(LangFrom(r.Context()))
	coded := func(prefix string, none bool, codes []string) []regOption {
		var out []regOption
		if none {
			out = append(out, regOption{Value: "", Label: a.t(r, "regedit.none")})
		}
		for _, c := range codes {
			out = append(out, regOption{Value: c, Label: a.t(r, prefix+c)})
		}
		return out
	}
	switch name {
	case "legal_basis":
		return coded("legal_basis.", false, register.LegalBases)
	case "art9_basis":
		return coded("art9.", true, register.Art9Bases)
	case "retention_start":
		return coded("regedit.start.", false, register.RetentionStarts)
	case "expiry":
		return coded("regedit.expiry.", false, register.ExpiryActions)
	case "kind":
		return coded("recipient_kind.", false, register.RecipientKinds)
	case "transfer_mechanism":
		return coded("mechanism.", true, register.Mechanisms)
	case "class":
		out := []regOption{{Value: "", Label: a.t(r, "forms.field.choose")}}
		for _, c := range register.Classes {
			out = append(out, regOption{Value: c.Code, Label: a.classLabel(r, c.Code)})
		}
		return out
	}
	// The register's own items: purposes, data subjects, recipients,
	// categories.
	s, ok := sectionByDoc(name)
	if !ok {
		return nil
	}
	var out []regOption
	for _, k := range s.keys(&reg) {
		nameV := fieldOf(s.list(reflect.ValueOf(&reg)).Index(s.index(&reg, k)), "name")
		o := regOption{Value: k, Label: nameV.String(), Lang: "nl-BE"}
		if nameV.Type() == textOfRegister {
			l := locOf(nameV.Interface().(register.Text), lang)
			o.Label, o.Lang = l.Text, l.Lang
		}
		out = append(out, o)
	}
	return out
}

// currentForEdit reads the current register; a tenant without one edits
// an empty register (version 0).
func (a *App) currentForEdit(w http.ResponseWriter, r *http.Request) (store.RegisterVersion, bool) {
	rv, err := a.opts.Store.CurrentRegister(r.Context(), tenantFrom(r.Context()).ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		a.internalError(w, r, "read register", err)
		return rv, false
	}
	return rv, true
}

// registerEditShow shows the form to add an item to a section, or with
// ?item=KEY to change or remove that item (EditRegister).
func (a *App) registerEditShow(w http.ResponseWriter, r *http.Request, _ account.User) {
	s, ok := sectionBySlug(r.PathValue("section"))
	if !ok {
		a.notFound(w, r)
		return
	}
	rv, ok := a.currentForEdit(w, r)
	if !ok {
		return
	}
	e := regEdit{Section: s, Op: "add", Base: rv.Version, Values: url.Values{}}
	if s.Doc == "" {
		if rv.Version == 0 {
			a.notFound(w, r) // no register yet: upload the first version
			return
		}
		e.Op, e.Values = "change", s.encodeItem(reflect.ValueOf(rv.Register))
	} else if k := r.URL.Query().Get("item"); k != "" {
		i := s.index(&rv.Register, k)
		if i < 0 {
			a.notFound(w, r)
			return
		}
		e.Op, e.Item = "change", k
		e.Values = s.encodeItem(s.list(reflect.ValueOf(&rv.Register)).Index(i))
	}
	a.renderRegisterEdit(w, r, http.StatusOK, rv.Register, e, nil, nil, false)
}

func (a *App) renderRegisterEdit(w http.ResponseWriter, r *http.Request, status int, cur register.Register, e regEdit,
	errs fieldErrors, others []regOther, conflict bool) {
	if e.Op == "remove" {
		// A removal posts no values: the form shows the item as it is.
		e.Op = "change"
		if i := e.Section.index(&cur, e.Item); i >= 0 {
			e.Values = e.Section.encodeItem(e.Section.list(reflect.ValueOf(&cur)).Index(i))
		}
	}
	t := tenantFrom(r.Context())
	page := regEditPage{Slug: t.Slug, TenantName: t.LegalName, Section: e.Section.Slug, Op: e.Op, Item: e.Item, Base: e.Base,
		SectionTitle: a.t(r, "regedit.section."+e.Section.Doc), Errors: errs, Conflict: conflict,
		CanRemove: e.Op != "add" && e.Section.Doc != "",
		Inputs:    a.inputViews(r, e.Section, cur, e.Values, errs)}
	switch {
	case e.Section.Doc == "":
		page.Heading = a.t(r, "regedit.general.heading")
	case e.Op == "add":
		page.Heading = a.t(r, "regedit.add."+e.Section.Doc)
	default:
		page.Heading = a.t(r, "regedit.change.heading", a.t(r, "regedit.one."+e.Section.Doc),
			itemName(cur, e.Section.Doc, e.Item, string(LangFrom(r.Context()))))
	}
	page.Other = others
	a.render(w, r, status, "register-edit", page)
}

// registerEditPost takes a posted change (EditRegister): "preview" (the
// form's button) shows the comparison, "back" returns to the form as it
// was typed, "save" (the comparison's button) saves it as the next
// version. Every broken rule answers 422 at its input, nothing saved; a
// version saved by someone else since the form was shown answers 409
// with the form, to be compared again.
func (a *App) registerEditPost(w http.ResponseWriter, r *http.Request, me account.User) {
	s, ok := sectionBySlug(r.PathValue("section"))
	if !ok {
		a.notFound(w, r)
		return
	}
	if !a.parseForm(w, r) {
		return
	}
	rv, ok := a.currentForEdit(w, r)
	if !ok {
		return
	}
	e := postedEdit(s, r.PostForm)
	step := r.PostForm.Get("step")
	if r.PostForm.Get("switch_lang") != "" {
		// The language switch posts the page's form: show the same page
		// again, in the other language, with what it holds.
		step = "back"
		if r.PostForm.Get("shown") == "preview" {
			step = "preview"
		}
	}
	if step == "back" {
		a.renderRegisterEdit(w, r, http.StatusOK, rv.Register, e, nil, nil, false)
		return
	}
	if e.Base != rv.Version {
		e.Base = rv.Version
		if e.Op != "add" && s.index(&rv.Register, e.Item) < 0 {
			e.Op, e.Item = "add", ""
		}
		msg := a.t(r, "regedit.error.conflict", rv.Version)
		a.renderRegisterEdit(w, r, http.StatusConflict, rv.Register, e, fieldErrors{{"register-other", msg}},
			[]regOther{{Message: msg}}, true)
		return
	}
	prop, index, errs, err := a.apply(r, rv.Register, e)
	if errors.Is(err, errRegisterMoved) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "apply register change", err)
		return
	}
	var others []regOther
	if len(errs) == 0 {
		errs, others = a.problemErrors(r, e, rv.Register, prop, index, prop.Validate())
	}
	if len(errs) > 0 {
		a.renderRegisterEdit(w, r, http.StatusUnprocessableEntity, rv.Register, e, errs, others, false)
		return
	}
	if step != "save" || len(register.Diff(rv.Register, prop)) == 0 {
		// Nothing changes: nothing to save, the comparison says so.
		a.renderRegisterPreview(w, r, rv, prop, e)
		return
	}
	t := tenantFrom(r.Context())
	n, err := a.opts.Store.SaveRegisterOver(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, prop, e.Base)
	var inv *store.RegisterInvalidError
	switch {
	case errors.Is(err, store.ErrConflict):
		msg := a.t(r, "regedit.error.conflict", rv.Version+1)
		a.renderRegisterEdit(w, r, http.StatusConflict, rv.Register, e, fieldErrors{{"register-other", msg}},
			[]regOther{{Message: msg}}, true)
	case errors.As(err, &inv): // Validate ran above; the store checks again
		errs, others = a.problemErrors(r, e, rv.Register, prop, index, inv.Problems)
		a.renderRegisterEdit(w, r, http.StatusUnprocessableEntity, rv.Register, e, errs, others, false)
	case err != nil:
		a.internalError(w, r, "save register", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/register?saved="+strconv.Itoa(n), http.StatusSeeOther)
	}
}

// hiddenInputs are the change's values as hidden inputs, in input order.
func (e regEdit) hiddenInputs() []hiddenInput {
	out := []hiddenInput{{"op", e.Op}, {"item", e.Item}, {"base", strconv.Itoa(e.Base)}}
	for _, in := range e.Section.Inputs {
		for _, name := range in.names() {
			for _, v := range e.Values[name] {
				out = append(out, hiddenInput{name, v})
			}
		}
	}
	return out
}

// regSectionView is one section of the register page's edit list.
type regSectionView struct {
	Slug, Title, Add string
	Items            []regItemView
}

// regItemView is one item of the edit list.
type regItemView struct {
	Key  string
	Name loc
}

// regSectionViews lists reg's items per section for the edit list.
func (a *App) regSectionViews(r *http.Request, reg register.Register) []regSectionView {
	lang := string(LangFrom(r.Context()))
	var out []regSectionView
	for _, s := range regSections {
		sv := regSectionView{Slug: s.Slug, Title: a.t(r, "regedit.section."+s.Doc), Add: a.t(r, "regedit.add."+s.Doc)}
		l := s.list(reflect.ValueOf(&reg))
		for i := range l.Len() {
			it := l.Index(i)
			name := fieldOf(it, "name")
			n := loc{Text: name.String(), Lang: "nl-BE"}
			if name.Type() == textOfRegister {
				n = locOf(name.Interface().(register.Text), lang)
			}
			sv.Items = append(sv.Items, regItemView{Key: it.FieldByName("Key").String(), Name: n})
		}
		out = append(out, sv)
	}
	return out
}

// upperFirst starts s with a capital, for a message that stands alone.
func upperFirst(s string) string {
	for i, c := range s {
		return strings.ToUpper(string(c)) + s[i+len(string(c)):]
	}
	return s
}
