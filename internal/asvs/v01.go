package asvs

// Chapter V1, Encoding and Sanitization: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v1 = chapter(1, "Encoding and Sanitization", []Requirement{
	{ID: "1.1.1", Level: 2, Status: Open},
	{ID: "1.1.2", Level: 2, Status: Open},
	{ID: "1.2.1", Level: 1, Status: Open},
	{ID: "1.2.2", Level: 1, Status: Open},
	{ID: "1.2.3", Level: 1, Status: Open},
	{ID: "1.2.4", Level: 1, Status: Open},
	{ID: "1.2.5", Level: 1, Status: Open},
	{ID: "1.2.6", Level: 2, Status: Open},
	{ID: "1.2.7", Level: 2, Status: Open},
	{ID: "1.2.8", Level: 2, Status: Open},
	{ID: "1.2.9", Level: 2, Status: Open},
	{ID: "1.3.1", Level: 1, Status: Open},
	{ID: "1.3.2", Level: 1, Status: Open},
	{ID: "1.3.3", Level: 2, Status: Open},
	{ID: "1.3.4", Topic: "SVG sanitised", Level: 2, Status: Tested},
	{ID: "1.3.5", Level: 2, Status: Open},
	{ID: "1.3.6", Topic: "SSRF: outbound webhook addresses checked", Level: 2, Status: Tested},
	{ID: "1.3.7", Level: 2, Status: Open},
	{ID: "1.3.8", Level: 2, Status: Open},
	{ID: "1.3.9", Level: 2, Status: Open},
	{ID: "1.3.10", Level: 2, Status: Open},
	{ID: "1.3.11", Level: 2, Status: Open},
	{ID: "1.4.1", Level: 2, Status: Open},
	{ID: "1.4.2", Level: 2, Status: Open},
	{ID: "1.4.3", Level: 2, Status: Open},
	{ID: "1.5.1", Level: 1, Status: Open},
	{ID: "1.5.2", Level: 2, Status: Open},
})
