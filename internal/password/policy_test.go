package password

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// runes returns a password of n code points, cycling through a phrase that
// is neither common nor contextual.
func runes(n int, alphabet string) string {
	a := []rune(alphabet)
	out := make([]rune, n)
	for i := range out {
		out[i] = a[i%len(a)]
	}
	return string(out)
}

const phrase = "paardenbloem kastanjeboom vijver "

func wantRule(t *testing.T, v *Violation, rule string, args ...any) {
	t.Helper()
	if rule == "" {
		if v != nil {
			t.Fatalf("Check = %v, want acceptable", v)
		}
		return
	}
	if v == nil || v.Rule != rule {
		t.Fatalf("Check = %v, want %s", v, rule)
	}
	if args != nil && fmt.Sprintf("%v", v.Args) != fmt.Sprintf("%v", args) {
		t.Fatalf("Check args = %v, want %v", v.Args, args)
	}
}

func TestASVS_6_2_1_MinimumLength(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		pw     string
		rule   string
		args   []any
	}{
		{"default: 14 is too short", DefaultPolicy, runes(14, phrase), RuleTooShort, []any{15}},
		{"default: 15 is enough", DefaultPolicy, runes(15, phrase), "", nil},
		{"zero policy means default", Policy{}, runes(14, phrase), RuleTooShort, []any{15}},
		{"tenant 12: 12 is enough", Policy{MinLength: 12}, runes(12, phrase), "", nil},
		{"tenant 12: 11 is too short", Policy{MinLength: 12}, runes(11, phrase), RuleTooShort, []any{12}},
		{"tenant 20: 19 is too short", Policy{MinLength: 20}, runes(19, phrase), RuleTooShort, []any{20}},
		{"floor holds without Normalize", Policy{MinLength: 8}, runes(11, phrase), RuleTooShort, []any{12}},
		// Code points, not bytes: 15 × "é" is 30 bytes and 15 characters.
		{"15 code points of é", DefaultPolicy, strings.Repeat("é", 15), "", nil},
		{"14 code points of é (28 bytes)", DefaultPolicy, strings.Repeat("é", 14), RuleTooShort, []any{15}},
		{"14 emoji (56 bytes)", DefaultPolicy, strings.Repeat("🌷", 14), RuleTooShort, []any{15}},
		{"empty", DefaultPolicy, "", RuleTooShort, []any{15}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRule(t, tt.policy.Check(tt.pw), tt.rule, tt.args...)
		})
	}
}

func TestASVS_6_2_9_LongPasswordsAccepted(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		pw     string
		rule   string
	}{
		{"64", DefaultPolicy, runes(64, phrase), ""},
		{"100", DefaultPolicy, runes(100, phrase), ""},
		{"128", DefaultPolicy, runes(128, phrase), ""},
		{"128 multibyte", DefaultPolicy, runes(128, "€éç🌷ß"), ""},
		{"129 is too long", DefaultPolicy, runes(129, phrase), RuleTooLong},
		{"tenant max 64: 64", Policy{MaxLength: 64}, runes(64, phrase), ""},
		{"tenant max 64: 65", Policy{MaxLength: 64}, runes(65, phrase), RuleTooLong},
		{"max below 64 is raised to 64", Policy{MaxLength: 20}, runes(64, phrase), ""},
		{"max above 128 is capped", Policy{MaxLength: 1000}, runes(129, phrase), RuleTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRule(t, tt.policy.Check(tt.pw), tt.rule)
		})
	}
}

func TestASVS_6_2_5_NoCompositionRules(t *testing.T) {
	for _, pw := range []string{
		"paardenbloem kastanjeboom vijver", // lower-case letters and spaces only
		"PAARDENBLOEM KASTANJEBOOM VIJVER", // upper-case only
		"paardenbloemkastanjeboomvijver",   // letters only, no spaces
		"839201746253918",                  // digits only
		"🌷🌳🦆🌷🌳🦆🌷🌳🦆🌷🌳🦆🌷🌳🦆",                  // emoji only
		"één twee drie vier vijf zes",      // accented letters
	} {
		t.Run(pw, func(t *testing.T) {
			wantRule(t, DefaultPolicy.Check(pw), "")
		})
	}
}

func TestASVS_6_2_4_CommonPasswordsRefused(t *testing.T) {
	tests := []string{
		"winniethepooh123",        // john list + digits
		"WinnieThePooh!!!",        // case and punctuation
		"Wachtwoord2024!!",        // local list
		"Paswoord12345678",        // local list
		"Bruxelles2024!!!",        // local list
		"AZERTYUIOPQSDFGHJKLM",    // whole, case-insensitive
		"qwertyuiopasdfghjkl",     // keyboard walk
		"123456789012345",         // digits only, whole
		"azertyuiop123456",        // local entry + digits
		"Welkom 2024 !!! ",        // trailing spaces stripped too
		"password1234567890",      // john #3
		"wachtwoordwachtwoord",    // local list
		"motdepasse 2025 ###",     // local list
		"België2024!!!!!!!",       // non-ASCII local entry
		"iloveyou!!!!!!!!!!!!!!!", // john list
	}
	for _, pw := range tests {
		t.Run(pw, func(t *testing.T) {
			wantRule(t, DefaultPolicy.Check(pw), RuleCommon)
		})
	}
	// Below the length floor Check reports the length first, but the
	// blocklist itself matches the short favourites too.
	for _, pw := range []string{"Welkom2024!", "welkom", "AZERTY", "bonjour1", "123456", "Password1"} {
		if !isCommon(pw) {
			t.Errorf("isCommon(%q) = false", pw)
		}
	}
	// Stripping is only at the end and never to nothing.
	for _, pw := range []string{"paardenbloem kastanjeboom vijver 2024!", "2024welkomsteen", "839201746253918!"} {
		if isCommon(pw) {
			t.Errorf("isCommon(%q) = true", pw)
		}
	}
}

func TestBlocklistEmbedded(t *testing.T) {
	if n := len(commonSet()); n < 3400 {
		t.Fatalf("blocklist has %d entries; embedded lists missing?", n)
	}
	for name, list := range map[string]string{"common.txt": commonTxt, "common-local.txt": commonLocalTxt} {
		if len(list) > 256<<10 {
			t.Errorf("%s is %d bytes; keep the binary small", name, len(list))
		}
		seen := map[string]bool{}
		for line := range strings.Lines(list) {
			line = strings.TrimSuffix(line, "\n")
			if strings.HasPrefix(line, "#") {
				continue
			}
			if line == "" || line != strings.ToLower(line) || strings.TrimSpace(line) != line {
				t.Errorf("%s: entry %q is not a lower-case, trimmed, non-empty line", name, line)
			}
			if seen[line] {
				t.Errorf("%s: duplicate %q", name, line)
			}
			seen[line] = true
		}
	}
}

func TestASVS_6_2_11_ClauseUSR3_ContextRefused(t *testing.T) {
	ctx := []string{"Gemeente Zottegem", "jan.peeters@zottegem.be", "zottegem"}
	tests := []struct {
		name string
		pw   string
		rule string
	}{
		{"tenant name word", "ik woon graag in ZOTTEGEM", RuleContext},
		{"tenant name whole", "de gemeente zottegem is fijn", RuleContext},
		{"e-mail local part", "Jan.Peeters houdt van fietsen", RuleContext},
		{"surname from e-mail", "mevrouw peeters fietst graag", RuleContext},
		{"whole e-mail", "x jan.peeters@zottegem.be x", RuleContext},
		{"gemeente", "mijn gemeente heeft een mooi park", RuleContext},
		{"short words ignored (jan, be)", "jan loopt naar de bakker om brood", ""},
		{"unrelated", "paardenbloem kastanjeboom vijver", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRule(t, DefaultPolicy.Check(tt.pw, ctx...), tt.rule)
		})
	}
	t.Run("no context", func(t *testing.T) {
		wantRule(t, DefaultPolicy.Check("ik woon graag in zottegem"), "")
	})
	t.Run("slug", func(t *testing.T) {
		wantRule(t, DefaultPolicy.Check("ik werk bij ocmw-ninove al jaren", "ocmw-ninove"), RuleContext)
	})
}

func TestClauseUSR3_CharactersAllowed(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		rule string
	}{
		{"invalid UTF-8", "paardenbloem\xffkastanjeboom", RuleInvalidUTF8},
		{"tab", "paardenbloem\tkastanjeboom", RuleControlChars},
		{"newline", "paardenbloem\nkastanjeboom", RuleControlChars},
		{"NUL", "paardenbloem\x00kastanjeboom", RuleControlChars},
		{"DEL", "paardenbloem\x7fkastanjeboom", RuleControlChars},
		{"C1 NEL", "paardenbloem\u0085kastanjeboom", RuleControlChars},
		{"control before length", "\x00", RuleControlChars},
		{"spaces", "  paardenbloem   kastanjeboom  ", ""},
		{"non-breaking space", "paardenbloem\u00a0kastanjeboom", ""},
		{"punctuation and symbols", "€ 5,-? «ça va» — ok! ½ ©", ""},
		{"scripts", "Κάστανο 栗の木 каштан", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRule(t, DefaultPolicy.Check(tt.pw), tt.rule)
		})
	}
	// Every ASCII control character is refused.
	for r := rune(0); r < 0x80; r++ {
		if unicode.IsControl(r) {
			if v := DefaultPolicy.Check("paardenbloem" + string(r) + "kastanjeboom"); v == nil || v.Rule != RuleControlChars {
				t.Errorf("U+%04X: Check = %v", r, v)
			}
		}
	}
}

func TestClauseUSR3_Normalize(t *testing.T) {
	tests := []struct {
		name  string
		in    Policy
		want  Policy
		field string
		rule  string
	}{
		{"zero gives defaults", Policy{}, Policy{MinLength: 15, MaxLength: 128}, "", ""},
		{"breach flag kept", Policy{BreachCheck: true}, Policy{MinLength: 15, MaxLength: 128, BreachCheck: true}, "", ""},
		{"min 12 allowed", Policy{MinLength: 12}, Policy{MinLength: 12, MaxLength: 128}, "", ""},
		{"min 64 allowed", Policy{MinLength: 64, MaxLength: 64}, Policy{MinLength: 64, MaxLength: 64}, "", ""},
		{"min 11 refused", Policy{MinLength: 11}, Policy{}, "MinLength", RulePolicyMinLength},
		{"min 8 refused", Policy{MinLength: 8}, Policy{}, "MinLength", RulePolicyMinLength},
		{"min negative refused", Policy{MinLength: -1}, Policy{}, "MinLength", RulePolicyMinLength},
		{"min 65 refused", Policy{MinLength: 65}, Policy{}, "MinLength", RulePolicyMinLength},
		{"max 63 refused", Policy{MaxLength: 63}, Policy{}, "MaxLength", RulePolicyMaxLength},
		{"max 129 refused", Policy{MaxLength: 129}, Policy{}, "MaxLength", RulePolicyMaxLength},
		{"min above max refused", Policy{MinLength: 64, MaxLength: 63}, Policy{}, "MaxLength", RulePolicyMaxLength},
		{"default policy valid", DefaultPolicy, DefaultPolicy, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.Normalize()
			if tt.rule == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Normalize = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) || pe.Field != tt.field || pe.Rule != tt.rule {
				t.Fatalf("Normalize error = %#v, want %s on %s", err, tt.rule, tt.field)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("error %q does not name the field", err)
			}
		})
	}
}

// TestClauseUSR3_MinAboveMax reaches the rule that the range checks leave
// open: MinLength ≤ 64 ≤ MaxLength makes it unreachable today, but it guards
// a future change of the bounds.
func TestClauseUSR3_MinAboveMax(t *testing.T) {
	if MinLengthCeiling > MaxLengthFloor {
		_, err := Policy{MinLength: MinLengthCeiling, MaxLength: MaxLengthFloor}.Normalize()
		var pe *PolicyError
		if !errors.As(err, &pe) || pe.Rule != RulePolicyMinAboveMax {
			t.Fatalf("err = %v", err)
		}
	}
	if !slices.Contains(ruleKeys(), RulePolicyMinAboveMax) {
		t.Fatal("min_above_max has no message")
	}
}
