// Package locale owns the user-facing message catalogues of Kluis in Dutch
// (nl-BE, the binding language and the default), French (fr-BE) and English
// (an aid only), and the choice of language for a request.
//
// The catalogues are JSON files under messages/, embedded at build time so
// translators can edit them without touching Go code: <lang>.json holds the
// common messages and <area>.<lang>.json (audit.nl.json, …) one area's, so
// that areas grow without stepping on each other. A key may live in one file
// per language only. Every
// key present in one catalogue must be present in the others with the same
// format verbs; the package tests enforce that.
//
// It imports only the standard library.
package locale

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Lang is a language Kluis speaks, identified by its ISO 639-1 code.
type Lang string

// The supported languages. NL is the default and the binding language.
const (
	NL Lang = "nl"
	FR Lang = "fr"
	EN Lang = "en"
)

// Supported returns the supported languages, Dutch first.
func Supported() []Lang { return []Lang{NL, FR, EN} }

// Parse turns a language tag such as "nl", "FR" or "fr-BE" into a supported
// Lang. Only the primary subtag counts. It reports false for anything else.
func Parse(s string) (Lang, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "-_"); i >= 0 {
		s = s[:i]
	}
	switch l := Lang(strings.ToLower(s)); l {
	case NL, FR, EN:
		return l, true
	}
	return "", false
}

// Negotiate chooses the language of a request. An explicit choice in the
// query wins, then the cookie, then the best supported language in the
// Accept-Language header (honouring q-values), then fallback.
func Negotiate(query, cookie, acceptLanguage string, fallback Lang) Lang {
	if l, ok := Parse(query); ok {
		return l
	}
	if l, ok := Parse(cookie); ok {
		return l
	}
	if l, ok := fromAcceptLanguage(acceptLanguage, fallback); ok {
		return l
	}
	return fallback
}

// fromAcceptLanguage picks the supported language with the highest q-value
// from an Accept-Language header; on a tie the one listed first wins. A
// wildcard stands for fallback.
func fromAcceptLanguage(header string, fallback Lang) (Lang, bool) {
	type candidate struct {
		lang Lang
		q    float64
	}
	var cands []candidate
	for part := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.TrimSpace(tag)
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || strings.TrimSpace(strings.ToLower(k)) != "q" {
				continue
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 {
				f = 0
			}
			q = f
		}
		if q <= 0 {
			continue
		}
		if tag == "*" {
			cands = append(cands, candidate{fallback, q})
			continue
		}
		if l, ok := Parse(tag); ok {
			cands = append(cands, candidate{l, q})
		}
	}
	if len(cands) == 0 {
		return "", false
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].q > cands[j].q })
	return cands[0].lang, true
}

// HTMLLang returns the tag for the HTML lang attribute: Belgian Dutch and
// French, plain English.
func (l Lang) HTMLLang() string {
	switch l {
	case FR:
		return "fr-BE"
	case EN:
		return "en"
	}
	return "nl-BE"
}

// Name returns the name of the language in that language, as shown in a
// language switch.
func (l Lang) Name() string {
	switch l {
	case FR:
		return "Français"
	case EN:
		return "English"
	}
	return "Nederlands"
}

//go:embed messages/*.json
var files embed.FS

// catalogues maps each supported language to its messages. It is filled
// once at start-up and only read afterwards.
var catalogues = mustLoad()

func mustLoad() map[Lang]map[string]string {
	c := make(map[Lang]map[string]string)
	for _, l := range Supported() {
		names, err := fs.Glob(files, "messages/*"+string(l)+".json")
		if err != nil {
			panic(fmt.Sprintf("locale: list catalogue %s: %v", l, err))
		}
		m := make(map[string]string)
		for _, name := range names {
			base := path.Base(name)
			if base != string(l)+".json" && !strings.HasSuffix(base, "."+string(l)+".json") {
				continue
			}
			b, err := files.ReadFile(name)
			if err != nil {
				panic(fmt.Sprintf("locale: read catalogue %s: %v", name, err))
			}
			part := make(map[string]string)
			if err := json.Unmarshal(b, &part); err != nil {
				panic(fmt.Sprintf("locale: parse catalogue %s: %v", name, err))
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					panic(fmt.Sprintf("locale: key %q twice in the %s catalogues (again in %s)", k, l, name))
				}
				m[k] = v
			}
		}
		if len(m) == 0 {
			panic(fmt.Sprintf("locale: no catalogue for %s", l))
		}
		c[l] = m
	}
	return c
}

// T returns the message for key in language l, formatted with args as by
// fmt.Sprintf when any are given. A key missing in l falls back to Dutch; a
// key missing there too is returned as is, so a gap shows on the page
// instead of breaking it.
func T(l Lang, key string, args ...any) string {
	msg, ok := catalogues[l][key]
	if !ok {
		msg, ok = catalogues[NL][key]
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// Has reports whether key exists in the catalogue of l.
func Has(l Lang, key string) bool {
	_, ok := catalogues[l][key]
	return ok
}

// Keys returns the keys of the catalogue of l, sorted.
func Keys(l Lang) []string {
	keys := make([]string, 0, len(catalogues[l]))
	for k := range catalogues[l] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
