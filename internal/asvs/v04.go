package asvs

// Chapter V4, API and Web Service: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v4 = chapter(4, "API and Web Service", []Requirement{
	{ID: "4.1.1", Level: 1, Status: Open},
	{ID: "4.1.2", Level: 2, Status: Open},
	{ID: "4.1.3", Level: 2, Status: Open},
	{ID: "4.2.1", Level: 2, Status: Open},
	{ID: "4.3.1", Level: 2, Status: Open},
	{ID: "4.3.2", Level: 2, Status: Open},
	{ID: "4.4.1", Level: 1, Status: Open},
	{ID: "4.4.2", Level: 2, Status: Open},
	{ID: "4.4.3", Level: 2, Status: Open},
	{ID: "4.4.4", Level: 2, Status: Open},
})
