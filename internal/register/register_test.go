package register

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/locale"
)

func TestClauseREG7_ClassTableIsComplete(t *testing.T) {
	if len(Classes) != 27 {
		t.Fatalf("REG-7 lists 27 classes, got %d", len(Classes))
	}
	for _, code := range []string{"1.00", "2.00", "3.00", "3.08", "4.00", "4.14", "5.00"} {
		if _, ok := ClassByCode(code); !ok {
			t.Errorf("class %s missing", code)
		}
	}
	c, _ := ClassByCode("3.08")
	if !c.ExtraConditions || c.Special {
		t.Errorf("3.08 flags wrong: %+v", c)
	}
	for _, c := range Classes {
		if strings.HasPrefix(c.Code, "4.") != c.Special {
			t.Errorf("class %s: Special=%v", c.Code, c.Special)
		}
	}
	if _, ok := ClassByCode("6.00"); ok {
		t.Error("unknown class accepted")
	}
}

func TestClauseREG1_DemoRegisterMirrorsContractRows(t *testing.T) {
	d := Demo()
	if ps := d.Validate(); len(ps) > 0 {
		t.Fatalf("demo register invalid: %v", ps)
	}
	// The contract's five example rows come first, in its order.
	want := []string{"identity", "settings", "analytics", "technical", "web-forms"}
	for i, k := range want {
		if d.Categories[i].Key != k {
			t.Errorf("category %d = %s, want %s", i, d.Categories[i].Key, k)
		}
	}
	// Every text a citizen may read exists in the three languages.
	for _, c := range d.Categories {
		for _, txt := range []Text{c.Name, c.Reason, c.Countermeasures} {
			for _, l := range []string{"nl", "fr", "en"} {
				if txt[l] == "" {
					t.Errorf("category %s lacks a %s text", c.Key, l)
				}
			}
		}
	}
}

func TestClauseREG6_DemoListsApplications(t *testing.T) {
	d := Demo()
	if len(d.Applications) < 3 {
		t.Fatalf("applications: %d", len(d.Applications))
	}
	for _, a := range d.Applications {
		if a.Name == "" || len(a.Categories) == 0 || a.Storage.In("nl") == "" || a.Transfer.In("nl") == "" || a.Access.In("nl") == "" {
			t.Errorf("application %s incomplete: %+v", a.Key, a)
		}
	}
	r := d
	r.Applications = append(r.Applications, Application{Key: "x", Name: "X", Categories: []string{"unknown"}})
	if !hasProblem(r.Validate(), "applications[3].categories[0]", "unknown_ref") || !hasProblem(r.Validate(), "applications[3].storage.nl", "text_required") {
		t.Fatalf("an application with unknown data and no storage passed: %v", r.Validate())
	}
}

func hasProblem(ps []Problem, path, key string) bool {
	for _, p := range ps {
		if p.Path == path && p.Key == key {
			return true
		}
	}
	return false
}

// TestClauseREG1_RegisterRulesListEveryError: the rules the issue names —
// a non-EEA sub-processor without a transfer mechanism, a category without
// retention, a 4.x class without an art. 9 basis, an unknown class — and
// the others, all reported at once with their paths.
func TestClauseREG1_RegisterRulesListEveryError(t *testing.T) {
	r := Demo()
	r.SubProcessors = append(r.SubProcessors, SubProcessor{Key: "mail", Name: "Mailer Inc", HeadOffice: "1 Main St, Austin",
		Country: "US", Service: Text{"nl": "Mail"}, Measures: Text{"nl": "TLS"}})
	r.Categories[0].RetentionDays = 0
	r.Categories = append(r.Categories, Category{Key: "health", Name: Text{"nl": "Medische gegevens"}, Class: "4.02",
		Purposes: []string{"online-services"}, RetentionDays: 30, Expiry: ExpiryDelete, Reason: Text{"nl": "r"}, Countermeasures: Text{"nl": "c"}})
	r.Categories[1].Class = "9.99"
	r.Purposes[3].LegalBasis = "whim"
	r.Purposes = append(r.Purposes, Purpose{Key: "law", Name: Text{"nl": "Wettelijk"}, LegalBasis: "legal_obligation"})
	r.Recipients[1].Endpoints = []string{"http://zaken.demo.example"}
	r.Categories[2].Purposes = nil
	r.Categories[3].Key = "identity"
	ps := r.Validate()
	for _, want := range [][2]string{
		{"sub_processors[2].transfer_mechanism", "transfer_mechanism_required"},
		{"categories[0].retention_days", "retention_required"},
		{"categories[11].purposes[0]", "art9_required"},
		{"categories[1].class", "unknown_class"},
		{"purposes[3].legal_basis", "one_of"},
		{"purposes[5].legal_reference.nl", "legal_reference_required"},
		{"recipients[1].endpoints[0]", "endpoint_https"},
		{"categories[2].purposes", "required"},
		{"categories[3].key", "duplicate_key"},
	} {
		if !hasProblem(ps, want[0], want[1]) {
			t.Errorf("no %s at %s in %v", want[1], want[0], ps)
		}
	}
	// With a mechanism the transfer is allowed; in the EEA none is needed.
	r = Demo()
	r.SubProcessors = append(r.SubProcessors, SubProcessor{Key: "mail", Name: "Mailer Inc", HeadOffice: "1 Main St, Austin",
		Country: "US", TransferMechanism: "standard_contractual_clauses", Service: Text{"nl": "Mail"}, Measures: Text{"nl": "TLS"}})
	if ps := r.Validate(); len(ps) > 0 {
		t.Fatalf("SCC transfer refused: %v", ps)
	}
}

func TestYAMLRoundTripAndErrorsWithPaths(t *testing.T) {
	d := Demo()
	doc := d.MarshalYAMLDocument()
	back, ps := ParseYAML(doc)
	if len(ps) > 0 {
		t.Fatalf("demo YAML does not parse back: %v", ps)
	}
	if string(back.MarshalYAMLDocument()) != string(doc) {
		t.Fatal("YAML round trip changed the register")
	}
	// Unknown fields and wrong types name their line.
	bad := strings.Replace(string(doc), "retention_days: 365", "retention_days: een jaar", 1)
	bad = strings.Replace(bad, "expiry: delete", "expiry: delete\n    colour: blue", 1)
	_, ps = ParseYAML([]byte(bad))
	if len(ps) != 2 || !strings.HasPrefix(ps[0].Path, "line ") || !strings.HasPrefix(ps[1].Path, "line ") {
		t.Fatalf("problems: %v", ps)
	}
	for _, c := range []struct{ doc, key string }{{"", "document_empty"}, {"a: [", "yaml"}, {"subject: {nl: x}\n---\nsubject: {nl: y}\n", "document_multiple"}} {
		if _, ps := ParseYAML([]byte(c.doc)); len(ps) != 1 || ps[0].Key != c.key {
			t.Errorf("ParseYAML(%q): %v, want %s", c.doc, ps, c.key)
		}
	}
	if _, ps := ParseYAML(make([]byte, MaxYAML+1)); len(ps) != 1 || ps[0].Key != "document_too_large" {
		t.Errorf("oversized: %v", ps)
	}
}

// FuzzParseYAML: no document panics, and a document without problems
// survives export and import unchanged.
func FuzzParseYAML(f *testing.F) {
	f.Add(string(Demo().MarshalYAMLDocument()))
	f.Add("subject: {nl: x}\npurposes: []\n")
	f.Add("categories: [{key: a, class: 4.02, purposes: [p]}]")
	f.Fuzz(func(t *testing.T, doc string) {
		r, ps := ParseYAML([]byte(doc))
		if len(ps) > 0 {
			return
		}
		again, ps := ParseYAML(r.MarshalYAMLDocument())
		if len(ps) > 0 || string(again.MarshalYAMLDocument()) != string(r.MarshalYAMLDocument()) {
			t.Fatalf("valid register does not survive a round trip: %v", ps)
		}
	})
}

// TestProblemKeysHaveMessages: every rule the validator can report has a
// sentence in the three languages (a missing one would show its key).
func TestProblemKeysHaveMessages(t *testing.T) {
	src, err := os.ReadFile("register.go")
	if err != nil {
		t.Fatal(err)
	}
	ysrc, _ := os.ReadFile("yaml.go")
	re := regexp.MustCompile(`(?:add\([^,]+, |Key: )"([a-z0-9_]+)"`)
	keys := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(string(src)+string(ysrc), -1) {
		keys[m[1]] = true
	}
	if len(keys) < 15 {
		t.Fatalf("found only %d problem keys: %v", len(keys), keys)
	}
	for k := range keys {
		for _, l := range locale.Supported() {
			if !locale.Has(l, "register.problem."+k) {
				t.Errorf("no %s message for register.problem.%s", l, k)
			}
		}
	}
}
