package asvs

// Chapter V11, Cryptography: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v11 = chapter(11, "Cryptography", []Requirement{
	{ID: "11.1.1", Level: 2, Status: Open},
	{ID: "11.1.2", Level: 2, Status: Open},
	{ID: "11.2.1", Level: 2, Status: Open},
	{ID: "11.2.2", Level: 2, Status: Open},
	{ID: "11.2.3", Level: 2, Status: Open},
	{ID: "11.3.1", Level: 1, Status: Open},
	{ID: "11.3.2", Level: 1, Status: Open},
	{ID: "11.3.3", Level: 2, Status: Open},
	{ID: "11.4.1", Level: 1, Status: Open},
	{ID: "11.4.2", Level: 2, Status: Open},
	{ID: "11.4.3", Level: 2, Status: Open},
	{ID: "11.4.4", Level: 2, Status: Open},
	{ID: "11.5.1", Level: 2, Status: Open},
	{ID: "11.6.1", Level: 2, Status: Open},
})
