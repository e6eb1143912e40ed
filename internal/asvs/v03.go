package asvs

// Chapter V3, Web Frontend Security: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v3 = chapter(3, "Web Frontend Security", []Requirement{
	{ID: "3.2.1", Level: 1, Status: Open},
	{ID: "3.2.2", Level: 1, Status: Open},
	{ID: "3.3.1", Level: 1, Status: Open},
	{ID: "3.3.2", Level: 2, Status: Open},
	{ID: "3.3.3", Level: 2, Status: Open},
	{ID: "3.3.4", Level: 2, Status: Open},
	{ID: "3.4.1", Topic: "HSTS", Level: 1, Status: Tested},
	{ID: "3.4.2", Level: 1, Status: Open},
	{ID: "3.4.3", Topic: "CSP", Level: 2, Status: Tested},
	{ID: "3.4.4", Topic: "nosniff and the other security headers", Level: 2, Status: Tested},
	{ID: "3.4.5", Level: 2, Status: Open},
	{ID: "3.4.6", Level: 2, Status: Open},
	{ID: "3.5.1", Topic: "cross-origin requests refused", Level: 1, Status: Tested},
	{ID: "3.5.2", Level: 1, Status: Open},
	{ID: "3.5.3", Level: 1, Status: Open},
	{ID: "3.5.4", Level: 2, Status: Open},
	{ID: "3.5.5", Level: 2, Status: Open},
	{ID: "3.7.1", Level: 2, Status: Open},
	{ID: "3.7.2", Topic: "redirects only to local paths", Level: 2, Status: Tested},
})
