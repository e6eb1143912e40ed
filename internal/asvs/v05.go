package asvs

// Chapter V5, File Handling: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v5 = chapter(5, "File Handling", []Requirement{
	{ID: "5.1.1", Level: 2, Status: Open},
	{ID: "5.2.1", Level: 1, Status: Open},
	{ID: "5.2.2", Level: 1, Status: Open},
	{ID: "5.2.3", Level: 2, Status: Open},
	{ID: "5.3.1", Level: 1, Status: Open},
	{ID: "5.3.2", Level: 1, Status: Open},
	{ID: "5.4.1", Level: 2, Status: Open},
	{ID: "5.4.2", Level: 2, Status: Open},
	{ID: "5.4.3", Level: 2, Status: Open},
})
