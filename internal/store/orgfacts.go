package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// The supplier's organisational facts (ORG-1…ORG-5), entered once by
// supplier staff in the operators' realm and shown to every controller as
// declarations with their date. Each declaration is a new row, sealed with
// the realm's key (names and addresses of the supplier's people are
// personal data); the newest per kind (and per staff member for a
// confidentiality undertaking) is current, the older ones stay as history.

// The kinds of fact, in the order a controller reads them.
const (
	OrgSecurityOfficer = "security_officer" // ORG-1: name, email, phone
	OrgDPO             = "dpo"              // ORG-1: name, email, phone
	OrgConfidentiality = "confidentiality"  // ORG-2: a staff member's undertaking and knowledge of the security policy
	OrgBreachProcedure = "breach_procedure" // ORG-3: how the supplier informs its clients of a breach
	OrgSLA             = "sla"              // ORG-4: maximum interruptions and the incident contact
	OrgRiskAnalysis    = "risk_analysis"    // ORG-5: the latest periodic risk analysis
	OrgDRTest          = "dr_test"          // ORG-5: the latest disaster-recovery test, and the redundancy
)

// OrgKinds lists the kinds in their order.
var OrgKinds = []string{OrgSecurityOfficer, OrgDPO, OrgConfidentiality, OrgBreachProcedure, OrgSLA, OrgRiskAnalysis, OrgDRTest}

// OrgFact is one declaration.
type OrgFact struct {
	ID      string
	Kind    string
	Subject string // the staff member (a realm user id) for OrgConfidentiality, else ""
	// The content, sealed at rest.
	Name, Email, Phone string
	Text               string
	PolicyKnown        bool      // ORG-2: the staff member knows the security policy
	Date               time.Time // the date the fact holds from: appointed, signed, analysed, tested
	DeclaredBy         string    // the operator who declared it
	DeclaredAt         time.Time
	StaffName          string // OrgConfidentiality: the staff member's name, opened on read
	// Previous is, on a current declaration, the one it replaced (same kind
	// and staff member), nil for a first declaration: the pages show what
	// changed and when.
	Previous *OrgFact
}

// OrgMail composes the mail that tells tenant t that the supplier changed
// declaration f; the store fills To and Kind.
type OrgMail func(t tenant.Tenant, f OrgFact) OutgoingMail

// OrgFacts is the declarations: the current ones in OrgKinds order and
// every one, newest first.
type OrgFacts struct {
	Current []OrgFact
	History []OrgFact
}

type orgContent struct {
	Name        string `json:"name,omitempty"`
	Email       string `json:"email,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Text        string `json:"text,omitempty"`
	PolicyKnown bool   `json:"policy_known,omitempty"`
}

func orgAD(realmID, id string) seal.AD {
	return seal.AD{Tenant: realmID, Table: "org_facts", Column: "content", Row: id}
}

// validate refuses a fact field by field: what each kind needs.
func (f *OrgFact) validate(now time.Time) error {
	v := trimAll(map[string]string{"name": f.Name, "email": f.Email, "phone": f.Phone, "text": f.Text, "staff": f.Subject})
	f.Name, f.Email, f.Phone, f.Subject = v["name"], v["email"], v["phone"], v["staff"]
	bad := map[string]string{}
	switch f.Kind {
	case OrgSecurityOfficer, OrgDPO:
		required(bad, "instr.error.required", v, "name", "email")
	case OrgConfidentiality:
		required(bad, "instr.error.staff", v, "staff")
		if !f.PolicyKnown {
			bad["policy"] = "instr.error.policy"
		}
	case OrgBreachProcedure:
		required(bad, "instr.error.required", v, "text")
	case OrgSLA:
		required(bad, "instr.error.required", v, "text", "email")
	case OrgRiskAnalysis, OrgDRTest:
	default:
		return &DutyValidationError{map[string]string{"kind": "instr.error.kind"}}
	}
	if f.Kind != OrgConfidentiality {
		f.Subject, f.PolicyKnown = "", false
	}
	if v["email"] != "" && !account.ValidEmail(v["email"]) {
		bad["email"] = "instr.error.email"
	}
	switch {
	case f.Date.IsZero():
		bad["date"] = "instr.error.date_required"
	case f.Date.After(now):
		bad["date"] = "instr.error.future"
	}
	return refuse(bad)
}

// DeclareOrgFact records a declaration of the supplier ("org.declare" in
// the realm's log, the kind in the purpose). Only supplier staff declare;
// a confidentiality undertaking names one of the realm's operators. A
// declaration that replaces an earlier one of its kind (and staff member)
// is a change every controller is told of in the same transaction: an
// "org.changed" event in each active tenant's log and, with compose, a
// mail to its DPO and admins (ORG-1…ORG-5: the declarations are the
// controller's evidence, so it must learn when they move).
// *DutyValidationError for refused input, nothing saved.
func (db *DB) DeclareOrgFact(ctx context.Context, actor audit.Actor, f OrgFact, compose OrgMail) (OrgFact, error) {
	if err := db.requireKeys(); err != nil {
		return OrgFact{}, err
	}
	if err := supplierOnly(actor); err != nil {
		return OrgFact{}, err
	}
	now := db.now()
	if err := f.validate(now); err != nil {
		return OrgFact{}, err
	}
	realm, err := db.OperatorRealm(ctx, actor)
	if err != nil {
		return OrgFact{}, err
	}
	f.ID, f.DeclaredBy, f.DeclaredAt = newID(now), actor.ID, now
	err = db.write(ctx, func(tx *Tx) error {
		if f.Kind == OrgConfidentiality {
			var n int
			if err := tx.queryRow(`SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL`, realm.ID, f.Subject).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return &DutyValidationError{map[string]string{"staff": "instr.error.staff"}}
			}
		}
		// Declarations are ordered by declared_at: one made in the same
		// microsecond as the last still comes after it.
		var last int64
		if err := tx.queryRow(`SELECT COALESCE(MAX(declared_at), 0) FROM org_facts WHERE tenant_id = $1`, realm.ID).Scan(&last); err != nil {
			return err
		}
		if micros(f.DeclaredAt) <= last {
			f.DeclaredAt = fromMicros(last + 1)
		}
		plain, err := json.Marshal(orgContent{f.Name, f.Email, f.Phone, f.Text, f.PolicyKnown})
		if err != nil {
			return err
		}
		sealed, err := tx.db.keys.Seal(realm.ID, orgAD(realm.ID, f.ID), plain)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO org_facts (id, tenant_id, kind, subject, content, fact_date, declared_by, declared_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, f.ID, realm.ID, f.Kind, f.Subject, sealed, micros(f.Date), f.DeclaredBy, micros(f.DeclaredAt)); err != nil {
			return err
		}
		if err := tx.appendAudit(audit.Event{TenantID: realm.ID, Actor: actor, Action: "org.declare", ObjectType: "org_fact", ObjectID: f.ID,
			Purpose: f.Kind}); err != nil {
			return err
		}
		var earlier int
		if err := tx.queryRow(`SELECT COUNT(*) FROM org_facts WHERE tenant_id = $1 AND kind = $2 AND subject = $3 AND id <> $4`,
			realm.ID, f.Kind, f.Subject, f.ID).Scan(&earlier); err != nil {
			return err
		}
		if earlier == 0 {
			return nil
		}
		return tx.announceOrgChange(actor, f, compose)
	})
	if err != nil {
		return OrgFact{}, fmt.Errorf("declare org fact: %w", err)
	}
	return f, nil
}

// announceOrgChange tells every active controller that declaration f
// replaced an earlier one: an event in its log, and a mail to its DPO and
// admins naming only the kind and the date (the supplier's people stay in
// Kluis).
func (tx *Tx) announceOrgChange(actor audit.Actor, f OrgFact, compose OrgMail) error {
	rows, err := tx.query(`SELECT id FROM tenants WHERE slug <> $1 AND status = $2 ORDER BY id`, tenant.OperatorSlug, tenant.StatusActive)
	if err != nil {
		return err
	}
	ids, err := scanStrings(rows)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := tx.appendAudit(audit.Event{TenantID: id, Actor: actor, Action: "org.changed", ObjectType: "org_fact", ObjectID: f.ID,
			Purpose: f.Kind}); err != nil {
			return err
		}
		if compose == nil {
			continue
		}
		if err := tx.mailControllerEach(actor, id, "org.changed", "supplier declaration changed",
			func(t tenant.Tenant) OutgoingMail { return compose(t, f) }); err != nil {
			return err
		}
	}
	return nil
}

// OrgMailer composes the announcement of a changed declaration in the
// tenant's language, linking under baseURL to its page of declarations.
func OrgMailer(baseURL string) OrgMail {
	return func(t tenant.Tenant, f OrgFact) OutgoingMail {
		l, ok := locale.Parse(t.DefaultLang)
		if !ok {
			l = locale.NL
		}
		link := t.Link(baseURL, "/admin/organisation#"+f.Kind)
		kind := locale.T(l, "instr.org.kind."+f.Kind)
		return OutgoingMail{Lang: string(l),
			Subject: locale.T(l, "gaps.org.mail.subject", kind),
			Body:    locale.T(l, "gaps.org.mail.body", t.LegalName, kind, f.DeclaredAt.In(workdays.Brussels).Format("02.01.2006"), link)}
	}
}

// ReadOrgFacts opens the supplier's declarations for tenantID's reader
// (a controller's page, or the realm's own), recorded as "org.read" in
// that tenant's log: they name the supplier's people.
func (db *DB) ReadOrgFacts(ctx context.Context, actor audit.Actor, tenantID string) (OrgFacts, error) {
	var out OrgFacts
	if err := db.requireKeys(); err != nil {
		return out, err
	}
	realm, err := db.TenantBySlug(ctx, tenant.OperatorSlug)
	if errors.Is(err, ErrNotFound) {
		return out, db.write(ctx, func(tx *Tx) error {
			return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "org.read", ObjectType: "org_fact", Purpose: "0 declarations"})
		})
	} else if err != nil {
		return out, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		out = OrgFacts{}
		rows, err := tx.query(`SELECT f.id, f.kind, f.subject, f.content, f.fact_date, f.declared_by, f.declared_at, u.name
			FROM org_facts f LEFT JOIN users u ON u.tenant_id = f.tenant_id AND u.id = f.subject
			WHERE f.tenant_id = $1 ORDER BY f.declared_at DESC, f.id DESC`, realm.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		// The first of a kind and staff member (newest first) is current;
		// the second is what it replaced.
		where := map[string][2]int{} // key → index in current[kind], how many seen
		current := map[string][]OrgFact{}
		for rows.Next() {
			var f OrgFact
			var content, name []byte
			var date, declared int64
			if err := rows.Scan(&f.ID, &f.Kind, &f.Subject, &content, &date, &f.DeclaredBy, &declared, &name); err != nil {
				return err
			}
			f.Date, f.DeclaredAt = fromMicros(date), fromMicros(declared)
			plain, err := tx.db.keys.Open(realm.ID, orgAD(realm.ID, f.ID), content)
			if err != nil {
				return keep(fmt.Errorf("org fact %s: %w", f.ID, ErrUnreadable))
			}
			var c orgContent
			if err := json.Unmarshal(plain, &c); err != nil {
				return err
			}
			f.Name, f.Email, f.Phone, f.Text, f.PolicyKnown = c.Name, c.Email, c.Phone, c.Text, c.PolicyKnown
			if len(name) > 0 {
				if n, err := tx.db.keys.Open(realm.ID, userAD(realm.ID, f.Subject, "name"), name); err == nil {
					f.StaffName = string(n)
				}
			}
			out.History = append(out.History, f)
			key := f.Kind + "/" + f.Subject
			switch w, seen := where[key]; {
			case !seen:
				where[key] = [2]int{len(current[f.Kind]), 1}
				current[f.Kind] = append(current[f.Kind], f)
			case w[1] == 1:
				prev := f
				current[f.Kind][w[0]].Previous = &prev
				where[key] = [2]int{w[0], 2}
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		for _, k := range OrgKinds {
			out.Current = append(out.Current, current[k]...)
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "org.read", ObjectType: "org_fact",
			Purpose: fmt.Sprintf("%d declarations", len(out.History))})
	})
	if err != nil {
		return OrgFacts{}, fmt.Errorf("org facts: %w", err)
	}
	return out, nil
}

// ValidateOrgFact refuses f field by field as DeclareOrgFact would, without
// saving (the staff member's existence aside): a form whose date could not
// be read still learns what else is missing.
func ValidateOrgFact(f OrgFact, now time.Time) error { return f.validate(now) }
