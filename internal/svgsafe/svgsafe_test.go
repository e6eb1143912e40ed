package svgsafe

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

const svgOpen = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">`

// TestASVS_1_3_4_SVGHostileSamples feeds documents that carry script in
// every way an SVG can (LOC-3): each is refused, or comes back without any
// of it.
func TestASVS_1_3_4_SVGHostileSamples(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
		absent  []string // lower-case fragments that must not survive
		present []string // what must survive
	}{
		{name: "script element", in: svgOpen + `<script>alert(1)</script><rect width="5" height="5"/></svg>`,
			absent: []string{"script", "alert"}, present: []string{`<rect height="5" width="5"></rect>`}},
		{name: "script in another case", in: svgOpen + `<SCRIPT>alert(1)</SCRIPT><rect width="5"/></svg>`,
			absent: []string{"script", "alert"}},
		{name: "onload on the root", in: `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1"/></svg>`,
			absent: []string{"onload", "alert"}},
		{name: "event handler on a shape", in: svgOpen + `<rect width="1" onclick="alert(1)" onmouseover="x()"/></svg>`,
			absent: []string{"onclick", "onmouseover", "alert"}},
		{name: "foreignObject with HTML", in: svgOpen + `<foreignObject><body xmlns="http://www.w3.org/1999/xhtml"><iframe src="https://evil.example"/></body></foreignObject><circle r="2"/></svg>`,
			absent: []string{"foreignobject", "iframe", "evil", "body"}, present: []string{"<circle"}},
		{name: "external xlink:href", in: `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="https://evil.example/x.svg#a"/><rect width="1"/></svg>`,
			absent: []string{"evil", "href"}},
		{name: "javascript href", in: svgOpen + `<use href="javascript:alert(1)"/><rect width="1"/></svg>`,
			absent: []string{"javascript", "alert"}},
		{name: "data href", in: svgOpen + `<use href="data:image/svg+xml;base64,PHN2Zz4="/><rect width="1"/></svg>`,
			absent: []string{"data:"}},
		{name: "fragment href kept", in: `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><defs><circle id="c" r="1"/></defs><use xlink:href="#c"/></svg>`,
			present: []string{`<use href="#c"></use>`}},
		{name: "anchor element", in: svgOpen + `<a href="https://evil.example"><rect width="1"/></a><circle r="1"/></svg>`,
			absent: []string{"evil", "<a"}},
		{name: "image element", in: svgOpen + `<image href="https://tracker.example/p.png"/><circle r="1"/></svg>`,
			absent: []string{"tracker", "<image"}},
		{name: "style element with url", in: svgOpen + `<style>rect{fill:url(https://evil.example/x)}</style><rect width="1"/></svg>`,
			absent: []string{"<style", "evil"}},
		{name: "style attribute with url", in: svgOpen + `<rect width="1" style="fill:url(https://evil.example/x)"/></svg>`,
			absent: []string{"style", "evil"}},
		{name: "style attribute with import", in: svgOpen + `<rect width="1" style="@import 'x'"/></svg>`,
			absent: []string{"style", "import"}},
		{name: "plain style attribute kept", in: svgOpen + `<rect width="1" style="fill:#123456"/></svg>`,
			present: []string{`style="fill:#123456"`}},
		{name: "fill with external url", in: svgOpen + `<rect width="1" fill="url(https://evil.example/#g)"/></svg>`,
			absent: []string{"evil", "fill"}},
		{name: "fill with local gradient kept", in: svgOpen + `<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs><rect width="1" fill="url(#g)"/></svg>`,
			present: []string{`fill="url(#g)"`, "<lineargradient"}},
		{name: "animate to set an href", in: svgOpen + `<a><animate attributeName="href" to="javascript:alert(1)"/></a><set attributeName="onload" to="alert(1)"/><rect width="1"/></svg>`,
			absent: []string{"animate", "javascript", "<set", "alert"}},
		{name: "iframe and embed", in: svgOpen + `<iframe src="x"/><embed src="y"/><rect width="1"/></svg>`,
			absent: []string{"iframe", "embed"}},
		{name: "processing instruction for a style sheet", in: `<?xml-stylesheet href="https://evil.example/x.css"?>` + svgOpen + `<rect width="1"/></svg>`,
			absent: []string{"evil", "stylesheet"}},
		{name: "comment hiding markup", in: svgOpen + `<!-- <script>alert(1)</script> --><rect width="1"/></svg>`,
			absent: []string{"script", "alert", "<!--"}},
		{name: "CDATA text is escaped", in: svgOpen + `<text><![CDATA[<script>alert(1)</script>]]></text></svg>`,
			absent: []string{"<script"}, present: []string{"&lt;script&gt;"}},
		{name: "xml:base and foreign attributes", in: `<svg xmlns="http://www.w3.org/2000/svg" xmlns:ev="http://www.w3.org/2001/xml-events" xml:base="https://evil.example/"><rect width="1" ev:event="click"/></svg>`,
			absent: []string{"evil", "ev:", "xml:base"}},
		{name: "element in a foreign namespace", in: `<svg xmlns="http://www.w3.org/2000/svg"><h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script><rect width="1"/></svg>`,
			absent: []string{"script", "alert"}},
		{name: "DOCTYPE with an entity", in: `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + svgOpen + `<text>&xxe;</text></svg>`,
			wantErr: ErrDoctype},
		{name: "billion laughs", in: `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>` + svgOpen + `<text>&lol2;</text></svg>`,
			wantErr: ErrDoctype},
		{name: "undeclared entity", in: svgOpen + `<text>&nbsp;</text></svg>`, wantErr: ErrNotXML},
		{name: "not XML", in: `GIF89a this is not xml`, wantErr: ErrNotSVG},
		{name: "HTML", in: `<html><body><script>alert(1)</script></body></html>`, wantErr: ErrNotSVG},
		{name: "svg without namespace", in: `<svg><rect width="1"/></svg>`, wantErr: ErrNotSVG},
		{name: "two roots", in: svgOpen + `<rect width="1"/></svg><svg xmlns="http://www.w3.org/2000/svg"/>`, wantErr: ErrNotSVG},
		{name: "unclosed", in: svgOpen + `<rect width="1">`, wantErr: ErrNotXML},
		{name: "nothing to draw", in: svgOpen + `<script>alert(1)</script></svg>`, wantErr: ErrNoContent},
		{name: "too deep", in: svgOpen + strings.Repeat("<g>", MaxDepth) + strings.Repeat("</g>", MaxDepth) + `</svg>`, wantErr: ErrTooDeep},
		{name: "too many", in: svgOpen + strings.Repeat("<g/>", MaxElements) + `</svg>`, wantErr: ErrTooMany},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Sanitize([]byte(tt.in))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v (out %q)", err, tt.wantErr, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("Sanitize: %v", err)
			}
			low := strings.ToLower(string(out))
			for _, s := range tt.absent {
				if strings.Contains(low, s) {
					t.Errorf("%q survived in %s", s, out)
				}
			}
			for _, s := range tt.present {
				if !strings.Contains(low, strings.ToLower(s)) {
					t.Errorf("%q missing from %s", s, out)
				}
			}
			checkSafe(t, out)
		})
	}
}

// TestSanitizeKeepsALogo: an ordinary logo (Inkscape-like, with a title,
// a gradient and text) keeps what draws it.
func TestSanitizeKeepsALogo(t *testing.T) {
	in := `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="120" height="40" viewBox="0 0 120 40" inkscape:version="1.2">
  <title>Gemeente Zonnedal</title>
  <defs><linearGradient id="g1"><stop offset="0" stop-color="#0a4a8a"/><stop offset="1" stop-color="#073766"/></linearGradient></defs>
  <rect x="0" y="0" width="40" height="40" rx="6" fill="url(#g1)"/>
  <text x="48" y="26" font-family="sans-serif" font-size="14" fill="#1b1f23">Zonnedal &amp; co</text>
</svg>`
	out, err := Sanitize([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`<svg xmlns="http://www.w3.org/2000/svg" height="40" viewBox="0 0 120 40" width="120">`,
		"<title>Gemeente Zonnedal</title>", `fill="url(#g1)"`, "Zonnedal &amp; co", `stop-color="#0a4a8a"`} {
		if !strings.Contains(string(out), s) {
			t.Errorf("%q missing from %s", s, out)
		}
	}
	if strings.Contains(string(out), "inkscape") {
		t.Errorf("foreign namespace kept: %s", out)
	}
	checkSafe(t, out)
}

// checkSafe asserts what every sanitised document must be: well-formed
// XML in the SVG namespace with only allowed elements and attributes, no
// reference outside itself, and a fixed point of Sanitize.
func checkSafe(t *testing.T, out []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(out))
	d.Strict = true
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("output is not XML: %v\n%s", err, out)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if tk.Name.Space != nsSVG || !elements[tk.Name.Local] {
				t.Fatalf("element %v in output", tk.Name)
			}
			for _, a := range tk.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				if a.Name.Space != "" || !attributes[a.Name.Local] || !safeValue(a.Name.Local, a.Value) {
					t.Fatalf("attribute %v=%q in output", a.Name, a.Value)
				}
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
					t.Fatalf("event handler %v in output", a.Name)
				}
			}
		case xml.Directive, xml.ProcInst, xml.Comment:
			t.Fatalf("%T in output", tk)
		}
	}
	again, err := Sanitize(out)
	if err != nil {
		t.Fatalf("the output does not sanitise again: %v\n%s", err, out)
	}
	if !bytes.Equal(again, out) {
		t.Fatalf("not a fixed point:\n%s\n%s", out, again)
	}
}

// FuzzSanitize: whatever comes in, Sanitize does not panic, and what it
// lets through is safe (see checkSafe).
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		svgOpen + `<rect width="5" height="5"/></svg>`,
		svgOpen + `<script>alert(1)</script><circle r="1" onload="x"/></svg>`,
		`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="#a"/><g id="a"><path d="M0 0L1 1"/></g></svg>`,
		svgOpen + `<rect style="fill:url(#g)" fill="url('#g')"/><text>a &lt; b</text></svg>`,
		`<!DOCTYPE svg>` + svgOpen + `</svg>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Sanitize(in)
		if err != nil {
			return
		}
		checkSafe(t, out)
	})
}

// TestASVS_1_5_1_ExternalEntitiesAndDTDsRefused: the only XML Kluis parses
// from outside (an uploaded SVG logo) is refused when it declares a DTD,
// an external entity, a parameter entity or an XInclude, and an entity it
// did not declare is an error rather than looked up.
func TestASVS_1_5_1_ExternalEntitiesAndDTDsRefused(t *testing.T) {
	for name, in := range map[string]string{
		"external entity":  `<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + svgOpen + `<text>&x;</text></svg>`,
		"public DTD":       `<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://127.0.0.1/svg11.dtd">` + svgOpen + `</svg>`,
		"parameter entity": `<!DOCTYPE svg [<!ENTITY % p SYSTEM "http://127.0.0.1/x.dtd"> %p;]>` + svgOpen + `</svg>`,
	} {
		if out, err := Sanitize([]byte(in)); !errors.Is(err, ErrDoctype) || out != nil {
			t.Errorf("%s: %q, %v; want ErrDoctype", name, out, err)
		}
	}
	if out, err := Sanitize([]byte(svgOpen + `<text>&x;</text></svg>`)); err == nil {
		t.Errorf("an undeclared entity was accepted: %q", out)
	}
	out, err := Sanitize([]byte(svgOpen + `<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"/></svg>`))
	if err == nil && (bytes.Contains(out, []byte("include")) || bytes.Contains(out, []byte("passwd"))) {
		t.Errorf("XInclude kept: %q", out)
	}
}
