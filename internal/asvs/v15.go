package asvs

// Chapter V15, Secure Coding and Architecture: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v15 = chapter(15, "Secure Coding and Architecture", []Requirement{
	{ID: "15.1.1", Topic: "remediation time frames", Level: 1, Status: Documented,
		Note: "docs/security.md, Dependencies"},
	{ID: "15.1.2", Topic: "dependency inventory (SBOM)", Level: 2, Status: Tested},
	{ID: "15.1.3", Topic: "costly functions documented", Level: 2, Status: Documented,
		Note: "docs/security.md, Costly functions"},
	{ID: "15.2.1", Topic: "components within time frames", Level: 1, Status: Documented,
		Note: "govulncheck in CI (.ci/run) and the time frames of docs/security.md"},
	{ID: "15.2.2", Topic: "defences for costly functions", Level: 2, Status: Documented,
		Note: "docs/security.md, Costly functions; the limits are tested under 2.4.1 and 5.2.1"},
	{ID: "15.2.3", Topic: "no test code in the binary", Level: 2, Status: Tested},
	{ID: "15.3.1", Topic: "only the needed fields returned", Level: 1, Status: Tested,
		Note: "API answers hold only the fields the OpenAPI document lists; pages render chosen fields only"},
	{ID: "15.3.2", Topic: "webhooks follow no redirects", Level: 2, Status: Tested},
	{ID: "15.3.3", Topic: "no mass assignment", Level: 2, Status: Tested},
	{ID: "15.3.4", Topic: "client address only from trusted proxies", Level: 2, Status: Tested},
	{ID: "15.3.5", Topic: "strict types", Level: 2, Status: Documented,
		Note: "Go is statically typed; JSON with a wrong type is refused (docs/security.md, Secure coding)"},
	{ID: "15.3.6", Topic: "no prototype pollution", Level: 2, Status: Documented,
		Note: "the scripts never merge input into objects (docs/security.md, Secure coding)"},
	{ID: "15.3.7", Topic: "no HTTP parameter pollution", Level: 2, Status: Tested},
})
