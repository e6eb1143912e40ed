package magda

import "strconv"

// ValidINSZ reports whether s is an 11-digit INSZ (national register or BIS
// number) whose check digits are right: 97 minus the first nine digits
// modulo 97, with a 2 prefixed to those nine digits for people born from
// 2000 on. Checking before calling keeps a typo from becoming a register
// call about someone else.
func ValidINSZ(s string) bool {
	if len(s) != 11 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	base, _ := strconv.ParseInt(s[:9], 10, 64)
	check, _ := strconv.ParseInt(s[9:], 10, 64)
	return 97-base%97 == check || 97-(2000000000+base)%97 == check
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
