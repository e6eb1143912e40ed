package asvs

// Chapter V1, Encoding and Sanitization: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v1 = chapter(1, "Encoding and Sanitization", []Requirement{
	{ID: "1.1.1", Topic: "input decoded once, before checks", Level: 2, Status: Documented,
		Note: "net/http and encoding/json decode once before handlers; nothing is unescaped again (docs/security.md, Encoding and decoding)"},
	{ID: "1.1.2", Topic: "encoding at the last step, by the interpreter", Level: 2, Status: Documented,
		Note: "html/template escapes at render, SQL takes bind parameters, go-mail encodes headers; nothing stored pre-encoded " +
			"(docs/security.md; the mechanisms are tested under 1.2.1, 1.2.4, 1.3.11)"},
	{ID: "1.2.1", Topic: "contextual output escaping", Level: 1, Status: Tested,
		Note: "html/template everywhere; trusted-markup conversions only in reviewed places"},
	{ID: "1.2.2", Topic: "URLs built safely, no javascript: links", Level: 1, Status: Partly,
		Note: "links in site pages allow only relative, http(s) and mailto; webhook targets are https (1.3.6); " +
			"other URLs are built from ids and slugs with url escaping, not scanned"},
	{ID: "1.2.3", Topic: "JSON and script output encoded", Level: 1, Status: Tested},
	{ID: "1.2.4", Topic: "SQL only with bind parameters", Level: 1, Status: Tested},
	{ID: "1.2.5", Topic: "no shell, fixed programs only", Level: 1, Status: Tested},
	{ID: "1.2.6", Level: 2, Status: NotApplicable, Note: "no LDAP"},
	{ID: "1.2.7", Level: 2, Status: NotApplicable, Note: "no XPath"},
	{ID: "1.2.8", Level: 2, Status: NotApplicable, Note: "no LaTeX: PDFs are drawn with fpdf"},
	{ID: "1.2.9", Topic: "regular expressions never built from input", Level: 2, Status: Tested},
	{ID: "1.3.1", Level: 1, Status: NotApplicable,
		Note: "no HTML input is accepted anywhere: site pages are Markdown whose raw HTML is refused (1.3.5)"},
	{ID: "1.3.2", Topic: "no eval or dynamic code", Level: 1, Status: Tested},
	{ID: "1.3.3", Topic: "values for dangerous contexts cut and bounded", Level: 2, Status: Documented,
		Note: "values reaching headers, file names and mail are one line and bounded (docs/security.md; tests under 1.3.11, 2.2.1, 5.4.2)"},
	{ID: "1.3.4", Topic: "SVG sanitised", Level: 2, Status: Tested},
	{ID: "1.3.5", Topic: "Markdown sanitised", Level: 2, Status: Tested},
	{ID: "1.3.6", Topic: "SSRF: outbound webhook addresses checked", Level: 2, Status: Tested},
	{ID: "1.3.7", Topic: "templates only from the binary", Level: 2, Status: Tested},
	{ID: "1.3.8", Level: 2, Status: NotApplicable, Note: "no JNDI (not Java)"},
	{ID: "1.3.9", Level: 2, Status: NotApplicable, Note: "no memcache"},
	{ID: "1.3.10", Topic: "format strings constant", Level: 2, Status: Tested},
	{ID: "1.3.11", Topic: "no mail header or SMTP injection", Level: 2, Status: Tested},
	{ID: "1.4.1", Topic: "memory-safe code", Level: 2, Status: Partly,
		Note: "our code is Go without unsafe or cgo; the pure-Go SQLite driver (modernc) uses unsafe internally and is not proven here"},
	{ID: "1.4.2", Topic: "integer overflow", Level: 2, Status: Documented,
		Note: "indexes are bounds-checked by Go; sizes from input are parsed with strconv and limited before use (docs/security.md)"},
	{ID: "1.4.3", Topic: "no dangling pointers", Level: 2, Status: Partly,
		Note: "garbage collected, and the binary links no C (CGO_ENABLED=0); third-party unsafe code is not proven"},
	{ID: "1.5.1", Topic: "no XML external entities", Level: 1, Status: Tested},
	{ID: "1.5.2", Topic: "no type-driven deserialisation", Level: 2, Status: Tested},
})
