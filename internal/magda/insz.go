package magda

import (
	"strconv"

	"github.com/kluis/kluis/internal/ident"
)

// ValidINSZ reports whether s is an 11-digit INSZ (national register or BIS
// number) that the project's one INSZ rule (ident.INSZ: check digits modulo
// 97, the date and sequence it encodes) accepts, written without
// separators as the message carries it. Checking before calling keeps a
// typo from becoming a register call about someone else.
func ValidINSZ(s string) bool {
	n, err := ident.INSZ(s)
	return err == nil && n.Digits == s
}

// INSZCheckDigits returns the two check digits for the first nine digits of
// an INSZ; born2000 selects the rule for people born from 2000 on.
func INSZCheckDigits(first9 string, born2000 bool) string {
	base, _ := strconv.ParseInt(first9, 10, 64)
	if born2000 {
		base += 2000000000
	}
	c := 97 - base%97
	if c < 10 {
		return "0" + strconv.FormatInt(c, 10)
	}
	return strconv.FormatInt(c, 10)
}
