package password

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
)

// commonTxt is Openwall's password.lst as shipped in Debian's john-data
// package (/usr/share/john/password.lst, John the Ripper 1.9.0): its
// "#!comment" header lines removed, entries lower-cased, duplicates and the
// empty line dropped, order kept (most common first). Regenerate with
//
//	grep -v '^#!' /usr/share/john/password.lst | tr A-Z a-z |
//		awk 'length($0)>0 && !seen[$0]++' > common.txt
//
// Licence, quoted from the list's own header:
//
//	#!comment: This list has been compiled by Solar Designer of Openwall Project
//	#!comment: in 1996 through 2011.  It is assumed to be in the public domain.
//
// (Debian's copyright file for john-data has a blanket "Files: *" GPL-2
// stanza; the list's header, and Openwall's wordlists page, state public
// domain for this file.)
//
//go:embed common.txt
var commonTxt string

// commonLocalTxt holds Belgian, Dutch and French favourites a tenant expects
// to see refused (welkom, azerty, bruxelles…), written for Kluis. Lines
// starting with '#' are comments.
//
//go:embed common-local.txt
var commonLocalTxt string

// commonSet is the blocklist, built on first use.
var commonSet = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 4096)
	for _, list := range []string{commonTxt, commonLocalTxt} {
		for line := range strings.Lines(list) {
			line = strings.TrimRight(line, "\r\n")
			if line == "" || line[0] == '#' {
				continue
			}
			set[strings.ToLower(line)] = struct{}{}
		}
	}
	return set
})

// isCommon reports whether pw, lower-cased, is on the blocklist, either whole
// or with its trailing digits, punctuation, symbols and spaces stripped
// ("Welkom2024!" → "welkom"): appending a year or a "!" does not make a
// common password uncommon.
func isCommon(pw string) bool {
	set := commonSet()
	lower := strings.ToLower(pw)
	if _, ok := set[lower]; ok {
		return true
	}
	stem := strings.TrimRightFunc(lower, func(r rune) bool {
		return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r)
	})
	if stem == "" || stem == lower {
		return false
	}
	_, ok := set[stem]
	return ok
}
