package tenant

import "testing"

func TestCheckKBO(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"Stad Gent with dots", "0207.451.227", true},
		{"plain digits", "0207451227", true},
		{"BE prefix and spaces", "BE 0207 451 227", true},
		{"old nine digits", "207451227", true},
		{"wrong check digits", "0207451228", false},
		{"starts with 2", "2207451227", false},
		{"too short", "02074512", false},
		{"letters", "0207A51227", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckKBO(NormalizeKBO(tt.in))
			if (got == "") != tt.ok {
				t.Fatalf("CheckKBO(%q) = %q, want ok=%v", tt.in, got, tt.ok)
			}
		})
	}
}

func TestNewValidateReportsEveryField(t *testing.T) {
	err := New{Slug: "-Bad", EnterpriseNumber: "123", DPOEmail: "nope", DefaultLang: "de"}.Normalize().Validate()
	ve, ok := err.(*ValidationError)
	if !ok {
		t.Fatalf("want *ValidationError, got %v", err)
	}
	for _, f := range []string{"slug", "legal_name", "enterprise_number", "dpo_name", "dpo_email", "default_lang"} {
		if ve.Fields[f] == "" {
			t.Errorf("field %s: no message (all: %v)", f, ve.Fields)
		}
	}
}

func TestNewValidateAcceptsDemo(t *testing.T) {
	n := New{Slug: "demo", LegalName: "Gemeente Demo", EnterpriseNumber: "0207.451.227",
		DPOName: "An Peeters", DPOEmail: "dpo@demo.example"}.Normalize()
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	if n.DefaultLang != "nl" || n.EnterpriseNumber != "0207451227" {
		t.Fatalf("normalize: %+v", n)
	}
}

func TestReservedSlug(t *testing.T) {
	err := New{Slug: "static", LegalName: "x", EnterpriseNumber: "0207451227", DPOName: "x", DPOEmail: "a@b.be"}.Normalize().Validate()
	if err == nil {
		t.Fatal("reserved slug accepted")
	}
}
