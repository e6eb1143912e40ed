package asvs

// Chapter V16, Security Logging and Error Handling: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v16 = chapter(16, "Security Logging and Error Handling", []Requirement{
	{ID: "16.1.1", Topic: "logging inventory", Level: 2, Status: Documented,
		Note: "docs/security.md, Logging inventory"},
	{ID: "16.2.1", Topic: "when, who, what, where in each event", Level: 2, Status: Tested},
	{ID: "16.2.2", Topic: "UTC or zoned times", Level: 2, Status: Tested,
		Note: "the host's clock synchronisation is the operator's (NTP)"},
	{ID: "16.2.3", Topic: "logs only where documented", Level: 2, Status: Documented,
		Note: "stderr and the audit log only (docs/security.md, Logging inventory)"},
	{ID: "16.2.4", Topic: "a common log format", Level: 2, Status: Tested},
	{ID: "16.2.5", Topic: "no personal data in logs", Level: 2, Status: Tested},
	{ID: "16.3.1", Topic: "sign-ins audited", Level: 2, Status: Tested},
	{ID: "16.3.2", Topic: "refused permissions audited", Level: 2, Status: Tested},
	{ID: "16.3.3", Topic: "security events and bypass attempts", Level: 2, Status: Partly,
		Note: "rate-limit refusals are logged and refused uploads audited (16.5.2, 5.4.3); validation refusals are answered " +
			"but not logged one by one (docs/security.md, Logging inventory)"},
	{ID: "16.3.4", Topic: "unexpected errors logged", Level: 2, Status: Tested},
	{ID: "16.4.1", Topic: "log injection encoded", Level: 2, Status: Tested},
	{ID: "16.4.2", Topic: "audit log cannot be changed", Level: 2, Status: Partly,
		Note: "the audit log refuses UPDATE and DELETE and is hash-chained; the application log on stderr is the host's to protect"},
	{ID: "16.4.3", Topic: "logs kept outside", Level: 2, Status: Documented,
		Note: "audit checkpoints can be fetched and kept elsewhere (docs/audit.md); the collector for stderr is the operator's"},
	{ID: "16.5.1", Topic: "generic error message", Level: 2, Status: Tested},
	{ID: "16.5.2", Topic: "safe when a dependency fails", Level: 2, Status: Partly,
		Note: "clamd down: uploads refused, forms work (tested); SMTP down leaves mail in the outbox and a lost database " +
			"answers a generic error (16.3.4); the full fault-injection suite is separate"},
	{ID: "16.5.3", Topic: "fail closed", Level: 2, Status: Tested},
})
