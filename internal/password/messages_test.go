package password

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func ruleKeys() []string {
	return slices.Sorted(maps.Keys(messages["nl"]))
}

var allRules = []struct {
	rule string
	args []any
}{
	{RuleTooShort, []any{15}},
	{RuleTooLong, []any{128}},
	{RuleCommon, nil},
	{RuleContext, nil},
	{RuleInvalidUTF8, nil},
	{RuleControlChars, nil},
	{RuleBreached, nil},
	{RulePolicyMinLength, []any{12, 64}},
	{RulePolicyMaxLength, []any{64, 128}},
	{RulePolicyMinAboveMax, []any{40, 30}},
}

func TestClauseUSR3_MessagesInThreeLanguages(t *testing.T) {
	if got := len(ruleKeys()); got != len(allRules) {
		t.Fatalf("nl has %d messages, tests know %d rules", got, len(allRules))
	}
	for _, lang := range []string{"nl", "fr", "en"} {
		if !slices.Equal(slices.Sorted(maps.Keys(messages[lang])), ruleKeys()) {
			t.Errorf("%s does not cover the same rules as nl", lang)
		}
		for _, r := range allRules {
			msg := Message(lang, &Violation{Rule: r.rule, Args: r.args})
			if msg == "" || msg == fallback[lang] || strings.Contains(msg, "%!") {
				t.Errorf("%s %s: %q", lang, r.rule, msg)
			}
		}
	}
}

func TestMessage(t *testing.T) {
	short := &Violation{Rule: RuleTooShort, Args: []any{15}}
	tests := []struct {
		lang string
		v    *Violation
		want string
	}{
		{"nl", short, "Uw wachtwoord moet minstens 15 tekens lang zijn."},
		{"nl-BE", short, "Uw wachtwoord moet minstens 15 tekens lang zijn."},
		{"fr", short, "Votre mot de passe doit contenir au moins 15 caractères."},
		{"fr_BE", short, "Votre mot de passe doit contenir au moins 15 caractères."},
		{"EN", short, "Your password must be at least 15 characters long."},
		{"de", short, "Uw wachtwoord moet minstens 15 tekens lang zijn."},
		{"", short, "Uw wachtwoord moet minstens 15 tekens lang zijn."},
		{"fr", &Violation{Rule: "password.unknown"}, fallback["fr"]},
		{"en", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			if got := Message(tt.lang, tt.v); got != tt.want {
				t.Fatalf("Message(%q) = %q, want %q", tt.lang, got, tt.want)
			}
		})
	}
	// What Check returns renders in every language.
	v := DefaultPolicy.Check("kort")
	if got := Message("nl", v); got != "Uw wachtwoord moet minstens 15 tekens lang zijn." {
		t.Fatalf("Message(Check(short)) = %q", got)
	}
}
