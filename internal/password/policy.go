package password

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Platform bounds for a tenant's password policy (contract USR-3).
//
// The minimum length defaults to 15 and a tenant may set it between 12 and
// 64: ASVS 5.0 6.2.1 requires at least 8 and recommends 15, NIST SP 800-63B
// requires 15 for single-factor passwords; 12 is our floor for tenants that
// enforce a second factor. The maximum length defaults to 128 and may be set
// between 64 and 128: ASVS 6.2.9 requires that at least 64 characters be
// allowed; 128 bounds what a login form must accept.
const (
	DefaultMinLength = 15
	MinLengthFloor   = 12
	MinLengthCeiling = 64
	DefaultMaxLength = 128
	MaxLengthFloor   = 64
	MaxLengthCeiling = 128
)

// Message keys of the rules Policy.Check applies.
const (
	RuleTooShort     = "password.too_short"     // Args: minimum length
	RuleTooLong      = "password.too_long"      // Args: maximum length
	RuleCommon       = "password.common"        // on the blocklist
	RuleContext      = "password.context"       // contains tenant name, e-mail or slug
	RuleInvalidUTF8  = "password.invalid_utf8"  // not valid UTF-8
	RuleControlChars = "password.control_chars" // contains a control character
	RuleBreached     = "password.breached"      // found in a breached-password corpus (checked by the caller)
)

// Message keys of the rules Policy.Normalize applies.
const (
	RulePolicyMinLength   = "password.policy.min_length"    // Args: floor, ceiling
	RulePolicyMaxLength   = "password.policy.max_length"    // Args: floor, ceiling
	RulePolicyMinAboveMax = "password.policy.min_above_max" // Args: min, max
)

// Policy is a tenant's password policy. It has no composition rules (no
// "must contain a digit") and no expiry, per ASVS 6.2.5 and 6.2.10 and NIST
// SP 800-63B.
type Policy struct {
	MinLength int // Unicode code points; 0 means DefaultMinLength
	MaxLength int // Unicode code points; 0 means DefaultMaxLength
	// BreachCheck asks that new passwords also be checked against a
	// breached-password corpus (ASVS 6.2.12). The k-anonymity range query is
	// HTTP and lives in an adapter; this package only carries the flag.
	BreachCheck bool
}

// DefaultPolicy is the policy of a tenant that has not set one.
var DefaultPolicy = Policy{MinLength: DefaultMinLength, MaxLength: DefaultMaxLength, BreachCheck: true}

// Violation is a broken password rule: Rule is a message key (RuleTooShort,
// …) and Args its arguments, for Message or a locale catalogue.
type Violation struct {
	Rule string
	Args []any
}

// PolicyError is returned by Policy.Normalize; Field names the offending
// Policy field and the embedded Violation the rule (RulePolicyMinLength, …).
type PolicyError struct {
	Field string
	Violation
}

func (e *PolicyError) Error() string {
	return "password policy: " + e.Field + ": " + Message("en", &e.Violation)
}

// Normalize fills zero lengths with the defaults and validates a tenant's
// setting against the platform bounds. It returns a *PolicyError naming the
// rule when the setting is out of bounds.
func (p Policy) Normalize() (Policy, error) {
	if p.MinLength == 0 {
		p.MinLength = DefaultMinLength
	}
	if p.MaxLength == 0 {
		p.MaxLength = DefaultMaxLength
	}
	if p.MinLength < MinLengthFloor || p.MinLength > MinLengthCeiling {
		return p, &PolicyError{"MinLength", Violation{RulePolicyMinLength, []any{MinLengthFloor, MinLengthCeiling}}}
	}
	if p.MaxLength < MaxLengthFloor || p.MaxLength > MaxLengthCeiling {
		return p, &PolicyError{"MaxLength", Violation{RulePolicyMaxLength, []any{MaxLengthFloor, MaxLengthCeiling}}}
	}
	if p.MinLength > p.MaxLength {
		return p, &PolicyError{"MinLength", Violation{RulePolicyMinAboveMax, []any{p.MinLength, p.MaxLength}}}
	}
	return p, nil
}

// effective returns p with zero lengths defaulted and out-of-bounds lengths
// clamped, so that Check never enforces less than the platform floor even
// on a policy that skipped Normalize.
func (p Policy) effective() Policy {
	if p.MinLength == 0 {
		p.MinLength = DefaultMinLength
	}
	if p.MaxLength == 0 {
		p.MaxLength = DefaultMaxLength
	}
	p.MinLength = min(max(p.MinLength, MinLengthFloor), MinLengthCeiling)
	p.MaxLength = min(max(p.MaxLength, MaxLengthFloor), MaxLengthCeiling)
	return p
}

// Check judges a new password pw, exactly as typed, and returns nil when it
// is acceptable or the first rule it breaks. Length is counted in Unicode
// code points. context holds words the password must not contain, compared
// case-insensitively: the tenant's name, the user's e-mail address, the
// tenant's slug. Each is used whole, and an e-mail also by its local part
// and each is split into words at non-alphanumeric characters; only words
// of at least 4 characters count. Spaces and all printable Unicode are
// allowed; control characters (C0, DEL and C1) are not.
func (p Policy) Check(pw string, context ...string) *Violation {
	p = p.effective()
	if !utf8.ValidString(pw) {
		return &Violation{Rule: RuleInvalidUTF8}
	}
	if strings.IndexFunc(pw, unicode.IsControl) >= 0 {
		return &Violation{Rule: RuleControlChars}
	}
	n := utf8.RuneCountInString(pw)
	if n < p.MinLength {
		return &Violation{Rule: RuleTooShort, Args: []any{p.MinLength}}
	}
	if n > p.MaxLength {
		return &Violation{Rule: RuleTooLong, Args: []any{p.MaxLength}}
	}
	if isCommon(pw) {
		return &Violation{Rule: RuleCommon}
	}
	lower := strings.ToLower(pw)
	for _, w := range contextWords(context) {
		if strings.Contains(lower, w) {
			return &Violation{Rule: RuleContext}
		}
	}
	return nil
}

// minContextLen is the shortest context word checked: shorter ones ("jan",
// "be") would refuse too many good passphrases.
const minContextLen = 4

func contextWords(context []string) []string {
	var words []string
	add := func(w string) {
		if utf8.RuneCountInString(w) >= minContextLen {
			words = append(words, w)
		}
	}
	for _, c := range context {
		c = strings.ToLower(strings.TrimSpace(c))
		add(c)
		if local, _, ok := strings.Cut(c, "@"); ok {
			add(local)
		}
		for _, w := range strings.FieldsFunc(c, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		}) {
			add(w)
		}
	}
	return words
}

// String renders v for logs and tests.
func (v *Violation) String() string {
	if v == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s%v", v.Rule, v.Args)
}
