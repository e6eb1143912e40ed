package sitemd

import (
	"strings"
	"testing"
)

// TestAccessibilityStatement_LanguageOfParts: a passage marked with a known
// language is rendered inside its lang (WCAG 3.1.2); an unknown code, a
// fence left open and a stray closing fence are refused with their line;
// fences inside a code block are text.
func TestAccessibilityStatement_LanguageOfParts(t *testing.T) {
	src := "## Loket\n\nOpen van 9 tot 12.\n\n:::lang fr\nOuvert de **9 à 12** heures.\n:::\n\nTot ziens.\n"
	if ps := CheckPublish(src); len(ps) != 0 {
		t.Fatalf("a good text refused: %v", ps)
	}
	h, err := Render(src)
	if err != nil || !strings.Contains(string(h), "<div lang=\"fr\"><p>Ouvert de <strong>9 à 12</strong> heures.</p>\n</div>") ||
		!strings.Contains(string(h), "<p>Tot ziens.</p>") || strings.Contains(string(h), ":::") {
		t.Fatalf("render:\n%s %v", h, err)
	}
	for name, tc := range map[string]struct {
		src  string
		code string
		line int
	}{
		"unknown code": {"Tekst.\n\n:::lang xx\nBla.\n:::\n", LangUnknown, 3},
		"quoted code":  {":::lang fr\"x\nBla.\n:::\n", LangUnknown, 1},
		"left open":    {"Tekst.\n:::lang de\nGuten Tag.\n", LangUnclosed, 2},
		"stray close":  {"Tekst.\n:::\n", LangStray, 2},
	} {
		ps := Check(tc.src)
		if len(ps) != 1 || ps[0].Code != tc.code || ps[0].Args[0] != tc.line {
			t.Errorf("%s: %v, want %s on line %d", name, ps, tc.code, tc.line)
		}
	}
	if ps := Check("```\n:::lang xx\n```\n"); len(ps) != 0 {
		t.Errorf("a fence inside a code block was read: %v", ps)
	}
	for code, want := range map[string]bool{"fr": true, "nl-BE": true, "wa": true, "xx": false, "FR": false, "fr-be": false, "": false} {
		if KnownLang(code) != want {
			t.Errorf("KnownLang(%q) = %v", code, !want)
		}
	}
}
