package asvs

// Chapter V4, API and Web Service: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v4 = chapter(4, "API and Web Service", []Requirement{
	{ID: "4.1.1", Topic: "Content-Type with charset on every body", Level: 1, Status: Tested,
		Note: "every route as every party; JSON has no charset parameter (RFC 8259)"},
	{ID: "4.1.2", Topic: "only pages redirect to HTTPS, the API refuses", Level: 2, Status: Tested},
	{ID: "4.1.3", Topic: "proxy headers believed only from trusted proxies", Level: 2, Status: Tested},
	{ID: "4.2.1", Topic: "request smuggling: chunked wins, ambiguity refused", Level: 2, Status: Tested},
	{ID: "4.3.1", Level: 2, Status: NotApplicable, Note: "no GraphQL"},
	{ID: "4.3.2", Level: 2, Status: NotApplicable, Note: "no GraphQL"},
	{ID: "4.4.1", Level: 1, Status: NotApplicable, Note: "no WebSocket"},
	{ID: "4.4.2", Level: 2, Status: NotApplicable, Note: "no WebSocket"},
	{ID: "4.4.3", Level: 2, Status: NotApplicable, Note: "no WebSocket"},
	{ID: "4.4.4", Level: 2, Status: NotApplicable, Note: "no WebSocket"},
})
