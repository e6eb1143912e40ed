package web

import (
	"net/http"

	"github.com/kluis/kluis/internal/account"
)

// routes is the route table of the web side, the one place to read what
// Kluis serves. Unknown paths get the localized 404 page and a wrong method
// the localized 405 page (see serveMux).
//
// Everything below /{tenant}/ is one tenant's e-loket: withTenant resolves
// the tenant once and hands the request to the tenant route table. Keeping
// it a second table lets tenant pages use fixed names (/{tenant}/privacy)
// without clashing with platform paths such as /static/{file...}.
func (a *App) routes(mux *routeTable) {
	mux.HandleFunc("GET /{$}", a.homeShow)
	mux.HandleFunc("GET /healthz", a.healthShow)
	mux.HandleFunc("GET /readyz", a.readyShow)
	mux.HandleFunc("GET /static/{file...}", a.staticShow)
	// The platform's audit verification key, public (AUD-2).
	mux.HandleFunc("GET /.well-known/kluis-audit-key", a.auditKeyShow)
	// Only the methods tenant pages use, so that a wrong method on a
	// platform path is a 405, not a redirect into a tenant.
	tenantPages := a.withTenant(a.tenantMux)
	mux.Handle("GET /{tenant}/", tenantPages)
	mux.Handle("POST /{tenant}/", tenantPages)
	mux.HandleFunc("GET /{tenant}", a.tenantRedirect)
}

// tenantRoutes is the route table of a tenant's public pages.
func (a *App) tenantRoutes(mux *routeTable) {
	// Public pages are counted (counted, analytics_count.go): aggregates
	// only, no visitor identifier, no cookie.
	mux.HandleFunc("GET /{tenant}/{$}", a.counted(a.tenantShow))
	mux.HandleFunc("GET /{tenant}/privacy", a.counted(a.privacyShow))
	// The citizen's own data-subject request (DSR-1): a one-time code to
	// an address the tenant holds, posted, rate-limited like the login.
	mux.HandleFunc("GET /{tenant}/privacy/request", a.counted(a.citizenRequestShow))
	mux.HandleFunc("POST /{tenant}/privacy/request", a.rateLimited(newRateLimiter(a.opts.LoginRateLimit), a.citizenCodeCreate))
	mux.HandleFunc("POST /{tenant}/privacy/request/code", a.rateLimited(newRateLimiter(a.opts.LoginRateLimit), a.citizenRequestCreate))
	// The citizen's own view, "Mijn gegevens" (DSR-1): sign in with a
	// one-time code or FAS (rate-limited like the login), see one's
	// submissions, requests and who used them, report an access.
	portalLimit := newRateLimiter(a.opts.LoginRateLimit)
	mux.HandleFunc("GET /{tenant}/privacy/mine", a.counted(a.portalShow))
	mux.HandleFunc("POST /{tenant}/privacy/mine/code", a.rateLimited(portalLimit, a.portalCodeCreate))
	mux.HandleFunc("POST /{tenant}/privacy/mine/signin", a.rateLimited(portalLimit, a.portalCodeSignin))
	mux.HandleFunc("GET /{tenant}/privacy/mine/fas/{provider}", a.rateLimited(portalLimit, a.portalFASStart))
	mux.HandleFunc("POST /{tenant}/privacy/mine/signout", a.portalSignout)
	mux.HandleFunc("GET /{tenant}/privacy/mine/report/{seq}", a.portalReportShow)
	mux.HandleFunc("POST /{tenant}/privacy/mine/report/{seq}", a.portalReportCreate)
	mux.HandleFunc("GET /{tenant}/privacy/mine/request", a.portalRequestShow)
	mux.HandleFunc("POST /{tenant}/privacy/mine/request", a.portalRequestCreate)
	mux.HandleFunc("POST /{tenant}/privacy/mine/requests/{id}/package", a.portalPackageDownload)
	// The package of an executed access or portability request behind the
	// answer-ready mail's expiring link: a one-time code to the request's
	// address, then the download (DSR-1).
	mux.HandleFunc("GET /{tenant}/privacy/package/{token}", a.packageShow)
	mux.HandleFunc("POST /{tenant}/privacy/package/{token}/code", a.rateLimited(newRateLimiter(a.opts.LoginRateLimit), a.packageCode))
	mux.HandleFunc("POST /{tenant}/privacy/package/{token}/download", a.rateLimited(newRateLimiter(a.opts.LoginRateLimit), a.packageDownload))
	// The tenant's latest signed checkpoint, public (see wellknown_show.go).
	mux.HandleFunc("GET /{tenant}/.well-known/audit-checkpoint", a.auditCheckpointShow)
	// The municipality's look: its logo and style sheet, public and
	// cacheable (versioned URLs); admins change it, the DPO reads it.
	mux.HandleFunc("GET /{tenant}/logo", a.logoShow)
	mux.HandleFunc("GET /{tenant}/brand.css", a.brandCSSShow)
	// The tenant's site pages: public when published, written by editors
	// in the back office (see site_show.go).
	mux.HandleFunc("GET /{tenant}/site/{slug}", a.counted(a.siteShow))
	// News items (site_news.go): newest first, one item, an Atom feed.
	mux.HandleFunc("GET /{tenant}/site/news", a.counted(a.newsList))
	mux.HandleFunc("GET /{tenant}/site/news/{slug}", a.counted(a.newsShow))
	mux.HandleFunc("GET /{tenant}/site/news/feed.atom", a.newsFeed)
	mux.HandleFunc("GET /{tenant}/admin/site/news", a.require(account.EditSite, a.siteNewsList))
	mux.HandleFunc("GET /{tenant}/admin/site/news/new", a.require(account.EditSite, a.siteNewsNew))
	mux.HandleFunc("POST /{tenant}/admin/site/news/new", a.require(account.EditSite, a.siteSave))
	// The composed front page (one per tenant); edited, previewed and
	// published at /admin/site/{id} once saved.
	mux.HandleFunc("GET /{tenant}/admin/site/home", a.require(account.EditSite, a.siteHomeEdit))
	mux.HandleFunc("POST /{tenant}/admin/site/home", a.require(account.EditSite, a.siteSave))
	mux.HandleFunc("GET /{tenant}/site/images/{id}", a.siteImageShow)
	mux.HandleFunc("GET /{tenant}/admin/site/images", a.require(account.EditSite, a.siteImages))
	mux.HandleFunc("POST /{tenant}/admin/site/images", a.require(account.EditSite, a.siteImageUpload))
	mux.HandleFunc("POST /{tenant}/admin/site/images/{id}/delete", a.require(account.EditSite, a.siteImageDelete))
	// The accessibility statement (Bestuursdecreet 2018): public, and kept
	// by editors under Website (see a11ystmt_show.go).
	mux.HandleFunc("GET /{tenant}/toegankelijkheid", a.counted(a.a11yStatementShow))
	mux.HandleFunc("GET /{tenant}/admin/site/accessibility", a.require(account.EditSite, a.a11yAdmin))
	mux.HandleFunc("POST /{tenant}/admin/site/accessibility/contact", a.require(account.EditSite, a.a11yContactSave))
	mux.HandleFunc("POST /{tenant}/admin/site/accessibility/exceptions", a.require(account.EditSite, a.a11yExceptionAdd))
	mux.HandleFunc("POST /{tenant}/admin/site/accessibility/exceptions/{id}/delete", a.require(account.EditSite, a.a11yExceptionDelete))
	mux.HandleFunc("POST /{tenant}/admin/site/accessibility/publish", a.require(account.EditSite, a.a11yPublish))
	mux.HandleFunc("GET /{tenant}/admin/site/accessibility/versions/{version}", a.require(account.EditSite, a.a11yVersion))
	mux.HandleFunc("GET /{tenant}/admin/site", a.require(account.EditSite, a.siteList))
	mux.HandleFunc("GET /{tenant}/admin/site/new", a.require(account.EditSite, a.siteNew))
	mux.HandleFunc("POST /{tenant}/admin/site/new", a.require(account.EditSite, a.siteSave))
	mux.HandleFunc("GET /{tenant}/admin/site/{id}", a.require(account.EditSite, a.siteEdit))
	mux.HandleFunc("POST /{tenant}/admin/site/{id}", a.require(account.EditSite, a.siteSave))
	mux.HandleFunc("GET /{tenant}/admin/site/{id}/preview", a.require(account.EditSite, a.sitePreview))
	mux.HandleFunc("POST /{tenant}/admin/site/{id}/publish", a.require(account.EditSite, a.sitePublish))
	mux.HandleFunc("POST /{tenant}/admin/site/{id}/unpublish", a.require(account.EditSite, a.siteUnpublish))
	mux.HandleFunc("GET /{tenant}/admin/branding", a.require(account.ViewSettings, a.brandingShow))
	mux.HandleFunc("POST /{tenant}/admin/branding", a.require(account.EditSettings, a.brandingUpdate))
	// The e-loket's published forms (issue 4): anyone may fill them in; a
	// post is rate-limited per client address on top of the honeypot.
	mux.HandleFunc("GET /{tenant}/{form}", a.counted(a.formShow))
	mux.HandleFunc("GET /{tenant}/prefill/{form}/{provider}", a.rateLimited(newRateLimiter(a.opts.LoginRateLimit), a.prefillStart))
	mux.HandleFunc("POST /{tenant}/{form}", a.rateLimited(newRateLimiter(a.opts.FormRateLimit), a.formCreate))
	mux.HandleFunc("GET /{tenant}/receipt/{form}", a.counted(a.receiptShow))
	// "Look up my request": by reference and the e-mail address given,
	// posted (never in a URL), rate-limited like the login.
	mux.HandleFunc("GET /{tenant}/lookup", a.counted(a.lookupShow))
	mux.HandleFunc("POST /{tenant}/lookup", a.rateLimited(newRateLimiter(a.opts.LoginRateLimit), a.lookupCreate))
	mux.HandleFunc("GET /{tenant}/activate/{token}", a.activationShow)
	mux.HandleFunc("POST /{tenant}/activate/{token}", a.activationCreate)
	mux.HandleFunc("GET /{tenant}/activated", a.activatedShow)
	mux.HandleFunc("GET /{tenant}/login", a.loginShow)
	mux.HandleFunc("POST /{tenant}/login", a.rateLimited(newRateLimiter(a.opts.LoginRateLimit), a.loginCreate))
	mux.HandleFunc("GET /{tenant}/login/mfa", a.mfaStepShow)
	mux.HandleFunc("POST /{tenant}/login/mfa", a.rateLimited(newRateLimiter(a.opts.LoginRateLimit), a.mfaStepCreate))
	// OpenID Connect (USR-2): sign in, link at activation, link and
	// unlink from the account.
	mux.HandleFunc("GET /{tenant}/login/oidc/{provider}", a.rateLimited(newRateLimiter(a.opts.LoginRateLimit), a.oidcLoginStart))
	mux.HandleFunc("GET /{tenant}/login/oidc/callback", a.rateLimited(newRateLimiter(a.opts.LoginRateLimit), a.oidcCallback))
	mux.HandleFunc("GET /{tenant}/activate/{token}/oidc/{provider}", a.oidcActivateStart)
	mux.HandleFunc("GET /{tenant}/account/oidc", a.anySignedIn(a.oidcAccountShow))
	// Linking or unlinking a sign-in method changes how the account
	// authenticates: behind a fresh proof of credentials (ASVS 7.5.1).
	mux.HandleFunc("GET /{tenant}/account/oidc/link/{provider}", a.anySignedIn(a.stepUp(nil, a.oidcLinkStart)))
	mux.HandleFunc("POST /{tenant}/account/oidc/unlink/{id}", a.anySignedIn(a.stepUp(oidcAccountPath, a.oidcUnlink)))
	// Passkeys (USR-2): JSON ceremonies for static/passkey.js; see passkey_show.go.
	passkeyLimit := newRateLimiter(a.opts.LoginRateLimit)
	mux.HandleFunc("POST /{tenant}/login/passkey/options", a.rateLimited(passkeyLimit, a.passkeyLoginOptions))
	mux.HandleFunc("POST /{tenant}/login/passkey", a.rateLimited(passkeyLimit, a.passkeyLoginCreate))
	mux.HandleFunc("POST /{tenant}/login/mfa/passkey/options", a.passkeyStepOptions)
	mux.HandleFunc("POST /{tenant}/login/mfa/passkey", a.rateLimited(newRateLimiter(a.opts.LoginRateLimit), a.passkeyStepCreate))
	mux.HandleFunc("POST /{tenant}/account/passkeys/options", a.passkeyRegisterOptions)
	mux.HandleFunc("POST /{tenant}/account/passkeys", a.passkeyRegisterCreate)
	mux.HandleFunc("POST /{tenant}/account/passkeys/{id}/delete", a.passkeyDelete)
	mux.HandleFunc("GET /{tenant}/password/forgot", a.forgotShow)
	mux.HandleFunc("POST /{tenant}/password/forgot", a.rateLimited(newRateLimiter(a.opts.LoginRateLimit), a.forgotCreate))
	mux.HandleFunc("GET /{tenant}/password/reset/{token}", a.resetShow)
	mux.HandleFunc("POST /{tenant}/password/reset/{token}", a.resetCreate)
	mux.HandleFunc("POST /{tenant}/logout", a.logoutCreate)
	mux.HandleFunc("GET /{tenant}/account/mfa", a.mfaEnrolShow)
	mux.HandleFunc("POST /{tenant}/account/mfa", a.mfaEnrolCreate)
	mux.HandleFunc("GET /{tenant}/signed-in", a.signedInShow)
	// Changing one's own password: behind a fresh proof of the current one.
	mux.HandleFunc("GET /{tenant}/account/password", a.require(account.ManageOwnAccount, a.stepUp(nil, a.passwordChangeShow)))
	mux.HandleFunc("POST /{tenant}/account/password", a.require(account.ManageOwnAccount,
		a.stepUp(passwordChangePath, a.passwordChangeCreate)))
	mux.HandleFunc("GET /{tenant}/account/confirm", a.require(account.ManageOwnAccount, a.stepUpShow))
	mux.HandleFunc("POST /{tenant}/account/confirm", a.rateLimited(newRateLimiter(a.opts.LoginRateLimit),
		a.require(account.ManageOwnAccount, a.stepUpCreate)))
	mux.HandleFunc("GET /{tenant}/account/sessions", a.require(account.ManageOwnAccount, a.sessionsShow))
	mux.HandleFunc("POST /{tenant}/account/sessions/revoke-others", a.require(account.ManageOwnAccount, a.sessionsRevokeOthers))
	mux.HandleFunc("POST /{tenant}/account/sessions/{id}/revoke", a.require(account.ManageOwnAccount, a.sessionRevoke))
	mux.HandleFunc("GET /{tenant}/admin/users", a.require(account.ViewUsers, a.usersShow))
	mux.HandleFunc("POST /{tenant}/admin/users", a.require(account.ManageUsers, a.userCreate))
	mux.HandleFunc("GET /{tenant}/admin/users/{id}", a.require(account.ManageUsers, a.userShow))
	mux.HandleFunc("POST /{tenant}/admin/users/{id}/{action}", a.require(account.ManageUsers, a.userAction))
	// Supplier access: the controller's admins grant operators time-boxed
	// access and see and end it; the DPO sees it.
	mux.HandleFunc("GET /{tenant}/admin/operators", a.require(account.ViewAudit, a.operatorsShow))
	mux.HandleFunc("GET /{tenant}/admin/operators/staff", a.require(account.ViewAudit, a.operatorStaffShow))
	mux.HandleFunc("GET /{tenant}/admin/audit/platform", a.require(account.ViewAudit, a.platformLogShow))
	mux.HandleFunc("POST /{tenant}/admin/operators", a.require(account.ManageUsers, a.operatorGrantCreate))
	mux.HandleFunc("POST /{tenant}/admin/operators/{id}/revoke", a.require(account.ManageUsers, a.operatorGrantRevoke))
	// Maintenance notices (AUD-4): admins object, change the window or
	// open it now, and set the minimum notice; the DPO sees them above.
	mux.HandleFunc("POST /{tenant}/admin/operators/notice-days", a.require(account.ManageUsers, a.noticeDaysUpdate))
	mux.HandleFunc("POST /{tenant}/admin/operators/notices/{id}/object", a.require(account.ManageUsers, a.noticeObject))
	mux.HandleFunc("POST /{tenant}/admin/operators/notices/{id}/shorten", a.require(account.ManageUsers, a.noticeShorten))
	// The operator's own notices and the form to announce one: on the
	// operators' realm only (/operator/maintenance).
	mux.HandleFunc("GET /{tenant}/maintenance", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorNoticesShow))))
	mux.HandleFunc("POST /{tenant}/maintenance", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorNoticeCreate))))
	// The breach register (BRE-1…BRE-5): the controller's admins and DPO
	// see it and complete, record and export it; supplier staff open and
	// update breaches from the operators' realm (breach_operator.go).
	mux.HandleFunc("GET /{tenant}/admin/breaches", a.require(account.ViewRequests, a.breachesList))
	mux.HandleFunc("GET /{tenant}/admin/breaches.csv", a.require(account.ViewRequests, a.breachesRegister("csv")))
	mux.HandleFunc("GET /{tenant}/admin/breaches.xlsx", a.require(account.ViewRequests, a.breachesRegister("xlsx")))
	mux.HandleFunc("GET /{tenant}/admin/breaches/new", a.require(account.HandleRequests, a.breachNew))
	mux.HandleFunc("POST /{tenant}/admin/breaches/new", a.require(account.HandleRequests, a.breachCreate))
	mux.HandleFunc("GET /{tenant}/admin/breaches/{id}", a.require(account.ViewRequests, a.breachShow))
	mux.HandleFunc("GET /{tenant}/admin/breaches/{id}/pdf", a.require(account.ViewRequests, a.breachPDFDownload))
	mux.HandleFunc("GET /{tenant}/admin/breaches/{id}/edit", a.require(account.HandleRequests, a.breachEdit))
	mux.HandleFunc("POST /{tenant}/admin/breaches/{id}/edit", a.require(account.HandleRequests, a.breachUpdate))
	mux.HandleFunc("POST /{tenant}/admin/breaches/{id}/notice", a.require(account.HandleRequests, a.breachNotice))
	mux.HandleFunc("GET /{tenant}/admin/breaches/{id}/scope", a.require(account.HandleRequests, a.breachScopeForm))
	mux.HandleFunc("POST /{tenant}/admin/breaches/{id}/scope", a.require(account.HandleRequests, a.breachScope))
	// Containment (BRE-2): admins end a key, grant, sessions or hook from
	// the breach, confirmed, behind the step-up as those ends are elsewhere.
	// Assistance with the controller's DPIA and art. 32 assessment (BRE-4).
	mux.HandleFunc("GET /{tenant}/admin/dpia", a.require(account.ViewRequests, a.dpiaShow))
	mux.HandleFunc("GET /{tenant}/admin/dpia.txt", a.require(account.ViewRequests, a.dpiaText))
	// A DPIA draft per processing of the register, to complete (BRE-4).
	mux.HandleFunc("GET /{tenant}/admin/dpia/{purpose}", a.require(account.ViewRequests, a.dpiaDraftShow))
	mux.HandleFunc("GET /{tenant}/admin/dpia/{purpose}/pdf", a.require(account.ViewRequests, a.dpiaDraftPDF))
	mux.HandleFunc("GET /{tenant}/admin/compliance", a.require(account.ViewAudit, a.complianceShow))
	mux.HandleFunc("GET /{tenant}/admin/compliance.json", a.require(account.ViewAudit, a.complianceJSON))
	mux.HandleFunc("POST /{tenant}/admin/breaches/{id}/contain", a.require(account.ManageUsers, a.stepUp(breachPagePath, a.breachContain)))
	mux.HandleFunc("GET /{tenant}/breaches", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorBreachesShow))))
	mux.HandleFunc("GET /{tenant}/breaches/new", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorBreachNew))))
	mux.HandleFunc("POST /{tenant}/breaches/new", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorBreachCreate))))
	mux.HandleFunc("GET /{tenant}/breaches/{slug}/{id}", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorBreachEdit))))
	mux.HandleFunc("POST /{tenant}/breaches/{slug}/{id}", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorBreachUpdate))))
	mux.HandleFunc("POST /{tenant}/breaches/{slug}/{id}/contain", a.realmOnly(a.require(account.ManageOwnAccount,
		realmPage(a.stepUp(operatorBreachPath, a.operatorBreachContain)))))
	// Sub-processors (SUB-1…SUB-3): the controller's overview, its
	// admins' decisions and the downloads (subproc_show.go); the platform's
	// list and its announcements on the operators' realm (subproc_operator.go).
	mux.HandleFunc("GET /{tenant}/admin/subprocessors", a.require(account.ViewSettings, a.subprocShow))
	mux.HandleFunc("GET /{tenant}/admin/subprocessors.csv", a.require(account.ViewSettings, a.subprocDownload("csv")))
	mux.HandleFunc("GET /{tenant}/admin/subprocessors.xlsx", a.require(account.ViewSettings, a.subprocDownload("xlsx")))
	mux.HandleFunc("POST /{tenant}/admin/subprocessors/{id}/decide", a.require(account.ManageUsers, a.subprocDecide))
	mux.HandleFunc("GET /{tenant}/subprocessors", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorSubprocsShow))))
	mux.HandleFunc("POST /{tenant}/subprocessors", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorSubprocCreate))))
	mux.HandleFunc("GET /{tenant}/subprocessors.csv", a.realmOnly(a.require(account.ManageOwnAccount, a.operatorSubprocsDownload("csv"))))
	mux.HandleFunc("GET /{tenant}/subprocessors.xlsx", a.realmOnly(a.require(account.ManageOwnAccount, a.operatorSubprocsDownload("xlsx"))))
	mux.HandleFunc("GET /{tenant}/subprocessors/{id}", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorSubproc))))
	mux.HandleFunc("POST /{tenant}/subprocessors/{id}", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorSubprocAnnounce))))
	// Changing and ending an entry (subproc_change.go).
	mux.HandleFunc("GET /{tenant}/subprocessors/{id}/edit", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorSubprocEditShow))))
	mux.HandleFunc("POST /{tenant}/subprocessors/{id}/edit", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorSubprocEdit))))
	mux.HandleFunc("POST /{tenant}/subprocessors/{id}/retire", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorSubprocRetire))))
	// Audits by the controller (ADT-1…ADT-3): its admins and DPO announce
	// them, enter findings, decide on the plan and download the evidence
	// pack (audits_show.go, audits_evidence.go); the supplier acknowledges,
	// submits the plan and tracks its actions from the operators' realm
	// (audits_operator.go).
	mux.HandleFunc("GET /{tenant}/admin/audits", a.require(account.ViewRequests, a.auditsList))
	mux.HandleFunc("GET /{tenant}/admin/audits/evidence.zip", a.require(account.ViewRequests, a.evidencePack))
	mux.HandleFunc("GET /{tenant}/admin/audits/new", a.require(account.HandleRequests, a.auditNew))
	mux.HandleFunc("POST /{tenant}/admin/audits/new", a.require(account.HandleRequests, a.auditCreate))
	mux.HandleFunc("GET /{tenant}/admin/audits/{id}", a.require(account.ViewRequests, a.ctlAuditShow))
	mux.HandleFunc("POST /{tenant}/admin/audits/{id}/findings", a.require(account.HandleRequests, a.auditFindingCreate))
	mux.HandleFunc("POST /{tenant}/admin/audits/{id}/plan", a.require(account.HandleRequests, a.auditPlanDecide))
	// The supplier accepts the processing agreement (agreement_operator.go).
	mux.HandleFunc("GET /{tenant}/agreements", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorAgreementsShow))))
	mux.HandleFunc("GET /{tenant}/agreements/{slug}/{n}/pdf", a.realmOnly(a.require(account.ManageOwnAccount, a.operatorAgreementPDF)))
	mux.HandleFunc("POST /{tenant}/agreements/{slug}/{n}/accept", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorAgreementAccept))))
	mux.HandleFunc("GET /{tenant}/audits", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorAuditsShow))))
	mux.HandleFunc("GET /{tenant}/audits/{slug}/{id}", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorAuditShow))))
	mux.HandleFunc("POST /{tenant}/audits/{slug}/{id}/acknowledge", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorAuditAcknowledge))))
	mux.HandleFunc("POST /{tenant}/audits/{slug}/{id}/plan", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorAuditPlan))))
	mux.HandleFunc("POST /{tenant}/audits/{slug}/{id}/actions/{action}/done", a.realmOnly(a.require(account.ManageOwnAccount,
		realmPage(a.operatorAuditActionDone))))
	// The supplier's organisational declarations (ORG-1…ORG-5): declared
	// in the operators' realm, read by every controller.
	mux.HandleFunc("GET /{tenant}/admin/organisation", a.require(account.ViewAudit, a.orgShow))
	// The changes of the measures report (ADT-1): every flip the hourly
	// compliance.drift job recorded, newest first (compliance_changes.go).
	mux.HandleFunc("GET /{tenant}/admin/compliance/changes", a.require(account.ViewAudit, a.complianceChanges))
	// The end of a contract (END-3, END-4, END-5): the supplier runs the
	// procedure step by step from the operators' realm; the controller's
	// admins and DPO follow it, and an admin confirms receipt of the final
	// export (termination_show.go).
	mux.HandleFunc("GET /{tenant}/terminations", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorTerminationsShow))))
	mux.HandleFunc("GET /{tenant}/terminations/{slug}", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorTerminationShow))))
	mux.HandleFunc("POST /{tenant}/terminations/{slug}", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorTerminationStep))))
	mux.HandleFunc("GET /{tenant}/terminations/{slug}/certificate/{format}", a.realmOnly(a.require(account.ManageOwnAccount,
		realmPage(a.operatorCertificateDownload))))
	mux.HandleFunc("GET /{tenant}/admin/termination", a.require(account.ViewAudit, a.terminationShow))
	mux.HandleFunc("POST /{tenant}/admin/termination/receipt", a.require(account.ManageUsers, a.terminationReceipt))
	mux.HandleFunc("GET /{tenant}/organisation", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorOrgShow))))
	mux.HandleFunc("POST /{tenant}/organisation", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorOrgDeclare))))
	// Backups and restore tests (SEC-4, SEC-5, SEC-6): the operators see
	// locations, runs and each target's contents; admins and the DPO see
	// the facts (backups_show.go).
	// Clause coverage (SEC-5): every clause with its tests and their
	// outcome in this build's CI run, for the supplier's operators only
	// (clauses_operator.go).
	mux.HandleFunc("GET /{tenant}/clauses", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorClausesShow))))
	mux.HandleFunc("GET /{tenant}/admin/backups", a.require(account.ViewAudit, a.backupsShow))
	mux.HandleFunc("GET /{tenant}/backups", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorBackupsShow))))
	mux.HandleFunc("POST /{tenant}/backups/restore-test", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorRestoreTestRun))))
	// The controller's instructions (REG-3) and authorities' requests for
	// data (REG-5): the controller records and answers instructions and
	// reads the requests; supplier staff flag instructions and record and
	// handle requests from the operators' realm (instr_show.go).
	mux.HandleFunc("GET /{tenant}/admin/instructions", a.require(account.ViewRequests, a.instructionsShow))
	mux.HandleFunc("POST /{tenant}/admin/instructions", a.require(account.HandleRequests, a.instructionRecord))
	mux.HandleFunc("POST /{tenant}/admin/instructions/{id}/answer", a.require(account.HandleRequests, a.instructionAnswer))
	mux.HandleFunc("GET /{tenant}/admin/authority-requests", a.require(account.ViewRequests, a.authorityShow))
	mux.HandleFunc("GET /{tenant}/instructions", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorInstructionsShow))))
	mux.HandleFunc("POST /{tenant}/instructions/{slug}/{id}/flag", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorInstructionFlag))))
	mux.HandleFunc("GET /{tenant}/authority", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorAuthorityShow))))
	mux.HandleFunc("POST /{tenant}/authority", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorAuthorityRecord))))
	mux.HandleFunc("POST /{tenant}/authority/{slug}/{id}/step", a.realmOnly(a.require(account.ManageOwnAccount, realmPage(a.operatorAuthorityStep))))
	// Sensitive actions: only within StepUpMaxAge of the last proof of
	// credentials (step-up), else via the confirmation page.
	mux.HandleFunc("POST /{tenant}/admin/users/{id}/role", a.require(account.ManageUsers,
		a.stepUp(userPagePath, a.userActionOf("role"))))
	mux.HandleFunc("POST /{tenant}/admin/users/{id}/site-editor", a.require(account.ManageUsers,
		a.stepUp(userPagePath, a.userActionOf("site-editor"))))
	mux.HandleFunc("POST /{tenant}/admin/users/{id}/register-lookup", a.require(account.ManageUsers,
		a.stepUp(userPagePath, a.userActionOf("register-lookup"))))
	mux.HandleFunc("POST /{tenant}/admin/users/{id}/reset-mfa", a.require(account.ManageUsers,
		a.stepUp(userPagePath, a.userActionOf("reset-mfa"))))
	mux.HandleFunc("POST /{tenant}/admin/users/{id}/remove", a.require(account.ManageUsers,
		a.stepUp(userPagePath, a.userActionOf("remove"))))
	// The staff inbox (issue 5): submissions of the forms an admin granted
	// (ORG-6); every list, search, view and download is an audited read.
	mux.HandleFunc("GET /{tenant}/inbox", a.require(account.HandleSubmissions, a.inboxShow))
	mux.HandleFunc("POST /{tenant}/inbox/search", a.require(account.HandleSubmissions, a.inboxSearch))
	mux.HandleFunc("GET /{tenant}/inbox/submissions/{id}", a.require(account.HandleSubmissions, a.submissionShow))
	mux.HandleFunc("POST /{tenant}/inbox/submissions/{id}/{action}", a.require(account.HandleSubmissions, a.submissionChange))
	// A reply to the citizen by mail, kept in the submission's history.
	mux.HandleFunc("POST /{tenant}/inbox/submissions/{id}/reply", a.require(account.HandleSubmissions, a.submissionReply))
	mux.HandleFunc("GET /{tenant}/inbox/submissions/{id}/files/{file}", a.require(account.HandleSubmissions, a.attachmentDownload))
	mux.HandleFunc("GET /{tenant}/inbox/submissions/{id}/pdf", a.require(account.HandleSubmissions, a.submissionPDF))
	// Checking the citizen's address in the national register (LOC-2,
	// REG-4): users an admin authorised, with the form's purpose and a
	// stated reason posted, never in the URL; the answer is shown, kept
	// only when saved as a note (register_lookup.go).
	mux.HandleFunc("GET /{tenant}/inbox/submissions/{id}/register", a.require(account.LookupRegister, a.registerLookupShow))
	mux.HandleFunc("POST /{tenant}/inbox/submissions/{id}/register", a.require(account.LookupRegister, a.registerLookupCreate))
	mux.HandleFunc("POST /{tenant}/inbox/submissions/{id}/register/save", a.require(account.LookupRegister, a.registerLookupSave))
	// Data-subject requests (DSR-1, DSR-2): staff file a citizen's
	// request; the controller (admin, DPO) sees them, decides, and only
	// then executes; see requests_show.go.
	mux.HandleFunc("GET /{tenant}/admin/requests", a.require(account.ViewRequests, a.requestsList))
	mux.HandleFunc("GET /{tenant}/admin/requests/new", a.require(account.FileRequests, a.requestNew))
	mux.HandleFunc("POST /{tenant}/admin/requests/new", a.require(account.FileRequests, a.requestFile))
	mux.HandleFunc("GET /{tenant}/admin/requests/{id}", a.require(account.ViewRequests, a.requestShow))
	mux.HandleFunc("POST /{tenant}/admin/requests/{id}/decide", a.require(account.HandleRequests, a.requestDecide))
	mux.HandleFunc("POST /{tenant}/admin/requests/{id}/extend", a.require(account.HandleRequests, a.requestExtend))
	mux.HandleFunc("POST /{tenant}/admin/requests/{id}/execute", a.require(account.HandleRequests,
		a.requestAction(a.executeSubjectRequest, "executed", "execute")))
	mux.HandleFunc("POST /{tenant}/admin/requests/{id}/close", a.require(account.HandleRequests,
		a.requestAction(a.opts.Store.CloseSubjectRequest, "closed", "close")))
	mux.HandleFunc("GET /{tenant}/admin/requests/{id}/package", a.require(account.HandleRequests, a.requestPackage))
	// Citizens' reports of suspicious access (DSR-1, BRE-1): the
	// controller judges each; admins choose whether citizens see names.
	mux.HandleFunc("GET /{tenant}/admin/access-reports", a.require(account.HandleRequests, a.accessReportsShow))
	mux.HandleFunc("POST /{tenant}/admin/access-reports/{id}/decide", a.require(account.HandleRequests, a.accessReportDecide))
	mux.HandleFunc("POST /{tenant}/admin/access-reports/names", a.require(account.EditSettings, a.citizenNamesUpdate))
	// A rectification's corrections, one value at a time (DSR-1).
	mux.HandleFunc("POST /{tenant}/admin/requests/{id}/rectify", a.require(account.HandleRequests, a.requestRectify))
	// The controller's audit log (AUD-1): admins and the DPO.
	mux.HandleFunc("GET /{tenant}/admin/audit", a.require(account.ViewAudit, a.auditShow))
	mux.HandleFunc("POST /{tenant}/admin/audit/search", a.require(account.ViewAudit, a.auditSearch))
	// The log's retention (AUD-2): whoever reads the log sees it; those
	// who keep the register (admin, DPO) change it.
	// National register calls per month and purpose, for the security
	// adviser (the consumer's logging duty, AUD-1): from the log itself,
	// with a month's calls as CSV (register_calls.go).
	mux.HandleFunc("GET /{tenant}/admin/audit/register", a.require(account.ViewAudit, a.registerCallsShow))
	mux.HandleFunc("GET /{tenant}/admin/audit/register/{month}", a.require(account.ViewAudit, a.registerCallsDownload))
	mux.HandleFunc("GET /{tenant}/admin/audit/retention", a.require(account.ViewAudit, a.auditRetentionShow))
	mux.HandleFunc("POST /{tenant}/admin/audit/retention", a.require(account.EditRegister, a.auditRetentionUpdate))
	// Checkpoints of the log the controller keeps outside the platform
	// (AUD-2, ADT-1): the key, the latest checkpoints as files, and
	// signing one now; see checkpoints_show.go.
	mux.HandleFunc("GET /{tenant}/admin/audit/checkpoints", a.require(account.ViewAudit, a.checkpointsShow))
	mux.HandleFunc("POST /{tenant}/admin/audit/checkpoints", a.require(account.ViewAudit, a.checkpointSign))
	mux.HandleFunc("GET /{tenant}/admin/audit/checkpoints/{size}", a.require(account.ViewAudit, a.checkpointDownload))
	mux.HandleFunc("GET /{tenant}/admin/audit/checkpoints/key", a.require(account.ViewAudit, a.checkpointKeyDownload))
	mux.HandleFunc("GET /{tenant}/admin/audit/checkpoints/export", a.require(account.ViewAudit, a.auditLogExport))
	mux.HandleFunc("POST /{tenant}/admin/audit/checkpoints/webhook", a.require(account.EditSettings, a.checkpointHookSet))
	mux.HandleFunc("POST /{tenant}/admin/audit/checkpoints/webhook/delete", a.require(account.EditSettings, a.checkpointHookDelete))
	mux.HandleFunc("GET /{tenant}/admin/stats", a.require(account.ViewForms, a.statsShow))
	// Visitor statistics: consent-free aggregates, no personal data, for
	// admins, the DPO and site editors (visits_show.go).
	mux.HandleFunc("GET /{tenant}/admin/visits", a.require(account.ViewAnalytics, a.visitsShow))
	mux.HandleFunc("GET /{tenant}/admin/visits.csv", a.require(account.ViewAnalytics, a.visitsDownload))
	mux.HandleFunc("POST /{tenant}/admin/users/{id}/forms", a.require(account.ManageUsers, a.userFormsUpdate))
	mux.HandleFunc("GET /{tenant}/admin/policy", a.require(account.ViewSettings, a.policyShow))
	mux.HandleFunc("POST /{tenant}/admin/policy", a.require(account.EditSettings, a.policyUpdate))
	mux.HandleFunc("GET /{tenant}/admin/keys", a.require(account.ViewSettings, a.keysShow))
	mux.HandleFunc("POST /{tenant}/admin/keys", a.require(account.EditSettings, a.keysUpdate))
	// Webhooks to the controller's case system (issue 5): only to an EEA
	// recipient or sub-processor of the register (REG-2, LOC-1). Whoever
	// reads the settings sees them; admins add, disable and delete them.
	mux.HandleFunc("GET /{tenant}/admin/webhooks", a.require(account.ViewSettings, a.webhooksShow))
	mux.HandleFunc("POST /{tenant}/admin/webhooks", a.require(account.EditSettings, a.webhookCreate))
	mux.HandleFunc("POST /{tenant}/admin/webhooks/{id}/disable", a.require(account.EditSettings, a.webhookDisable))
	mux.HandleFunc("POST /{tenant}/admin/webhooks/{id}/delete", a.require(account.EditSettings, a.webhookDelete))
	// The national register connection (LOC-2, magda_show.go): whoever
	// reads the settings sees it; admins set and remove it behind the
	// step-up (its private key is the organisation's identity at MAGDA).
	mux.HandleFunc("GET /{tenant}/admin/magda", a.require(account.ViewSettings, a.magdaShow))
	mux.HandleFunc("POST /{tenant}/admin/magda", a.require(account.EditSettings, a.stepUp(magdaPath, a.magdaUpdate)))
	mux.HandleFunc("POST /{tenant}/admin/magda/remove", a.require(account.EditSettings, a.stepUp(magdaPath, a.magdaRemove)))
	// API keys for /api/v1 (issue 5): whoever reads the settings sees
	// them; admins create and revoke them, behind the step-up.
	// The tenant's own host names (see tenant_host.go).
	mux.HandleFunc("GET /{tenant}/admin/hosts", a.require(account.ViewSettings, a.hostsShow))
	mux.HandleFunc("POST /{tenant}/admin/hosts", a.require(account.EditSettings, a.hostCreate))
	mux.HandleFunc("POST /{tenant}/admin/hosts/remove", a.require(account.EditSettings, a.hostRemove))
	mux.HandleFunc("POST /{tenant}/admin/hosts/primary", a.require(account.EditSettings, a.hostPrimary))
	mux.HandleFunc("GET /{tenant}/admin/api-keys", a.require(account.ViewSettings, a.apiKeysShow))
	mux.HandleFunc("POST /{tenant}/admin/api-keys", a.require(account.EditSettings, a.stepUp(apiKeysPath, a.apiKeyCreate)))
	mux.HandleFunc("POST /{tenant}/admin/api-keys/{id}/revoke", a.require(account.EditSettings, a.stepUp(apiKeysPath, a.apiKeyRevoke)))
	// The processing register (REG-1): everyone who works with it reads
	// it, as annex 1 too (HTML and PDF); admins and the DPO upload new versions, saved
	// from the comparison with the current one.
	mux.HandleFunc("GET /{tenant}/admin/register", a.require(account.ViewRegister, a.registerShow))
	mux.HandleFunc("POST /{tenant}/admin/register", a.require(account.EditRegister, a.registerUpload))
	mux.HandleFunc("GET /{tenant}/admin/register.yaml", a.require(account.ViewRegister, a.registerDownload))
	mux.HandleFunc("GET /{tenant}/admin/register/annex", a.require(account.ViewRegister, a.annexShow))
	// The data processing agreement and its amendments, accepted by both
	// parties in the application (agreement_show.go, agreement_operator.go).
	mux.HandleFunc("GET /{tenant}/admin/agreement", a.require(account.EditRegister, a.agreementShow))
	mux.HandleFunc("POST /{tenant}/admin/agreement", a.require(account.EditRegister, a.agreementGenerate))
	mux.HandleFunc("GET /{tenant}/admin/agreement/history.csv", a.require(account.EditRegister, a.agreementHistory))
	mux.HandleFunc("GET /{tenant}/admin/agreement/{n}", a.require(account.EditRegister, a.agreementVersionShow))
	mux.HandleFunc("GET /{tenant}/admin/agreement/{n}/pdf", a.require(account.EditRegister, a.agreementPDF))
	mux.HandleFunc("POST /{tenant}/admin/agreement/{n}/accept", a.require(account.EditRegister, a.agreementAccept))
	mux.HandleFunc("GET /{tenant}/admin/register/annex.pdf", a.require(account.ViewRegister, a.annexPDF))
	// The measures annexes beside it (ADT-1): VO-B's checklist and VO-A's
	// annex 2, answered from the compliance report, so read by whom the
	// report is (ViewAudit: admins and the DPO): it names admins without
	// a second factor (ORG-6).
	mux.HandleFunc("GET /{tenant}/admin/register/measures", a.require(account.ViewAudit, a.measuresShow("measures")))
	mux.HandleFunc("GET /{tenant}/admin/register/measures.pdf", a.require(account.ViewAudit, a.measuresPDF("measures")))
	mux.HandleFunc("GET /{tenant}/admin/register/annex2", a.require(account.ViewAudit, a.measuresShow("annex2")))
	mux.HandleFunc("GET /{tenant}/admin/register/annex2.pdf", a.require(account.ViewAudit, a.measuresPDF("annex2")))
	// Editing in the browser, one item at a time, always through the
	// comparison with the current version (register_edit.go); any two
	// saved versions can be compared.
	mux.HandleFunc("GET /{tenant}/admin/register/retention", a.require(account.EditRegister, a.retentionShow))
	mux.HandleFunc("POST /{tenant}/admin/register/retention/holds", a.require(account.EditRegister, a.retentionHoldSet))
	mux.HandleFunc("POST /{tenant}/admin/register/retention/holds/{id}/lift", a.require(account.EditRegister, a.retentionHoldLift))
	mux.HandleFunc("GET /{tenant}/admin/register/compare", a.require(account.ViewRegister, a.registerCompare))
	mux.HandleFunc("GET /{tenant}/admin/register/edit/{section}", a.require(account.EditRegister, a.registerEditShow))
	mux.HandleFunc("POST /{tenant}/admin/register/edit/{section}", a.require(account.EditRegister, a.registerEditPost))
	mux.HandleFunc("POST /{tenant}/admin/register/save", a.require(account.EditRegister, a.registerUploadSave))
	// The form builder (REG-1, REG-4) and the notice approval (DSR-3):
	// admins build and publish; the DPO reads them (ViewForms).
	// {key}.json exports a definition. Publishing and withdrawing are
	// sensitive (step-up).
	mux.HandleFunc("GET /{tenant}/admin/forms", a.require(account.ViewForms, a.formsShow))
	mux.HandleFunc("POST /{tenant}/admin/forms", a.require(account.EditForms, a.adminFormCreate))
	mux.HandleFunc("POST /{tenant}/admin/forms/import", a.require(account.EditForms, a.formImport))
	mux.HandleFunc("GET /{tenant}/admin/forms/{key}", a.require(account.ViewForms, a.adminFormShow))
	mux.HandleFunc("GET /{tenant}/admin/forms/{key}/settings", a.require(account.EditForms, a.formSettingsShow))
	mux.HandleFunc("POST /{tenant}/admin/forms/{key}/settings", a.require(account.EditForms, a.formSettingsUpdate))
	mux.HandleFunc("POST /{tenant}/admin/forms/{key}/pages", a.require(account.EditForms, a.formPageCreate))
	mux.HandleFunc("POST /{tenant}/admin/forms/{key}/pages/{page}", a.require(account.EditForms, a.formPageUpdate))
	mux.HandleFunc("POST /{tenant}/admin/forms/{key}/pages/{page}/move", a.require(account.EditForms, a.formPageMove))
	mux.HandleFunc("POST /{tenant}/admin/forms/{key}/pages/{page}/delete", a.require(account.EditForms, a.formPageDelete))
	mux.HandleFunc("POST /{tenant}/admin/forms/{key}/pages/{page}/fields", a.require(account.EditForms, a.formFieldCreate))
	mux.HandleFunc("GET /{tenant}/admin/forms/{key}/fields/{field}", a.require(account.EditForms, a.formFieldShow))
	mux.HandleFunc("POST /{tenant}/admin/forms/{key}/fields/{field}", a.require(account.EditForms, a.formFieldUpdate))
	mux.HandleFunc("POST /{tenant}/admin/forms/{key}/fields/{field}/move", a.require(account.EditForms, a.formFieldMove))
	mux.HandleFunc("POST /{tenant}/admin/forms/{key}/fields/{field}/delete", a.require(account.EditForms, a.formFieldDelete))
	mux.HandleFunc("POST /{tenant}/admin/forms/{key}/notice", a.require(account.EditForms, a.formNoticeApprove))
	mux.HandleFunc("POST /{tenant}/admin/forms/{key}/publish", a.require(account.EditForms, a.stepUp(formPagePath, a.formPublish)))
	mux.HandleFunc("POST /{tenant}/admin/forms/{key}/withdraw", a.require(account.EditForms, a.stepUp(formPagePath, a.formWithdraw)))
	// Exports of a form's submissions (END-1): behind a grant on the form
	// (ORG-6), a stated reason and the step-up; only the owner sees,
	// downloads and deletes an export (see export_show.go).
	mux.HandleFunc("GET /{tenant}/inbox/forms/{form}/export", a.require(account.HandleSubmissions, a.stepUp(nil, a.exportNew)))
	mux.HandleFunc("POST /{tenant}/inbox/forms/{form}/export", a.require(account.HandleSubmissions, a.stepUp(exportPath, a.exportCreate)))
	mux.HandleFunc("GET /{tenant}/inbox/exports", a.require(account.HandleSubmissions, a.exportsShow))
	mux.HandleFunc("GET /{tenant}/inbox/exports/{id}", a.require(account.HandleSubmissions, a.exportShow))
	mux.HandleFunc("GET /{tenant}/inbox/exports/{id}/download", a.require(account.HandleSubmissions, a.exportDownload))
	mux.HandleFunc("POST /{tenant}/inbox/exports/{id}/delete", a.require(account.HandleSubmissions, a.exportDelete))
	// The full export of the organisation's data (END-3): tenant admins
	// only, behind the step-up; see full_export_show.go.
	mux.HandleFunc("GET /{tenant}/admin/full-export", a.require(account.ManageUsers, a.stepUp(nil, a.fullExportShow)))
	mux.HandleFunc("POST /{tenant}/admin/full-export", a.require(account.ManageUsers, a.stepUp(fullExportPath, a.fullExportCreate)))
	mux.HandleFunc("GET /{tenant}/admin/full-export/{id}/download", a.require(account.ManageUsers, a.stepUp(nil, a.fullExportDownload)))
	mux.HandleFunc("POST /{tenant}/admin/full-export/{id}/delete", a.require(account.ManageUsers, a.fullExportDelete))
}

// routeTable registers routes on a ServeMux and remembers their patterns,
// so that the authorisation matrix test can prove it covers every route.
type routeTable struct {
	mux      *http.ServeMux
	patterns []string
}

// Handle registers h for pattern.
func (t *routeTable) Handle(pattern string, h http.Handler) {
	t.mux.Handle(pattern, h)
	t.patterns = append(t.patterns, pattern)
}

// HandleFunc registers h for pattern.
func (t *routeTable) HandleFunc(pattern string, h http.HandlerFunc) { t.Handle(pattern, h) }
