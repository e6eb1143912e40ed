package asvs

// Chapter V12, Secure Communication: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v12 = chapter(12, "Secure Communication", []Requirement{
	{ID: "12.1.1", Topic: "TLS 1.2 and 1.3 only, 1.3 preferred", Level: 1, Status: Tested},
	{ID: "12.1.2", Topic: "forward-secret AEAD cipher suites only", Level: 2, Status: Tested},
	{ID: "12.1.3", Level: 2, Status: NotApplicable, Note: "no mutual TLS: no client certificates are used for authentication"},
	{ID: "12.2.1", Topic: "HTTPS without fallback", Level: 1, Status: Partly,
		Note: "the server's HTTPS is tested; serving plain HTTP behind a TLS-terminating proxy is the operator's " +
			"deployment (docs/operations.md)"},
	{ID: "12.2.2", Level: 1, Status: Documented,
		Note: "certificates from ACME for tenants' host names or the operator's own (docs/operations.md)"},
	{ID: "12.3.1", Topic: "outbound connections encrypted", Level: 2, Status: Partly,
		Note: "mail and webhooks tested; TLS to PostgreSQL and S3 is set in the operator's URLs (docs/operations.md, " +
			"Connections and their credentials)"},
	{ID: "12.3.2", Topic: "TLS clients verify certificates", Level: 2, Status: Tested,
		Note: "mail and webhooks by handshake; no client anywhere can skip the check"},
	{ID: "12.3.3", Level: 2, Status: NotApplicable, Note: "one process: no internal HTTP services"},
	{ID: "12.3.4", Level: 2, Status: Documented,
		Note: "database and object store trust the system's roots or the operator's CA (docs/operations.md, Connections and their credentials)"},
})
