package asvs

// Chapter V12, Secure Communication: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v12 = chapter(12, "Secure Communication", []Requirement{
	{ID: "12.1.1", Level: 1, Status: Open},
	{ID: "12.1.2", Level: 2, Status: Open},
	{ID: "12.1.3", Level: 2, Status: Open},
	{ID: "12.2.1", Level: 1, Status: Open},
	{ID: "12.2.2", Level: 1, Status: Open},
	{ID: "12.3.1", Level: 2, Status: Open},
	{ID: "12.3.2", Level: 2, Status: Open},
	{ID: "12.3.3", Level: 2, Status: Open},
	{ID: "12.3.4", Level: 2, Status: Open},
})
