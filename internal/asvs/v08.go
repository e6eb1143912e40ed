package asvs

// Chapter V8, Authorization: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v8 = chapter(8, "Authorization", []Requirement{
	{ID: "8.1.1", Level: 1, Topic: "function and data access rules documented", Status: Documented,
		Note: "docs/permissions.md: the role table (kept equal to the code by a test) and the per-form grants"},
	{ID: "8.1.2", Level: 2, Topic: "field-level rules documented", Status: Documented,
		Note: "docs/authentication.md, Field-level access, with docs/permissions.md"},
	{ID: "8.2.1", Level: 1, Topic: "functions need their permission", Status: Tested,
		Note: "every route for every role is TestAuthorisationMatrix"},
	{ID: "8.2.2", Level: 1, Topic: "objects only for those granted them", Status: Tested},
	{ID: "8.2.3", Level: 2, Topic: "field-level access", Status: Partly,
		Note: "handlers read the fields they name only; the test shows it for the user form, there is no test over every form"},
	{ID: "8.3.1", Level: 1, Topic: "authorisation on the server", Status: Tested},
	{ID: "8.4.1", Level: 2, Topic: "no access across tenants", Status: Tested},
})
