package asvs

// Chapter V9, Self-contained Tokens: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
//
// Kluis issues no self-contained tokens (its sessions, links and API keys
// are random reference tokens); the only ones it accepts are OpenID
// providers' ID tokens, so these rows are about those.
var v9 = chapter(9, "Self-contained Tokens", []Requirement{
	{ID: "9.1.1", Level: 1, Topic: "ID token signature checked", Status: Tested},
	{ID: "9.1.2", Level: 1, Topic: "only the provider's asymmetric algorithm", Status: Tested},
	{ID: "9.1.3", Level: 1, Topic: "keys only from the issuer's JWKS", Status: Tested},
	{ID: "9.2.1", Level: 1, Topic: "exp and nbf enforced", Status: Tested},
	{ID: "9.2.2", Level: 2, Topic: "an access token is no ID token", Status: Tested},
	{ID: "9.2.3", Level: 2, Topic: "audience is Kluis's client", Status: Tested},
	{ID: "9.2.4", Level: 2, Topic: "issuer restricts audience", Status: NotApplicable,
		Note: "Kluis issues no self-contained tokens"},
})
