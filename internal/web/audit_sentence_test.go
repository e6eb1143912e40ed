package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
)

// TestAuditDetailsInReadersLanguage (AUD-2): the purposes the code records
// (in English, for the machine) read in the reader's language — never the
// recorded text, never "handling" inside a Dutch or French page — or say
// nothing where the sentence already says it all.
func TestAuditDetailsInReadersLanguage(t *testing.T) {
	// Each purpose as its writer records it, with the Dutch detail ("" for
	// none).
	cases := []struct{ action, purpose, nl string }{
		{"submission.read", "handling", "doel: behandeling"},
		{"submission.read", "api", "via de API"},
		{"submission.read", "receipt", "ontvangstbewijs voor de burger"},
		{"submission.list", "inbox", "in het postvak"},
		{"submission.search", "citizen search, 2 found", "2 gevonden"},
		{"audit.read", "audit log review", ""},
		{"audit.read", "audit log review: action submission.read, object x", "met filter"},
		{"audit.export", "audit log download, 12 events: object x", "12 gebeurtenissen"},
		{"audit.export", "audit log download up to event 12345: object x", "alles wat aan het filter voldoet"},
		{"user.invite", "user management (role dpo)", "rol: functionaris voor gegevensbescherming"},
		{"user.role", "user management (role user→admin)", "rol: medewerker → beheerder"},
		{"user.removed", "user management (was admin, active; 2 sessions ended)", "was beheerder, actief; 2 sessie(s) beëindigd"},
		{"user.disable", "user management (was active; 1 sessions ended)", "was actief; 1 sessie(s) beëindigd"},
		{"user.enable", "user management (now active)", "nu actief"},
		{"session.revoke_all", "session management (3 ended)", "3 andere sessie(s) beëindigd"},
		{"password.change", "own password changed; 1 other sessions revoked", "1 andere sessie(s) beëindigd"},
		{"password.reset", "password reset; 2 sessions revoked", "2 andere sessie(s) beëindigd"},
		{"session.list", "session management (4 shown)", "4 sessie(s)"},
		{"session.revoke", "session management (one session)", "één sessie"},
		{"mfa.remove", "mfa: reset (nothing was enrolled)", "er was niets ingesteld"},
		{"passkey.remove", "mfa: reset, 2 passkeys removed", "ook 2 passkey(s) verwijderd"},
		{"mfa.success", "mfa: TOTP code", "met een code uit de authenticator-app"},
		{"mfa.recovery", "mfa: recovery code used, 7 left", "nog 7 herstelcode(s) over"},
		{"mfa.failure", "mfa: wrong code", "verkeerde code"},
		{"mfa.locked", "mfa: locked until 2026-12-04T10:00:00Z", "geblokkeerd tot 04.12.2026 11:00"},
		{"login.failure", "login: wrong password", "verkeerd wachtwoord"},
		{"login.failure", "login: unknown e-mail address", "onbekend account"},
		{"login.locked", "lockout: lock 2, until an admin unlocks", "blokkering 2, tot een beheerder deblokkeert"},
		{"login.success", "login: oidc Itsme", "via Itsme"},
		{"stepup.success", "step-up: password and TOTP code", "met een code uit de authenticator-app"},
		{"stepup.failure", "step-up: wrong password", "verkeerd wachtwoord"},
		{"passkey.refused", "passkey: wrong origin", "de passkey kon niet gecontroleerd worden"},
		{"passkey.use", "login: passkey with user verification", "bij het aanmelden"},
		{"form.publish", "version 3 under register version 2", "versie 3, registerversie 2"},
		{"form.draft.save", "version 4", "versie 4"},
		{"export.ready", "rows 12, bytes 3456", "12 inzending(en)"},
		{"export.expire", "after 24h0m0s", "bewaartijd verstreken"},
		{"operator.grant", "until 2026-12-05T08:00:00Z", "tot 05.12.2026 09:00"},
		{"webhook.create", "https://zaken.example for submission.created under subprocessor zaak (BE)", "naar https://zaken.example"},
		{"webhook.create", "refused https://elders.example.com: not registered (REG-2)", "naar https://elders.example.com"},
		{"webhook.retry", "submission.created, attempt 2: http status 500; next in 1m0s", "poging 2"},
		{"webhook.disable", "3 pending deliveries cancelled", "3 bericht(en) geannuleerd"},
		{"access.denied", "GET /{tenant}/admin/users", "pagina /admin/users"},
		{"mail.queue", "submission.confirmation", "ontvangstbevestiging aan een burger"},
		{"mail.sent", "account.invite", "uitnodiging"},
		{"oidc.provider.add", "login configuration: Itsme (itsme)", "via Itsme"},
		{"tenant.contact.read", "tenant administration", ""},
	}
	r := httptest.NewRequest("GET", "/gent/admin/audit", nil)
	for _, lang := range locale.Supported() {
		n := &auditNamer{a: &App{}, r: r, lang: lang, slug: "gent", tenantID: "t"}
		recorded := locale.T(lang, "auditlog.detail.recorded")
		for _, c := range cases {
			act, ok := audit.LookupAction(c.action)
			if !ok {
				t.Fatalf("%s is not registered", c.action)
			}
			got := n.detail(audit.Event{Action: c.action, Purpose: c.purpose}, act).text
			if strings.Contains(got, recorded) {
				t.Errorf("%s: %q is shown as recorded", lang, c.purpose)
			}
			if lang == locale.NL && got != c.nl {
				t.Errorf("nl: %q reads %q, want %q", c.purpose, got, c.nl)
			}
			if lang != locale.EN && (c.nl == "") != (got == "") {
				t.Errorf("%s: %q reads %q", lang, c.purpose, got)
			}
		}
	}
}
