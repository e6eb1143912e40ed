package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/seal"
)

// The import's re-index (END-3, DSR-1). A blind index is an HMAC under the
// old instance's tenant key: in the new instance it finds nothing. So every
// keyed index of a citizen is recomputed from the plaintext the export
// holds, with this instance's keys — a submission's subject (from its
// answers and its form, as intake derives it) and contact address, a
// mail's recipient, a request's person, and an access report's person
// (through the old index's new value, the report holding no plaintext).
// With per-person keys on, each person gets a key in this keyring and
// their submissions and files are sealed with it, so that an erasure after
// the import destroys what it must.
//
// The audit log cannot be re-indexed: its events are hash-chained and the
// chain must verify unchanged (AUD-1). Their citizen pseudonyms stay the
// old ones; the import appends to the chain one "tenant.reindex" event per
// old pseudonym the log holds, Subject the new pseudonym and ObjectID the
// old one, and a search of the log by a person (auditFilter) follows those
// events to the old pseudonym too. The mapping is itself in the chain, so
// it cannot be changed unnoticed.

// ImportReport says what an import wrote: per entity the rows imported and
// skipped (with why), and the keys it made again under this instance's
// keyring.
type ImportReport struct {
	Entities []ImportedEntity
	// Reindexed counts keyed indexes recomputed under this instance's keys;
	// NotReindexed those that had no plaintext to recompute from (cleared,
	// or kept as they were for an access report).
	Reindexed, NotReindexed int
	// PersonKeys is how many per-person keys were made in this keyring.
	PersonKeys int
	// Pseudonyms: old audit pseudonyms mapped to new ones ("tenant.reindex"
	// events); Unmapped: old pseudonyms in the log with no plaintext in the
	// export to map them by (they stay findable by their old value only).
	Pseudonyms, Unmapped int
	// Subprocessors: the tenant's decisions on sub-processors, each matched
	// to this instance's list or kept only as history (in the export).
	Subprocessors []ImportedSubprocessor
}

// ImportedEntity is one entity's line of the report.
type ImportedEntity struct {
	Name     string
	Imported int64
	Skipped  int64
	Reason   string // why rows were skipped (empty when none were)
}

// ImportedSubprocessor is the tenant's standing toward one sub-processor of
// the old platform: Matched when this instance has the same entry (by name
// and agreement reference), else historic.
type ImportedSubprocessor struct {
	Name, AgreementRef, Status string
	Matched                    bool
}

// Report is the import's report so far (complete after FinishTenantImport).
func (imp *TenantImport) Report() ImportReport {
	r := imp.report
	r.Entities = nil
	for _, name := range imp.order {
		r.Entities = append(r.Entities, *imp.entities[name])
	}
	return r
}

func (imp *TenantImport) entity(name string) *ImportedEntity {
	if imp.entities == nil {
		imp.entities = map[string]*ImportedEntity{}
	}
	if e, ok := imp.entities[name]; ok {
		return e
	}
	e := &ImportedEntity{Name: name}
	imp.entities[name] = e
	imp.order = append(imp.order, name)
	return e
}

// SkipTenantRows records n rows of e that are not imported, and why. The
// rows of the platform's sub-processors are remembered, so that the
// tenant's decisions can be matched to this instance's list.
func (imp *TenantImport) SkipTenantRows(e TenantEntity, rows []Row) {
	ent := imp.entity(e.Name)
	ent.Skipped += int64(len(rows))
	ent.Reason = e.NoImport
	if e.Name == "subprocessors" {
		if imp.oldSubs == nil {
			imp.oldSubs = map[string]oldSubprocessor{}
		}
		for _, r := range rows {
			imp.oldSubs[str(r["id"])] = oldSubprocessor{name: str(r["name"]), agreement: str(r["agreement_ref"])}
		}
	}
}

type oldSubprocessor struct{ name, agreement string }

// whyHistoric: a decision on a sub-processor this instance does not list.
const whyHistoric = "this instance does not list the same sub-processor (name and agreement reference): kept as history in the export and this report"

// whyNoIdentity: an identity whose subject did not open in the export, or
// whose provider is not in it.
const whyNoIdentity = "its subject or its sign-in provider is not in the export (unreadable value): the person links the provider again"

// mapIndex records that old (an index under the old key) is new here.
func (imp *TenantImport) mapIndex(old, new []byte) {
	if len(old) == 0 || len(new) == 0 {
		return
	}
	if imp.indexes == nil {
		imp.indexes = map[string][]byte{}
	}
	imp.indexes[string(old)] = new
}

// reindex recomputes index column col of r from plaintext (nil: none), and
// maps the old value to the new one. A row whose old index was empty stays
// without one (retention may have dropped it).
func (imp *TenantImport) reindex(db *DB, r Row, col string, plaintext []byte) error {
	v, present := r[col]
	old, _ := v.([]byte)
	if present && len(old) == 0 {
		return nil
	}
	// An export from before these indexes were exported lacks the column:
	// it is computed, with nothing to map.
	if len(plaintext) == 0 {
		r[col] = nil
		imp.report.NotReindexed++
		return nil
	}
	idx, err := db.keys.BlindIndex(imp.tenantID, "subject", plaintext)
	if err != nil {
		return err
	}
	r[col] = idx
	imp.mapIndex(old, idx)
	imp.report.Reindexed++
	return nil
}

// newPersonKey is a person key made by the import, inserted with its batch.
type newPersonKey struct {
	id      int64
	index   []byte
	wrapped []byte
}

// prepare readies row r of e for this instance before it is sealed: it
// recomputes the keyed indexes, picks the person key that seals the row
// (nil: the tenant key), and says whether the row is skipped (with why).
func (imp *TenantImport) prepare(db *DB, e TenantEntity, r Row, created *[]newPersonKey) (*seal.PersonKey, string, error) {
	switch e.Name {
	case "tenant":
		imp.personKeys = str(r["person_keys"]) == "1"
	case "forms":
		var f form.Form
		if def, ok := r["definition"].(string); ok && json.Unmarshal([]byte(def), &f) == nil {
			if imp.forms == nil {
				imp.forms = map[string]form.Form{}
			}
			imp.forms[str(r["form_key"])+"/"+str(r["version"])] = f
		}
	case "mail_outbox":
		var to []byte
		if s := str(r["recipient"]); s != "" {
			to = recipientKey(s)
		}
		return nil, "", imp.reindex(db, r, "recipient_index", to)
	case "submissions":
		var subject, contact []byte
		if data, ok := r["data"].(string); ok {
			var answers form.Answers
			if f, ok := imp.forms[str(r["form_key"])+"/"+str(r["form_version"])]; ok && json.Unmarshal([]byte(data), &answers) == nil {
				// A value retention pseudonymised is no longer the person's.
				if s := form.SubjectOf(f, answers); s != "" && !strings.HasPrefix(s, "pseudonym:") {
					subject = []byte(s)
				}
			}
		}
		if s := strings.TrimSpace(str(r["contact"])); s != "" {
			contact = recipientKey(s)
		}
		if err := imp.reindex(db, r, "subject_index", subject); err != nil {
			return nil, "", err
		}
		if err := imp.reindex(db, r, "contact_index", contact); err != nil {
			return nil, "", err
		}
		person, _ := r["subject_index"].([]byte)
		if len(person) == 0 {
			person, _ = r["contact_index"].([]byte)
		}
		pk, err := imp.personKey(db, person, created)
		if err != nil {
			return nil, "", err
		}
		if pk != nil {
			r["person_key_id"] = int64(pk.ID())
		}
		return pk, "", nil
	case "attachments":
		// A file is sealed with its submission's key (as intake does),
		// looked up rather than remembered per submission: memory grows
		// with the people, not the submissions.
		if !imp.personKeys {
			return nil, "", nil
		}
		var id sql.NullInt64
		if err := db.sql.QueryRow(`SELECT person_key_id FROM submissions WHERE tenant_id = $1 AND id = $2`,
			imp.tenantID, str(r["submission_id"])).Scan(&id); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, "", err
		}
		return imp.byID[id.Int64], "", nil
	case "oidc_providers":
		if imp.issuers == nil {
			imp.issuers = map[string]string{}
		}
		imp.issuers[rowID(r)] = str(r["issuer"])
	case "oidc_identities":
		// A staff member's link to a sign-in provider: the index of the
		// provider's issuer and the subject, as oidcSubjectIndex makes it.
		subject, issuer := str(r["subject"]), imp.issuers[str(r["provider_id"])]
		if subject == "" || issuer == "" {
			return nil, whyNoIdentity, nil
		}
		idx, err := db.oidcSubjectIndex(imp.tenantID, issuer, subject)
		if err != nil {
			return nil, "", err
		}
		r["subject_index"] = idx
		imp.report.Reindexed++
	case "subject_requests":
		var p SubjectPerson
		if s, ok := r["person"].(string); ok {
			_ = json.Unmarshal([]byte(s), &p)
		}
		var insz, email []byte
		if p.INSZ != "" {
			insz = []byte(p.INSZ)
		}
		if p.Email != "" {
			email = recipientKey(p.Email)
		}
		if err := imp.reindex(db, r, "subject_index", insz); err != nil {
			return nil, "", err
		}
		return nil, "", imp.reindex(db, r, "email_index", email)
	case "access_reports":
		// The report holds no plaintext of its person: the person's index
		// is found through what the submissions and requests recomputed.
		if old, _ := r["person_index"].([]byte); len(old) > 0 {
			if idx, ok := imp.indexes[string(old)]; ok {
				r["person_index"] = idx
				imp.report.Reindexed++
			} else {
				imp.report.NotReindexed++
			}
		}
	case "subprocessor_tenants":
		return nil, imp.matchSubprocessor(db, r), nil
	}
	return nil, "", nil
}

// personKey finds or makes the key of the person with index (DSR-1), when
// the tenant has per-person keys on.
func (imp *TenantImport) personKey(db *DB, index []byte, created *[]newPersonKey) (*seal.PersonKey, error) {
	if !imp.personKeys || len(index) == 0 {
		return nil, nil
	}
	if pk := imp.persons[string(index)]; pk != nil {
		return pk, nil
	}
	pk, wrapped, err := db.keys.NewPersonKey(imp.tenantID)
	if err != nil {
		return nil, fmt.Errorf("person key: %w", err)
	}
	if imp.persons == nil {
		imp.persons = map[string]*seal.PersonKey{}
	}
	imp.persons[string(index)] = pk
	if imp.byID == nil {
		imp.byID = map[int64]*seal.PersonKey{}
	}
	imp.byID[int64(pk.ID())] = pk
	*created = append(*created, newPersonKey{id: int64(pk.ID()), index: index, wrapped: wrapped})
	imp.report.PersonKeys++
	return pk, nil
}

// matchSubprocessor maps the tenant's decision on an old sub-processor to
// this instance's entry with the same name and agreement reference, or
// says why it is skipped (SUB-2: the controller's standing carries over
// only toward the same company under the same agreement).
func (imp *TenantImport) matchSubprocessor(db *DB, r Row) string {
	old := imp.oldSubs[str(r["subprocessor_id"])]
	rep := ImportedSubprocessor{Name: old.name, AgreementRef: old.agreement, Status: str(r["status"])}
	id := imp.subprocessorHere(db, old)
	if id == "" {
		imp.report.Subprocessors = append(imp.report.Subprocessors, rep)
		return whyHistoric
	}
	r["subprocessor_id"] = id
	if rep := str(r["replaces_id"]); rep != "" {
		if here := imp.subprocessorHere(db, imp.oldSubs[rep]); here != "" {
			r["replaces_id"] = here
		} else {
			r["replaces_id"] = nil
		}
	}
	rep.Matched = true
	imp.report.Subprocessors = append(imp.report.Subprocessors, rep)
	return ""
}

// subprocessorHere is the id of this instance's sub-processor with old's
// name and agreement reference ("" when there is none).
func (imp *TenantImport) subprocessorHere(db *DB, old oldSubprocessor) string {
	if old.name == "" {
		return ""
	}
	var id string
	if err := db.sql.QueryRow(`SELECT id FROM subprocessors WHERE name = $1 AND agreement_ref = $2 ORDER BY created_at, id LIMIT 1`,
		old.name, old.agreement).Scan(&id); err != nil {
		return ""
	}
	return id
}

// appendReindexEvents appends, after the imported chain, one
// "tenant.reindex" event per old citizen pseudonym of the log that the
// import could map: Subject the new pseudonym, ObjectID the old one.
func (tx *Tx) appendReindexEvents(actor audit.Actor, imp *TenantImport) error {
	pseudonyms := map[string]string{}
	for old, idx := range imp.indexes {
		pseudonyms[subjectPseudonym([]byte(old))] = subjectPseudonym(idx)
	}
	// A staff member's events name their user id as subject, not a pseudonym.
	rows, err := tx.query(`SELECT DISTINCT subject FROM audit_events WHERE tenant_id = $1 AND subject <> ''
		AND subject NOT IN (SELECT id FROM users WHERE tenant_id = $1)`, imp.tenantID)
	if err != nil {
		return err
	}
	olds, err := scanStrings(rows)
	if err != nil {
		return err
	}
	sort.Strings(olds)
	for _, old := range olds {
		new, ok := pseudonyms[old]
		if !ok {
			imp.report.Unmapped++
			continue
		}
		if err := tx.appendAudit(audit.Event{TenantID: imp.tenantID, Actor: actor, Action: "tenant.reindex", ObjectType: "pseudonym",
			ObjectID: old, Subject: new, Purpose: "import (END-3): the person's pseudonym under this instance's key"}); err != nil {
			return err
		}
		imp.report.Pseudonyms++
	}
	return nil
}

// subjectAliases are the old pseudonyms an import mapped to pseudonym
// ("tenant.reindex" events): the person's events from before the import.
func (db *DB) subjectAliases(tenantID, pseudonym string) ([]string, error) {
	rows, err := db.sql.Query(`SELECT object_id FROM audit_events WHERE tenant_id = $1 AND subject = $2 AND action = 'tenant.reindex'`,
		tenantID, pseudonym)
	if err != nil {
		return nil, err
	}
	out, err := scanStrings(rows)
	return slices.DeleteFunc(out, func(s string) bool { return s == pseudonym }), err
}

// summary is the report in one line for the tenant.import event: rows per
// entity, what was skipped and why, and the keys made again.
func (r ImportReport) summary() string {
	var parts, skipped []string
	for _, e := range r.Entities {
		parts = append(parts, fmt.Sprintf("%s %d", e.Name, e.Imported))
		if e.Skipped > 0 || e.Reason != "" {
			skipped = append(skipped, fmt.Sprintf("%s %d (%s)", e.Name, e.Skipped, e.Reason))
		}
	}
	s := "imported: " + strings.Join(parts, ", ")
	if len(skipped) > 0 {
		s += "; skipped: " + strings.Join(skipped, "; ")
	}
	var hist []string
	for _, sp := range r.Subprocessors {
		if !sp.Matched {
			hist = append(hist, fmt.Sprintf("%s [%s] %s", sp.Name, sp.AgreementRef, sp.Status))
		}
	}
	if len(hist) > 0 {
		s += "; sub-processors kept as history: " + strings.Join(hist, ", ")
	}
	return s + fmt.Sprintf("; re-indexed %d keyed indexes (%d without plaintext), %d person keys, %d pseudonyms mapped (%d not)",
		r.Reindexed, r.NotReindexed, r.PersonKeys, r.Pseudonyms, r.Unmapped)
}
