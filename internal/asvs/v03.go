package asvs

// Chapter V3, Web Frontend Security: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v3 = chapter(3, "Web Frontend Security", []Requirement{
	{ID: "3.2.1", Topic: "uploaded files sandboxed, attachments downloaded", Level: 1, Status: Tested},
	{ID: "3.2.2", Topic: "scripts never write markup from strings", Level: 1, Status: Tested},
	{ID: "3.3.1", Topic: "every cookie Secure", Level: 1, Status: Tested,
		Note: "the language cookie is Secure and __Host- prefixed whenever Kluis speaks HTTPS; over plain HTTP (development) it is neither"},
	{ID: "3.3.2", Topic: "every cookie SameSite Lax or Strict", Level: 2, Status: Tested,
		Note: "Lax where a citizen arrives by a cross-site link or back from the identity provider; state changes are POSTs"},
	{ID: "3.3.3", Topic: "every cookie __Host- prefixed", Level: 2, Status: Tested},
	{ID: "3.3.4", Topic: "every cookie HttpOnly, no script reads cookies", Level: 2, Status: Tested},
	{ID: "3.4.1", Topic: "HSTS", Level: 1, Status: Tested},
	{ID: "3.4.2", Topic: "CORS never reflects an origin", Level: 1, Status: Tested,
		Note: "only the public audit key and checkpoint carry a fixed *, without credentials"},
	{ID: "3.4.3", Topic: "CSP", Level: 2, Status: Tested},
	{ID: "3.4.4", Topic: "nosniff and the other security headers", Level: 2, Status: Tested},
	{ID: "3.4.5", Topic: "Referrer-Policy no-referrer", Level: 2, Status: Tested},
	{ID: "3.4.6", Topic: "frame-ancestors 'none' on every response", Level: 2, Status: Tested},
	{ID: "3.5.1", Topic: "cross-origin requests refused", Level: 1, Status: Tested},
	{ID: "3.5.2", Topic: "requests without preflight refused cross-origin", Level: 1, Status: Tested},
	{ID: "3.5.3", Topic: "state changes never on GET", Level: 1, Status: Tested},
	{ID: "3.5.4", Topic: "separate applications on separate hosts", Level: 2, Status: Documented,
		Note: "Kluis is one application: its public, staff and API parts share a host by design, tenants are separated " +
			"server-side and may have host names of their own (docs/operations.md)"},
	{ID: "3.5.5", Level: 2, Status: NotApplicable, Note: "no postMessage listener"},
	{ID: "3.7.1", Topic: "no plugins or obsolete client technology", Level: 2, Status: Tested},
	{ID: "3.7.2", Topic: "redirects only to local paths", Level: 2, Status: Tested},
})
