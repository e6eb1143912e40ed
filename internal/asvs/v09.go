package asvs

// Chapter V9, Self-contained Tokens: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v9 = chapter(9, "Self-contained Tokens", []Requirement{
	{ID: "9.1.1", Level: 1, Status: Open},
	{ID: "9.1.2", Level: 1, Status: Open},
	{ID: "9.1.3", Level: 1, Status: Open},
	{ID: "9.2.1", Level: 1, Status: Open},
	{ID: "9.2.2", Level: 2, Status: Open},
	{ID: "9.2.3", Level: 2, Status: Open},
	{ID: "9.2.4", Level: 2, Status: Open},
})
