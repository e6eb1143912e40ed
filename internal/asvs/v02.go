package asvs

// Chapter V2, Validation and Business Logic: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v2 = chapter(2, "Validation and Business Logic", []Requirement{
	{ID: "2.1.1", Topic: "validation rules documented", Level: 1, Status: Documented,
		Note: "docs/security.md, Input validation rules; the API's parameters in docs/api.md"},
	{ID: "2.1.2", Topic: "combined-item rules documented", Level: 2, Status: Documented,
		Note: "docs/security.md, Input validation rules"},
	{ID: "2.1.3", Topic: "limits documented", Level: 2, Status: Documented,
		Note: "docs/security.md, the table of limits"},
	{ID: "2.2.1", Topic: "every field checked against its rule", Level: 1, Status: Tested},
	{ID: "2.2.2", Topic: "validation on the server", Level: 1, Status: Tested},
	{ID: "2.2.3", Topic: "combined items consistent", Level: 2, Status: Partly,
		Note: "periods must be ordered (tested); addresses judged whole and status changes kept within the workflow " +
			"are tested under 2.2.1 and in TestAPIBadInput"},
	{ID: "2.3.1", Topic: "form steps in order", Level: 1, Status: Tested},
	{ID: "2.3.2", Topic: "business limits enforced", Level: 2, Status: Documented,
		Note: "the limits of docs/security.md, each tested where it is enforced (2.4.1, 5.2.1, V6)"},
	{ID: "2.3.3", Topic: "all or nothing", Level: 2, Status: Tested,
		Note: "every store method owns one transaction with its audit event (16.5.3)"},
	{ID: "2.3.4", Level: 2, Status: NotApplicable, Note: "no limited-quantity resources are booked (no seats or slots)"},
	{ID: "2.4.1", Topic: "rate limits", Level: 2, Status: Tested},
})
