package store

import "time"

// The retention inventory (SEC-1): every table that holds a sealed or
// personal column, and how the retention engine treats it. The schema test
// (TestClauseSEC1_EveryPersonalColumnIsKnownToRetention) reads the migrated
// database on both dialects and fails when a byte column (where sealed
// values live) or a column with a personal name is neither here nor in
// NotPersonalColumns: a new table with personal data cannot be forgotten.

// How a table's personal data ends.
const (
	// RuleCategory: by the register category of the form field the value
	// belongs to; start and action come from the register (RunRetention).
	RuleCategory = "category"
	// RuleFollowsSubmission: erased when the last value of its submission
	// expires, removed with the submission when that is deleted.
	RuleFollowsSubmission = "follows_submission"
	// RuleFixed: a fixed period (Days) from a fixed start, applied by
	// RunRetention.
	RuleFixed = "fixed"
	// RuleOwnSweep: the row expires by its own short deadline and its own
	// job deletes it (drafts, exports).
	RuleOwnSweep = "own_sweep"
	// RuleAccount: a staff account's own data, kept while the account
	// lives; removing the user erases it (RemoveUser), and RunRetention
	// deletes what a removed user left (Days after removal).
	RuleAccount = "account"
	// RuleKept: kept on purpose for as long as Why says.
	RuleKept = "kept"
)

// RetentionEntry says how the retention engine treats the personal columns
// of one table.
type RetentionEntry struct {
	Table   string
	Columns []string
	Rule    string
	Days    int    // RuleFixed, RuleAccount: the period
	Start   string // RuleFixed: the moment it counts from
	Action  string // RuleFixed: what happens then
	// AuditPeriod (RuleFixed): the period is the tenant's audit log
	// retention (AUD-2), not Days.
	AuditPeriod bool
	Why         string
}

// Fixed periods of the tables that are not a form's answers. They follow
// the demo register's "technical" category (90 days, delete): mail
// envelopes, sessions and deliveries are technical traces of a service
// already rendered.
const (
	MailRetentionDays         = 90
	SessionRetentionDays      = 90
	DeliveryRetentionDays     = 90
	RemovedUserCredentialDays = 30
	// TokenRetentionDays: invitations, password-reset links and sign-in
	// flows are kept 30 days after they expired or were used, long enough
	// to answer "my link did not work", then deleted.
	TokenRetentionDays = 30
	// CodeRetentionDays: a citizen's one-time code (15 minutes) is deleted
	// a week after it expired or was used (long enough to answer "my code
	// did not arrive").
	CodeRetentionDays = 7
	// SubjectRequestRetentionDays: a data-subject request is the
	// controller's evidence that it answered (accountability, art. 5(2)
	// and 24 GDPR). It is kept five years after it was closed (refused,
	// executed or closed): the limitation period of a claim for damages
	// outside a contract under Belgian law (art. 2262bis §1 of the former
	// Civil Code, now art. 6.6 of the new Civil Code's book 6: five years
	// from the day the person knew of the damage), within which the
	// person may hold the controller liable for how the request was
	// handled (art. 82 GDPR). Then the person is erased and the skeleton
	// stays. An executed restriction counts from its lifting (closing).
	SubjectRequestRetentionDays = 5*365 + 1
)

// RetentionInventory lists every table with a sealed or personal column.
var RetentionInventory = []RetentionEntry{
	{Table: "submissions", Columns: []string{"data", "contact", "contact_index"}, Rule: RuleCategory,
		Why: "each answer by its field's register category; the contact address by the category of the field it came from"},
	{Table: "submissions", Columns: []string{"subject_index", "lang"}, Rule: RuleFollowsSubmission,
		Why: "cleared when the last value expires; the subject's keyed index stays as the pseudonym when a category was pseudonymised"},
	{Table: "attachments", Columns: []string{"name", "data"}, Rule: RuleCategory,
		Why: "by the register category of its file field; a file cannot be pseudonymised, so every action deletes it"},
	{Table: "submission_events", Columns: []string{"body"}, Rule: RuleFollowsSubmission,
		Why: "notes and reasons are about the case: erased when its last value expires"},
	{Table: "submission_replies", Columns: []string{"body"}, Rule: RuleFollowsSubmission,
		Why: "replies to the citizen are about the case: erased when its last value expires"},
	{Table: "submission_drafts", Columns: []string{"name", "data"}, Rule: RuleOwnSweep,
		Why: "deleted by the draft sweep after DraftTTL"},
	{Table: "exports", Columns: []string{"data_key"}, Rule: RuleOwnSweep,
		Why: "the export sweep shreds the key at expires_at"},
	{Table: "full_exports", Columns: []string{"data_key"}, Rule: RuleOwnSweep,
		Why: "the export sweep shreds the full export's key at expires_at (24 hours) or on delete"},
	{Table: "mail_outbox", Columns: []string{"recipient", "recipient_index", "subject", "body"}, Rule: RuleFixed,
		Days: MailRetentionDays, Start: "sent or failed", Action: "anonymise",
		Why: "address, subject and text erased; the row stays so that a reply's delivery state can still be shown"},
	{Table: "sessions", Columns: []string{"device", "user_agent_hint"}, Rule: RuleFixed,
		Days: SessionRetentionDays, Start: "ended (revoked or expired)", Action: "delete"},
	{Table: "webhook_deliveries", Columns: []string{"body"}, Rule: RuleFixed,
		Days: DeliveryRetentionDays, Start: "created, once delivered, failed or cancelled", Action: "delete",
		Why: "the body names a submission, which leads to a person"},
	{Table: "users", Columns: []string{"email", "email_index", "name"}, Rule: RuleAccount,
		Why: "erased when the user is removed (RemoveUser); the row stays so that the log keeps naming an id"},
	{Table: "mfa_totp", Columns: []string{"secret"}, Rule: RuleAccount, Why: "deleted when the user is removed"},
	{Table: "passkey_users", Columns: []string{"handle"}, Rule: RuleAccount, Days: RemovedUserCredentialDays,
		Why: "deleted by RunRetention after the user's removal"},
	{Table: "passkeys", Columns: []string{"credential_id", "public_key", "aaguid", "name"}, Rule: RuleAccount,
		Days: RemovedUserCredentialDays, Why: "deleted by RunRetention after the user's removal"},
	{Table: "oidc_identities", Columns: []string{"subject_index", "subject"}, Rule: RuleAccount,
		Days: RemovedUserCredentialDays, Why: "deleted by RunRetention after the user's removal"},
	{Table: "tenants", Columns: []string{"dpo_name", "dpo_email"}, Rule: RuleKept,
		Why: "the controller's DPO contact, kept for the agreement's duration; the tenant's end destroys its key"},
	{Table: "operator_grants", Columns: []string{"label", "reason"}, Rule: RuleFixed, AuditPeriod: true,
		Start: "ended (expired or revoked)", Action: "delete",
		Why: "the controller's evidence of supplier access (AUD-3): deleted once the audit log's events about it may be pruned (the tenant's audit retention, AUD-2)"},
	{Table: "maintenance_notices", Columns: []string{"label", "scope", "reason"}, Rule: RuleFixed, AuditPeriod: true,
		Start: "the maintenance's end", Action: "delete",
		Why: "the controller's evidence of announced supplier maintenance (AUD-4): deleted once the audit log's events about it may be pruned"},
	{Table: "audit_events", Columns: []string{"subject"}, Rule: RuleKept,
		Why: "pseudonyms in the append-only log; its own retention is the audit log's (AUD-2)"},
	{Table: "termination_steps", Columns: []string{"detail"}, Rule: RuleKept,
		Why: "the record of the end of the contract and its destruction certificate (END-5); the hand-over names who received the final export by function, kept with the audit log"},
	{Table: "site_pages", Columns: []string{"updated_by"}, Rule: RuleKept,
		Why: "the account id of the editor who last saved a public page (the name is sealed in users and erased with the account): who published what on the organisation's site is its accountability record, kept with the page"},
	{Table: "site_page_versions", Columns: []string{"created_by"}, Rule: RuleKept,
		Why: "the account id of the editor of each version of a public page: the page's history, kept with the page (the name is sealed in users and erased with the account)"},
	{Table: "site_images", Columns: []string{"data", "created_by"}, Rule: RuleKept,
		Why: "an image the organisation publishes on its site (it may show people: publishing it is the organisation's decision, and it stays until an editor deletes it), and the account id of the editor who uploaded it, its accountability record (the name is sealed in users and erased with the account)"},
	{Table: "accessibility_settings", Columns: []string{"feedback_email", "feedback_phone", "updated_by"}, Rule: RuleKept,
		Why: "the organisation's functional contact for accessibility feedback, published in its statement (not a person's: the form asks for the organisation's address), kept while the organisation has a site; updated_by is the account id of the editor, its accountability record (the name is sealed in users and erased with the account)"},
	{Table: "accessibility_exceptions", Columns: []string{"created_by"}, Rule: RuleKept,
		Why: "the account id of the editor who entered a known exception, kept with the exception until an editor deletes it (the name is sealed in users and erased with the account)"},
	{Table: "accessibility_statements", Columns: []string{"content", "published_by"}, Rule: RuleKept,
		Why: "the published accessibility statement and its history (Bestuursdecreet 2018 asks it be kept current and reviewed): public facts and the organisation's functional contact, and the account id of the editor who published each version (the name is sealed in users and erased with the account)"},
	{Table: "legal_holds", Columns: []string{"reason"}, Rule: RuleKept,
		Why: "why data was kept past its retention is itself evidence for SEC-1, kept as long as the audit log"},
	{Table: "subject_requests", Columns: []string{"person", "subject_index", "email_index", "reason", "extend_reason"}, Rule: RuleFixed,
		Days: SubjectRequestRetentionDays, Start: "closed (refused, executed, or a restriction lifted)", Action: "anonymise",
		Why: "the controller's evidence that it answered (art. 5(2) GDPR), kept for the five-year limitation period of a claim (see SubjectRequestRetentionDays); then the person, indexes and reasons are erased and the skeleton stays"},
	{Table: "subject_request_codes", Columns: []string{"email", "email_index", "code_hash", "details"}, Rule: RuleFixed,
		Days: CodeRetentionDays, Start: "expired or used", Action: "delete",
		Why: "a citizen's one-time code lives 15 minutes; RunRetention deletes it a week later (RequestCitizenCode also clears expired ones)"},
	{Table: "invitations", Columns: []string{"user_id", "created_by"}, Rule: RuleFixed,
		Days: TokenRetentionDays, Start: "expired or used", Action: "delete", Why: "a dead link naming a staff member"},
	{Table: "password_resets", Columns: []string{"user_id"}, Rule: RuleFixed,
		Days: TokenRetentionDays, Start: "expired or used", Action: "delete", Why: "a dead link naming a staff member"},
	{Table: "oidc_flows", Columns: []string{"user_id", "verifier"}, Rule: RuleFixed,
		Days: TokenRetentionDays, Start: "expired or used", Action: "delete", Why: "a finished sign-in naming a staff member"},
	{Table: "subject_packages", Columns: []string{"content", "token_hash", "code_hash"}, Rule: RuleFixed,
		Days: int(PackageTTL / (24 * time.Hour)), Start: "the request's execution (expires_at)", Action: "delete",
		Why: "the package of an access or portability request is downloadable for PackageTTL; RunRetention deletes it at expires_at"},
	{Table: "person_keys", Columns: []string{"person_index", "wrapped"}, Rule: RuleKept,
		Why: "a citizen's own key (DSR-1) and the keyed index it is found by, no value in itself: erasure overwrites both and the keyring forgets the key; RunRetention does the same once no submission that still holds values names the key (the person's last submission expired)"},
	{Table: "submission_rectifications", Columns: []string{"old_value", "new_value"}, Rule: RuleFollowsSubmission,
		Why: "a rectified value's history (DSR-1) is the submission's: removed when its values expire or it is erased"},
	{Table: "citizen_sessions", Columns: []string{"person_index", "email"}, Rule: RuleOwnSweep,
		Why: "a citizen's session lives 20 minutes idle, 2 hours at most; ended rows are deleted whenever the tenant's next citizen session opens"},
	{Table: "access_reports", Columns: []string{"person_index", "reason", "decision"}, Rule: RuleKept,
		Why: "a citizen's report of a suspicious access and the controller's judgement are evidence for BRE-1, kept as long as the audit log; a fixed period is to be set with the breach register"},
	{Table: "breach_versions", Columns: []string{"content", "notified_to"}, Rule: RuleKept,
		Why: "the breach register is the controller's documentation of every breach, its effects and the measures taken (art. 33(5) GDPR, accountability; BRE-1…BRE-5): kept, every version, as long as the audit log"},
	{Table: "subprocessor_tenants", Columns: []string{"objection"}, Rule: RuleKept,
		Why: "the controller's objection to a sub-processor (SUB-2) is evidence of its authorisation under the agreement: kept as long as the audit log"},
	{Table: "controller_audits", Columns: []string{"details", "plan_reason"}, Rule: RuleKept,
		Why: "an audit's announcement (scope, auditor) and the controller's reason for returning a plan are the proof that the controller audited and the processor answered (ADT-1…ADT-3, art. 28(3)(h) GDPR, accountability): kept as long as the audit log"},
	{Table: "controller_audit_findings", Columns: []string{"content"}, Rule: RuleKept,
		Why: "the deficiencies an audit found are the basis of the corrective-action plan and its follow-up (ADT-3): kept as accountability evidence, as long as the audit log"},
	{Table: "controller_audit_actions", Columns: []string{"content"}, Rule: RuleKept,
		Why: "the corrective actions and when each was done show the processor carried out the approved plan on time (ADT-3): kept as accountability evidence, as long as the audit log"},
	{Table: "agreement_acceptances", Columns: []string{"signer_name"}, Rule: RuleKept,
		Why: "who accepted which version of the data processing agreement, with the SHA-256 of what they accepted, is the proof that the agreement binds both parties (art. 28(3) and (9) GDPR, accountability): kept as long as the audit log"},
	{Table: "duty_steps", Columns: []string{"content", "notified_to"}, Rule: RuleKept,
		Why: "the controller's instructions, the supplier's flags of them and the authorities' requests with every step are the evidence that the processor acted only on documented instructions and told the controller in time (art. 28(3)(a) and (h) GDPR; REG-3, REG-5): kept, every step, as long as the audit log"},
	{Table: "analytics_views", Columns: []string{"path", "referrer", "browser", "device", "lang"}, Rule: RuleFixed,
		Days: AnalyticsRetentionDays, Start: "the day counted", Action: "delete",
		Why: "aggregates of the register's analytics category, no visitor identifier; RunRetention deletes days past that category's period (AnalyticsRetentionDays without one)"},
	{Table: "analytics_view_rollups", Columns: []string{"dim", "dim_value"}, Rule: RuleFixed,
		Days: AnalyticsRetentionDays, Start: "the day counted", Action: "delete",
		Why: "analytics_views summed per day and dimension for the dashboard, no visitor identifier; RunRetention deletes days past the analytics category's period (AnalyticsRetentionDays without one) with the rows they sum"},
	{Table: "analytics_form_events", Columns: []string{"form_key", "event", "page", "field"}, Rule: RuleFixed,
		Days: AnalyticsRetentionDays, Start: "the day counted", Action: "delete",
		Why: "form funnel aggregates of the register's analytics category; RunRetention deletes days past that category's period (AnalyticsRetentionDays without one)"},
	{Table: "analytics_form_durations", Columns: []string{"form_key", "bucket"}, Rule: RuleFixed,
		Days: AnalyticsRetentionDays, Start: "the day counted", Action: "delete",
		Why: "time-to-complete histogram of the register's analytics category, no duration of one submission; RunRetention deletes days past that category's period (AnalyticsRetentionDays without one)"},
	{Table: "analytics_view_rollups_monthly", Columns: []string{"dim", "dim_value"}, Rule: RuleFixed,
		Days: AnalyticsRetentionDays, Start: "the days counted", Action: "delete",
		Why: "analytics_views summed per month and dimension for the dashboard, no visitor identifier; RunRetention deletes the months before the analytics category's cut-off and rebuilds the month holding it from the days it keeps"},
	{Table: "analytics_form_events_monthly", Columns: []string{"form_key", "event", "page", "field"}, Rule: RuleFixed,
		Days: AnalyticsRetentionDays, Start: "the days counted", Action: "delete",
		Why: "form funnel aggregates summed per month; RunRetention deletes the months before the analytics category's cut-off and rebuilds the month holding it from the days it keeps"},
	{Table: "analytics_form_durations_monthly", Columns: []string{"form_key", "bucket"}, Rule: RuleFixed,
		Days: AnalyticsRetentionDays, Start: "the days counted", Action: "delete",
		Why: "time-to-complete histogram summed per month, no duration of one submission; RunRetention deletes the months before the analytics category's cut-off and rebuilds the month holding it from the days it keeps"},
	{Table: "analytics_countries", Columns: []string{"country"}, Rule: RuleFixed,
		Days: AnalyticsRetentionDays, Start: "the day counted", Action: "delete",
		Why: "country aggregates of the register's analytics category, no IP address; RunRetention deletes days past that category's period (AnalyticsRetentionDays without one)"},
	{Table: "org_facts", Columns: []string{"content", "subject"}, Rule: RuleKept,
		Why: "the supplier's declarations to its controllers (contacts, confidentiality undertakings, SLA, risk analysis, recovery tests) (subject: the staff member's account id) are accountability evidence of the organisational measures in force at each date (art. 28(3)(b), 32 GDPR; ORG-1…ORG-5): kept, every declaration, as long as the audit log"},
}

// NotPersonalColumns are the byte columns and personally named columns
// that hold no personal data, with why: hashes of secrets, public key
// material, the audit log's hashes, an organisation's own name and logo.
var NotPersonalColumns = map[string]string{
	"agreement_versions.pdf":            "the agreement as generated: the organisations' names, the register, the measures; no person's name",
	"schema_migrations.name":            "a migration's file name",
	"subprocessors.name":                "a company's name (SUB-1)",
	"full_exports.recipient":            "the controller's age public key: an organisation's key, not a person's",
	"submissions.receipt_hash":          "SHA-256 of a one-hour capability",
	"audit_events.prev_hash":            "chain hash",
	"audit_events.hash":                 "chain hash",
	"audit_heads.hash":                  "chain hash",
	"audit_heads.tree":                  "Merkle tree of hashes",
	"audit_checkpoint_hooks.secret":     "a signing secret, sealed",
	"audit_prunings.last_hash":          "chain hash",
	"audit_prunings.frontier":           "Merkle frontier of hashes",
	"audit_prunings.note":               "a signed pruning note: sizes and hashes",
	"audit_checkpoints.root":            "Merkle root",
	"invitations.token_hash":            "SHA-256 of a token",
	"sessions.id_hash":                  "SHA-256 of a token",
	"citizen_sessions.id_hash":          "SHA-256 of a token",
	"mfa_recovery_codes.code_hash":      "SHA-256 of a code",
	"password_resets.token_hash":        "SHA-256 of a token",
	"oidc_providers.name":               "an identity provider's name",
	"oidc_providers.client_secret":      "the tenant's client secret at a provider, sealed",
	"magda_connections.client_key":      "the organisation's private key for the national register connection, sealed",
	"oidc_flows.state_hash":             "SHA-256 of a state",
	"oidc_flows.invitation_hash":        "SHA-256 of a token",
	"oidc_flows.binding_hash":           "SHA-256 of a cookie",
	"oidc_flows.nonce_hash":             "SHA-256 of a nonce",
	"passkey_ceremonies.challenge_hash": "SHA-256 of a challenge",
	"passkey_ceremonies.session_hash":   "SHA-256 of a token",
	"webhooks.url":                      "the controller's case system",
	"webhooks.secret":                   "a signing secret, sealed",
	"api_keys.name":                     "a key's label",
	"api_keys.secret_hash":              "SHA-256 of a secret",
	"tenant_branding.name":              "the organisation's name",
	"tenant_branding.email":             "the organisation's functional address",
	"tenant_branding.address":           "the organisation's address",
	"tenant_branding.phone":             "the organisation's phone number",
	"submission_drafts.token_hash":      "SHA-256 of a token",
	"audit_checkpoints.note":            "a signed checkpoint: sizes and hashes",
	"tenant_branding.logo":              "the organisation's logo",
	"acme_cache.name":                   "an ACME cache key: a host name a tenant configured, or the account key's",
	"acme_cache.data":                   "the platform's ACME account key and certificates with their private keys, sealed",
}

// PersonalColumnNames are column names that hold personal data whatever
// their type; the schema test requires each to be accounted for.
var PersonalColumnNames = []string{"email", "name", "subject", "recipient", "contact", "body", "reason", "label",
	"device", "user_agent_hint", "address", "phone", "ip", "ip_address", "note", "national_number", "insz"}
