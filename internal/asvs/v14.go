package asvs

// Chapter V14, Data Protection: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v14 = chapter(14, "Data Protection", []Requirement{
	{ID: "14.1.1", Level: 2, Status: Documented,
		Note: "the processing register classifies every data category by information class (REG-7, docs/clauses.md)"},
	{ID: "14.1.2", Level: 2, Status: Documented,
		Note: "sealing, retention, logging and access per class: docs/architecture.md and the contract's clauses (docs/clauses.md)"},
	{ID: "14.2.1", Topic: "no personal data or secrets in URLs", Level: 1, Status: Tested,
		Note: "the tokens in paths are single-use links from a mail (activation, password reset, package)"},
	{ID: "14.2.2", Topic: "nothing but public files cacheable by proxies", Level: 2, Status: Tested},
	{ID: "14.2.3", Topic: "nothing sent to third parties", Level: 2, Status: Tested},
	{ID: "14.2.4", Level: 2, Status: Documented,
		Note: "each protection is proven by the test of its contract clause (docs/clauses.md)"},
	{ID: "14.3.1", Topic: "sign-out clears cookie, cache and storage", Level: 1, Status: Tested},
	{ID: "14.3.2", Topic: "no-store on every response to someone signed in", Level: 2, Status: Tested},
	{ID: "14.3.3", Topic: "no personal data in browser storage", Level: 2, Status: Tested},
})
