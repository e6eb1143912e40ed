package audit

import (
	"fmt"
	"sort"
	"strings"
)

// The registry of action codes (AUD-1, AUD-2). Every code Kluis writes is
// listed here once, with the group a reader looks for it under and how its
// object is named; the store refuses an event whose code is not here
// (Event.Validate), and TestAuditActionsHaveSentences finds the codes in the
// source and requires a sentence for each in every language, so the
// controller reads its log as sentences, never as codes.

// ActionGroup is what a reader looks for an action under in the log's
// filter: sign-in and accounts, submissions, forms, …
type ActionGroup string

// The groups, in the order the filter shows them.
const (
	GroupAccounts    ActionGroup = "accounts"    // sign-in, second factors, sessions, users
	GroupSubmissions ActionGroup = "submissions" // submissions, attachments, the citizen search
	GroupForms       ActionGroup = "forms"       // form drafts, notices, publishing, form access
	GroupRegister    ActionGroup = "register"    // the processing register
	GroupExports     ActionGroup = "exports"     // exports of submissions
	GroupMail        ActionGroup = "mail"        // mails sent by Kluis
	GroupSettings    ActionGroup = "settings"    // security policy, API keys, webhooks, sign-in providers
	GroupSupplier    ActionGroup = "supplier"    // supplier staff's access (AUD-3, AUD-4)
	GroupAuditLog    ActionGroup = "audit"       // looks at the log and its verification
	GroupPlatform    ActionGroup = "platform"    // the organisation's account on the platform, keys
	GroupPrivacy     ActionGroup = "privacy"     // data-subject requests (DSR-1, DSR-2), the breach register (BRE-1…BRE-5)
)

// MessageKey is the catalogue key of the group's name.
func (g ActionGroup) MessageKey() string { return "auditlog.group." + string(g) }

// ActionGroups returns the groups in the order a filter shows them.
func ActionGroups() []ActionGroup {
	return []ActionGroup{GroupSubmissions, GroupForms, GroupAccounts, GroupExports, GroupMail, GroupRegister,
		GroupPrivacy, GroupSettings, GroupSupplier, GroupAuditLog, GroupPlatform}
}

// ObjectNaming says where an event names its object and so how a reader is
// shown it: a submission by its reference, a form by its title, a user by
// their name.
type ObjectNaming string

// The ways an action's object is named.
const (
	NameNone        ObjectNaming = ""             // the sentence says all (the object id stays in the CSV)
	NameSubmission  ObjectNaming = "submission"   // ObjectID is a submission id
	NameSubmissions ObjectNaming = "submissions"  // ObjectID lists submission ids, comma-separated
	NameAttachment  ObjectNaming = "attachment"   // a file of the submission that Purpose ends with "(submission ID)"
	NameForm        ObjectNaming = "form"         // ObjectID is a form key
	NameUser        ObjectNaming = "user"         // ObjectID is a user id (or empty: an unknown account)
	NameSubjectUser ObjectNaming = "subject_user" // Subject is the user id; ObjectID a passkey or linked identity
	NameNumber      ObjectNaming = "number"       // ObjectID starts with a number: a version, a count, a range
)

// Action is one registered action code.
type Action struct {
	Code   string
	Group  ActionGroup
	Object ObjectNaming
	// Citizen: the event's Subject is a citizen's pseudonym, shown in the
	// log's citizen column. Other events' subjects (a user id) are not.
	Citizen bool
	// MayFail: the action is recorded also when it is refused or fails,
	// and then reads as its own sentence (NotSentenceKey). Actions that
	// are a failure by name (login.failure) need none.
	MayFail bool
}

// AboutCitizen reports whether event e of this action is about a citizen,
// whose pseudonym (e.Subject) the log then shows. A mail is about a citizen
// only when it is a submission's (the receipt); staff's account mails carry
// the recipient's pseudonym too, but a member of staff is no citizen.
func (a Action) AboutCitizen(e Event) bool {
	if !a.Citizen || e.Subject == "" {
		return false
	}
	if a.Group == GroupMail {
		return strings.HasPrefix(e.Purpose, "submission.")
	}
	return true
}

// SentenceKey is the catalogue key of the action's sentence: %[1]s is who
// acted, %[2]s the object (when the action names one).
func (a Action) SentenceKey() string { return "auditlog.action." + a.Code }

// NameKey is the catalogue key of the action's short name, as the log's
// filter lists it.
func (a Action) NameKey() string { return "auditlog.name." + a.Code }

// NotSentenceKey is the catalogue key of the sentence for a refused or
// failed attempt ("" when the action has none).
func (a Action) NotSentenceKey() string {
	if !a.MayFail {
		return ""
	}
	return "auditlog.action." + a.Code + ".not"
}

var actions = []Action{
	// Submissions.
	{Code: "submission.create", Group: GroupSubmissions, Object: NameSubmission, Citizen: true},
	// A form in steps keeps its clean attachments sealed between the steps
	// (a draft, not yet a submission): named by its form.
	{Code: "submission.draft.save", Group: GroupSubmissions, Object: NameForm},
	{Code: "submission.draft.read", Group: GroupSubmissions, Object: NameForm},
	{Code: "submission.draft.delete", Group: GroupSubmissions, Object: NameForm},
	{Code: "submission.draft.sweep", Group: GroupSubmissions},
	{Code: "submission.read", Group: GroupSubmissions, Object: NameSubmission, Citizen: true, MayFail: true},
	{Code: "submission.list", Group: GroupSubmissions, Object: NameSubmissions, MayFail: true},
	{Code: "submission.search", Group: GroupSubmissions, Object: NameSubmissions, Citizen: true, MayFail: true},
	{Code: "submission.status", Group: GroupSubmissions, Object: NameSubmission, Citizen: true, MayFail: true},
	{Code: "submission.assign", Group: GroupSubmissions, Object: NameSubmission, Citizen: true, MayFail: true},
	{Code: "submission.note", Group: GroupSubmissions, Object: NameSubmission, Citizen: true, MayFail: true},
	{Code: "submission.reply", Group: GroupSubmissions, Object: NameSubmission, Citizen: true, MayFail: true},
	{Code: "submission.lookup", Group: GroupSubmissions, Object: NameSubmission, Citizen: true, MayFail: true},
	{Code: "attachment.read", Group: GroupSubmissions, Object: NameAttachment, Citizen: true, MayFail: true},
	{Code: "attachment.refused", Group: GroupSubmissions, Object: NameForm},
	{Code: "webhook.queue", Group: GroupSubmissions, Object: NameSubmission},
	// A national-register call through MAGDA (LOC-2, the consumer's logging
	// duty): recorded before it leaves, with its MAGDA reference (ObjectID),
	// purpose and the person's pseudonym; its answer after, under the same
	// reference (failure for an answer that never came or was refused).
	{Code: "magda.call", Group: GroupSubmissions, Citizen: true},
	{Code: "magda.answer", Group: GroupSubmissions, Citizen: true, MayFail: true},

	// Forms.
	{Code: "form.draft.save", Group: GroupForms, Object: NameForm},
	{Code: "form.notice.approve", Group: GroupForms, Object: NameForm},
	{Code: "form.publish", Group: GroupForms, Object: NameForm},
	{Code: "form.retire", Group: GroupForms, Object: NameForm},
	{Code: "form_access.grant", Group: GroupForms, Object: NameUser},
	{Code: "form_access.revoke", Group: GroupForms, Object: NameUser},

	// Sign-in and accounts.
	{Code: "login.success", Group: GroupAccounts, Object: NameUser},
	{Code: "login.failure", Group: GroupAccounts, Object: NameUser},
	{Code: "login.locked", Group: GroupAccounts, Object: NameUser},
	{Code: "mfa.enrol.start", Group: GroupAccounts, Object: NameUser},
	{Code: "mfa.enrol", Group: GroupAccounts, Object: NameUser, MayFail: true},
	{Code: "mfa.success", Group: GroupAccounts, Object: NameUser},
	{Code: "mfa.failure", Group: GroupAccounts, Object: NameUser},
	{Code: "mfa.locked", Group: GroupAccounts, Object: NameUser},
	{Code: "mfa.recovery", Group: GroupAccounts, Object: NameUser},
	{Code: "mfa.recovery.regenerate", Group: GroupAccounts, Object: NameUser},
	{Code: "mfa.remove", Group: GroupAccounts, Object: NameUser},
	{Code: "passkey.add", Group: GroupAccounts, Object: NameSubjectUser},
	{Code: "passkey.use", Group: GroupAccounts, Object: NameSubjectUser},
	{Code: "passkey.remove", Group: GroupAccounts, Object: NameSubjectUser},
	{Code: "passkey.refused", Group: GroupAccounts, Object: NameUser},
	{Code: "stepup.success", Group: GroupAccounts, Object: NameUser},
	{Code: "stepup.failure", Group: GroupAccounts, Object: NameUser},
	{Code: "oidc.link", Group: GroupAccounts, Object: NameSubjectUser, MayFail: true},
	{Code: "oidc.unlink", Group: GroupAccounts, Object: NameSubjectUser},
	{Code: "session.list", Group: GroupAccounts, Object: NameUser},
	{Code: "session.revoke", Group: GroupAccounts, Object: NameUser},
	{Code: "session.revoke_all", Group: GroupAccounts, Object: NameUser},
	{Code: "password.change", Group: GroupAccounts, Object: NameUser},
	{Code: "password.reset.request", Group: GroupAccounts, Object: NameUser, MayFail: true},
	{Code: "password.reset", Group: GroupAccounts, Object: NameUser},
	{Code: "user.invite", Group: GroupAccounts, Object: NameUser},
	{Code: "user.invitation.open", Group: GroupAccounts, Object: NameUser},
	{Code: "user.activate", Group: GroupAccounts, Object: NameUser},
	{Code: "user.list", Group: GroupAccounts, Object: NameNumber},
	{Code: "user.read", Group: GroupAccounts, Object: NameUser},
	{Code: "user.role", Group: GroupAccounts, Object: NameUser},
	{Code: "user.site_editor.grant", Group: GroupAccounts, Object: NameUser},
	{Code: "user.site_editor.revoke", Group: GroupAccounts, Object: NameUser},
	{Code: "user.register_lookup.grant", Group: GroupAccounts, Object: NameUser},
	{Code: "user.register_lookup.revoke", Group: GroupAccounts, Object: NameUser},
	{Code: "user.disable", Group: GroupAccounts, Object: NameUser},
	{Code: "user.enable", Group: GroupAccounts, Object: NameUser},
	{Code: "user.unlock", Group: GroupAccounts, Object: NameUser},
	{Code: "user.removed", Group: GroupAccounts, Object: NameUser},
	{Code: "access.denied", Group: GroupAccounts},

	// Exports.
	{Code: "export.create", Group: GroupExports, MayFail: true},
	{Code: "export.run", Group: GroupExports, MayFail: true},
	{Code: "export.ready", Group: GroupExports},
	{Code: "export.fail", Group: GroupExports},
	{Code: "export.download", Group: GroupExports, MayFail: true},
	{Code: "export.delete", Group: GroupExports},
	{Code: "export.expire", Group: GroupExports},
	// The full export of all the organisation's data (END-3) and its
	// import into another instance.
	{Code: "tenant.export", Group: GroupExports, MayFail: true},
	{Code: "tenant.import", Group: GroupExports},
	// An import maps a citizen's pseudonym under the old instance's key
	// (ObjectID) to the one under the new (Subject), so that a search of
	// the log by that person finds their events from before (END-3).
	{Code: "tenant.reindex", Group: GroupExports, Citizen: true},
	// The full export asked for from the web page (END-3).
	{Code: "fullexport.create", Group: GroupExports},
	{Code: "fullexport.ready", Group: GroupExports},
	{Code: "fullexport.fail", Group: GroupExports},
	{Code: "fullexport.download", Group: GroupExports, MayFail: true},
	{Code: "fullexport.delete", Group: GroupExports},
	{Code: "fullexport.expire", Group: GroupExports},

	// Mail.
	{Code: "mail.queue", Group: GroupMail, Citizen: true},
	{Code: "mail.read", Group: GroupMail, Citizen: true, MayFail: true},
	{Code: "mail.sent", Group: GroupMail, Citizen: true},
	{Code: "mail.retry", Group: GroupMail, Citizen: true},
	{Code: "mail.failed", Group: GroupMail, Citizen: true},

	// Data-subject requests (DSR-1, DSR-2): the subject is the person's
	// pseudonym; the object the request (the package: the submissions, listed).
	{Code: "dsr.file", Group: GroupPrivacy, Citizen: true},
	{Code: "dsr.report", Group: GroupPrivacy, Citizen: true},
	{Code: "dsr.list", Group: GroupPrivacy},
	{Code: "dsr.read", Group: GroupPrivacy, Citizen: true},
	{Code: "dsr.approve", Group: GroupPrivacy, Citizen: true, MayFail: true},
	{Code: "dsr.refuse", Group: GroupPrivacy, Citizen: true, MayFail: true},
	{Code: "dsr.extend", Group: GroupPrivacy, Citizen: true, MayFail: true},
	{Code: "dsr.execute", Group: GroupPrivacy, Citizen: true, MayFail: true},
	{Code: "dsr.package", Group: GroupPrivacy, Citizen: true, MayFail: true},
	// An erasure lists the erased submissions' ids (they no longer exist
	// to be named by reference).
	{Code: "dsr.erase", Group: GroupPrivacy, Citizen: true},
	{Code: "dsr.remind", Group: GroupPrivacy, Citizen: true},
	{Code: "dsr.close", Group: GroupPrivacy, Citizen: true, MayFail: true},
	// A citizen's one-time code mailed, and the citizen told by mail that
	// the answer to their request is ready (DSR-1).
	{Code: "dsr.code", Group: GroupPrivacy, Citizen: true},
	{Code: "dsr.answer", Group: GroupPrivacy, Citizen: true},
	// The citizen's own view (DSR-1): signing in and out, each view (the
	// submissions shown, listed), and a report of a suspicious access and
	// the controller's judgement of it (BRE-1).
	{Code: "portal.code", Group: GroupPrivacy, Citizen: true},
	{Code: "portal.signin", Group: GroupPrivacy, Citizen: true},
	{Code: "portal.signout", Group: GroupPrivacy, Citizen: true},
	{Code: "portal.view", Group: GroupPrivacy, Object: NameSubmissions, Citizen: true},
	{Code: "portal.report", Group: GroupPrivacy, Citizen: true},
	{Code: "portal.report.list", Group: GroupPrivacy},
	{Code: "portal.report.decide", Group: GroupPrivacy, Citizen: true},
	// The stored package of an access or portability request and its
	// expiring link (DSR-1).
	{Code: "dsr.package.build", Group: GroupPrivacy, Citizen: true},
	{Code: "dsr.package.code", Group: GroupPrivacy, Citizen: true},
	{Code: "dsr.download", Group: GroupPrivacy, Citizen: true, MayFail: true},
	// A wrong one-time code on the request, view or package path, under
	// the pseudonym of the challenge's person (never the code); a burst
	// of them is shown to the controller.
	{Code: "dsr.code.wrong", Group: GroupPrivacy, Citizen: true},
	{Code: "portal.code.wrong", Group: GroupPrivacy, Citizen: true},
	{Code: "dsr.package.code.wrong", Group: GroupPrivacy, Citizen: true},
	// Every kind carried out (DSR-1): a value rectified, the person's
	// submissions read to rectify them, a step refused because the
	// person restricted processing (art. 18), the outcome mailed.
	{Code: "dsr.rectify", Group: GroupPrivacy, Citizen: true, MayFail: true},
	{Code: "dsr.case", Group: GroupPrivacy, Citizen: true, MayFail: true},
	{Code: "dsr.restricted", Group: GroupPrivacy, Citizen: true, MayFail: true},
	{Code: "dsr.outcome", Group: GroupPrivacy, Citizen: true},

	// The breach register (BRE-1…BRE-5): the object is the breach; its
	// form is sealed, the purpose names the version and its SHA-256.
	{Code: "breach.open", Group: GroupPrivacy},
	{Code: "breach.update", Group: GroupPrivacy},
	{Code: "breach.notify", Group: GroupPrivacy},
	{Code: "breach.list", Group: GroupPrivacy},
	{Code: "breach.read", Group: GroupPrivacy},
	{Code: "breach.export", Group: GroupPrivacy},
	{Code: "breach.gba", Group: GroupPrivacy},
	{Code: "breach.subjects", Group: GroupPrivacy},
	{Code: "breach.escalate", Group: GroupPrivacy},
	{Code: "breach.scope", Group: GroupPrivacy},
	{Code: "breach.attempt", Group: GroupPrivacy},
	// Containment (BRE-2): the end of a key, grant, sessions or hook on a
	// breach's page, and the read of what can be ended.
	{Code: "breach.contain", Group: GroupPrivacy},
	{Code: "breach.contain_targets", Group: GroupPrivacy},

	// Sub-processors (SUB-1…SUB-3): the object is the sub-processor (a
	// refused delivery: the webhook delivery). create is in the operators'
	// realm's log; announce and agreed in both it and the tenant's.
	{Code: "subprocessor.create", Group: GroupSupplier},
	{Code: "subprocessor.announce", Group: GroupSupplier},
	{Code: "subprocessor.agreed", Group: GroupSupplier},
	{Code: "subprocessor.list", Group: GroupSupplier},
	{Code: "subprocessor.accept", Group: GroupSupplier},
	{Code: "subprocessor.object", Group: GroupSupplier},
	{Code: "subprocessor.refused", Group: GroupSupplier, MayFail: true},
	{Code: "subprocessor.export", Group: GroupSupplier},
	{Code: "subprocessor.edit", Group: GroupSupplier},
	{Code: "subprocessor.change", Group: GroupSupplier},
	{Code: "subprocessor.retire", Group: GroupSupplier},

	// Audits by the controller (ADT-1…ADT-3): the object is the audit; its
	// scope, auditor, findings and plan are sealed.
	{Code: "audits.announce", Group: GroupPrivacy},
	{Code: "audits.acknowledge", Group: GroupPrivacy},
	{Code: "audits.list", Group: GroupPrivacy},
	{Code: "audits.read", Group: GroupPrivacy},
	{Code: "audits.finding", Group: GroupPrivacy},
	{Code: "audits.plan.submit", Group: GroupPrivacy},
	{Code: "audits.plan.approve", Group: GroupPrivacy},
	{Code: "audits.plan.return", Group: GroupPrivacy},
	{Code: "audits.plan.warn", Group: GroupPrivacy},
	{Code: "audits.action.done", Group: GroupPrivacy},
	{Code: "audits.evidence", Group: GroupPrivacy},

	// The controller's instructions (REG-3) and authorities' requests for
	// data (REG-5): the object is the instruction or request; the purpose
	// names the step. The supplier's organisational facts (ORG-1…ORG-5):
	// declared in the realm's log, read in the reader's.
	{Code: "instr.record", Group: GroupPrivacy},
	{Code: "instr.flag", Group: GroupPrivacy},
	{Code: "instr.confirm", Group: GroupPrivacy},
	{Code: "instr.amend", Group: GroupPrivacy},
	{Code: "instr.withdraw", Group: GroupPrivacy},
	{Code: "instr.list", Group: GroupPrivacy},
	{Code: "authority.record", Group: GroupPrivacy},
	{Code: "authority.assess", Group: GroupPrivacy},
	{Code: "authority.notify", Group: GroupPrivacy},
	{Code: "authority.prohibit", Group: GroupPrivacy},
	{Code: "authority.lift", Group: GroupPrivacy},
	{Code: "authority.disclose", Group: GroupPrivacy},
	{Code: "authority.list", Group: GroupPrivacy},
	{Code: "authority.remind", Group: GroupPrivacy},
	{Code: "org.declare", Group: GroupSupplier},
	{Code: "org.read", Group: GroupSupplier},
	{Code: "org.changed", Group: GroupSupplier},
	// Drift of the measures report (ADT-1): the first snapshot of every
	// clause's status, then each flip (the clause id is the object, the
	// statuses before and after the purpose).
	{Code: "compliance.baseline", Group: GroupPrivacy},
	{Code: "compliance.drift", Group: GroupPrivacy},

	// The register.
	{Code: "register.save", Group: GroupRegister, Object: NameNumber},
	// The data processing agreement and its amendments: the object is the
	// version number; the purpose carries the PDF's SHA-256.
	{Code: "agreement.generate", Group: GroupRegister, Object: NameNumber},
	{Code: "agreement.accept", Group: GroupRegister, Object: NameNumber},
	{Code: "agreement.list", Group: GroupRegister},
	{Code: "agreement.download", Group: GroupRegister, Object: NameNumber},
	// The retention engine (SEC-1): one event per chunk, category and
	// action, with the count; the category is in the purpose.
	{Code: "retention.run", Group: GroupRegister},
	{Code: "retention.delete", Group: GroupRegister, Object: NameNumber},
	{Code: "retention.anonymise", Group: GroupRegister, Object: NameNumber},
	{Code: "retention.pseudonymise", Group: GroupRegister, Object: NameNumber},
	{Code: "retention.remove", Group: GroupRegister, Object: NameNumber},
	{Code: "retention.mail", Group: GroupRegister, Object: NameNumber},
	{Code: "retention.session", Group: GroupRegister, Object: NameNumber},
	{Code: "retention.delivery", Group: GroupRegister, Object: NameNumber},
	{Code: "retention.credential", Group: GroupRegister, Object: NameNumber},
	{Code: "retention.package", Group: GroupRegister, Object: NameNumber},
	{Code: "retention.token", Group: GroupRegister, Object: NameNumber},
	{Code: "retention.evidence", Group: GroupRegister, Object: NameNumber},
	{Code: "retention.request", Group: GroupRegister, Object: NameNumber},
	{Code: "retention.person_key", Group: GroupRegister, Object: NameNumber},
	{Code: "retention.hold.list", Group: GroupRegister, Object: NameNumber},
	{Code: "retention.hold.set", Group: GroupRegister, Object: NameSubmission},
	{Code: "retention.hold.lift", Group: GroupRegister, Object: NameSubmission},
	{Code: "retention.hold.form.set", Group: GroupRegister, Object: NameForm},
	{Code: "retention.hold.form.lift", Group: GroupRegister, Object: NameForm},

	// Settings and integrations.
	{Code: "policy.update", Group: GroupSettings, Object: NameNumber},
	{Code: "branding.update", Group: GroupSettings, Object: NameNumber},
	// The tenant's site pages: ObjectID is "<version> <page id>".
	{Code: "site.page.save", Group: GroupSettings, Object: NameNumber},
	{Code: "site.page.publish", Group: GroupSettings, Object: NameNumber},
	{Code: "site.page.unpublish", Group: GroupSettings, Object: NameNumber},
	// News items and the composed home page are site pages of another
	// kind (same ObjectID).
	{Code: "site.news.save", Group: GroupSettings, Object: NameNumber},
	{Code: "site.news.publish", Group: GroupSettings, Object: NameNumber},
	{Code: "site.news.unpublish", Group: GroupSettings, Object: NameNumber},
	{Code: "site.home.save", Group: GroupSettings, Object: NameNumber},
	{Code: "site.home.publish", Group: GroupSettings, Object: NameNumber},
	{Code: "site.home.unpublish", Group: GroupSettings, Object: NameNumber},
	// The site's images: ObjectID is the image id.
	{Code: "site.image.upload", Group: GroupSettings},
	{Code: "site.image.delete", Group: GroupSettings},
	// The accessibility statement: settings and exceptions (ObjectID the
	// exception's id), and each published version (ObjectID its number).
	{Code: "accessibility.settings.update", Group: GroupSettings},
	{Code: "accessibility.exception.add", Group: GroupSettings},
	{Code: "accessibility.exception.delete", Group: GroupSettings},
	{Code: "accessibility.publish", Group: GroupSettings, Object: NameNumber},
	{Code: "tenant_host.add", Group: GroupSettings},
	{Code: "tenant_host.remove", Group: GroupSettings},
	{Code: "tenant_host.primary", Group: GroupSettings},
	{Code: "policy.citizen_names", Group: GroupSettings},
	{Code: "api_key.create", Group: GroupSettings},
	{Code: "api_key.revoke", Group: GroupSettings},
	{Code: "api_key.refused", Group: GroupSettings},
	{Code: "webhook.create", Group: GroupSettings, MayFail: true},
	{Code: "webhook.disable", Group: GroupSettings},
	{Code: "webhook.delete", Group: GroupSettings},
	{Code: "webhook.delivered", Group: GroupSettings},
	{Code: "webhook.retry", Group: GroupSettings},
	{Code: "webhook.failed", Group: GroupSettings},
	{Code: "webhook.refused", Group: GroupSettings},
	{Code: "webhook.cancel", Group: GroupSettings},
	{Code: "oidc.provider.add", Group: GroupSettings},
	{Code: "oidc.provider.remove", Group: GroupSettings},
	{Code: "magda.connection.set", Group: GroupSettings},
	{Code: "magda.connection.remove", Group: GroupSettings},
	// Per-person keys (DSR-1): the tenant setting switched, and a person's
	// key destroyed by an erasure (the subject is the person's pseudonym).
	{Code: "person_keys.enable", Group: GroupSettings},
	{Code: "person_keys.disable", Group: GroupSettings},
	{Code: "person_keys.destroy", Group: GroupPrivacy, Citizen: true},

	// Supplier access.
	{Code: "operator.grant", Group: GroupSupplier},
	{Code: "operator.grant.received", Group: GroupSupplier},
	{Code: "operator.revoke", Group: GroupSupplier},
	{Code: "operator.grants.read", Group: GroupSupplier},
	{Code: "operator.access", Group: GroupSupplier},
	// The supplier's staff list (AUD-5): read by the controller, changed
	// by the supplier (a department, in the realm's log), and each change
	// announced in every controller's log.
	// A kluis command run by an operator under the tenant's grant (AUD-3).
	{Code: "operator.command", Group: GroupSupplier},
	{Code: "operator.staff.read", Group: GroupSupplier, Object: NameNumber},
	{Code: "operator.staff_change", Group: GroupSupplier},
	{Code: "operator.department", Group: GroupSupplier},
	// Maintenance notices (AUD-4): announced by an operator, shortened or
	// objected to by the controller, the operator's pages inside the window.
	{Code: "maintenance.announce", Group: GroupSupplier},
	{Code: "maintenance.shorten", Group: GroupSupplier},
	{Code: "maintenance.object", Group: GroupSupplier},
	{Code: "maintenance.notices.read", Group: GroupSupplier},
	{Code: "maintenance.settings", Group: GroupSupplier, Object: NameNumber},
	{Code: "maintenance.access", Group: GroupSupplier},

	// The audit log.
	{Code: "audit.read", Group: GroupAuditLog, Object: NameNumber},
	{Code: "audit.export", Group: GroupAuditLog, Object: NameNumber},
	{Code: "audit.verify", Group: GroupAuditLog, MayFail: true},
	{Code: "compliance.read", Group: GroupAuditLog, Object: NameNumber},
	{Code: "audit.checkpoint", Group: GroupAuditLog, Object: NameNumber},
	{Code: "audit.prune", Group: GroupAuditLog, Object: NameNumber},
	{Code: "audit.retention", Group: GroupAuditLog, Object: NameNumber},
	{Code: "checkpoint.hook.set", Group: GroupAuditLog},
	{Code: "checkpoint.hook.delete", Group: GroupAuditLog},

	// The organisation on the platform.
	{Code: "tenant.create", Group: GroupPlatform},
	{Code: "tenant.suspend", Group: GroupPlatform},
	{Code: "tenant.reactivate", Group: GroupPlatform},
	// The end of a contract (END-3, END-4, END-5): one code per step of
	// the procedure; the object is the tenant.
	{Code: "termination.freeze", Group: GroupPlatform},
	{Code: "termination.export", Group: GroupPlatform},
	{Code: "termination.receipt", Group: GroupPlatform},
	{Code: "termination.stop", Group: GroupPlatform},
	{Code: "termination.delete", Group: GroupPlatform},
	{Code: "termination.keys", Group: GroupPlatform},
	{Code: "termination.check", Group: GroupPlatform},
	{Code: "termination.certificate", Group: GroupPlatform},
	{Code: "tenant.contact.read", Group: GroupPlatform, MayFail: true},
	{Code: "realm.create", Group: GroupPlatform},
	{Code: "keys.rotate", Group: GroupPlatform, Object: NameNumber},
	// The platform log (AUD-3): the supplier's actions on the platform,
	// in the operators' realm's own log; each tenant sees those that
	// concern it.
	{Code: "platform.migrate", Group: GroupPlatform},
	{Code: "platform.start", Group: GroupPlatform},
	{Code: "platform.checkpoint_key", Group: GroupPlatform},
	{Code: "platform.keys.rotate", Group: GroupPlatform},
	// Backups and restore tests (END-2, SEC-5): the backup's id is the
	// detail; a failure is recorded as one, for monitoring.
	{Code: "platform.backup", Group: GroupPlatform, MayFail: true},
	// A full accessibility audit by the browser suite, recorded; Purpose is its date.
	{Code: "platform.accessibility_audit", Group: GroupPlatform},
	{Code: "platform.restore_test", Group: GroupPlatform, MayFail: true},
	// An operator asked for a restore test now (SEC-5); the run itself
	// is platform.restore_test.
	{Code: "platform.restore_test_requested", Group: GroupPlatform},
}

var actionIndex = func() map[string]Action {
	m := make(map[string]Action, len(actions))
	for _, a := range actions {
		if _, dup := m[a.Code]; dup {
			panic(fmt.Sprintf("audit: action %q registered twice", a.Code))
		}
		m[a.Code] = a
	}
	return m
}()

// LookupAction returns the registered action of code.
func LookupAction(code string) (Action, bool) {
	a, ok := actionIndex[code]
	return a, ok
}

// Actions returns every registered action, by group (in ActionGroups
// order), then by code.
func Actions() []Action {
	order := map[ActionGroup]int{}
	for i, g := range ActionGroups() {
		order[g] = i
	}
	out := append([]Action(nil), actions...)
	sort.SliceStable(out, func(i, j int) bool {
		if order[out[i].Group] != order[out[j].Group] {
			return order[out[i].Group] < order[out[j].Group]
		}
		return out[i].Code < out[j].Code
	})
	return out
}

// ActionsIn returns the codes of a group's actions.
func ActionsIn(g ActionGroup) []string {
	var out []string
	for _, a := range Actions() {
		if a.Group == g {
			out = append(out, a.Code)
		}
	}
	return out
}
