package register

import (
	"strings"
	"testing"
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
	if errs := d.Validate(); len(errs) > 0 {
		t.Fatalf("demo register invalid: %v", errs)
	}
	want := []string{"identity", "settings", "analytics", "technical", "web-forms"}
	if len(d.Categories) != len(want) {
		t.Fatalf("categories: %d", len(d.Categories))
	}
	for i, k := range want {
		if d.Categories[i].Key != k {
			t.Errorf("category %d = %s, want %s", i, d.Categories[i].Key, k)
		}
	}
}

func TestRegisterValidateListsEveryErrorWithPath(t *testing.T) {
	r := Register{
		Purposes:   []Purpose{{Key: "p", LegalBasis: "whim"}},
		Categories: []Category{{Key: "c", Class: "9.99", Purpose: "q", Expiry: "burn"}},
	}
	errs := r.Validate()
	for _, want := range []string{"subject", "purposes[0].legal_basis", "categories[0].class",
		"categories[0].purpose", "categories[0].retention_days", "categories[0].expiry"} {
		found := false
		for _, e := range errs {
			if strings.HasPrefix(e, want+":") {
				found = true
			}
		}
		if !found {
			t.Errorf("no error for %s in %v", want, errs)
		}
	}
}
