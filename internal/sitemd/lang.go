package sitemd

import (
	"bytes"
	"html/template"
	"regexp"
	"strings"
)

// Language of parts (WCAG 3.1.2): a passage in another language than the
// page's is written between fence lines
//
//	:::lang fr
//	Le guichet est ouvert de 9 à 12 heures.
//	:::
//
// and rendered inside <div lang="fr">, so that a screen reader switches its
// voice. An unknown language code, a fence that is never closed and a
// closing fence without an opening one are refused (Check), so that no
// passage is marked with a code no reader knows.

// The refusals of language marks.
const (
	LangUnknown  = "lang_unknown"  // line, the code
	LangUnclosed = "lang_unclosed" // line
	LangStray    = "lang_stray"    // line
)

var (
	langOpen  = regexp.MustCompile(`^:::\s*lang\s+(\S*)\s*$`)
	langClose = regexp.MustCompile(`^:::\s*$`)
	langCode  = regexp.MustCompile(`^([a-z]{2,3})(-[A-Z]{2})?$`)
)

// knownLangs are the ISO 639-1 codes a screen reader may be asked to speak,
// plus the regional languages a Belgian site writes (Walloon, Luxembourgish,
// Limburgish, Frisian already in 639-1).
var knownLangs = map[string]bool{}

func init() {
	for _, c := range strings.Fields(`aa ab af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
		da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io
		is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na
		nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
		st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu`) {
		knownLangs[c] = true
	}
}

// KnownLang says whether code ("fr", "nl-BE") is a language code Kluis lets
// an editor mark a passage with.
func KnownLang(code string) bool {
	m := langCode.FindStringSubmatch(code)
	return m != nil && knownLangs[m[1]]
}

// part is a stretch of the source in one language ("" the page's).
type part struct {
	lang string
	src  string
}

// splitLang cuts src at its language fences; fence lines are dropped. The
// problems are those of checkLang.
func splitLang(src string) ([]part, []Problem) {
	var parts []part
	var ps []Problem
	var cur strings.Builder
	lang, openLine := "", 0
	flush := func() {
		if cur.Len() > 0 {
			parts = append(parts, part{lang, cur.String()})
			cur.Reset()
		}
	}
	inFence := false // a code block: fences inside are text
	for i, l := range strings.SplitAfter(src, "\n") {
		line := strings.TrimRight(l, "\r\n")
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			inFence = !inFence
		}
		switch {
		case inFence:
		case langOpen.MatchString(line) && openLine == 0:
			code := langOpen.FindStringSubmatch(line)[1]
			if !KnownLang(code) {
				ps = append(ps, Problem{LangUnknown, []any{i + 1, snippet([]byte(code))}})
			}
			flush()
			lang, openLine = code, i+1
			continue
		case langClose.MatchString(line) && openLine > 0:
			flush()
			lang, openLine = "", 0
			continue
		case langClose.MatchString(line):
			ps = append(ps, Problem{LangStray, []any{i + 1}})
			continue
		}
		cur.WriteString(l)
	}
	flush()
	if openLine > 0 {
		ps = append(ps, Problem{LangUnclosed, []any{openLine}})
	}
	return parts, ps
}

// renderParts renders each part and wraps a foreign one in its lang.
func renderParts(src string, render func(string) (template.HTML, error)) (template.HTML, error) {
	parts, _ := splitLang(src)
	var out bytes.Buffer
	for _, p := range parts {
		h, err := render(p.src)
		if err != nil {
			return "", err
		}
		if p.lang != "" && KnownLang(p.lang) {
			out.WriteString(`<div lang="` + template.HTMLEscapeString(p.lang) + `">`)
			out.WriteString(string(h))
			out.WriteString("</div>\n")
			continue
		}
		out.WriteString(string(h))
	}
	return template.HTML(out.String()), nil
}
