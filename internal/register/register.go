package register

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
)

// Expiry actions for a data category at the end of its retention period.
const (
	ExpiryAnonymise    = "anonymise"
	ExpiryPseudonymise = "pseudonymise"
	ExpiryDelete       = "delete"
)

// Moments a retention period can start from. Empty means StartSubmission,
// so that registers saved before the field existed keep their meaning.
const (
	StartSubmission = "submission"  // the day the data was received
	StartCaseClosed = "case_closed" // the day the case it belongs to was closed
)

// RetentionStarts lists the moments a retention period can start from.
var RetentionStarts = []string{StartSubmission, StartCaseClosed}

// ExpiryActions lists what can happen to data when its retention ends.
var ExpiryActions = []string{ExpiryAnonymise, ExpiryPseudonymise, ExpiryDelete}

// Text is a register text in the languages of the e-loket: "nl" is
// required, "fr" and "en" are shown to French- and English-speaking
// citizens when given (Dutch otherwise).
type Text map[string]string

// In returns the text in lang, or the Dutch text when there is none.
func (t Text) In(lang string) string {
	if s := strings.TrimSpace(t[lang]); s != "" {
		return s
	}
	return strings.TrimSpace(t["nl"])
}

// LangOf returns the language In(lang) actually answers in, for the
// HTML lang attribute of a fallback text.
func (t Text) LangOf(lang string) string {
	if strings.TrimSpace(t[lang]) != "" {
		return lang
	}
	return "nl"
}

// Register is one version of a tenant's processing register: annex 1 of
// the data processing agreement (REG-1), with the sub-processors (SUB-1)
// and the software applications (REG-6).
type Register struct {
	Subject Text `json:"subject" yaml:"subject"` // subject of the processing
	// DPOContact is how people reach the controller's data protection
	// officer, published in privacy notices: a functional e-mail address
	// or a web address (not a person's own mailbox).
	DPOContact    string         `json:"dpo_contact,omitempty" yaml:"dpo_contact,omitempty"`
	Duration      Text           `json:"duration" yaml:"duration"` // duration of the processing
	Purposes      []Purpose      `json:"purposes" yaml:"purposes"`
	Categories    []Category     `json:"categories" yaml:"categories"`
	DataSubjects  []DataSubject  `json:"data_subjects" yaml:"data_subjects"`
	Recipients    []Recipient    `json:"recipients,omitempty" yaml:"recipients,omitempty"`
	SubProcessors []SubProcessor `json:"sub_processors,omitempty" yaml:"sub_processors,omitempty"`
	Applications  []Application  `json:"applications,omitempty" yaml:"applications,omitempty"`
}

// Purpose is a purpose of processing with its legal basis (art. 6 GDPR)
// and, for special categories, its art. 9 exception.
type Purpose struct {
	Key        string `json:"key" yaml:"key"`
	Name       Text   `json:"name" yaml:"name"`
	LegalBasis string `json:"legal_basis" yaml:"legal_basis"` // see LegalBases
	// LegalReference names the law behind a legal obligation or public
	// task ("Decreet over het lokaal bestuur, art. 2"), shown to citizens.
	LegalReference Text   `json:"legal_reference,omitempty" yaml:"legal_reference,omitempty"`
	Art9Basis      string `json:"art9_basis,omitempty" yaml:"art9_basis,omitempty"` // see Art9Bases
}

// Category is one kind of personal data: its information class, the
// purposes it serves, its retention and what happens when that ends.
type Category struct {
	Key           string   `json:"key" yaml:"key"`
	Name          Text     `json:"name" yaml:"name"`
	Class         string   `json:"class" yaml:"class"` // REG-7 code
	Purposes      []string `json:"purposes" yaml:"purposes"`
	DataSubjects  []string `json:"data_subjects,omitempty" yaml:"data_subjects,omitempty"`
	Recipients    []string `json:"recipients,omitempty" yaml:"recipients,omitempty"`
	RetentionDays int      `json:"retention_days" yaml:"retention_days"`
	// RetentionStart is when the retention period starts counting (see
	// RetentionStarts; empty: from submission).
	RetentionStart  string `json:"retention_start,omitempty" yaml:"retention_start,omitempty"`
	Expiry          string `json:"expiry" yaml:"expiry"`
	Reason          Text   `json:"reason" yaml:"reason"`
	Countermeasures Text   `json:"countermeasures" yaml:"countermeasures"`
}

// DataSubject is a category of data subjects ("Inwoners").
type DataSubject struct {
	Key  string `json:"key" yaml:"key"`
	Name Text   `json:"name" yaml:"name"`
}

// Recipient is someone personal data is disclosed to (art. 13.1.e).
type Recipient struct {
	Key     string `json:"key" yaml:"key"`
	Name    Text   `json:"name" yaml:"name"`
	Kind    string `json:"kind" yaml:"kind"`       // see RecipientKinds
	Country string `json:"country" yaml:"country"` // ISO 3166 alpha-2 of where they process
	// TransferMechanism is required outside the EEA (see Mechanisms).
	TransferMechanism string `json:"transfer_mechanism,omitempty" yaml:"transfer_mechanism,omitempty"`
	// Endpoints are the https origins data may be sent to for this
	// recipient (webhooks to a case system; REG-2).
	Endpoints []string `json:"endpoints,omitempty" yaml:"endpoints,omitempty"`
}

// SubProcessor is a processor the supplier engages (SUB-1).
type SubProcessor struct {
	Key               string   `json:"key" yaml:"key"`
	Name              string   `json:"name" yaml:"name"`
	HeadOffice        string   `json:"head_office" yaml:"head_office"` // address of the head office
	Country           string   `json:"country" yaml:"country"`         // ISO alpha-2 where it processes
	Service           Text     `json:"service" yaml:"service"`         // what it does for us
	TransferMechanism string   `json:"transfer_mechanism,omitempty" yaml:"transfer_mechanism,omitempty"`
	Measures          Text     `json:"measures" yaml:"measures"`
	Endpoints         []string `json:"endpoints,omitempty" yaml:"endpoints,omitempty"`
}

// Application is a software application used for the processing (REG-6).
type Application struct {
	Key        string   `json:"key" yaml:"key"`
	Name       string   `json:"name" yaml:"name"`
	Categories []string `json:"categories" yaml:"categories"` // the data it holds
	Storage    Text     `json:"storage" yaml:"storage"`       // where the data is stored
	Transfer   Text     `json:"transfer" yaml:"transfer"`     // how data is transferred
	Access     Text     `json:"access" yaml:"access"`         // how access works
}

// LegalBases are the art. 6(1) GDPR grounds, (a) to (f).
var LegalBases = []string{"consent", "contract", "legal_obligation", "vital_interest", "public_task", "legitimate_interest"}

// Art9Bases are the art. 9(2) GDPR exceptions, (a) to (j).
var Art9Bases = []string{"explicit_consent", "employment_social_security", "vital_interest", "non_profit_body",
	"made_public", "legal_claims", "substantial_public_interest", "health_care", "public_health", "archiving_research"}

// RecipientKinds: inside the controller, another public authority, a
// processor, or another third party.
var RecipientKinds = []string{"internal", "public_authority", "processor", "third_party"}

// Mechanisms are the transfer mechanisms of chapter V GDPR for processing
// outside the EEA: an adequacy decision (art. 45), standard contractual
// clauses (art. 46.2.c), binding corporate rules (art. 47).
var Mechanisms = []string{"adequacy_decision", "standard_contractual_clauses", "binding_corporate_rules"}

// EEA lists the countries of the European Economic Area (the EU's 27 and
// Iceland, Liechtenstein, Norway), ISO 3166 alpha-2.
var EEA = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
	"LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO"}

// InEEA reports whether an ISO alpha-2 country code is in the EEA.
func InEEA(country string) bool {
	return slices.Contains(EEA, strings.ToUpper(strings.TrimSpace(country)))
}

// Problem is one broken rule, at a path into the register document
// ("categories[2].retention_days"), with a message key and its arguments.
type Problem struct {
	Path string
	Key  string // locale key under "register.problem."
	Args []any
}

func (p Problem) String() string {
	return p.Path + ": " + fmt.Sprint(append([]any{p.Key}, p.Args...)...)
}

// Message is the problem as a sentence: path, then the rule, worded by
// translate (a locale catalogue lookup of "register.problem."+Key).
func (p Problem) Message(translate func(key string, args ...any) string) string {
	msg := translate("register.problem."+p.Key, p.Args...)
	if p.Path == "" {
		return msg
	}
	return p.Path + ": " + msg
}

var keyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
var countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)

// Validate lists every problem, in document order; a register with any
// problem is not saved.
func (r Register) Validate() []Problem {
	var ps []Problem
	add := func(path, key string, args ...any) { ps = append(ps, Problem{path, key, args}) }
	text := func(path string, t Text, required bool) {
		if strings.TrimSpace(t["nl"]) == "" {
			if required || len(t) > 0 {
				add(path+".nl", "text_required")
			}
		}
		for lang, s := range t {
			if lang != "nl" && lang != "fr" && lang != "en" {
				add(path+"."+lang, "text_language", lang)
			} else if len(s) > 4000 {
				add(path+"."+lang, "too_long", 4000)
			}
		}
	}
	keys := func(section string, n int, key func(int) string) map[string]bool {
		seen := map[string]bool{}
		for i := range n {
			path := fmt.Sprintf("%s[%d].key", section, i)
			switch k := key(i); {
			case k == "":
				add(path, "required")
			case !keyPattern.MatchString(k):
				add(path, "key_format", k)
			case seen[k]:
				add(path, "duplicate_key", k)
			default:
				seen[k] = true
			}
		}
		return seen
	}
	refs := func(path string, list []string, known map[string]bool, what string, required bool) {
		if required && len(list) == 0 {
			add(path, "required")
		}
		for j, k := range list {
			if !known[k] {
				add(fmt.Sprintf("%s[%d]", path, j), "unknown_ref", what, k)
			}
		}
	}
	oneOf := func(path, v string, allowed []string) {
		if v == "" {
			add(path, "required")
		} else if !slices.Contains(allowed, v) {
			add(path, "one_of", v, strings.Join(allowed, ", "))
		}
	}
	country := func(path, c, mechanism, mechPath string) {
		switch {
		case c == "":
			add(path, "required")
		case !countryPattern.MatchString(c):
			add(path, "country_format", c)
		case !InEEA(c) && mechanism == "":
			add(mechPath, "transfer_mechanism_required", c)
		}
		if mechanism != "" && !slices.Contains(Mechanisms, mechanism) {
			add(mechPath, "one_of", mechanism, strings.Join(Mechanisms, ", "))
		}
	}
	endpoints := func(path string, es []string) {
		for j, e := range es {
			if !strings.HasPrefix(e, "https://") || strings.ContainsAny(e, " \t\n") || len(e) < len("https://a.b") {
				add(fmt.Sprintf("%s[%d]", path, j), "endpoint_https", e)
			}
		}
	}

	text("subject", r.Subject, true)
	if c := strings.TrimSpace(r.DPOContact); c != "" && !strings.HasPrefix(c, "https://") && !validMailbox(c) {
		add("dpo_contact", "dpo_contact", c)
	}
	text("duration", r.Duration, true)
	if len(r.Purposes) == 0 {
		add("purposes", "required")
	}
	purposes := keys("purposes", len(r.Purposes), func(i int) string { return r.Purposes[i].Key })
	for i, p := range r.Purposes {
		path := fmt.Sprintf("purposes[%d]", i)
		text(path+".name", p.Name, true)
		oneOf(path+".legal_basis", p.LegalBasis, LegalBases)
		text(path+".legal_reference", p.LegalReference, false)
		if (p.LegalBasis == "legal_obligation" || p.LegalBasis == "public_task") && len(p.LegalReference) == 0 {
			add(path+".legal_reference.nl", "legal_reference_required", p.LegalBasis)
		}
		if p.Art9Basis != "" && !slices.Contains(Art9Bases, p.Art9Basis) {
			add(path+".art9_basis", "one_of", p.Art9Basis, strings.Join(Art9Bases, ", "))
		}
	}
	subjects := keys("data_subjects", len(r.DataSubjects), func(i int) string { return r.DataSubjects[i].Key })
	if len(r.DataSubjects) == 0 {
		add("data_subjects", "required")
	}
	for i, s := range r.DataSubjects {
		text(fmt.Sprintf("data_subjects[%d].name", i), s.Name, true)
	}
	recipients := keys("recipients", len(r.Recipients), func(i int) string { return r.Recipients[i].Key })
	for i, rc := range r.Recipients {
		path := fmt.Sprintf("recipients[%d]", i)
		text(path+".name", rc.Name, true)
		oneOf(path+".kind", rc.Kind, RecipientKinds)
		country(path+".country", rc.Country, rc.TransferMechanism, path+".transfer_mechanism")
		endpoints(path+".endpoints", rc.Endpoints)
	}
	if len(r.Categories) == 0 {
		add("categories", "required")
	}
	categories := keys("categories", len(r.Categories), func(i int) string { return r.Categories[i].Key })
	byKey := map[string]Purpose{}
	for _, p := range r.Purposes {
		byKey[p.Key] = p
	}
	for i, c := range r.Categories {
		path := fmt.Sprintf("categories[%d]", i)
		text(path+".name", c.Name, true)
		cl, ok := ClassByCode(c.Class)
		if c.Class == "" {
			add(path+".class", "required")
		} else if !ok {
			add(path+".class", "unknown_class", c.Class)
		}
		refs(path+".purposes", c.Purposes, purposes, "purposes", true)
		if ok && cl.Special {
			for j, k := range c.Purposes {
				if p, known := byKey[k]; known && p.Art9Basis == "" {
					add(fmt.Sprintf("%s.purposes[%d]", path, j), "art9_required", c.Class, k)
				}
			}
		}
		refs(path+".data_subjects", c.DataSubjects, subjects, "data_subjects", false)
		refs(path+".recipients", c.Recipients, recipients, "recipients", false)
		if c.RetentionDays <= 0 {
			add(path+".retention_days", "retention_required")
		} else if c.RetentionDays > 100*366 {
			add(path+".retention_days", "retention_too_long")
		}
		if c.RetentionStart != "" && !slices.Contains(RetentionStarts, c.RetentionStart) {
			add(path+".retention_start", "one_of", c.RetentionStart, strings.Join(RetentionStarts, ", "))
		}
		oneOf(path+".expiry", c.Expiry, ExpiryActions)
		text(path+".reason", c.Reason, true)
		text(path+".countermeasures", c.Countermeasures, true)
	}
	keys("sub_processors", len(r.SubProcessors), func(i int) string { return r.SubProcessors[i].Key })
	for i, s := range r.SubProcessors {
		path := fmt.Sprintf("sub_processors[%d]", i)
		if strings.TrimSpace(s.Name) == "" {
			add(path+".name", "required")
		}
		if strings.TrimSpace(s.HeadOffice) == "" {
			add(path+".head_office", "required")
		}
		country(path+".country", s.Country, s.TransferMechanism, path+".transfer_mechanism")
		text(path+".service", s.Service, true)
		text(path+".measures", s.Measures, true)
		endpoints(path+".endpoints", s.Endpoints)
	}
	keys("applications", len(r.Applications), func(i int) string { return r.Applications[i].Key })
	for i, a := range r.Applications {
		path := fmt.Sprintf("applications[%d]", i)
		if strings.TrimSpace(a.Name) == "" {
			add(path+".name", "required")
		}
		refs(path+".categories", a.Categories, categories, "categories", true)
		text(path+".storage", a.Storage, true)
		text(path+".transfer", a.Transfer, true)
		text(path+".access", a.Access, true)
	}
	return ps
}

func validMailbox(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// Category returns the category with key k.
func (r Register) Category(k string) (Category, bool) {
	for _, c := range r.Categories {
		if c.Key == k {
			return c, true
		}
	}
	return Category{}, false
}

// Purpose returns the purpose with key k.
func (r Register) Purpose(k string) (Purpose, bool) {
	for _, p := range r.Purposes {
		if p.Key == k {
			return p, true
		}
	}
	return Purpose{}, false
}
