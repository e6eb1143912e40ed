// Package form owns the e-loket's form definitions: pages and typed fields
// with labels in nl/fr/en, each field naming the register category and
// purpose it collects (contract REG-1, REG-4), and the checks of what a
// citizen submits. Pure Go; the Belgian identifiers come from ident.
package form

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kluis/kluis/internal/register"
)

// The field types.
const (
	TypeText        = "text"        // one line
	TypeLongText    = "textarea"    // several lines
	TypeEmail       = "email"       //
	TypePhone       = "phone"       // Belgian or international, stored as E.164
	TypeDate        = "date"        // yyyy-mm-dd (dd/mm/yyyy typed is accepted)
	TypeNumber      = "number"      // decimal, comma or point
	TypeChoice      = "choice"      // one of Options (radio buttons)
	TypeMultiChoice = "multichoice" // several of Options (checkboxes)
	TypeCheckbox    = "checkbox"    // one yes/no (a required one must be ticked)
	TypeFile        = "file"        // an attachment, scanned and sealed
	TypeAddress     = "address"     // Belgian address: street, number, box, postcode, municipality
	TypeINSZ        = "insz"        // national register or BIS number
	TypeIBAN        = "iban"        //
	TypeKBO         = "kbo"         // enterprise number
)

// Types lists the field types in the order the builder offers them.
var Types = []string{TypeText, TypeLongText, TypeEmail, TypePhone, TypeDate, TypeNumber, TypeChoice, TypeMultiChoice,
	TypeCheckbox, TypeFile, TypeAddress, TypeINSZ, TypeIBAN, TypeKBO}

// Form is one version of a form definition.
type Form struct {
	Key   string        `json:"key"` // the form's address: /{tenant}/{key}
	Title register.Text `json:"title"`
	Intro register.Text `json:"intro,omitempty"`
	Pages []Page        `json:"pages"`
	// Done is shown with the receipt after a submission.
	Done register.Text `json:"done,omitempty"`
	// ConfirmationMail offers the citizen a confirmation by e-mail; the
	// form then needs an e-mail field (ConfirmationField).
	ConfirmationMail  bool   `json:"confirmation_mail,omitempty"`
	ConfirmationField string `json:"confirmation_field,omitempty"`
	// StatusMail tells the citizen by e-mail when their case moves; nil
	// for never.
	StatusMail *StatusMail `json:"status_mail,omitempty"`
	// HandlingDays is the time the controller gives itself to handle a
	// submission, in calendar days (0: none). Intake fixes each
	// submission's due date from the published version's value.
	HandlingDays int `json:"handling_days,omitempty"`
}

// StatusMail is a form's status mail: on or off, and the form's own text
// per status and language. The mail holds the reference, the form's title,
// the new status and this text — never the answers.
type StatusMail struct {
	Enabled bool `json:"enabled"`
	// Texts are by status (MailStatuses).
	Texts map[string]register.Text `json:"texts,omitempty"`
}

// MailStatuses are the statuses a status mail announces (a case moved
// back to "new" tells the citizen nothing).
var MailStatuses = []string{"in_progress", "done", "rejected"}

// StatusMailTextMax bounds a status mail's text, in characters.
const StatusMailTextMax = 2000

// MaxHandlingDays bounds a form's handling time: a year.
const MaxHandlingDays = 365

// Page is one step of a form.
type Page struct {
	Key    string        `json:"key"`
	Title  register.Text `json:"title"`
	Fields []Field       `json:"fields"`
}

// Field is one question.
type Field struct {
	Key      string        `json:"key"`
	Type     string        `json:"type"`
	Label    register.Text `json:"label"`
	Help     register.Text `json:"help,omitempty"`
	Required bool          `json:"required,omitempty"`
	// Category and Purpose are the register's keys: what this field
	// collects and why. A form cannot be published while a field lacks
	// them or names what the register does not have (REG-1, REG-4).
	Category string `json:"category"`
	Purpose  string `json:"purpose"`
	// Options are the answers of a choice or multichoice field.
	Options []Option `json:"options,omitempty"`
	// MaxLength bounds text answers (characters); 0 means the type's default.
	MaxLength int `json:"max_length,omitempty"`
	// Min and Max bound a number field.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Accept lists the MIME types a file field takes, MaxBytes its size.
	Accept   []string `json:"accept,omitempty"`
	MaxBytes int64    `json:"max_bytes,omitempty"`
	// Prefill: the field is filled in from the national register after
	// the citizen signed in with FAS (prefill.go); nil for none.
	Prefill *Prefill `json:"prefill,omitempty"`
}

// Option is one answer of a choice.
type Option struct {
	Value string        `json:"value"`
	Label register.Text `json:"label"`
}

// Default limits.
const (
	DefaultTextLength     = 200
	DefaultLongTextLength = 5000
	MaxTextLength         = 20000
	DefaultFileBytes      = 10 << 20
	MaxFileBytes          = 25 << 20
	MaxFields             = 200
	MaxDefinition         = 512 << 10
)

// DefaultAccept are the attachment types a file field takes when it names
// none: PDF, JPEG, PNG.
var DefaultAccept = []string{"application/pdf", "image/jpeg", "image/png"}

// AllowedAccept are the attachment types a form may accept at all.
var AllowedAccept = []string{"application/pdf", "image/jpeg", "image/png", "image/heic", "image/webp",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.oasis.opendocument.text"}

// Fields lists every field of every page, in order.
func (f Form) Fields() []Field {
	var out []Field
	for _, p := range f.Pages {
		out = append(out, p.Fields...)
	}
	return out
}

// Field returns the field with key k.
func (f Form) Field(k string) (Field, bool) {
	for _, fl := range f.Fields() {
		if fl.Key == k {
			return fl, true
		}
	}
	return Field{}, false
}

// Problem is one broken rule of a definition or a submission, at a path
// into it ("pages[0].fields[2].category"), with a message key under
// "form.problem." and its arguments.
type Problem struct {
	Path string
	Key  string
	Args []any
}

// Message is the problem as a sentence, worded by translate (a locale
// lookup of "form.problem."+Key).
func (p Problem) Message(translate func(key string, args ...any) string) string {
	msg := translate("form.problem."+p.Key, p.Args...)
	if p.Path == "" {
		return msg
	}
	return p.Path + ": " + msg
}

var keyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
var fieldKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// reservedKeys cannot be form keys: they are tenant pages.
var reservedKeys = []string{"privacy", "login", "logout", "activate", "activated", "account", "admin", "password",
	"signed-in", "static", "api", "receipt", "forms", "inbox", "operator", "lookup", "logo", "brand.css", ".well-known", "maintenance", "breaches",
	"subprocessors", "subprocessors.csv", "subprocessors.xlsx", "audits", "organisation", "instructions", "authority", "terminations", "backups", "clauses", "site", "toegankelijkheid", "prefill", "agreements"}

// Validate checks the definition on its own (publishable or not); every
// problem is listed. A draft may be unfinished — no pages yet, a page
// without fields, a choice without its answers — so that the builder can
// save it step by step; what is missing, and the checks against the
// register, are in Publishable.
func (f Form) Validate() []Problem {
	var ps []Problem
	add := func(path, key string, args ...any) { ps = append(ps, Problem{Path: path, Key: key, Args: args}) }
	text := func(path string, t register.Text, required bool) {
		if strings.TrimSpace(t["nl"]) == "" && (required || len(t) > 0) {
			add(path+".nl", "text_required")
		}
		for lang, s := range t {
			if lang != "nl" && lang != "fr" && lang != "en" {
				add(path+"."+lang, "text_language", lang)
			} else if len(s) > 5000 {
				add(path+"."+lang, "too_long", 5000)
			}
		}
	}
	switch {
	case f.Key == "":
		add("key", "required")
	case slices.Contains(reservedKeys, f.Key):
		// Before the format: a tenant page such as brand.css is reserved
		// even where no key could take its name.
		add("key", "key_reserved", f.Key)
	case !keyPattern.MatchString(f.Key):
		add("key", "key_format", f.Key)
	}
	text("title", f.Title, true)
	text("intro", f.Intro, false)
	text("done", f.Done, false)
	pageKeys, fieldKeys := map[string]bool{}, map[string]bool{}
	n := 0
	for i, p := range f.Pages {
		path := fmt.Sprintf("pages[%d]", i)
		switch {
		case !keyPattern.MatchString(p.Key):
			add(path+".key", "key_format", p.Key)
		case pageKeys[p.Key]:
			add(path+".key", "duplicate_key", p.Key)
		}
		pageKeys[p.Key] = true
		text(path+".title", p.Title, true)
		for j, fl := range p.Fields {
			n++
			fp := fmt.Sprintf("%s.fields[%d]", path, j)
			switch {
			case !fieldKeyPattern.MatchString(fl.Key):
				add(fp+".key", "field_key_format", fl.Key)
			case fieldKeys[fl.Key]:
				add(fp+".key", "duplicate_key", fl.Key)
			}
			fieldKeys[fl.Key] = true
			if !slices.Contains(Types, fl.Type) {
				add(fp+".type", "unknown_type", fl.Type)
			}
			text(fp+".label", fl.Label, true)
			text(fp+".help", fl.Help, false)
			switch fl.Type {
			case TypeChoice, TypeMultiChoice:
				seen := map[string]bool{}
				for k, o := range fl.Options {
					op := fmt.Sprintf("%s.options[%d]", fp, k)
					if o.Value == "" || len(o.Value) > 100 || seen[o.Value] {
						add(op+".value", "option_value", o.Value)
					}
					seen[o.Value] = true
					text(op+".label", o.Label, true)
				}
			default:
				if len(fl.Options) > 0 {
					add(fp+".options", "options_not_allowed", fl.Type)
				}
			}
			if fl.MaxLength < 0 || fl.MaxLength > MaxTextLength {
				add(fp+".max_length", "max_length", MaxTextLength)
			}
			if fl.Min != nil && fl.Max != nil && *fl.Min > *fl.Max {
				add(fp+".min", "min_above_max")
			}
			fl.validatePrefill(fp, add)
			if fl.Type == TypeFile {
				if fl.MaxBytes < 0 || fl.MaxBytes > MaxFileBytes {
					add(fp+".max_bytes", "max_bytes", MaxFileBytes>>20)
				}
				for k, a := range fl.Accept {
					if !slices.Contains(AllowedAccept, a) {
						add(fmt.Sprintf("%s.accept[%d]", fp, k), "accept", a)
					}
				}
			}
		}
	}
	if n > MaxFields {
		add("pages", "too_many_fields", MaxFields)
	}
	if f.HandlingDays < 0 || f.HandlingDays > MaxHandlingDays {
		add("handling_days", "handling_days", MaxHandlingDays)
	}
	if f.ConfirmationMail {
		fl, ok := f.Field(f.ConfirmationField)
		if !ok || fl.Type != TypeEmail {
			add("confirmation_field", "confirmation_field")
		}
	}
	if sm := f.StatusMail; sm != nil {
		if sm.Enabled && !slices.ContainsFunc(f.Fields(), func(fl Field) bool { return fl.Type == TypeEmail }) {
			add("status_mail", "status_mail_email")
		}
		for status, t := range sm.Texts {
			if !slices.Contains(MailStatuses, status) {
				add("status_mail_"+status, "status_mail_status", status)
				continue
			}
			for lang, s := range t {
				if len([]rune(s)) > StatusMailTextMax {
					add("status_mail_"+status+"."+lang, "status_mail_too_long", StatusMailTextMax)
				}
			}
		}
	}
	return ps
}

// ContactField is the e-mail field whose answer staff reply to and the
// citizen looks the request up with: the confirmation field when the form
// has one, else its first e-mail field; false when it has none.
func (f Form) ContactField() (Field, bool) {
	if fl, ok := f.Field(f.ConfirmationField); ok && fl.Type == TypeEmail {
		return fl, true
	}
	for _, fl := range f.Fields() {
		if fl.Type == TypeEmail {
			return fl, true
		}
	}
	return Field{}, false
}

// Publishable checks the definition, that it is complete (pages, each
// with fields, choices with at least two answers), and then every field
// against the register it will be published under: the category and purpose exist,
// the category serves that purpose, a national register number is
// collected only into a category of class 3.08 (REG-7's extra conditions)
// and a class 4.x category only for a purpose with an art. 9 basis; and
// that each language the form is offered in has every text (Offered). A
// form with any problem cannot be published (REG-1, REG-4).
func (f Form) Publishable(reg register.Register) []Problem {
	ps := f.Validate()
	add := func(path, key string, args ...any) { ps = append(ps, Problem{Path: path, Key: key, Args: args}) }
	if strings.TrimSpace(reg.DPOContact) == "" {
		// The notice must say how to reach the DPO (art. 13.1.b).
		add("", "dpo_contact_required")
	}
	if len(f.Pages) == 0 {
		add("pages", "required")
	}
	for i, p := range f.Pages {
		if len(p.Fields) == 0 {
			add(fmt.Sprintf("pages[%d].fields", i), "required")
		}
		for j, fl := range p.Fields {
			fp := fmt.Sprintf("pages[%d].fields[%d]", i, j)
			if (fl.Type == TypeChoice || fl.Type == TypeMultiChoice) && len(fl.Options) < 2 {
				add(fp+".options", "options_required")
			}
			if fl.Category == "" {
				add(fp+".category", "category_required")
			}
			if fl.Purpose == "" {
				add(fp+".purpose", "purpose_required")
			}
			if fl.Category == "" || fl.Purpose == "" {
				continue
			}
			c, ok := reg.Category(fl.Category)
			if !ok {
				add(fp+".category", "category_unknown", fl.Category)
				continue
			}
			pu, ok := reg.Purpose(fl.Purpose)
			if !ok {
				add(fp+".purpose", "purpose_unknown", fl.Purpose)
				continue
			}
			if !slices.Contains(c.Purposes, fl.Purpose) {
				add(fp+".purpose", "purpose_not_of_category", fl.Purpose, fl.Category)
			}
			cl, _ := register.ClassByCode(c.Class)
			if fl.Type == TypeINSZ && c.Class != "3.08" {
				add(fp+".category", "insz_class", fl.Category, c.Class)
			}
			if cl.Special && pu.Art9Basis == "" {
				add(fp+".purpose", "art9_required", c.Class, fl.Purpose)
			}
			fl.publishablePrefill(fp, c, add)
		}
	}
	f.publishablePrefillPurpose(add)
	// Every language the form is offered in is complete (see langs.go).
	return append(ps, f.translationProblems(NoticeFor(f, reg))...)
}

// ParseJSON reads a form definition (the builder's import). Unknown fields
// and wrong types are problems; then the definition's own rules.
func ParseJSON(b []byte) (Form, []Problem) {
	var f Form
	if len(b) > MaxDefinition {
		return f, []Problem{{Key: "document_too_large", Args: []any{MaxDefinition}}}
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, []Problem{{Key: "json", Args: []any{err.Error()}}}
	}
	if dec.More() {
		return f, []Problem{{Key: "json", Args: []any{"more than one definition"}}}
	}
	return f, f.Validate()
}

// JSON is the definition as the builder exports it.
func (f Form) JSON() []byte {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("form: encode: %v", err)) // plain data: cannot fail
	}
	return append(b, '\n')
}
