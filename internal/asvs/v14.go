package asvs

// Chapter V14, Data Protection: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v14 = chapter(14, "Data Protection", []Requirement{
	{ID: "14.1.1", Level: 2, Status: Open},
	{ID: "14.1.2", Level: 2, Status: Open},
	{ID: "14.2.1", Level: 1, Status: Open},
	{ID: "14.2.2", Level: 2, Status: Open},
	{ID: "14.2.3", Level: 2, Status: Open},
	{ID: "14.2.4", Level: 2, Status: Open},
	{ID: "14.3.1", Level: 1, Status: Open},
	{ID: "14.3.2", Level: 2, Status: Open},
	{ID: "14.3.3", Level: 2, Status: Open},
})
