package asvs

// Chapter V16, Security Logging and Error Handling: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v16 = chapter(16, "Security Logging and Error Handling", []Requirement{
	{ID: "16.1.1", Level: 2, Status: Open},
	{ID: "16.2.1", Level: 2, Status: Open},
	{ID: "16.2.2", Level: 2, Status: Open},
	{ID: "16.2.3", Level: 2, Status: Open},
	{ID: "16.2.4", Level: 2, Status: Open},
	{ID: "16.2.5", Topic: "no personal data in logs", Level: 2, Status: Tested},
	{ID: "16.3.1", Level: 2, Status: Open},
	{ID: "16.3.2", Level: 2, Status: Open},
	{ID: "16.3.3", Level: 2, Status: Open},
	{ID: "16.3.4", Level: 2, Status: Open},
	{ID: "16.4.1", Level: 2, Status: Open},
	{ID: "16.4.2", Level: 2, Status: Open},
	{ID: "16.4.3", Level: 2, Status: Open},
	{ID: "16.5.1", Topic: "generic error message", Level: 2, Status: Tested},
	{ID: "16.5.2", Level: 2, Status: Open},
	{ID: "16.5.3", Level: 2, Status: Open},
})
