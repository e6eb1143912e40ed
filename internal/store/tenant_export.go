package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/seal"
)

// The full tenant export (END-3): every table that holds a tenant's data is
// either a TenantEntity, read row by row with its sealed columns opened to
// plaintext for the controller, or in TenantExportExcluded with the reason
// it is left out. TestClauseEND3_EveryTenantTableIsExportedOrExcluded reads
// the migrated schema and fails on a table with a tenant_id column that is
// in neither, so that a new table cannot be forgotten in the hand-over.
//
// Reading is fail closed: ReadTenantEntity takes a *TenantExportRun, which
// only StartTenantExport makes, after it recorded the export in the
// tenant's audit log. Import (ImportTenant) writes the rows back in the
// order of TenantEntities, sealing the plaintext again with the receiving
// instance's keys and keeping every id.

// TenantEntity is one table of a tenant's data as the full export writes
// it: one JSON Lines file (Name.jsonl) with one object per row.
type TenantEntity struct {
	Name  string // the file's name; also the table's unless Table is set
	Table string
	// Where selects the tenant's rows ($1 is the tenant id); default
	// "tenant_id = $1".
	Where string
	// Key orders the rows and is where a batch resumes (keyset paging).
	Key []string
	// Sealed maps a sealed column to the row part of its associated data
	// (seal.AD.Row); the export holds the plaintext.
	Sealed map[string]func(Row) string
	// Omit lists columns left out of the export, with why: secrets and
	// credentials (USR), and values only the old instance's keys give
	// meaning to.
	Omit map[string]string
	// Import fills omitted NOT NULL columns on import, from the row's
	// plaintext: a recomputed blind index, an unusable credential.
	Import map[string]func(db *DB, tenantID string, r Row) (any, error)
	// Binary sealed columns are written as files (attachments' data), not
	// into the JSON Lines file; everything else sealed is UTF-8 text.
	Binary map[string]bool
	// NoImport says why the entity is exported but not imported.
	NoImport string
	// About describes the entity for the README (English; the README in
	// nl and fr carries the same text under a translated heading).
	About string
}

// Row is one row of an entity: column name to value (int64, string,
// []byte or nil as the driver returns them; sealed columns hold the
// plaintext as a string, or []byte when Binary).
type Row map[string]any

// TableName is the SQL table of e.
func (e TenantEntity) TableName() string {
	if e.Table != "" {
		return e.Table
	}
	return e.Name
}

func (e TenantEntity) where() string {
	if e.Where != "" {
		return e.Where
	}
	return "tenant_id = $1"
}

// pagedWhere is where() as ReadTenantEntity pages with it. SQLite, without
// statistics (Kluis runs no ANALYZE), reads "tenant_id = $1 ... ORDER BY
// id" through the tenant's index and sorts all the tenant's rows again for
// every batch: quadratic, hours for a million submissions. The unary plus
// keeps tenant_id off the index, so the batch walks the primary key from
// where the last one ended and each row is read once (END-3: the export
// of a large tenant must finish). PostgreSQL chooses by cost.
func (e TenantEntity) pagedWhere(d Dialect) string {
	if d == SQLite && e.Where == "" && slices.Equal(e.Key, []string{"id"}) {
		return "+tenant_id = $1"
	}
	return e.where()
}

func rowID(r Row) string { return str(r["id"]) }

// str is v as text, "" for NULL (the row part of a sealed value's
// associated data, an index's source).
func str(v any) string {
	if v == nil {
		return ""
	}
	return asText(v)
}

func sealedByID(cols ...string) map[string]func(Row) string {
	m := map[string]func(Row) string{}
	for _, c := range cols {
		m[c] = rowID
	}
	return m
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// sealedRandom seals a fresh random secret: a credential the controller
// must set again after an import (it never leaves the old instance).
func sealedRandom(table, column string, row func(Row) string) func(*DB, string, Row) (any, error) {
	return func(db *DB, tenantID string, r Row) (any, error) {
		return db.keys.Seal(tenantID, seal.AD{Tenant: tenantID, Table: table, Column: column, Row: row(r)}, randomBytes(32))
	}
}

func tenantRow(r Row) string { return str(r["tenant_id"]) }

const (
	whyOperators  = "it names the old platform's operator accounts, which the new instance does not have: the export and the imported audit log keep the evidence"
	whySecret     = "a secret or credential: never handed over (USR); set again after an import"
	whyPseudonymK = "a keyed index under the old instance's key: recomputed from the plaintext on import"
)

// TenantEntities lists the exported tables in an order in which the rows
// can be imported (a row's references come before it).
var TenantEntities = []TenantEntity{
	{Name: "tenant", Table: "tenants", Where: "id = $1", Key: []string{"id"},
		Sealed: map[string]func(Row) string{"dpo_name": rowID, "dpo_email": rowID},
		About:  "the organisation (controller): names, enterprise number, DPO contact, language, status"},
	{Name: "tenant_policies", Key: []string{"version"}, About: "every version of the security policy (passwords, lockout, sessions, MFA)"},
	{Name: "tenant_branding", Key: []string{"tenant_id"}, About: "the organisation's look and contact details (logo in base64)"},
	{Name: "site_pages", Key: []string{"id"},
		About: "the public site's pages, news items (kind news) and composed home page (kind home): address, menu position, last version, published version; updated_by is a staff account id"},
	{Name: "site_page_versions", Key: []string{"page_id", "version"},
		About: "every saved version of a site page: its text in nl/fr/en (title, summary, Markdown body), a news item's date, a home page's layout (featured pages, number of news items), who (account id) and when"},
	{Name: "site_images", Key: []string{"id"},
		About: "the public site's images (PNG, JPEG or WebP) with their alternative text in nl/fr/en; created_by is a staff account id"},
	{Name: "accessibility_settings", Key: []string{"tenant_id"},
		About: "the accessibility statement's feedback contact (the organisation's functional address) and complaint route in nl/fr/en; updated_by is a staff account id"},
	{Name: "accessibility_exceptions", Key: []string{"id"},
		About: "the known exceptions of the accessibility statement: description in nl/fr/en, legal ground, planned fix date; created_by is a staff account id"},
	{Name: "accessibility_statements", Key: []string{"version"},
		About: "every published version of the accessibility statement as published (JSON: facts, status, reasons); published_by is a staff account id"},
	{Name: "tenant_hosts", Key: []string{"host"}, About: "the organisation's own host names (www.gemeente.be), which get a certificate"},
	{Name: "maintenance_settings", Key: []string{"tenant_id"}, About: "the notice period for supplier maintenance (AUD-4)"},
	{Name: "audit_retention", Key: []string{"version"}, About: "every version of the audit log's retention (AUD-2)"},
	{Name: "users", Key: []string{"id"}, Sealed: sealedByID("email", "name"),
		Omit: map[string]string{"password_hash": whySecret, "email_index": whyPseudonymK},
		Import: map[string]func(*DB, string, Row) (any, error){
			"password_hash": func(*DB, string, Row) (any, error) { return "", nil }, // no password: a reset link signs in again
			"email_index": func(db *DB, tenantID string, r Row) (any, error) {
				return db.keys.BlindIndex(tenantID, "user-email", []byte(account.NormalizeEmail(str(r["email"]))))
			},
		},
		About: "staff accounts: e-mail, name, role, site editor or not, status, language, sign-in counters; no password hash, second factors, passkeys or sessions"},
	{Name: "registers", Key: []string{"version"}, About: "every version of the processing register (annex 1), as its YAML/JSON document"},
	{Name: "agreement_versions", Key: []string{"number"},
		About: "every version of the data processing agreement and its amendments: the PDF as generated, its SHA-256 and what it was made of (JSON)"},
	{Name: "agreement_acceptances", Key: []string{"number", "party"},
		Sealed: map[string]func(Row) string{"signer_name": func(r Row) string { return str(r["number"]) + "/" + str(r["party"]) }},
		About:  "each party's acceptance of a version of the agreement: who, in which capacity, how they signed in, when, and the SHA-256 they accepted"},
	{Name: "forms", Key: []string{"form_key", "version"}, About: "every form and version: definition, art. 13 notice, status, publication"},
	{Name: "form_access", Key: []string{"user_id", "form_key"}, About: "which staff member may see which form's submissions (ORG-6)"},
	{Name: "form_stats", Key: []string{"form_key", "day", "status"}, About: "counts of submissions per form, day and status (no personal data)"},
	{Name: "analytics_views", Key: []string{"day", "path", "referrer", "browser", "device", "lang"},
		About: "counts of public page views per day, page, referrer host, browser family, device class and language (no visitor identifier)"},
	{Name: "analytics_view_rollups", Key: []string{"dim", "day", "dim_value"},
		About: "the counts of analytics_views summed per day by one dimension (dim: day, path, referrer, browser, device or lang; dim_value its value), which the dashboard reads (no visitor identifier)"},
	{Name: "analytics_form_events", Key: []string{"day", "form_key", "event", "page", "field"},
		About: "counts of form funnel steps per day: started, page reached, submitted, validation errors per field (no visitor identifier)"},
	{Name: "analytics_form_durations", Key: []string{"day", "form_key", "bucket"},
		About: "time to complete a form as a histogram per day: completions per bucket, bucket the upper bound in seconds (no duration of one submission, no visitor identifier)"},
	{Name: "analytics_view_rollups_monthly", Key: []string{"dim", "month_start", "dim_value"},
		About: "the counts of analytics_views summed per calendar month (month_start its first day) by one dimension (dim: path, referrer, browser, device or lang; dim_value its value), which the dashboard reads for whole months (no visitor identifier)"},
	{Name: "analytics_form_events_monthly", Key: []string{"month_start", "form_key", "event", "page", "field"},
		About: "the counts of analytics_form_events summed per calendar month (month_start its first day) (no visitor identifier)"},
	{Name: "analytics_form_durations_monthly", Key: []string{"month_start", "form_key", "bucket"},
		About: "the time-to-complete histogram of analytics_form_durations summed per calendar month (month_start its first day) (no duration of one submission, no visitor identifier)"},
	{Name: "analytics_countries", Key: []string{"day", "country"},
		About: "counts of public page views per day and country (ISO code), only when a GeoIP database is configured (no IP address, no visitor identifier)"},
	{Name: "mail_outbox", Key: []string{"id"}, Sealed: sealedByID("recipient", "subject", "body"),
		About: "mails Kluis sent or is sending: recipient, subject, text, delivery state; recipient_index is the recipient's pseudonym under the exporting instance's key (an import recomputes it)"},
	{Name: "submissions", Key: []string{"id"}, Sealed: sealedByID("data", "contact", "lang"),
		Omit:  map[string]string{"person_key_id": "the citizen's own key lives in the exporting instance's keyring; an import makes the person a key in its own"},
		About: "submissions: the answers (data, JSON), contact address, language, reference, status, dates, retention state; subject_index and contact_index are the citizen's pseudonyms under the exporting instance's key (an import recomputes them)"},
	{Name: "attachments", Key: []string{"id"}, Sealed: sealedByID("name", "data"), Binary: map[string]bool{"data": true},
		Omit:  map[string]string{"blob_key": "where the exporting instance keeps a large file's sealed bytes (its object store); the file itself is files/<id>, and an import keeps it in the database"},
		About: "files of submissions: name, type, size, scan; the file itself as uploaded is files/<id>"},
	{Name: "submission_events", Key: []string{"id"}, Sealed: sealedByID("body"),
		About: "a submission's history: status changes with their reason, assignments, internal notes"},
	{Name: "submission_replies", Key: []string{"id"}, Sealed: sealedByID("body"),
		About: "mails to the citizen about their submission: replies (text) and status mails"},
	{Name: "legal_holds", Key: []string{"id"}, Sealed: sealedByID("reason"),
		About: "legal holds that keep a submission or form past its retention, with the reason"},
	{Name: "retention_runs", Key: []string{"id"}, About: "every retention run: when, who, counts per category and action"},
	{Name: "subject_requests", Key: []string{"id"}, Sealed: sealedByID("person", "reason", "extend_reason"),
		About: "data-subject requests (GDPR art. 15-22): the person, kind, status, decisions, deadlines, outcome; subject_index and email_index are pseudonyms under the exporting instance's key (an import recomputes them)"},
	{Name: "subject_request_numbers", Key: []string{"year"}, About: "the last request reference given per year"},
	{Name: "submission_rectifications", Key: []string{"id"}, Sealed: sealedByID("old_value", "new_value"),
		About: "rectified values (art. 16 GDPR): field, value before and after, who and under which request"},
	{Name: "access_reports", Key: []string{"id"}, Sealed: sealedByID("reason", "decision"),
		About: "citizens' reports of a suspicious access to their data and the DPO's decision; person_index is the citizen's pseudonym under the exporting instance's key (an import maps it)"},
	{Name: "breaches", Key: []string{"id"}, About: "the breach register: each breach's state and dates (BRE-1…BRE-5)"},
	{Name: "breach_versions", Key: []string{"breach_id", "version"},
		Sealed: map[string]func(Row) string{
			"content":     func(r Row) string { return str(r["breach_id"]) + "/" + str(r["version"]) },
			"notified_to": func(r Row) string { return str(r["breach_id"]) + "/" + str(r["version"]) },
		},
		About: "every version of a breach's description (JSON) and to whom it was notified"},
	{Name: "breach_attempts", Key: []string{"cause", "window_start"}, About: "failed-access patterns that opened a breach draft (counts only)"},
	{Name: "operator_grants", Key: []string{"id"}, Sealed: sealedByID("label", "reason"), NoImport: whyOperators,
		About: "the supplier's access grants (AUD-3): who, why, when, until when, revoked"},
	{Name: "maintenance_notices", Key: []string{"id"}, Sealed: sealedByID("label", "scope", "reason"), NoImport: whyOperators,
		About: "announced supplier maintenance (AUD-4) and objections"},
	{Name: "subprocessors", Key: []string{"id"},
		Where: `id IN (SELECT subprocessor_id FROM subprocessor_tenants WHERE tenant_id = $1
			UNION SELECT replaces_id FROM subprocessor_tenants WHERE tenant_id = $1)`,
		NoImport: "the platform's own list, which each instance keeps itself: an import matches the organisation's decisions to this instance's entries by name and agreement reference",
		About:    "the sub-processors the organisation's decisions name (the platform's list: company, location, agreement)"},
	{Name: "subprocessor_tenants", Key: []string{"subprocessor_id"},
		Sealed: map[string]func(Row) string{"objection": func(r Row) string { return str(r["subprocessor_id"]) }},
		About:  "the organisation's decisions on sub-processors (SUB-2), with any objection; an import keeps those whose sub-processor the new instance lists under the same name and agreement reference"},
	{Name: "controller_audits", Key: []string{"id"}, Sealed: sealedByID("details", "plan_reason"),
		About: "audits by the controller (ADT-1…ADT-3): announcement, plan state"},
	{Name: "controller_audit_findings", Key: []string{"id"}, Sealed: sealedByID("content"), About: "an audit's findings"},
	{Name: "controller_audit_actions", Key: []string{"id"}, Sealed: sealedByID("content"), About: "the corrective actions of an audit's plan"},
	{Name: "instructions", Key: []string{"id"}, About: "the controller's documented instructions (REG-3): state and dates"},
	{Name: "authority_requests", Key: []string{"id"}, About: "authorities' requests for data (REG-5): state and dates"},
	{Name: "duty_steps", Key: []string{"parent_id", "seq"},
		Sealed: map[string]func(Row) string{
			"content":     func(r Row) string { return str(r["parent_id"]) + "/" + str(r["seq"]) },
			"notified_to": func(r Row) string { return str(r["parent_id"]) + "/" + str(r["seq"]) },
		},
		About: "every step of an instruction or authority request, with its content (JSON)"},
	{Name: "org_facts", Key: []string{"id"}, Sealed: sealedByID("content"),
		About: "the supplier's declarations (only in the operators' realm)"},
	{Name: "compliance_snapshot", Key: []string{"clause_id"},
		About: "the last measured status of every clause of the agreement (met, partly, not_met, declared) with the facts that decide it (JSON: counts, times), when it was measured and when it last changed"},
	{Name: "compliance_drift", Key: []string{"id"},
		About: "every change of a clause's status: before and after with their facts (JSON), when, and how many addresses the alert went to with the SHA-256 of the DPO's copy"},
	{Name: "api_keys", Key: []string{"id"}, Omit: map[string]string{"secret_hash": whySecret},
		Import: map[string]func(*DB, string, Row) (any, error){
			"secret_hash": func(*DB, string, Row) (any, error) { return randomBytes(32), nil }, // matches no secret: issue a new key
		},
		About: "API keys: label, scopes, dates; not the secret"},
	{Name: "api_key_forms", Key: []string{"key_id", "form_key"}, About: "the forms an API key sees"},
	{Name: "webhooks", Key: []string{"id"}, Omit: map[string]string{"secret": whySecret},
		Import: map[string]func(*DB, string, Row) (any, error){"secret": sealedRandom("webhooks", "secret", rowID)},
		About:  "webhooks to the organisation's case system: URL, events, status; not the signing secret"},
	{Name: "oidc_providers", Key: []string{"id"}, Omit: map[string]string{"client_secret": whySecret},
		Import: map[string]func(*DB, string, Row) (any, error){"client_secret": func(db *DB, tenantID string, r Row) (any, error) {
			return db.keys.Seal(tenantID, seal.AD{Tenant: tenantID, Table: "oidc_providers", Column: "client_secret", Row: rowID(r)}, nil)
		}},
		About: "sign-in providers (eID, itsme, ACM): issuer, client id; not the client secret"},
	{Name: "magda_connections", Key: []string{"tenant_id"}, Omit: map[string]string{"client_key": whySecret},
		Import: map[string]func(*DB, string, Row) (any, error){"client_key": func(db *DB, tenantID string, r Row) (any, error) {
			return db.keys.Seal(tenantID, magdaKeyAD(tenantID), nil) // no key: the connection is unusable until set again
		}},
		About: "the national register connection (MAGDA): endpoint, consumer identity, capacity code, authorisation, certificates; not the private key"},
	{Name: "oidc_identities", Key: []string{"id"}, Sealed: sealedByID("subject"),
		About: "staff members' identities at a sign-in provider (subject); subject_index is a pseudonym under the exporting instance's key (an import recomputes it from the provider's issuer and the subject)"},
	{Name: "audit_checkpoint_hooks", Key: []string{"tenant_id"}, Omit: map[string]string{"secret": whySecret},
		Import: map[string]func(*DB, string, Row) (any, error){"secret": sealedRandom("audit_checkpoint_hooks", "secret", tenantRow)},
		About:  "where signed checkpoints are pushed; not the signing secret"},
	{Name: "audit_checkpoint_digests", Key: []string{"day"}, About: "daily checkpoint digests mailed to the DPO"},
	{Name: "audit_events", Key: []string{"seq"},
		About: "the audit log (AUD-1): every event with its chain hashes (base64); subject is a citizen's pseudonym under the key of the instance that wrote the event (an import maps old to new in tenant.reindex events)"},
	{Name: "audit_list_objects", Key: []string{"object_id", "seq"}, About: "the ids a list event named (an index of audit_events)"},
	{Name: "audit_heads", Key: []string{"tenant_id"}, About: "the head of the audit chain and its Merkle frontier"},
	{Name: "audit_checkpoints", Key: []string{"size"}, About: "every signed checkpoint of the log (C2SP signed note; verify with kluis audit verify)"},
	{Name: "audit_prunings", Key: []string{"size"}, About: "records of log prunings (AUD-2): sizes, hashes and the signed pruning note"},
}

// TenantExportExcluded lists the tables with a tenant_id column that the
// full export leaves out, with why.
var TenantExportExcluded = map[string]string{
	"sessions":              "staff sign-in sessions: credentials of this instance, ended by the hand-over",
	"citizen_sessions":      "citizens' sign-in sessions (20 minutes): credentials of this instance",
	"passkey_ceremonies":    "a passkey ceremony in progress (minutes): a credential of this instance",
	"passkey_users":         "passkey user handles: credentials bound to this instance's origin; staff enrol again",
	"passkeys":              "passkeys: credentials bound to this instance's origin; staff enrol again",
	"mfa_totp":              "TOTP secrets: never handed over (USR)",
	"mfa_recovery_codes":    "recovery codes (hashes): never handed over (USR)",
	"invitations":           "single-use invitation links (hashes): credentials",
	"password_resets":       "single-use reset links (hashes): credentials",
	"oidc_flows":            "sign-in flows in progress (minutes): credentials",
	"subject_request_codes": "a citizen's one-time code (15 minutes): a credential",
	"submission_drafts":     "a citizen's unfinished step (hours), not yet a submission; deleted by its own sweep",
	"person_keys":           "citizens' own keys, wrapped by the old instance's keyring: the export holds the plaintext they protect",
	"exports":               "per-user export files (24 hours) sealed with a key of their own; their history is in the audit log",
	"full_exports":          "full export archives asked for from the web (24 hours), sealed with a key of their own; their history is in the audit log",
	"subject_packages":      "access packages (a copy of submissions already in this export), sealed for a download link",
	"jobs":                  "the instance's work queue: no data of its own",
	"webhook_deliveries":    "delivery attempts of webhooks (90 days), technical traces of what the case system already received",
	"termination_steps":     "the end-of-contract procedure's own record (END-4, END-5): handed to the controller as the destruction certificate; imported, it would freeze the new instance",
}

// TenantExportRun is a full export recorded in the tenant's audit log; only
// StartTenantExport makes one, and ReadTenantEntity reads nothing without
// it (fail closed).
type TenantExportRun struct {
	tenantID string
	seq      int64
	actor    audit.Actor
}

// TenantID is the tenant the run exports.
func (r *TenantExportRun) TenantID() string { return r.tenantID }

// StartTenantExport records in the tenant's audit log that actor exports
// all of its data (END-3) for purpose, and returns the run that lets
// ReadTenantEntity read it. ErrNotFound when the tenant does not exist.
func (db *DB) StartTenantExport(ctx context.Context, actor audit.Actor, tenantID, purpose string) (*TenantExportRun, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM tenants WHERE id = $1`, tenantID).Scan(&n); err != nil {
		return nil, fmt.Errorf("start tenant export: %w", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("tenant %s: %w", tenantID, ErrNotFound)
	}
	run := &TenantExportRun{tenantID: tenantID, actor: actor}
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "tenant.export",
			ObjectType: "tenant", ObjectID: tenantID, Purpose: purpose}); err != nil {
			return err
		}
		return tx.queryRow(`SELECT seq FROM audit_heads WHERE tenant_id = $1`, tenantID).Scan(&run.seq)
	})
	if err != nil {
		return nil, fmt.Errorf("start tenant export: %w", err)
	}
	return run, nil
}

// TenantEntityColumns returns the columns of e as the export writes them
// (the table's columns without e.Omit), with whether each is an integer,
// bytes (base64) or text, from the migrated schema.
func (db *DB) TenantEntityColumns(ctx context.Context, e TenantEntity) ([]Column, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT * FROM `+e.TableName()+` WHERE 1 = 0`)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", e.Name, err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	notNull, err := db.notNullColumns(ctx, e.TableName())
	if err != nil {
		return nil, err
	}
	var out []Column
	for _, t := range types {
		if _, omit := e.Omit[t.Name()]; omit {
			continue
		}
		c := Column{Name: t.Name(), Kind: KindText}
		switch tn := strings.ToUpper(t.DatabaseTypeName()); {
		case strings.Contains(tn, "INT"):
			c.Kind = KindInteger
		case tn == "BLOB" || tn == "BYTEA":
			c.Kind = KindBytes
		}
		if _, sealed := e.Sealed[c.Name]; sealed {
			c.Kind, c.Sealed = KindText, true
			if e.Binary[c.Name] {
				c.Kind = KindFile
			}
		}
		c.Nullable = !notNull[c.Name]
		out = append(out, c)
	}
	return out, nil
}

// notNullColumns names the NOT NULL columns of table, from the schema (one
// of the few per-dialect queries: the drivers do not all say).
func (db *DB) notNullColumns(ctx context.Context, table string) (map[string]bool, error) {
	q := `SELECT name FROM pragma_table_info($1) WHERE "notnull" = 1 OR pk > 0`
	if db.dialect == Postgres {
		q = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND is_nullable = 'NO'`
	}
	rows, err := db.sql.QueryContext(ctx, q, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out[name] = true
	}
	return out, rows.Err()
}

// Column kinds of an exported column.
const (
	KindInteger = "integer"
	KindText    = "text"
	KindBytes   = "bytes" // base64 in JSON and CSV
	KindFile    = "file"  // written as a file of its own
)

// Column is one exported column.
type Column struct {
	Name     string
	Kind     string
	Sealed   bool
	Nullable bool
}

// ReadTenantEntity reads up to limit rows of e for run's tenant after the
// key values after (nil: from the start), in key order, with sealed
// columns opened, and calls fn for each. It returns the key of the last
// row read (nil when there were none) and how many values did not open. A
// sealed value that does not open (damage, a lost key) fails alone
// (SEC-3): it is exported as null, recorded in the tenant's log as a
// failed part of the export, and the operator is alerted; the caller
// counts it in the manifest.
func (db *DB) ReadTenantEntity(ctx context.Context, run *TenantExportRun, e TenantEntity, cols []Column, after []any, limit int, fn func(Row) error) ([]any, int, error) {
	if run == nil || run.seq == 0 {
		return nil, 0, errors.New("read tenant entity: no export recorded in the audit log")
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	sel := append([]string(nil), names...)
	for _, k := range e.Key { // the key is read even when it is not exported
		if !slices.Contains(sel, k) {
			sel = append(sel, k)
		}
	}
	if e.TableName() == "attachments" {
		sel = append(sel, "blob_key") // a large file's sealed bytes are in the object store
	}
	args := []any{run.tenantID}
	q := `SELECT ` + strings.Join(sel, ", ") + ` FROM ` + e.TableName() + ` WHERE ` + e.pagedWhere(db.dialect)
	if after != nil {
		ph := make([]string, len(after))
		for i := range after {
			args = append(args, after[i])
			ph[i] = "$" + strconv.Itoa(len(args))
		}
		q += ` AND (` + strings.Join(e.Key, ", ") + `) > (` + strings.Join(ph, ", ") + `)`
	}
	q += ` ORDER BY ` + strings.Join(e.Key, ", ") + ` LIMIT ` + strconv.Itoa(limit)
	var query func(ctx context.Context, q string, args ...any) (*sql.Rows, error) = db.sql.QueryContext
	if db.dialect == Postgres {
		// PostgreSQL, without fresh statistics or with several tenants,
		// takes the tenant's rows through another index and sorts them all
		// for every batch (a top-N sort of 100,000 rows per 500): with
		// sorting costed off for this one read, it walks the key's index
		// from where the last batch ended, as on SQLite.
		tx, err := db.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", e.Name, err)
		}
		defer tx.Rollback() // read only: nothing to commit
		if _, err := tx.ExecContext(ctx, `SET LOCAL enable_sort = off`); err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", e.Name, err)
		}
		query = tx.QueryContext
	}
	rows, err := query(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", e.Name, err)
	}
	defer rows.Close()
	var last []any
	var bad []unreadable
	vals := make([]any, len(sel))
	ptrs := make([]any, len(sel))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", e.Name, err)
		}
		r := make(Row, len(sel))
		for i, n := range sel {
			r[n] = normalise(vals[i])
		}
		last = make([]any, len(e.Key))
		for i, k := range e.Key {
			last[i] = r[k]
		}
		if k, ok := r["blob_key"].(string); ok && k != "" {
			if r["data"], err = db.attachmentObject(ctx, k); err != nil {
				return nil, 0, fmt.Errorf("read %s: %w", e.Name, err)
			}
		}
		for col, adRow := range e.Sealed {
			ct, ok := r[col].([]byte)
			if !ok || ct == nil {
				continue
			}
			pt, err := db.keys.Open(run.tenantID, seal.AD{Tenant: run.tenantID, Table: e.TableName(), Column: col, Row: adRow(r)}, ct)
			if err != nil {
				bad = append(bad, unreadableOf(run.actor, run.tenantID, e.Name, e.Name+"/"+adRow(r)+"/"+col, ct, err))
				r[col] = nil
				continue
			}
			if e.Binary[col] {
				r[col] = pt
			} else {
				r[col] = string(pt)
			}
		}
		for k := range r {
			if !slices.Contains(names, k) {
				delete(r, k)
			}
		}
		if err := fn(r); err != nil {
			return nil, 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	if len(bad) > 0 {
		err := db.write(ctx, func(tx *Tx) error {
			for _, u := range bad {
				if err := tx.appendAudit(audit.Event{TenantID: run.tenantID, Actor: run.actor, Action: "tenant.export",
					ObjectType: "tenant", ObjectID: run.tenantID, Purpose: "unreadable value " + u.objectID,
					Outcome: audit.OutcomeFailure}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, 0, err
		}
		db.alertUnreadable(ctx, bad)
	}
	return last, len(bad), nil
}

// normalise makes a driver value one of int64, string, []byte or nil.
func normalise(v any) any {
	switch x := v.(type) {
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case []byte:
		return append([]byte(nil), x...)
	}
	return v
}

// TenantImport is an import of one tenant into this instance in progress:
// BeginTenantImport made its keys; InsertTenantRows writes its rows.
type TenantImport struct {
	tenantID string

	// The re-index (tenant_import_reindex.go).
	personKeys bool
	forms      map[string]form.Form       // "key/version" -> definition
	indexes    map[string][]byte          // old index -> new index
	persons    map[string]*seal.PersonKey // new person index -> key
	byID       map[int64]*seal.PersonKey  // person key id -> key
	issuers    map[string]string          // sign-in provider id -> issuer
	oldSubs    map[string]oldSubprocessor // the old platform's sub-processors
	entities   map[string]*ImportedEntity
	order      []string
	report     ImportReport
}

// BeginTenantImport prepares this instance to receive tenant tenantID
// (END-3): the tenant must not exist here, nor its slug, and this instance
// must hold no keys for it; then its keys are created in the keyring.
// ErrConflict when the tenant or slug is already here.
func (db *DB) BeginTenantImport(ctx context.Context, tenantID, slug string) (*TenantImport, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM tenants WHERE id = $1 OR slug = $2`, tenantID, slug).Scan(&n); err != nil {
		return nil, fmt.Errorf("begin tenant import: %w", err)
	}
	if n > 0 || db.keys.HasTenant(tenantID) {
		return nil, fmt.Errorf("tenant %s is already in this instance: import only into an instance without it: %w", slug, ErrConflict)
	}
	if err := db.keys.CreateTenant(tenantID); err != nil {
		return nil, fmt.Errorf("create tenant keys: %w", err)
	}
	return &TenantImport{tenantID: tenantID}, nil
}

// InsertTenantRows writes rows of e, sealing the plaintext of sealed
// columns with this instance's tenant key and filling omitted columns by
// e.Import, in one transaction.
func (db *DB) InsertTenantRows(ctx context.Context, imp *TenantImport, e TenantEntity, rows []Row) error {
	ent := imp.entity(e.Name) // in the report even when empty
	if len(rows) == 0 {
		return nil
	}
	type prepared struct {
		cols []string
		args []any
	}
	var ps []prepared
	var created []newPersonKey
	for _, r := range rows {
		if e.Where == "" && str(r["tenant_id"]) != imp.tenantID {
			return fmt.Errorf("import %s: a row of another tenant", e.Name)
		}
		if e.Where != "" && str(r["id"]) != imp.tenantID {
			return fmt.Errorf("import %s: a row of another tenant", e.Name)
		}
		pk, skip, err := imp.prepare(db, e, r, &created)
		if err != nil {
			return fmt.Errorf("import %s: %w", e.Name, err)
		}
		if skip != "" {
			ent.Skipped++
			ent.Reason = skip
			continue
		}
		ent.Imported++
		var p prepared
		for col, v := range r {
			if adRow, sealed := e.Sealed[col]; sealed && v != nil {
				var pt []byte
				switch x := v.(type) {
				case string:
					pt = []byte(x)
				case []byte:
					pt = x
				}
				ad := seal.AD{Tenant: imp.tenantID, Table: e.TableName(), Column: col, Row: adRow(r)}
				var ct []byte
				var err error
				if pk != nil { // DSR-1: the person's own key, as intake seals
					ct, err = pk.Seal(ad, pt)
				} else {
					ct, err = db.keys.Seal(imp.tenantID, ad, pt)
				}
				if err != nil {
					return fmt.Errorf("import %s: seal %s: %w", e.Name, col, err)
				}
				v = ct
			}
			p.cols = append(p.cols, col)
			p.args = append(p.args, v)
		}
		for col, fill := range e.Import {
			v, err := fill(db, imp.tenantID, r)
			if err != nil {
				return fmt.Errorf("import %s: %s: %w", e.Name, col, err)
			}
			p.cols = append(p.cols, col)
			p.args = append(p.args, v)
			if strings.HasSuffix(col, "_index") && v != nil {
				imp.report.Reindexed++
			}
		}
		ps = append(ps, p)
	}
	if e.TableName() == "tenants" && str(rows[0]["person_keys"]) == "1" {
		// Per-person keys (DSR-1) stay on: new intake seals with a person
		// key from this keyring's tree; imported values carry the tenant key.
		if err := db.keys.EnablePersonKeys(imp.tenantID); err != nil {
			return fmt.Errorf("import %s: person keys: %w", e.Name, err)
		}
	}
	return db.writeBulk(ctx, func(tx *Tx) error {
		for _, k := range created {
			if _, err := tx.exec(`INSERT INTO person_keys (tenant_id, id, person_index, wrapped, created_at) VALUES ($1, $2, $3, $4, $5)`,
				imp.tenantID, k.id, k.index, k.wrapped, micros(tx.db.now())); err != nil {
				return fmt.Errorf("import %s: person key: %w", e.Name, err)
			}
		}
		for _, p := range ps {
			ph := make([]string, len(p.cols))
			for i := range ph {
				ph[i] = "$" + strconv.Itoa(i+1)
			}
			if _, err := tx.exec(`INSERT INTO `+e.TableName()+` (`+strings.Join(p.cols, ", ")+`) VALUES (`+strings.Join(ph, ", ")+`)`, p.args...); err != nil {
				return fmt.Errorf("import %s: %w", e.Name, err)
			}
		}
		return nil
	})
}

// FinishTenantImport records the import at the end of the imported audit
// chain (its head was imported with it), so that the log says when and by
// whom the tenant arrived here.
//
// Before it, the chain gets the import's pseudonym mapping
// ("tenant.reindex", see tenant_import_reindex.go); the tenant.import
// event's purpose carries the report: rows per entity, what was skipped and
// why, and the keys made again.
func (db *DB) FinishTenantImport(ctx context.Context, actor audit.Actor, imp *TenantImport, purpose string) (ImportReport, error) {
	err := db.writeBulk(ctx, func(tx *Tx) error {
		imp.report.Pseudonyms, imp.report.Unmapped = 0, 0
		if err := tx.appendReindexEvents(actor, imp); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: imp.tenantID, Actor: actor, Action: "tenant.import",
			ObjectType: "tenant", ObjectID: imp.tenantID, Purpose: purpose + ": " + imp.Report().summary()})
	})
	if err != nil {
		return ImportReport{}, err
	}
	return imp.Report(), nil
}

// AbortTenantImport removes what a failed import wrote: the rows, newest
// entity first, then the keys BeginTenantImport made, so that the instance
// is as it was and the import can be tried again.
func (db *DB) AbortTenantImport(ctx context.Context, imp *TenantImport) error {
	err := db.writeBulk(ctx, func(tx *Tx) error {
		for i := len(TenantEntities) - 1; i >= 0; i-- {
			e := TenantEntities[i]
			if e.NoImport != "" { // never written; subprocessors are the platform's
				continue
			}
			if e.TableName() == "tenants" { // the person keys the import made, after what they sealed
				if _, err := tx.exec(`DELETE FROM person_keys WHERE tenant_id = $1`, imp.tenantID); err != nil {
					return fmt.Errorf("remove imported person keys: %w", err)
				}
			}
			if _, err := tx.exec(`DELETE FROM `+e.TableName()+` WHERE `+e.where(), imp.tenantID); err != nil {
				return fmt.Errorf("remove imported %s: %w", e.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return db.keys.DestroyTenant(imp.tenantID)
}
