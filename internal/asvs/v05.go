package asvs

// Chapter V5, File Handling: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v5 = chapter(5, "File Handling", []Requirement{
	{ID: "5.1.1", Topic: "upload types and limits documented", Level: 2, Status: Documented,
		Note: "docs/security.md, Files; docs/operations.md, Virus scanning of attachments"},
	{ID: "5.2.1", Topic: "size limits", Level: 1, Status: Tested},
	{ID: "5.2.2", Topic: "type by content, extension agrees", Level: 1, Status: Tested},
	{ID: "5.2.3", Level: 2, Status: NotApplicable,
		Note: "no archive received is ever unpacked: uploads are stored and returned as they came"},
	{ID: "5.3.1", Topic: "uploads never served from disk or run", Level: 1, Status: Tested},
	{ID: "5.3.2", Topic: "storage paths generated, never from file names", Level: 1, Status: Tested},
	{ID: "5.4.1", Topic: "downloads named by Kluis", Level: 2, Status: Tested},
	{ID: "5.4.2", Topic: "file names encoded in headers", Level: 2, Status: Partly,
		Note: "names people give go through mime.FormatMediaType; generated names (references, ids, slugs, translations) " +
			"are quoted by hand in reviewed places"},
	{ID: "5.4.3", Topic: "antivirus scan", Level: 2, Status: Tested},
})
