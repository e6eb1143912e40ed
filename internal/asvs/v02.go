package asvs

// Chapter V2, Validation and Business Logic: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v2 = chapter(2, "Validation and Business Logic", []Requirement{
	{ID: "2.1.1", Level: 1, Status: Open},
	{ID: "2.1.2", Level: 2, Status: Open},
	{ID: "2.1.3", Level: 2, Status: Open},
	{ID: "2.2.1", Level: 1, Status: Open},
	{ID: "2.2.2", Level: 1, Status: Open},
	{ID: "2.2.3", Level: 2, Status: Open},
	{ID: "2.3.1", Level: 1, Status: Open},
	{ID: "2.3.2", Level: 2, Status: Open},
	{ID: "2.3.3", Level: 2, Status: Open},
	{ID: "2.3.4", Level: 2, Status: Open},
	{ID: "2.4.1", Level: 2, Status: Open},
})
