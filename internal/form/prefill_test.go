package form

import (
	"reflect"
	"testing"

	"github.com/kluis/kluis/internal/register"
)

// prefilledBenefit is the demo's benefit form with its applicant's
// national register number, name and address prefilled.
func prefilledBenefit() Form {
	f := DemoForm("toelage")
	fs := f.Pages[0].Fields
	fs[0].Prefill = &Prefill{Source: PrefillSource, Data: PrefillINSZ, ReadOnly: true}
	fs[1].Prefill = &Prefill{Source: PrefillSource, Data: PrefillFullName}
	fs[4].Prefill = &Prefill{Source: PrefillSource, Data: PrefillAddress}
	return f
}

func TestPrefillDeclarationRules(t *testing.T) {
	f := prefilledBenefit()
	if ps := f.Publishable(register.Demo()); len(ps) > 0 {
		t.Fatalf("a prefill the register covers: %v", ps)
	}
	back, ps := ParseJSON(f.JSON())
	if len(ps) > 0 || !reflect.DeepEqual(back, f) {
		t.Fatalf("prefill does not survive JSON: %v", ps)
	}
	fs := f.Pages[0].Fields
	fs[0].Prefill = &Prefill{Source: "crossroads", Data: PrefillINSZ}
	fs[1].Prefill = &Prefill{Source: PrefillSource, Data: "shoe_size"}
	fs[2].Prefill = &Prefill{Source: PrefillSource, Data: PrefillBirthDate} // e-mail field
	fs[4].Prefill = &Prefill{Source: PrefillSource, Data: PrefillSurname}   // address field
	ps = f.Validate()
	for _, want := range [][2]string{
		{"pages[0].fields[0].prefill.source", "prefill_source"},
		{"pages[0].fields[1].prefill.data", "prefill_data"},
		{"pages[0].fields[2].prefill.data", "prefill_type_birth_date"},
		{"pages[0].fields[4].prefill.data", "prefill_type_names"},
	} {
		if !problemAt(ps, want[0], want[1]) {
			t.Errorf("no %s at %s in %v", want[1], want[0], ps)
		}
	}
}

// TestClauseREG4_PrefillOnlyWithinRegisterCategory: a prefill is
// publishable only into a category whose information class covers the
// data (REG-4), and all prefilled fields serve one purpose.
func TestClauseREG4_PrefillOnlyWithinRegisterCategory(t *testing.T) {
	reg := register.Demo()
	f := prefilledBenefit()
	fs := f.Pages[0].Fields
	fs[0].Type, fs[0].Category = TypeText, "contact" // national number into contact details (3.00)
	fs[0].Prefill.Data = PrefillFullName
	f2 := prefilledBenefit()
	f2.Pages[0].Fields[1].Category = "national-number" // a name into class 3.08
	f3 := prefilledBenefit()
	f3.Pages[0].Fields[1].Purpose = "online-services"
	for name, c := range map[string]struct {
		f         Form
		path, key string
	}{
		"name is fine in 3.00": {f, "", ""},
		"insz type into 3.00": {func() Form {
			f := prefilledBenefit()
			f.Pages[0].Fields[0].Category = "contact"
			return f
		}(), "pages[0].fields[0].prefill.data", "prefill_category_insz"},
		"name into 3.08": {f2, "pages[0].fields[1].prefill.data", "prefill_category_names"},
		"two purposes":   {f3, "pages[0].fields[1].purpose", "prefill_purpose"},
	} {
		t.Run(name, func(t *testing.T) {
			ps := c.f.Publishable(reg)
			if c.key == "" {
				for _, p := range ps {
					if p.Path == "pages[0].fields[0].prefill.data" {
						t.Fatalf("refused: %v", p)
					}
				}
				return
			}
			if !problemAt(ps, c.path, c.key) {
				t.Fatalf("no %s at %s in %v", c.key, c.path, ps)
			}
		})
	}
}

// TestClauseREG4_PrefillFillsOnlyDeclaredFields: the register's answer
// fills the fields the form declares with the kind each declares, never
// more of it.
func TestClauseREG4_PrefillFillsOnlyDeclaredFields(t *testing.T) {
	p := RegisterPerson{INSZ: "85073003328", FirstNames: []string{"Anouk", "Maria"}, Surname: "Testelmans", BirthDate: "1985-07-30",
		Nationalities: []string{"Belg"}, Address: &Address{Street: "Voorbeeldstraat", Number: "12", Postcode: "9000", Municipality: "Gent"},
		Country: "BE"}
	got := prefilledBenefit().PrefillAnswers(p)
	want := Answers{
		"insz":    {Value: "85073003328"},
		"name":    {Value: "Anouk Maria Testelmans"},
		"address": {Address: p.Address},
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("prefill %+v, want %+v", got, want)
	}
	f := prefilledBenefit()
	f.Pages[0].Fields[1].Prefill.Data = PrefillSurname
	f.Pages[0].Fields[0].Prefill = nil
	p.Country = "FR" // a form's address is Belgian: no foreign address prefilled
	if got := f.PrefillAnswers(p); !reflect.DeepEqual(Answers{"name": {Value: "Testelmans"}}, got) {
		t.Fatalf("prefill %+v", got)
	}
	// The prefilled answers pass the form's own check as posted back.
	in := Input{}
	for _, fl := range prefilledBenefit().Fields() {
		if a, ok := got[fl.Key]; ok {
			for k, v := range fl.Inputs(a) {
				in[k] = []string{v}
			}
		}
	}
	checked, _ := prefilledBenefit().Check(in)
	for k, a := range got {
		if !SameAnswer(a, checked[k]) {
			t.Errorf("%s: prefilled %+v, checked %+v", k, a, checked[k])
		}
	}
}
