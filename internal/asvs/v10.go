package asvs

// Chapter V10, OAuth and OIDC: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
//
// Kluis is an OpenID Connect client (relying party) of FAS, ACM and generic
// providers. It is no authorization server, no OpenID provider (the one in
// internal/oidc/oidctest runs in tests only) and no OAuth resource server
// (its API takes its own API keys), so those sections do not apply.
const (
	notAS  = "Kluis is no authorization server (a client of FAS, ACM and other providers only)"
	notOP  = "Kluis is no OpenID provider"
	notRS  = "Kluis is no OAuth resource server: its API takes its own hashed API keys, not access tokens"
	noBCLO = "Kluis does not implement OIDC back-channel logout"
)

var v10 = chapter(10, "OAuth and OIDC", []Requirement{
	{ID: "10.1.1", Level: 2, Topic: "tokens stay on the server", Status: Documented,
		Note: "docs/authentication.md, Federation: code exchanged server-side, ID token checked and dropped, no access or refresh token kept or sent to the browser"},
	{ID: "10.1.2", Level: 2, Topic: "state, nonce and PKCE bound to the browser", Status: Tested},
	{ID: "10.2.1", Level: 2, Topic: "PKCE and state against CSRF", Status: Tested},
	{ID: "10.2.2", Level: 2, Topic: "mix-up between providers", Status: Tested,
		Note: "the flow remembers its provider, the code goes only to that provider's token endpoint and the ID token's issuer must be that provider's; the authorization response's iss parameter is not read"},
	{ID: "10.3.1", Level: 2, Status: NotApplicable, Note: notRS},
	{ID: "10.3.2", Level: 2, Status: NotApplicable, Note: notRS},
	{ID: "10.3.3", Level: 2, Status: NotApplicable, Note: notRS},
	{ID: "10.3.4", Level: 2, Status: NotApplicable, Note: notRS},
	{ID: "10.4.1", Level: 1, Status: NotApplicable, Note: notAS},
	{ID: "10.4.2", Level: 1, Status: NotApplicable, Note: notAS},
	{ID: "10.4.3", Level: 1, Status: NotApplicable, Note: notAS},
	{ID: "10.4.4", Level: 1, Status: NotApplicable, Note: notAS},
	{ID: "10.4.5", Level: 1, Status: NotApplicable, Note: notAS},
	{ID: "10.4.6", Level: 2, Status: NotApplicable, Note: notAS},
	{ID: "10.4.7", Level: 2, Status: NotApplicable, Note: notAS},
	{ID: "10.4.8", Level: 2, Status: NotApplicable, Note: notAS},
	{ID: "10.4.9", Level: 2, Status: NotApplicable, Note: notAS},
	{ID: "10.4.10", Level: 2, Status: NotApplicable, Note: notAS},
	{ID: "10.4.11", Level: 2, Status: NotApplicable, Note: notAS},
	{ID: "10.5.1", Level: 2, Topic: "ID token replay refused by nonce", Status: Tested},
	{ID: "10.5.2", Level: 2, Topic: "subject identifies the user", Status: Tested},
	{ID: "10.5.3", Level: 2, Topic: "discovery must name the configured issuer", Status: Tested},
	{ID: "10.5.4", Level: 2, Topic: "audience and azp are Kluis's client", Status: Tested},
	{ID: "10.5.5", Level: 2, Status: NotApplicable, Note: noBCLO},
	{ID: "10.6.1", Level: 2, Status: NotApplicable, Note: notOP},
	{ID: "10.6.2", Level: 2, Status: NotApplicable, Note: notOP},
	{ID: "10.7.1", Level: 2, Status: NotApplicable, Note: notAS},
	{ID: "10.7.2", Level: 2, Status: NotApplicable, Note: notAS},
	{ID: "10.7.3", Level: 2, Status: NotApplicable, Note: notAS},
})
