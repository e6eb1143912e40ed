package register

import (
	"fmt"
	"sort"
	"strings"
)

// Expiry actions for a data category at the end of its retention period.
const (
	ExpiryAnonymise    = "anonymise"
	ExpiryPseudonymise = "pseudonymise"
	ExpiryDelete       = "delete"
)

// Register is one version of a tenant's processing register (annex 1).
type Register struct {
	Subject    string     `json:"subject"`  // subject of the processing
	Duration   string     `json:"duration"` // duration of the processing
	Purposes   []Purpose  `json:"purposes"`
	Categories []Category `json:"categories"`
	// DataSubjects are the categories of data subjects.
	DataSubjects []string `json:"data_subjects"`
}

// Purpose is a purpose of processing with its legal basis (art. 6 GDPR).
type Purpose struct {
	Key        string `json:"key"`
	Name       string `json:"name"`
	LegalBasis string `json:"legal_basis"` // consent, contract, legal_obligation, vital_interest, public_task, legitimate_interest
}

// Category is one kind of personal data: its information class, retention
// and what happens when the retention ends.
type Category struct {
	Key             string `json:"key"`
	Name            string `json:"name"`
	Class           string `json:"class"` // REG-7 code
	Purpose         string `json:"purpose"`
	RetentionDays   int    `json:"retention_days"`
	Expiry          string `json:"expiry"`
	Reason          string `json:"reason"`
	Countermeasures string `json:"countermeasures"`
}

var legalBases = map[string]bool{
	"consent": true, "contract": true, "legal_obligation": true, "vital_interest": true,
	"public_task": true, "legitimate_interest": true,
}

// Validate lists every problem with its path; a register with any problem is
// not saved.
func (r Register) Validate() []string {
	var errs []string
	add := func(path, msg string, a ...any) { errs = append(errs, path+": "+fmt.Sprintf(msg, a...)) }
	if strings.TrimSpace(r.Subject) == "" {
		add("subject", "is required")
	}
	purposes := map[string]bool{}
	for i, p := range r.Purposes {
		path := fmt.Sprintf("purposes[%d]", i)
		if p.Key == "" {
			add(path+".key", "is required")
		} else if purposes[p.Key] {
			add(path+".key", "duplicate key %q", p.Key)
		}
		purposes[p.Key] = true
		if !legalBases[p.LegalBasis] {
			add(path+".legal_basis", "unknown legal basis %q", p.LegalBasis)
		}
	}
	keys := map[string]bool{}
	for i, c := range r.Categories {
		path := fmt.Sprintf("categories[%d]", i)
		if c.Key == "" {
			add(path+".key", "is required")
		} else if keys[c.Key] {
			add(path+".key", "duplicate key %q", c.Key)
		}
		keys[c.Key] = true
		if _, ok := ClassByCode(c.Class); !ok {
			add(path+".class", "unknown information class %q", c.Class)
		}
		if !purposes[c.Purpose] {
			add(path+".purpose", "names no purpose of this register (%q)", c.Purpose)
		}
		if c.RetentionDays <= 0 {
			add(path+".retention_days", "must be a positive number of days")
		}
		switch c.Expiry {
		case ExpiryAnonymise, ExpiryPseudonymise, ExpiryDelete:
		default:
			add(path+".expiry", "must be anonymise, pseudonymise or delete")
		}
	}
	sort.Strings(errs)
	return errs
}

// Demo returns the register of the demo tenant "Gemeente Demo", mirroring
// the example rows of the contract's annex 1 (REG-1): identity data,
// technical settings, analytics data, technical data and web-form data.
func Demo() Register {
	return Register{
		Subject:  "Bouwen en hosten van de website en het e-loket van Gemeente Demo",
		Duration: "Looptijd van de hoofdovereenkomst",
		Purposes: []Purpose{
			{Key: "website-access", Name: "Toegang tot de website voor medewerkers", LegalBasis: "public_task"},
			{Key: "online-services", Name: "Online dienstverlening via webformulieren", LegalBasis: "public_task"},
			{Key: "analytics", Name: "Bezoekersstatistieken (Matomo, zonder cookies)", LegalBasis: "legitimate_interest"},
			{Key: "operations", Name: "Beveiliging en technische werking", LegalBasis: "legitimate_interest"},
		},
		Categories: []Category{
			{Key: "identity", Name: "Identiteitsgegevens: naam, voornaam, telefoon, beeld, e-mail, rol", Class: "3.01",
				Purpose: "website-access", RetentionDays: 365, Expiry: ExpiryDelete,
				Reason: "Toegang tot de website", Countermeasures: "Versleuteld bewaard; toegang per rol; audit log"},
			{Key: "settings", Name: "Technische instellingen: rol, taal", Class: "2.00",
				Purpose: "website-access", RetentionDays: 365, Expiry: ExpiryDelete,
				Reason: "Werking van de website", Countermeasures: "Toegang per rol"},
			{Key: "analytics", Name: "Analysegegevens", Class: "1.00",
				Purpose: "analytics", RetentionDays: 395, Expiry: ExpiryAnonymise,
				Reason: "Verbeteren van de website", Countermeasures: "IP-adressen geanonimiseerd; geen cookies"},
			{Key: "technical", Name: "Technische gegevens: IP-adres, sessiegegevens, cookies", Class: "3.00",
				Purpose: "operations", RetentionDays: 90, Expiry: ExpiryDelete,
				Reason: "Beveiliging en foutopsporing", Countermeasures: "Enkel strikt noodzakelijke cookies; logs zonder inhoud"},
			{Key: "web-forms", Name: "Andere persoonsgegevens doorgegeven via de website, bv. via webformulieren", Class: "3.00",
				Purpose: "online-services", RetentionDays: 730, Expiry: ExpiryAnonymise,
				Reason: "Online dienstverlening", Countermeasures: "Versleuteld per bestuur; automatische anonimisering; audit log"},
		},
		DataSubjects: []string{"Inwoners", "Bezoekers van de website", "Medewerkers van het bestuur"},
	}
}
