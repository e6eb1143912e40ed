// Package accessibility owns the accessibility statement
// (toegankelijkheidsverklaring) Kluis generates for a tenant's site: the
// facts it is made of, the compliance status those facts give, and the
// summary of a full audit by the browser suite. It follows the model
// statement of the EU (implementing decision 2018/1523 under directive
// 2016/2102), which the Flemish Bestuursdecreet 2018 makes binding on
// local authorities. Pure Go: no I/O.
package accessibility

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// Status is the statement's compliance status (model statement, section
// "compliance status").
type Status string

// The statuses.
const (
	Full    Status = "full"    // fully compliant
	Partial Status = "partial" // partially compliant: exceptions or audit findings
	None    Status = "none"    // not compliant, or not assessed
)

// The legal grounds of an exception (directive 2016/2102 art. 1(4), 5).
const (
	GroundBurden     = "disproportionate_burden"
	GroundScope      = "outside_scope"
	GroundThirdParty = "third_party"
)

// Grounds lists the grounds in the order the form offers them.
var Grounds = []string{GroundBurden, GroundScope, GroundThirdParty}

// Langs are the statement's languages.
var Langs = []string{"nl", "fr", "en"}

// The checks Kluis applies before a site page is published (sitemd.Check
// and CheckPublish) and to the tenant's colours (brand.Validate).
const (
	CheckHeadings = "headings" // the body's headings start at h2 and skip no level (1.3.1, 2.4.6)
	CheckAlt      = "alt"      // every image has an alternative text (1.1.1)
	CheckRawHTML  = "raw_html" // raw HTML and script links are refused (4.1.1, 4.1.2)
	CheckLang     = "lang"     // a passage in another language is marked, with a known code (3.1.2)
	CheckContrast = "contrast" // the accent colour has 4.5:1 contrast (1.4.3)
)

// Checks lists the publish-time checks, in the statement's order.
var Checks = []string{CheckHeadings, CheckAlt, CheckRawHTML, CheckLang, CheckContrast}

// Audit is the summary of one full run of the browser suite with axe-core.
type Audit struct {
	At           time.Time `json:"at"`            // when the run finished
	PagesChecked int       `json:"pages_checked"` // page views axe looked at (each language and viewport)
	PagesFailed  int       `json:"pages_failed"`  // of which with at least one violation
	Violations   int       `json:"violations"`    // violations found in all
	Tool         string    `json:"tool"`          // "axe-core 4.10.2"
}

// Exception is a known part of the site that does not meet WCAG 2.1 AA,
// entered by the tenant.
type Exception struct {
	ID          string            `json:"id"`
	Description map[string]string `json:"description"` // by language
	Ground      string            `json:"ground"`
	PlannedFix  string            `json:"planned_fix,omitempty"` // YYYY-MM-DD, or ""
}

// Contact is where visitors report accessibility problems: a functional
// address of the organisation (toegankelijkheid@gemeente.be), not a
// person's.
type Contact struct {
	Email string `json:"email"`
	Phone string `json:"phone,omitempty"`
}

// Contrast is the tenant's accent colour and its lowest WCAG contrast
// where Kluis uses it.
type Contrast struct {
	Accent string  `json:"accent"`
	Ratio  float64 `json:"ratio"`
	Min    float64 `json:"min"`
}

// Facts are what a statement is generated from.
type Facts struct {
	Checks     []string          `json:"checks"`
	Contrast   Contrast          `json:"contrast"`
	Audit      *Audit            `json:"audit,omitempty"`
	Exceptions []Exception       `json:"exceptions"`
	Contact    Contact           `json:"contact"`
	Complaint  map[string]string `json:"complaint"` // the enforcement route, by language
}

// Reason is one reason of the status: a catalogue key
// ("a11y.reason.<Code>") and its arguments.
type Reason struct {
	Code string   `json:"code"`
	Args []string `json:"args,omitempty"`
}

// The reasons.
const (
	ReasonNoAudit    = "no_audit"   // no full audit recorded
	ReasonAuditOld   = "audit_old"  // the last audit is older than a year; its date
	ReasonAuditFail  = "audit_fail" // violations; pages failed, pages checked, violations
	ReasonAuditMost  = "audit_most" // violations on most pages; pages failed, pages checked
	ReasonExceptions = "exceptions" // known exceptions; how many
	ReasonContrast   = "contrast"   // the accent's contrast is too low; ratio, minimum
	// ReasonAuditClean was written by earlier versions for a clean audit;
	// a clean audit is a fact (shown under how the statement was made),
	// not a reason for the status, so it is no longer a reason and old
	// statements do not list it (see Statement.ReasonsShown).
	ReasonAuditClean = "audit_clean"
)

// MaxAuditAge is how old the last audit may be before the status falls
// to "not compliant": the model statement is reviewed at least yearly.
const MaxAuditAge = 365 * 24 * time.Hour

// Evaluate computes the status of facts at now, with its reasons:
// not compliant without an audit of the last year or when most pages
// failed it; partially compliant with an exception, an audit finding or
// a colour below the contrast minimum; else fully compliant.
func Evaluate(f Facts, now time.Time) (Status, []Reason) {
	var rs []Reason
	status := Full
	lower := func(s Status) {
		if s == None || status == Full {
			status = s
		}
	}
	switch a := f.Audit; {
	case a == nil:
		lower(None)
		rs = append(rs, Reason{Code: ReasonNoAudit})
	case now.Sub(a.At) > MaxAuditAge:
		lower(None)
		rs = append(rs, Reason{Code: ReasonAuditOld, Args: []string{a.At.Format("2006-01-02")}})
	case a.PagesFailed*2 > a.PagesChecked:
		lower(None)
		rs = append(rs, Reason{Code: ReasonAuditMost, Args: []string{itoa(a.PagesFailed), itoa(a.PagesChecked)}})
	case a.Violations > 0 || a.PagesFailed > 0:
		lower(Partial)
		rs = append(rs, Reason{Code: ReasonAuditFail, Args: []string{itoa(a.PagesFailed), itoa(a.PagesChecked), itoa(a.Violations)}})
	}
	if n := len(f.Exceptions); n > 0 {
		lower(Partial)
		rs = append(rs, Reason{Code: ReasonExceptions, Args: []string{itoa(n)}})
	}
	if f.Contrast.Accent != "" && f.Contrast.Ratio < f.Contrast.Min {
		lower(Partial)
		rs = append(rs, Reason{Code: ReasonContrast, Args: []string{fmt.Sprintf("%.1f", f.Contrast.Ratio), fmt.Sprintf("%.1f", f.Contrast.Min)}})
	}
	return status, rs
}

func itoa(n int) string { return fmt.Sprint(n) }

// Statement is a published statement: the facts as they were, the status
// they gave, and when. It is kept as it was published (the history).
type Statement struct {
	Version     int       `json:"version"`
	PublishedAt time.Time `json:"published_at"`
	Name        string    `json:"name"` // the organisation, as its site names it
	Status      Status    `json:"status"`
	Reasons     []Reason  `json:"reasons"`
	Facts       Facts     `json:"facts"`
}

// ReasonsShown are the statement's reasons without those that are not
// reasons (a clean audit, kept in statements published before).
func (s Statement) ReasonsShown() []Reason {
	var rs []Reason
	for _, r := range s.Reasons {
		if r.Code != ReasonAuditClean {
			rs = append(rs, r)
		}
	}
	return rs
}

// Problem is a refused field: a catalogue key and its arguments.
type Problem struct {
	Key  string
	Args []any
}

// Field names of the settings and exception forms.
const (
	FieldEmail      = "email"
	FieldPhone      = "phone"
	FieldGround     = "ground"
	FieldPlannedFix = "planned_fix"
)

// FieldDescription and FieldComplaint are the per-language fields
// ("description.nl", "complaint.fr").
func FieldDescription(lang string) string { return "description." + lang }
func FieldComplaint(lang string) string   { return "complaint." + lang }

const maxText = 2000

// ValidateContact checks the feedback contact and the complaint route;
// field → problem, empty when they are acceptable. The e-mail address is
// required (the model statement's feedback mechanism), so is the
// complaint route in Dutch.
func ValidateContact(c Contact, complaint map[string]string) map[string]Problem {
	bad := map[string]Problem{}
	switch e := strings.TrimSpace(c.Email); {
	case e == "":
		bad[FieldEmail] = Problem{Key: "a11y.err.email_required"}
	case !validEmail(e):
		bad[FieldEmail] = Problem{Key: "a11y.err.email"}
	}
	if p := strings.TrimSpace(c.Phone); p != "" && !validPhone(p) {
		bad[FieldPhone] = Problem{Key: "a11y.err.phone"}
	}
	for _, l := range Langs {
		t := strings.TrimSpace(complaint[l])
		switch {
		case t == "" && l == "nl":
			bad[FieldComplaint(l)] = Problem{Key: "a11y.err.complaint_required"}
		case len([]rune(t)) > maxText:
			bad[FieldComplaint(l)] = Problem{Key: "a11y.err.too_long", Args: []any{maxText}}
		}
	}
	return bad
}

// ValidateException checks an exception; field → problem, empty when it
// is acceptable. The Dutch description is required; today is the
// earliest planned fix date.
func ValidateException(e Exception, today time.Time) map[string]Problem {
	bad := map[string]Problem{}
	for _, l := range Langs {
		t := strings.TrimSpace(e.Description[l])
		switch {
		case t == "" && l == "nl":
			bad[FieldDescription(l)] = Problem{Key: "a11y.err.description_required"}
		case len([]rune(t)) > maxText:
			bad[FieldDescription(l)] = Problem{Key: "a11y.err.too_long", Args: []any{maxText}}
		}
	}
	if !slices.Contains(Grounds, e.Ground) {
		bad[FieldGround] = Problem{Key: "a11y.err.ground"}
	}
	if d := strings.TrimSpace(e.PlannedFix); d != "" {
		t, ok := ParseDate(d)
		switch {
		case !ok:
			bad[FieldPlannedFix] = Problem{Key: "a11y.err.date"}
		case t.Before(time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)):
			bad[FieldPlannedFix] = Problem{Key: "a11y.err.date_past"}
		}
	}
	return bad
}

// ParseDate reads a date as people in Flanders write it (31.12.2027) or
// as a date input sends it (2027-12-31).
func ParseDate(s string) (time.Time, bool) {
	for _, layout := range []string{"02.01.2006", "2.1.2006", "2006-01-02"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndex(s, "@"):], ".")
}

func validPhone(s string) bool {
	n := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			n++
		case r == '+' && i == 0, r == ' ', r == '/', r == '.', r == '-':
		default:
			return false
		}
	}
	return n >= 8 && n <= 15
}

// auditLine is one line of the browser suite's log: a page view axe
// looked at.
type auditLine struct {
	At         *time.Time `json:"at"`
	Page       *string    `json:"page"`
	Violations *int       `json:"violations"`
	Tool       string     `json:"tool"`
}

// ParseAuditLog reads the browser suite's audit log (e2e/artifacts/
// axe-audit.jsonl: one JSON object per page view axe checked, with "at",
// "page", "violations" and "tool") and sums it up. Any line that is not
// such an object, or an empty log, is an error naming the line: a
// partial log is not a full audit.
func ParseAuditLog(r io.Reader) (Audit, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return Audit{}, err
	}
	var a Audit
	for i, raw := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		var l auditLine
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return Audit{}, fmt.Errorf("line %d: not an audit record: %v", i+1, err)
		}
		switch {
		case l.At == nil || l.At.IsZero():
			return Audit{}, fmt.Errorf("line %d: no time (at)", i+1)
		case l.Page == nil || *l.Page == "":
			return Audit{}, fmt.Errorf("line %d: no page", i+1)
		case l.Violations == nil || *l.Violations < 0:
			return Audit{}, fmt.Errorf("line %d: no violation count", i+1)
		case l.Tool == "":
			return Audit{}, fmt.Errorf("line %d: no tool", i+1)
		}
		a.PagesChecked++
		a.Violations += *l.Violations
		if *l.Violations > 0 {
			a.PagesFailed++
		}
		if l.At.After(a.At) {
			a.At = l.At.UTC()
		}
		a.Tool = l.Tool
	}
	if a.PagesChecked == 0 {
		return Audit{}, fmt.Errorf("the log holds no page")
	}
	return a, nil
}
