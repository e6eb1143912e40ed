package asvs

// Chapter V15, Secure Coding and Architecture: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v15 = chapter(15, "Secure Coding and Architecture", []Requirement{
	{ID: "15.1.1", Level: 1, Status: Open},
	{ID: "15.1.2", Level: 2, Status: Open},
	{ID: "15.1.3", Level: 2, Status: Open},
	{ID: "15.2.1", Level: 1, Status: Open},
	{ID: "15.2.2", Level: 2, Status: Open},
	{ID: "15.2.3", Level: 2, Status: Open},
	{ID: "15.3.1", Level: 1, Status: Open},
	{ID: "15.3.2", Topic: "webhooks follow no redirects", Level: 2, Status: Tested},
	{ID: "15.3.3", Level: 2, Status: Open},
	{ID: "15.3.4", Level: 2, Status: Open},
	{ID: "15.3.5", Level: 2, Status: Open},
	{ID: "15.3.6", Level: 2, Status: Open},
	{ID: "15.3.7", Level: 2, Status: Open},
})
