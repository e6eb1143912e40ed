package asvs

// Chapter V17, WebRTC: the level 1 and 2 requirements of ASVS 5.0.0.
// Topic and Note are our own words; the standard's text is not copied.
var v17 = chapter(17, "WebRTC", []Requirement{
	{ID: "17.1.1", Level: 2, Status: NotApplicable, Note: "no WebRTC: no TURN server"},
	{ID: "17.2.1", Level: 2, Status: NotApplicable, Note: "no WebRTC: no media server"},
	{ID: "17.2.2", Level: 2, Status: NotApplicable, Note: "no WebRTC: no media server"},
	{ID: "17.2.3", Level: 2, Status: NotApplicable, Note: "no WebRTC: no media server"},
	{ID: "17.2.4", Level: 2, Status: NotApplicable, Note: "no WebRTC: no media server"},
	{ID: "17.3.1", Level: 2, Status: NotApplicable, Note: "no WebRTC: no signalling server"},
	{ID: "17.3.2", Level: 2, Status: NotApplicable, Note: "no WebRTC: no signalling server"},
})
