package asvs

// Chapter V7, Session Management: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v7 = chapter(7, "Session Management", []Requirement{
	{ID: "7.1.1", Level: 2, Topic: "session lifetimes documented", Status: Documented,
		Note: "docs/authentication.md, Sessions: idle and absolute lifetimes and how they relate to NIST SP 800-63B"},
	{ID: "7.1.2", Level: 2, Topic: "concurrent sessions documented", Status: Documented,
		Note: "docs/authentication.md, Sessions: not limited, each visible and ended by the person or an admin"},
	{ID: "7.1.3", Level: 2, Topic: "federated sessions documented", Status: Documented,
		Note: "docs/authentication.md, Federation"},
	{ID: "7.2.1", Level: 1, Topic: "tokens verified on the server", Status: Tested},
	{ID: "7.2.2", Level: 1, Topic: "a new token per login", Status: Tested},
	{ID: "7.2.3", Level: 1, Topic: "session tokens of 256 random bits", Status: Tested},
	{ID: "7.2.4", Topic: "new session on authentication", Level: 1, Status: Tested},
	{ID: "7.3.1", Topic: "idle timeout", Level: 2, Status: Tested},
	{ID: "7.3.2", Level: 2, Topic: "absolute lifetime", Status: Tested},
	{ID: "7.4.1", Topic: "logout ends the session", Level: 1, Status: Tested},
	{ID: "7.4.2", Level: 1, Topic: "disabled or removed user's sessions end", Status: Tested},
	{ID: "7.4.3", Level: 2, Topic: "sessions end after a password change", Status: Tested,
		Note: "a change ends all other sessions and a reset all; after a second-factor change the sessions page offers to end the others (7.5.2)"},
	{ID: "7.4.4", Level: 2, Topic: "logout on every staff page", Status: Tested},
	{ID: "7.4.5", Level: 2, Topic: "admin ends a user's sessions", Status: Tested,
		Note: "per user; all users of a tenant at once is not offered (disabling or the supplier's key rotation does it)"},
	{ID: "7.5.1", Level: 2, Topic: "fresh proof before authentication changes", Status: Partly,
		Note: "password change, linking and unlinking a sign-in method and removing a passkey need a fresh proof; adding a passkey or TOTP does not yet (the JSON passkey ceremony has no step-up path)"},
	{ID: "7.5.2", Topic: "own sessions viewed and ended", Level: 2, Status: Tested},
	{ID: "7.6.1", Level: 2, Topic: "federated session lifetime", Status: Documented,
		Note: "docs/authentication.md, Federation: the Kluis session never outlives its own limits; no provider logout"},
	{ID: "7.6.2", Level: 2, Topic: "no session without the person's action", Status: Tested},
})
