package asvs

// Chapter V13, Configuration: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v13 = chapter(13, "Configuration", []Requirement{
	{ID: "13.1.1", Level: 2, Status: Open},
	{ID: "13.2.1", Level: 2, Status: Open},
	{ID: "13.2.2", Level: 2, Status: Open},
	{ID: "13.2.3", Level: 2, Status: Open},
	{ID: "13.2.4", Level: 2, Status: Open},
	{ID: "13.2.5", Level: 2, Status: Open},
	{ID: "13.3.1", Level: 2, Status: Open},
	{ID: "13.3.2", Level: 2, Status: Open},
	{ID: "13.4.1", Level: 1, Status: Open},
	{ID: "13.4.2", Level: 2, Status: Open},
	{ID: "13.4.3", Level: 2, Status: Open},
	{ID: "13.4.4", Level: 2, Status: Open},
	{ID: "13.4.5", Level: 2, Status: Open},
})
