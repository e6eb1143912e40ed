package form

import (
	"errors"
	"mime"
	"net/mail"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kluis/kluis/internal/ident"
)

// Answer is one field's cleaned answer. Value holds the canonical text of
// every single-valued type (an INSZ as 11 digits, a phone number in E.164,
// a date as yyyy-mm-dd, a number with a point, a choice's value, "yes" for
// a ticked checkbox); Values the choices of a multichoice; Address a
// Belgian address. File answers are stored as attachments, not here.
type Answer struct {
	Value   string   `json:"v,omitempty"`
	Values  []string `json:"vs,omitempty"`
	Address *Address `json:"a,omitempty"`
	// Register is the day (yyyy-mm-dd) the answer was prefilled from the
	// national register, when the citizen sent it unchanged (prefill.go);
	// staff then read "source: national register". "" for a typed answer.
	Register string `json:"rr,omitempty"`
}

// Address is a Belgian postal address.
type Address struct {
	Street       string `json:"street"`
	Number       string `json:"number"`
	Box          string `json:"box,omitempty"`
	Postcode     string `json:"postcode"`
	Municipality string `json:"municipality"`
}

// AddressParts are the inputs of an address field, after its key and "_".
var AddressParts = []string{"street", "number", "box", "postcode", "municipality"}

// Answers are a submission's cleaned answers by field key.
type Answers map[string]Answer

// FieldError is what is wrong with one answer: the input it concerns (the
// field's key, or key_part for an address) and a message key under
// "form.error." with its arguments, for the citizen's language.
type FieldError struct {
	Input string
	Key   string
	Args  []any
}

// Input is what the browser posted: input name → values.
type Input map[string][]string

func (in Input) get(name string) string {
	if v := in[name]; len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

// MaxInput bounds one text input before any field rule (a hostile post
// should not make us validate megabytes).
const MaxInput = MaxTextLength * 4

// Check validates a submission of every non-file field of f: required
// answers, types, Belgian identifiers, lengths, ranges, choices. It returns
// the cleaned answers and, when anything is wrong, one error per input in
// form order (the answers are then not to be stored).
func (f Form) Check(in Input) (Answers, []FieldError) {
	answers := Answers{}
	var errs []FieldError
	bad := func(input, key string, args ...any) { errs = append(errs, FieldError{input, key, args}) }
	for _, fl := range f.Fields() {
		if fl.Type == TypeFile {
			continue
		}
		switch fl.Type {
		case TypeMultiChoice:
			var vs []string
			valid := true
			for _, v := range in[fl.Key] {
				if !fl.hasOption(v) {
					valid = false
					break
				}
				if !slices.Contains(vs, v) {
					vs = append(vs, v)
				}
			}
			switch {
			case !valid:
				bad(fl.Key, "choice")
			case len(vs) == 0 && fl.Required:
				bad(fl.Key, "required_choice")
			case len(vs) > 0:
				answers[fl.Key] = Answer{Values: vs}
			}
			continue
		case TypeAddress:
			a, aerrs := checkAddress(fl, in)
			errs = append(errs, aerrs...)
			if a != nil {
				answers[fl.Key] = Answer{Address: a}
			}
			continue
		}
		raw := in.get(fl.Key)
		if len(raw) > MaxInput {
			bad(fl.Key, "too_long", fl.maxLength())
			continue
		}
		if raw == "" {
			switch {
			case fl.Required && fl.Type == TypeCheckbox:
				bad(fl.Key, "required_checkbox")
			case fl.Required && fl.Type == TypeChoice:
				bad(fl.Key, "required_choice")
			case fl.Required:
				bad(fl.Key, "required")
			}
			continue
		}
		v, key, args := fl.clean(raw)
		if key != "" {
			bad(fl.Key, key, args...)
			continue
		}
		answers[fl.Key] = Answer{Value: v}
	}
	return answers, errs
}

func (fl Field) hasOption(v string) bool {
	return slices.ContainsFunc(fl.Options, func(o Option) bool { return o.Value == v })
}

// EchoLimit is the longest answer to fl a refused form shows back: its
// maximum length for text fields, DefaultTextLength for every other kind
// (none of whose valid answers comes near it).
func (fl Field) EchoLimit() int {
	if fl.Type == TypeText || fl.Type == TypeLongText {
		return fl.maxLength()
	}
	return DefaultTextLength
}

func (fl Field) maxLength() int {
	switch {
	case fl.MaxLength > 0:
		return fl.MaxLength
	case fl.Type == TypeLongText:
		return DefaultLongTextLength
	}
	return DefaultTextLength
}

// identKey is the message key of an ident problem.
func identKey(err error) string {
	var inv *ident.Invalid
	if errors.As(err, &inv) {
		return inv.Kind + "." + string(inv.Problem)
	}
	return "invalid"
}

// clean checks one non-empty single-valued answer and returns its
// canonical form, or a message key and arguments.
func (fl Field) clean(raw string) (string, string, []any) {
	switch fl.Type {
	case TypeText, TypeLongText:
		if !utf8.ValidString(raw) || strings.ContainsFunc(raw, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' && r != '\t' }) {
			return "", "characters", nil
		}
		if fl.Type == TypeText && strings.ContainsAny(raw, "\r\n") {
			return "", "one_line", nil
		}
		if n := fl.maxLength(); utf8.RuneCountInString(raw) > n {
			return "", "too_long", []any{n}
		}
		return strings.ReplaceAll(raw, "\r\n", "\n"), "", nil
	case TypeEmail:
		a, err := mail.ParseAddress(raw)
		if err != nil || a.Address != raw || len(raw) > 254 || !strings.Contains(raw[strings.LastIndexByte(raw, '@'):], ".") {
			return "", "email", nil
		}
		return raw, "", nil
	case TypePhone:
		v, err := ident.Phone(raw)
		if err != nil {
			return "", "phone", nil
		}
		return v, "", nil
	case TypeDate:
		for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006", "02-01-2006", "02.01.2006"} {
			if d, err := time.Parse(layout, raw); err == nil && d.Year() >= 1900 && d.Year() <= 2200 {
				return d.Format("2006-01-02"), "", nil
			}
		}
		return "", "date", nil
	case TypeNumber:
		n, err := strconv.ParseFloat(strings.Replace(strings.ReplaceAll(raw, " ", ""), ",", ".", 1), 64)
		if err != nil || n != n || n > 1e15 || n < -1e15 {
			return "", "number", nil
		}
		if fl.Min != nil && n < *fl.Min {
			return "", "number_min", []any{strconv.FormatFloat(*fl.Min, 'f', -1, 64)}
		}
		if fl.Max != nil && n > *fl.Max {
			return "", "number_max", []any{strconv.FormatFloat(*fl.Max, 'f', -1, 64)}
		}
		return strconv.FormatFloat(n, 'f', -1, 64), "", nil
	case TypeChoice:
		if !fl.hasOption(raw) {
			return "", "choice", nil
		}
		return raw, "", nil
	case TypeCheckbox:
		return "yes", "", nil
	case TypeINSZ:
		n, err := ident.INSZ(raw)
		if err != nil {
			return "", identKey(err), nil
		}
		return n.Digits, "", nil
	case TypeIBAN:
		v, err := ident.IBAN(raw)
		if err != nil {
			return "", identKey(err), nil
		}
		return v, "", nil
	case TypeKBO:
		v, err := ident.KBO(raw)
		if err != nil {
			return "", identKey(err), nil
		}
		return v, "", nil
	}
	return "", "invalid", nil
}

// checkAddress checks the five inputs of an address field; an optional
// address left wholly empty is no answer.
func checkAddress(fl Field, in Input) (*Address, []FieldError) {
	a := &Address{Street: in.get(fl.Key + "_street"), Number: in.get(fl.Key + "_number"), Box: in.get(fl.Key + "_box"),
		Postcode: in.get(fl.Key + "_postcode"), Municipality: in.get(fl.Key + "_municipality")}
	if *a == (Address{}) && !fl.Required {
		return nil, nil
	}
	var errs []FieldError
	for _, part := range []struct {
		name, v string
		max     int
	}{{"street", a.Street, 200}, {"number", a.Number, 20}, {"box", a.Box, 20}, {"municipality", a.Municipality, 100}} {
		switch {
		case part.v == "" && part.name != "box":
			errs = append(errs, FieldError{fl.Key + "_" + part.name, "address_" + part.name, nil})
		case utf8.RuneCountInString(part.v) > part.max || strings.ContainsAny(part.v, "\r\n\t"):
			errs = append(errs, FieldError{fl.Key + "_" + part.name, "too_long", []any{part.max}})
		}
	}
	if a.Postcode == "" {
		errs = append(errs, FieldError{fl.Key + "_postcode", "address_postcode", nil})
	} else if pc, err := ident.Postcode(a.Postcode); err != nil {
		errs = append(errs, FieldError{fl.Key + "_postcode", identKey(err), nil})
	} else {
		a.Postcode = pc
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return a, nil
}

// FileInfo describes an uploaded file as the server saw it.
type FileInfo struct {
	Name        string
	Size        int64
	ContentType string // sniffed from the content, not the browser's claim
}

// typeExtensions are the file name extensions each accepted type may
// carry (AllowedAccept's types).
var typeExtensions = map[string][]string{
	"application/pdf": {".pdf"},
	"image/jpeg":      {".jpg", ".jpeg", ".jfif"},
	"image/png":       {".png"},
	"image/heic":      {".heic", ".heif"},
	"image/webp":      {".webp"},
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": {".docx"},
	"application/vnd.oasis.opendocument.text":                                 {".odt"},
}

// CheckFile checks one attachment against its field: size and type (the
// sniffed type must be one the field accepts). A missing required file is
// CheckFile's too: pass nil.
func (fl Field) CheckFile(fi *FileInfo) *FieldError {
	if fi == nil || fi.Size == 0 {
		if fl.Required {
			return &FieldError{fl.Key, "required_file", nil}
		}
		return nil
	}
	limit := fl.MaxBytes
	if limit == 0 {
		limit = DefaultFileBytes
	}
	if fi.Size > limit {
		return &FieldError{fl.Key, "file_too_large", []any{limit >> 20}}
	}
	accept := fl.Accept
	if len(accept) == 0 {
		accept = DefaultAccept
	}
	mt, _, _ := mime.ParseMediaType(fi.ContentType)
	if !slices.Contains(accept, mt) {
		return &FieldError{fl.Key, "file_type", nil}
	}
	// The name's extension must say what the content is (ASVS 5.2.2): a
	// PDF named "x.exe" or "x.html" would be opened by the wrong program
	// once downloaded.
	ext := strings.ToLower(path.Ext(fi.Name))
	if !slices.Contains(typeExtensions[mt], ext) {
		return &FieldError{fl.Key, "file_type", nil}
	}
	if fi.Name == "" || len(fi.Name) > 255 || strings.ContainsAny(fi.Name, "/\\\x00") {
		return &FieldError{fl.Key, "file_name", nil}
	}
	return nil
}

// Display renders an answer as people read it back (receipt, inbox,
// exports): option labels in lang, an address on one line, an INSZ and an
// IBAN grouped. word translates the two words it needs: "form.address.box"
// and "user.yes".
func (fl Field) Display(ans Answer, lang string, word func(key string) string) string {
	label := func(v string) string {
		for _, o := range fl.Options {
			if o.Value == v {
				return o.Label.In(lang)
			}
		}
		return v
	}
	switch {
	case ans.Address != nil:
		ad := ans.Address
		s := ad.Street + " " + ad.Number
		if ad.Box != "" {
			s += " " + word("form.address.box") + " " + ad.Box
		}
		return s + ", " + ad.Postcode + " " + ad.Municipality
	case len(ans.Values) > 0:
		out := make([]string, len(ans.Values))
		for i, v := range ans.Values {
			out[i] = label(v)
		}
		return strings.Join(out, ", ")
	}
	switch fl.Type {
	case TypeChoice:
		return label(ans.Value)
	case TypeCheckbox:
		if ans.Value != "" {
			return word("user.yes")
		}
	case TypeINSZ:
		return ident.FormatINSZ(ans.Value)
	case TypeIBAN:
		return ident.FormatIBAN(ans.Value)
	}
	return ans.Value
}

// SubjectOf is who a submission is about, for its blind index: the national
// register number when the form asks one, else the e-mail address (lower
// case). Intake and the import's re-index (END-3) both derive it here, so
// that an imported submission is found by the same value as a new one.
func SubjectOf(f Form, answers Answers) string {
	var email string
	for _, fl := range f.Fields() {
		switch {
		case fl.Type == TypeINSZ && answers[fl.Key].Value != "":
			return answers[fl.Key].Value
		case fl.Type == TypeEmail && email == "":
			email = strings.ToLower(answers[fl.Key].Value)
		}
	}
	return email
}
