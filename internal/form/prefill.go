package form

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kluis/kluis/internal/register"
)

// Prefill from the national register (LOC-2, REG-4): a field may declare
// that, after the citizen signed in with FAS, it is filled in from the
// register's answer to GeefPersoon (MAGDA) — one kind of data, fixed per
// field — and whether the citizen may correct it. Only the fields a form
// declares are filled, never more of the answer (REG-4), and a form is not
// published while a field's register category does not cover the kind of
// data it is prefilled with.

// PrefillSource is the one source a field can be prefilled from: MAGDA's
// GeefPersoon, the national register's person.
const PrefillSource = "geefpersoon"

// The kinds of data a field can be prefilled with.
const (
	PrefillFirstNames  = "first_names" // all first names, space-separated
	PrefillSurname     = "surname"     //
	PrefillFullName    = "full_name"   // first names and surname
	PrefillAddress     = "address"     // main residence: street, number, box, postcode, municipality (in Belgium)
	PrefillBirthDate   = "birth_date"  //
	PrefillNationality = "nationality" // every nationality, comma-separated
	PrefillINSZ        = "insz"        // the national register number
)

// PrefillData lists the kinds in the order the builder offers them.
var PrefillData = []string{PrefillFirstNames, PrefillSurname, PrefillFullName, PrefillAddress, PrefillBirthDate,
	PrefillNationality, PrefillINSZ}

// Prefill is a field's prefill declaration.
type Prefill struct {
	Source string `json:"source"` // PrefillSource
	Data   string `json:"data"`   // one of PrefillData
	// ReadOnly: the citizen cannot correct the register's value (only
	// when it was prefilled; an empty field stays open to type in).
	ReadOnly bool `json:"read_only,omitempty"`
}

// prefillType is the field type each kind of data fills.
var prefillType = map[string]string{
	PrefillFirstNames: TypeText, PrefillSurname: TypeText, PrefillFullName: TypeText, PrefillNationality: TypeText,
	PrefillAddress: TypeAddress, PrefillBirthDate: TypeDate, PrefillINSZ: TypeINSZ,
}

// prefillGroup names the kind's group in messages ("names" for the three
// kinds of name).
func prefillGroup(data string) string {
	switch data {
	case PrefillFirstNames, PrefillSurname, PrefillFullName:
		return "names"
	}
	return data
}

// prefillClasses are the register's information classes (register
// classes.go) that cover each group: names and the address are
// identification or personal contact data, the birth date and nationality
// identification data or personal characteristics, and the national
// register number only its own class 3.08 (REG-7's extra conditions).
var prefillClasses = map[string][]string{
	"names":            {"3.00", "3.01"},
	PrefillAddress:     {"3.00", "3.01"},
	PrefillBirthDate:   {"3.01", "3.02"},
	PrefillNationality: {"3.01", "3.02"},
	PrefillINSZ:        {"3.08"},
}

// PrefillClasses lists the information classes whose categories may
// receive data of kind data.
func PrefillClasses(data string) []string { return prefillClasses[prefillGroup(data)] }

// validatePrefill checks a field's declaration on its own.
func (fl Field) validatePrefill(fp string, add func(path, key string, args ...any)) {
	p := fl.Prefill
	if p == nil {
		return
	}
	if p.Source != PrefillSource {
		add(fp+".prefill.source", "prefill_source", p.Source)
	}
	want, ok := prefillType[p.Data]
	switch {
	case !ok:
		add(fp+".prefill.data", "prefill_data", p.Data)
	case fl.Type != want:
		add(fp+".prefill.data", "prefill_type_"+prefillGroup(p.Data), fl.Key)
	}
}

// publishablePrefill checks a field's prefill against the register: its
// category's class must cover the data (REG-4). c is the field's category.
func (fl Field) publishablePrefill(fp string, c register.Category, add func(path, key string, args ...any)) {
	p := fl.Prefill
	if p == nil || prefillType[p.Data] == "" {
		return
	}
	if !slices.Contains(PrefillClasses(p.Data), c.Class) {
		add(fp+".prefill.data", "prefill_category_"+prefillGroup(p.Data), fl.Key, c.Key, c.Class)
	}
}

// HasPrefill reports whether any field of f is prefilled from the register.
func (f Form) HasPrefill() bool {
	return slices.ContainsFunc(f.Fields(), func(fl Field) bool { return fl.Prefill != nil })
}

// PrefillPurpose is the register purpose the form asks the register for:
// the purpose of its prefilled fields, which Publishable requires to be
// one. "" when no field is prefilled.
func (f Form) PrefillPurpose() string {
	for _, fl := range f.Fields() {
		if fl.Prefill != nil {
			return fl.Purpose
		}
	}
	return ""
}

// publishablePrefillPurpose: every prefilled field serves one purpose, so
// that one call to the register is made for one stated purpose.
func (f Form) publishablePrefillPurpose(add func(path, key string, args ...any)) {
	purpose := f.PrefillPurpose()
	for i, p := range f.Pages {
		for j, fl := range p.Fields {
			if fl.Prefill != nil && fl.Purpose != purpose {
				add(fmt.Sprintf("pages[%d].fields[%d].purpose", i, j), "prefill_purpose", fl.Key, purpose)
			}
		}
	}
}

// RegisterPerson is the register's answer about the signed-in citizen, as
// prefill reads it (the web layer converts MAGDA's answer to it, so that
// this package stays free of I/O).
type RegisterPerson struct {
	INSZ          string
	FirstNames    []string
	Surname       string
	BirthDate     string   // yyyy-mm-dd
	Nationalities []string // descriptions, e.g. "Belg"
	Address       *Address // nil when the register gave none
	Country       string   // the address's country code; a form's address is Belgian
}

// PrefillAnswers are the answers f's prefilled fields take from p — only
// the fields f declares, each with the one kind of data it declares
// (REG-4); a kind the register did not answer leaves its field out.
func (f Form) PrefillAnswers(p RegisterPerson) Answers {
	out := Answers{}
	for _, fl := range f.Fields() {
		if fl.Prefill == nil || fl.Prefill.Source != PrefillSource || fl.Type != prefillType[fl.Prefill.Data] {
			continue
		}
		var v string
		switch fl.Prefill.Data {
		case PrefillFirstNames:
			v = strings.Join(p.FirstNames, " ")
		case PrefillSurname:
			v = p.Surname
		case PrefillFullName:
			v = strings.TrimSpace(strings.Join(append(slices.Clone(p.FirstNames), p.Surname), " "))
		case PrefillBirthDate:
			v = p.BirthDate
		case PrefillNationality:
			v = strings.Join(p.Nationalities, ", ")
		case PrefillINSZ:
			v = p.INSZ
		case PrefillAddress:
			if p.Address != nil && (p.Country == "" || p.Country == "BE") {
				a := *p.Address
				out[fl.Key] = Answer{Address: &a}
			}
			continue
		}
		if v = strings.TrimSpace(v); v != "" {
			out[fl.Key] = Answer{Value: v}
		}
	}
	return out
}

// Inputs are the inputs a form posts for an answer of fl (an address's
// parts under key_part), as the page shows them back.
func (fl Field) Inputs(ans Answer) map[string]string {
	if fl.Type == TypeAddress {
		out := map[string]string{}
		if a := ans.Address; a != nil {
			for part, v := range map[string]string{"street": a.Street, "number": a.Number, "box": a.Box,
				"postcode": a.Postcode, "municipality": a.Municipality} {
				out[fl.Key+"_"+part] = v
			}
		}
		return out
	}
	return map[string]string{fl.Key: ans.Value}
}

// SameAnswer reports whether two cleaned answers say the same: a
// prefilled value sent back unchanged.
func SameAnswer(x, y Answer) bool {
	if (x.Address == nil) != (y.Address == nil) {
		return false
	}
	if x.Address != nil && *x.Address != *y.Address {
		return false
	}
	return x.Value == y.Value && slices.Equal(x.Values, y.Values)
}
