package asvs

// Chapter V13, Configuration: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v13 = chapter(13, "Configuration", []Requirement{
	{ID: "13.1.1", Level: 2, Status: Documented,
		Note: "every connection and who chooses its destination: docs/operations.md, Connections and their credentials"},
	{ID: "13.2.1", Level: 2, Status: Documented,
		Note: "one process; the database, mail relay and object store each get a credential for Kluis alone (docs/operations.md)"},
	{ID: "13.2.2", Level: 2, Status: Documented,
		Note: "a database role that owns Kluis's database only, an S3 key limited to its bucket (docs/operations.md)"},
	{ID: "13.2.3", Level: 2, Status: Documented,
		Note: "Kluis ships no credential; the master key is generated at first start (docs/operations.md)"},
	{ID: "13.2.4", Topic: "outbound destinations from an allowlist", Level: 2, Status: Tested,
		Note: "the only destination a tenant chooses, a webhook, must be in its processing register; the others are the operator's configuration"},
	{ID: "13.2.5", Level: 2, Status: Documented,
		Note: "the application's allowlist is 13.2.4 with internal addresses refused (1.3.6); an egress firewall is recommended in docs/operations.md"},
	{ID: "13.3.1", Topic: "secrets out of the repository and the configuration dump", Level: 2, Status: Partly,
		Note: "a vault is the operator's choice: Kluis reads secrets from the environment or owner-only files"},
	{ID: "13.3.2", Level: 2, Status: Documented,
		Note: "keyring and master key files are owner-only (0600) for the service account (docs/operations.md)"},
	{ID: "13.4.1", Topic: "no source control metadata served", Level: 1, Status: Tested},
	{ID: "13.4.2", Topic: "no debug features in the binary", Level: 2, Status: Tested},
	{ID: "13.4.3", Topic: "no directory listings", Level: 2, Status: Tested},
	{ID: "13.4.4", Topic: "TRACE refused", Level: 2, Status: Tested},
	{ID: "13.4.5", Topic: "no monitoring or internal docs on the public listener", Level: 2, Status: Tested,
		Note: "the API's OpenAPI description is published on purpose (docs/api.md)"},
})
