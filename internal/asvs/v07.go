package asvs

// Chapter V7, Session Management: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v7 = chapter(7, "Session Management", []Requirement{
	{ID: "7.1.1", Level: 2, Status: Open},
	{ID: "7.1.2", Level: 2, Status: Open},
	{ID: "7.1.3", Level: 2, Status: Open},
	{ID: "7.2.1", Level: 1, Status: Open},
	{ID: "7.2.2", Level: 1, Status: Open},
	{ID: "7.2.3", Level: 1, Status: Open},
	{ID: "7.2.4", Topic: "new session on authentication", Level: 1, Status: Tested},
	{ID: "7.3.1", Topic: "idle timeout", Level: 2, Status: Tested},
	{ID: "7.3.2", Level: 2, Status: Open},
	{ID: "7.4.1", Topic: "logout ends the session", Level: 1, Status: Tested},
	{ID: "7.4.2", Level: 1, Status: Open},
	{ID: "7.4.3", Level: 2, Status: Open},
	{ID: "7.4.4", Level: 2, Status: Open},
	{ID: "7.4.5", Level: 2, Status: Open},
	{ID: "7.5.1", Level: 2, Status: Open},
	{ID: "7.5.2", Topic: "own sessions viewed and ended", Level: 2, Status: Tested},
	{ID: "7.6.1", Level: 2, Status: Open},
	{ID: "7.6.2", Level: 2, Status: Open},
})
