package asvs

// Chapter V8, Authorization: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v8 = chapter(8, "Authorization", []Requirement{
	{ID: "8.1.1", Level: 1, Status: Open},
	{ID: "8.1.2", Level: 2, Status: Open},
	{ID: "8.2.1", Level: 1, Status: Open},
	{ID: "8.2.2", Level: 1, Status: Open},
	{ID: "8.2.3", Level: 2, Status: Open},
	{ID: "8.3.1", Level: 1, Status: Open},
	{ID: "8.4.1", Level: 2, Status: Open},
})
