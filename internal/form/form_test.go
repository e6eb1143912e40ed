package form

import (
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/register"
)

func problemAt(ps []Problem, path, key string) bool {
	return slices.ContainsFunc(ps, func(p Problem) bool { return p.Path == path && p.Key == key })
}

func TestDemoFormsArePublishable(t *testing.T) {
	reg := register.Demo()
	for _, f := range DemoForms() {
		if ps := f.Publishable(reg); len(ps) > 0 {
			t.Errorf("demo form %s: %v", f.Key, ps)
		}
		back, ps := ParseJSON(f.JSON())
		if len(ps) > 0 || string(back.JSON()) != string(f.JSON()) {
			t.Errorf("demo form %s does not survive JSON: %v", f.Key, ps)
		}
	}
}

// TestClauseREG1_FieldWithoutRegisterCategoryCannotBePublished: every
// field must name a category and a purpose of the register (REG-1) and the
// purpose must be one the category serves (REG-4: nothing collected for a
// purpose it is not registered for); a national register number goes only
// into a 3.08 category (REG-7) and a 4.x category only for an art. 9
// purpose.
func TestClauseREG1_FieldWithoutRegisterCategoryCannotBePublished(t *testing.T) {
	reg := register.Demo()
	f := DemoForms()[1]
	fields := f.Pages[0].Fields
	fields[0].Category = "contact"                   // insz into a 3.00 category
	fields[1].Category, fields[1].Purpose = "", ""   // name: nothing
	fields[2].Category = "shoe-size"                 // unknown category
	fields[3].Purpose = "analytics"                  // contact does not serve analytics
	f.Pages[1].Fields[0].Purpose = "online-services" // income (4.00) serves social-support only
	ps := f.Publishable(reg)
	for _, want := range [][2]string{
		{"pages[0].fields[0].category", "insz_class"},
		{"pages[0].fields[1].category", "category_required"},
		{"pages[0].fields[1].purpose", "purpose_required"},
		{"pages[0].fields[2].category", "category_unknown"},
		{"pages[0].fields[3].purpose", "purpose_not_of_category"},
		{"pages[1].fields[0].purpose", "purpose_not_of_category"},
	} {
		if !problemAt(ps, want[0], want[1]) {
			t.Errorf("no %s at %s in %v", want[1], want[0], ps)
		}
	}
	// The same definition is valid as a draft: only publishing needs the register.
	if ps := f.Validate(); len(ps) > 0 {
		t.Fatalf("draft problems: %v", ps)
	}
	// A 4.x category for a purpose without art. 9 basis.
	reg2 := register.Demo()
	for i := range reg2.Purposes {
		if reg2.Purposes[i].Key == "social-support" {
			reg2.Purposes[i].Art9Basis = ""
		}
	}
	if ps := DemoForms()[1].Publishable(reg2); !problemAt(ps, "pages[1].fields[0].purpose", "art9_required") {
		t.Fatalf("4.x without art. 9 basis published: %v", ps)
	}
}

func TestDefinitionRules(t *testing.T) {
	f := Form{Key: "privacy", Title: register.Text{"nl": "x", "de": "y"}, Pages: []Page{{Key: "p", Title: register.Text{"nl": "P"}, Fields: []Field{
		{Key: "Naam", Type: "text", Label: register.Text{"nl": "N"}},
		{Key: "kies", Type: TypeChoice, Label: register.Text{"nl": "K"}, Options: []Option{{Value: "a", Label: register.Text{"nl": "A"}}}},
		{Key: "kies", Type: "colour", Label: register.Text{}},
		{Key: "file", Type: TypeFile, Label: register.Text{"nl": "F"}, Accept: []string{"application/x-msdownload"}, MaxBytes: 1 << 30},
		{Key: "n", Type: TypeNumber, Label: register.Text{"nl": "N"}, Min: ptr(5), Max: ptr(1)},
	}}}, ConfirmationMail: true, ConfirmationField: "n", HandlingDays: 400}
	ps := f.Validate()
	for _, want := range [][2]string{
		{"key", "key_reserved"}, {"title.de", "text_language"},
		{"pages[0].fields[0].key", "field_key_format"},
		{"pages[0].fields[2].key", "duplicate_key"}, {"pages[0].fields[2].type", "unknown_type"}, {"pages[0].fields[2].label.nl", "text_required"},
		{"pages[0].fields[3].accept[0]", "accept"}, {"pages[0].fields[3].max_bytes", "max_bytes"},
		{"pages[0].fields[4].min", "min_above_max"}, {"confirmation_field", "confirmation_field"},
		{"handling_days", "handling_days"},
	} {
		if !problemAt(ps, want[0], want[1]) {
			t.Errorf("no %s at %s in %v", want[1], want[0], ps)
		}
	}
	if _, ps := ParseJSON([]byte(`{"key":"x","colour":1}`)); len(ps) != 1 || ps[0].Key != "json" {
		t.Errorf("unknown JSON field: %v", ps)
	}
}

// TestDraftMayBeUnfinished: the builder saves a form step by step, so a
// draft without pages, with an empty page or a choice without answers is
// valid; publishing names each thing still missing.
func TestDraftMayBeUnfinished(t *testing.T) {
	f := Form{Key: "nieuw", Title: register.Text{"nl": "Nieuw"}}
	if ps := f.Validate(); len(ps) != 0 {
		t.Fatalf("a form without pages: %v", ps)
	}
	if ps := f.Publishable(register.Demo()); !problemAt(ps, "pages", "required") {
		t.Errorf("publishing a form without pages: %v", ps)
	}
	f.Pages = []Page{{Key: "een", Title: register.Text{"nl": "Een"}, Fields: []Field{{Key: "kies", Type: TypeChoice,
		Label: register.Text{"nl": "Kies"}, Category: "web-forms", Purpose: "online-services"}}}, {Key: "twee", Title: register.Text{"nl": "Twee"}}}
	if ps := f.Validate(); len(ps) != 0 {
		t.Fatalf("an empty page and a choice without answers: %v", ps)
	}
	ps := f.Publishable(register.Demo())
	if !problemAt(ps, "pages[0].fields[0].options", "options_required") || !problemAt(ps, "pages[1].fields", "required") || len(ps) != 2 {
		t.Errorf("publishing an unfinished form: %v", ps)
	}
}

func validBenefit() url.Values {
	return url.Values{
		"insz": {"85.07.15-123.97"}, "name": {"Jan Peeters"}, "email": {"jan@example.be"}, "phone": {"0470 12 34 56"},
		"address_street": {"Kerkstraat"}, "address_number": {"1"}, "address_postcode": {"9000"}, "address_municipality": {"Gent"},
		"household": {"3"}, "income": {"1850,50"}, "iban": {"BE68 5390 0754 7034"}, "truthful": {"on"},
	}
}

func TestCheckCleansAnswers(t *testing.T) {
	f := DemoForms()[1]
	answers, errs := f.Check(Input(validBenefit()))
	if len(errs) > 0 {
		t.Fatalf("valid answers refused: %v", errs)
	}
	for k, want := range map[string]string{"insz": "85071512397", "phone": "+32470123456", "income": "1850.5", "iban": "BE68539007547034", "truthful": "yes"} {
		if answers[k].Value != want {
			t.Errorf("%s = %q, want %q", k, answers[k].Value, want)
		}
	}
	if a := answers["address"].Address; a == nil || a.Postcode != "9000" || a.Box != "" {
		t.Errorf("address: %+v", a)
	}
}

func TestASVS_2_2_1_CheckNamesEveryBadInput(t *testing.T) {
	f := DemoForms()[1]
	in := validBenefit()
	in.Set("insz", "85.07.15-123.98")
	in.Set("email", "jan@")
	in.Set("phone", "12345")
	in.Set("address_postcode", "900")
	in.Del("address_street")
	in.Set("household", "0")
	in.Set("income", "veel")
	in.Set("iban", "BE69 5390 0754 7034")
	in.Del("truthful")
	in.Del("name")
	_, errs := f.Check(Input(in))
	got := map[string]string{}
	for _, e := range errs {
		got[e.Input] = e.Key
	}
	want := map[string]string{"insz": "insz.checksum", "name": "required", "email": "email", "phone": "phone",
		"address_street": "address_street", "address_postcode": "postcode.format", "household": "number_min",
		"income": "number", "iban": "iban.checksum", "truthful": "required_checkbox"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if len(errs) != len(want) {
		t.Errorf("errors: %v", errs)
	}
	// Choices must be offered values; a text field stays one line.
	c := DemoForms()[0]
	_, errs = c.Check(Input{"name": {"A\nB"}, "email": {"a@b.be"}, "topic": {"cake"}, "message": {"x"}})
	if len(errs) != 2 || errs[0].Key != "one_line" || errs[1].Key != "choice" {
		t.Errorf("contact errors: %v", errs)
	}
}

func TestCheckFile(t *testing.T) {
	fl, _ := DemoForms()[1].Field("certificate")
	for _, c := range []struct {
		fi   *FileInfo
		want string
	}{
		{nil, "required_file"},
		{&FileInfo{Name: "attest.pdf", Size: 1000, ContentType: "application/pdf"}, ""},
		{&FileInfo{Name: "attest.exe", Size: 1000, ContentType: "application/octet-stream"}, "file_type"},
		{&FileInfo{Name: "big.pdf", Size: DefaultFileBytes + 1, ContentType: "application/pdf"}, "file_too_large"},
		{&FileInfo{Name: "../x.pdf", Size: 10, ContentType: "application/pdf"}, "file_name"},
	} {
		got := ""
		if e := fl.CheckFile(c.fi); e != nil {
			got = e.Key
		}
		if got != c.want {
			t.Errorf("%+v: %q, want %q", c.fi, got, c.want)
		}
	}
}

// TestMessagesExist: every problem and error key the package can produce
// has a sentence in nl, fr and en.
func TestMessagesExist(t *testing.T) {
	var src string
	for _, f := range []string{"form.go", "answers.go", "prefill.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src += string(b)
	}
	problems := regexp.MustCompile(`add\([^,]+, "([a-z0-9_]+)"|Key: "([a-z_]+)"`).FindAllStringSubmatch(src, -1)
	errors := regexp.MustCompile(`(?:bad\([^,]+, |FieldError\{[^,]+, |return "", )"([a-z0-9_.]+)"`).FindAllStringSubmatch(src, -1)
	keys := map[string]bool{}
	for _, m := range problems {
		keys["form.problem."+m[1]+m[2]] = true
	}
	for _, m := range errors {
		keys["form.error."+m[1]] = true
	}
	delete(keys, "form.error.address_")
	// prefill.go words its problems per group of data.
	delete(keys, "form.problem.prefill_type_")
	delete(keys, "form.problem.prefill_category_")
	for _, g := range []string{"names", PrefillAddress, PrefillBirthDate, PrefillNationality, PrefillINSZ} {
		keys["form.problem.prefill_type_"+g] = true
		keys["form.problem.prefill_category_"+g] = true
	}
	for _, k := range []string{"address_street", "address_number", "address_postcode", "address_municipality",
		// what ident reports for each identifier
		"insz.format", "insz.checksum", "insz.date", "insz.range", "iban.format", "iban.checksum", "iban.country",
		"kbo.format", "kbo.checksum", "postcode.format", "postcode.range"} {
		keys["form.error."+k] = true
	}
	if len(keys) < 40 {
		t.Fatalf("found only %d keys", len(keys))
	}
	for k := range keys {
		for _, l := range locale.Supported() {
			if !locale.Has(l, k) {
				t.Errorf("no %s message for %s", l, k)
			}
		}
	}
}

// FuzzParseJSON: no definition panics; an accepted one survives export.
func FuzzParseJSON(f *testing.F) {
	for _, d := range DemoForms() {
		f.Add(string(d.JSON()))
	}
	f.Add(`{"key":"x","pages":[{"key":"p","fields":[{"key":"a","type":"choice","options":[]}]}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		form, ps := ParseJSON([]byte(doc))
		if len(ps) > 0 {
			return
		}
		again, ps := ParseJSON(form.JSON())
		if len(ps) > 0 || string(again.JSON()) != string(form.JSON()) {
			t.Fatalf("accepted definition does not survive export: %v", ps)
		}
		_ = form.Publishable(register.Demo())
	})
}

// FuzzCheck: no submission panics, and accepted answers are canonical:
// posting them again gives the same answers.
func FuzzCheck(f *testing.F) {
	v := validBenefit()
	f.Add(v.Get("insz"), v.Get("phone"), v.Get("iban"), v.Get("income"), v.Get("address_postcode"), "2026-11-22")
	f.Add("", "+", "BE", "1e400", "0000", "31/02/2026")
	form := DemoForms()[1]
	form.Pages[0].Fields = append(form.Pages[0].Fields, Field{Key: "born", Type: TypeDate, Label: register.Text{"nl": "D"}})
	f.Fuzz(func(t *testing.T, insz, phone, iban, income, postcode, date string) {
		in := validBenefit()
		in.Set("insz", insz)
		in.Set("phone", phone)
		in.Set("iban", iban)
		in.Set("income", income)
		in.Set("address_postcode", postcode)
		in.Set("born", date)
		answers, errs := form.Check(Input(in))
		if len(errs) > 0 {
			return
		}
		again := url.Values{}
		for k, a := range answers {
			switch {
			case a.Address != nil:
				again.Set(k+"_street", a.Address.Street)
				again.Set(k+"_number", a.Address.Number)
				again.Set(k+"_box", a.Address.Box)
				again.Set(k+"_postcode", a.Address.Postcode)
				again.Set(k+"_municipality", a.Address.Municipality)
			case a.Values != nil:
				again[k] = a.Values
			default:
				again.Set(k, a.Value)
			}
		}
		answers2, errs := form.Check(Input(again))
		if len(errs) > 0 {
			t.Fatalf("canonical answers refused: %v", errs)
		}
		for k, a := range answers {
			if a.Value != answers2[k].Value {
				t.Fatalf("%s: %q then %q", k, a.Value, answers2[k].Value)
			}
		}
	})
}

// TestClauseDSR3_NoticeFromRegister: the notice names exactly the purposes
// (with legal basis), categories (with retention) and recipients the
// form's fields use, marks special categories, and changes when the
// register does (so an approval no longer matches).
func TestClauseDSR3_NoticeFromRegister(t *testing.T) {
	reg := register.Demo()
	n := NoticeFor(DemoForms()[0], reg)
	var purposes, categories []string
	for _, p := range n.Purposes {
		purposes = append(purposes, p.Key+":"+p.LegalBasis)
	}
	for _, c := range n.Categories {
		categories = append(categories, c.Key)
	}
	if !slices.Equal(purposes, []string{"online-services:public_task"}) || !slices.Equal(categories, []string{"contact", "web-forms", "attachments"}) {
		t.Fatalf("question form notice: %v %v", purposes, categories)
	}
	if n.Special || len(n.Recipients) != 2 || n.Categories[2].Required {
		t.Fatalf("question form notice: special %v, recipients %d, attachment required %v", n.Special, len(n.Recipients), n.Categories[2].Required)
	}
	b := NoticeFor(DemoForms()[1], reg)
	if !b.Special || b.Purposes[0].Art9Basis != "substantial_public_interest" || b.Categories[0].Key != "national-number" {
		t.Fatalf("allowance notice: %+v", b)
	}
	if string(NoticeFor(DemoForms()[1], reg).JSON()) != string(b.JSON()) {
		t.Fatal("the same notice gives other bytes")
	}
	reg.Categories[7].RetentionDays++ // national-number
	if string(NoticeFor(DemoForms()[1], reg).JSON()) == string(b.JSON()) {
		t.Fatal("a retention change does not change the notice")
	}
}

// TestDisplay: answers read back as people expect them, in the reader's
// language: option labels, an address on one line with its box, yes for
// a ticked box, an INSZ and an IBAN grouped.
func TestDisplay(t *testing.T) {
	word := func(k string) string { return map[string]string{"form.address.box": "bus", "user.yes": "ja"}[k] }
	opts := []Option{{Value: "street", Label: register.Text{"nl": "Straat", "fr": "Rue"}}, {Value: "park", Label: register.Text{"nl": "Park"}}}
	for _, c := range []struct {
		name string
		fl   Field
		ans  Answer
		lang string
		want string
	}{
		{"choice in French", Field{Type: TypeChoice, Options: opts}, Answer{Value: "street"}, "fr", "Rue"},
		{"multichoice", Field{Type: TypeMultiChoice, Options: opts}, Answer{Values: []string{"street", "park"}}, "nl", "Straat, Park"},
		{"address with box", Field{Type: TypeAddress}, Answer{Address: &Address{Street: "Kerkstraat", Number: "1", Box: "3",
			Postcode: "9000", Municipality: "Gent"}}, "nl", "Kerkstraat 1 bus 3, 9000 Gent"},
		{"checkbox", Field{Type: TypeCheckbox}, Answer{Value: "on"}, "nl", "ja"},
		{"checkbox not ticked", Field{Type: TypeCheckbox}, Answer{}, "nl", ""},
		{"insz", Field{Type: TypeINSZ}, Answer{Value: "85071512397"}, "nl", "85.07.15-123.97"},
		{"iban", Field{Type: TypeIBAN}, Answer{Value: "BE68539007547034"}, "nl", "BE68 5390 0754 7034"},
		{"text", Field{Type: TypeText}, Answer{Value: "Jan"}, "nl", "Jan"},
	} {
		if got := c.fl.Display(c.ans, c.lang, word); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestASVS_5_2_2_FileTypeFromContentMatchesExtension: an attachment's type
// is what its bytes say (the caller sniffs them; the browser's claim is
// never used), it must be one the field accepts, and the name's extension
// must agree with it.
func TestASVS_5_2_2_FileTypeFromContentMatchesExtension(t *testing.T) {
	fl, _ := DemoForms()[1].Field("certificate")
	pdf := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	html := []byte("<!DOCTYPE html><script>alert(1)</script>")
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"attest.pdf", pdf, ""},
		{"ATTEST.PDF", pdf, ""},
		{"foto.png", png, ""},
		{"attest.exe", pdf, "file_type"},
		{"attest.html", pdf, "file_type"},
		{"attest", pdf, "file_type"},
		{"foto.pdf", png, "file_type"},
		{"page.pdf", html, "file_type"}, // a PDF name on HTML bytes
		{"attest.pdf.exe", pdf, "file_type"},
	} {
		fi := &FileInfo{Name: c.name, Size: int64(len(c.data)), ContentType: http.DetectContentType(c.data)}
		got := ""
		if e := fl.CheckFile(fi); e != nil {
			got = e.Key
		}
		if got != c.want {
			t.Errorf("%s (%s): %q, want %q", c.name, fi.ContentType, got, c.want)
		}
	}
	for _, mt := range AllowedAccept {
		if len(typeExtensions[mt]) == 0 {
			t.Errorf("accepted type %s has no extensions: every file of it would be refused", mt)
		}
	}
}
