package sitemd

import (
	"html"
	"regexp"
	"strings"
	"testing"
)

func codes(ps []Problem) []string {
	var c []string
	for _, p := range ps {
		c = append(c, p.Code)
	}
	return c
}

// TestASVS_1_3_5_UnsafeMarkdownRefusedAtSave: each refusal of the safe subset, one
// row each, and what it names (the line and what was found).
func TestASVS_1_3_5_UnsafeMarkdownRefusedAtSave(t *testing.T) {
	for name, tc := range map[string]struct {
		src, code string
		line      int
		found     string
	}{
		"html block":           {"Tekst\n\n<div>x</div>\n", RawHTML, 3, "<div>x</div>"},
		"script":               {"<script>alert(1)</script>", RawHTML, 1, "<script>alert(1)</script>"},
		"inline html":          {"Een <b>vet</b> woord", RawHTML, 1, "<b>"},
		"html comment":         {"a\n\n<!-- x -->", RawHTML, 3, "<!-- x -->"},
		"javascript link":      {"[klik](javascript:alert(1))", BadLink, 1, "javascript:alert(1)"},
		"JavaScript link":      {"x\n[klik](JavaScript:alert(1))", BadLink, 2, "JavaScript:alert(1)"},
		"entity-hidden scheme": {"[klik](java&#x09;script:alert(1))", BadLink, 1, ""},
		"data link":            {"[klik](data:text/html;base64,xx)", BadLink, 1, ""},
		"reference javascript": {"[klik][a]\n\n[a]: javascript:alert(1)", BadLink, 1, ""},
		"autolink javascript":  {"<javascript:alert(1)>", BadLink, 1, ""},
		"image without alt":    {"![](logo.png)", ImageNoAlt, 1, "logo.png"},
		"image with blank alt": {"tekst\n\n![  ](https://x.be/a.png)", ImageNoAlt, 3, ""},
		"image javascript":     {"![a](javascript:alert(1))", BadImage, 1, ""},
		"image mailto":         {"![a](mailto:x@y.be)", BadImage, 1, ""},
		"too long":             {strings.Repeat("a", MaxBodyBytes+1), TooLong, 0, ""},
	} {
		t.Run(name, func(t *testing.T) {
			ps := Check(tc.src)
			if len(ps) == 0 || strings.Trim(strings.ReplaceAll(strings.Join(codes(ps), ","), tc.code, ""), ",") != "" {
				t.Fatalf("Check(%q) = %v, want only %s", tc.src, codes(ps), tc.code)
			}
			if ps[0].Args[0] != tc.line {
				t.Errorf("line %v, want %d", ps[0].Args[0], tc.line)
			}
			if tc.found != "" && ps[0].Args[1] != tc.found {
				t.Errorf("found %q, want %q", ps[0].Args[1], tc.found)
			}
		})
	}
}

// TestCheck_AcceptsTheSubset: ordinary Markdown passes.
func TestCheck_AcceptsTheSubset(t *testing.T) {
	src := "## Openingsuren\n\nHet **loket** is open. Zie [de kaart](https://kaart.be/x), " +
		"[contact](/zonnedal/site/contact), [mail](mailto:info@zonnedal.be), <https://zonnedal.be> of #anker.\n\n" +
		"- een\n- twee\n\n### Adres\n\n![Het gemeentehuis](https://zonnedal.be/huis.jpg)\n\n> citaat\n\n`code` 1 < 2\n"
	if ps := CheckPublish(src); len(ps) != 0 {
		t.Fatalf("refused: %+v", ps)
	}
}

// TestCheckPublish_HeadingOrder: the page title is the h1, so the body
// starts at h2 and never skips a level (WCAG 1.3.1); a draft may.
func TestCheckPublish_HeadingOrder(t *testing.T) {
	for name, tc := range map[string]struct {
		src  string
		want []string
	}{
		"h1":            {"# Titel\n", []string{HeadingH1}},
		"starts at h3":  {"### Laag\n", []string{HeadingSkip}},
		"h2 then h4":    {"## A\n\ntekst\n\n#### B\n", []string{HeadingSkip}},
		"back up is ok": {"## A\n### B\n#### C\n## D\n### E\n", nil},
		"setext h2":     {"Kop\n---\n", nil},
	} {
		t.Run(name, func(t *testing.T) {
			got := codes(CheckPublish(tc.src))
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("CheckPublish(%q) = %v, want %v", tc.src, got, tc.want)
			}
			if len(Check(tc.src)) != 0 {
				t.Fatalf("a draft's headings are refused at save")
			}
		})
	}
	ps := CheckPublish("## A\n\n#### B\n")
	if ps[0].Args[0] != 3 || ps[0].Args[1] != 4 || ps[0].Args[2] != 3 {
		t.Fatalf("skip names %v", ps[0].Args)
	}
}

// TestASVS_1_3_5_MarkdownRendersWithoutHTMLOrScriptLinks: even a text Check would refuse renders without raw
// HTML or a javascript: link; headings never render as h1.
func TestASVS_1_3_5_MarkdownRendersWithoutHTMLOrScriptLinks(t *testing.T) {
	out, err := Render("# Titel\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <b>y</b> ![a](https://x.be/a.png)\n")
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, bad := range []string{"<script", "javascript:", "<b>", "<h1"} {
		if strings.Contains(s, bad) {
			t.Errorf("rendered %q contains %q", s, bad)
		}
	}
	if !strings.Contains(s, "<h2>Titel</h2>") || !strings.Contains(s, `<img src="https://x.be/a.png" alt="a">`) {
		t.Errorf("rendered %q", s)
	}
}

// TestCheck_AcceptsLocalSiteImages: the snippet the image library gives
// (a local /{tenant}/site/images/{id} address with alt text) passes the
// publish checks and renders as an image with that alt text; without alt
// text it is refused (WCAG 1.1.1).
func TestCheck_AcceptsLocalSiteImages(t *testing.T) {
	snippet := "![Het stadspark](/demo/site/images/01a2452644377335)"
	if ps := CheckPublish(snippet); len(ps) != 0 {
		t.Fatalf("the image library's snippet is refused: %v", ps)
	}
	html, err := Render(snippet)
	if err != nil || !strings.Contains(string(html), `src="/demo/site/images/01a2452644377335" alt="Het stadspark"`) {
		t.Fatalf("render: %s %v", html, err)
	}
	if ps := Check("![](/demo/site/images/01a2452644377335)"); len(ps) != 1 || ps[0].Code != ImageNoAlt {
		t.Fatalf("a local image without alt text: %v", ps)
	}
}

// FuzzCheckRender: Markdown a tenant's editor writes never panics the
// checker or the renderer, and what the checker accepts renders without
// raw HTML, script or a javascript:/data: link (ASVS 1.3.5).
// renderedURL finds the addresses in rendered HTML.
var renderedURL = regexp.MustCompile(`(?i)\b(href|src)\s*=\s*"([^"]*)"`)

func FuzzCheckRender(f *testing.F) {
	for _, s := range []string{"## A\n\n[x](https://a.be) ![b](/demo/site/images/1)", "<script>x</script>", "[a](java&#x09;script:x)",
		"[a][b]\n\n[b]: javascript:x", "<javascript:x>", "`<b>`", "![a](data:image/png;base64,xx)", "> - [ ] <i>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		ps := Check(src)
		out, err := Render(src)
		if err != nil || len(ps) > 0 {
			return
		}
		low := strings.ToLower(string(out))
		// A dangerous scheme matters in an address, not in the text
		// ("javascript:" written in a sentence is harmless words): each
		// href and src is read as a browser would, entities decoded and
		// the blanks and control characters it drops removed.
		for _, m := range renderedURL.FindAllStringSubmatch(string(out), -1) {
			u := strings.ToLower(strings.Map(func(r rune) rune {
				if r <= ' ' {
					return -1
				}
				return r
			}, html.UnescapeString(m[2])))
			for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
				if strings.HasPrefix(u, scheme) {
					t.Fatalf("accepted %q renders a %s address in %s: %s", src, scheme, m[1], out)
				}
			}
		}
		for _, bad := range []string{"<script", "<iframe", "<style", "<object", "<embed", " on"} {
			if bad == " on" {
				// an event handler attribute inside a tag
				for _, tag := range strings.Split(low, "<")[1:] {
					end := strings.IndexByte(tag, '>')
					if end < 0 {
						continue
					}
					for _, attr := range strings.Fields(tag[:end])[1:] {
						if strings.HasPrefix(attr, "on") {
							t.Fatalf("accepted %q renders an event handler: %s", src, out)
						}
					}
				}
				continue
			}
			if strings.Contains(low, bad) {
				t.Fatalf("accepted %q renders %q: %s", src, bad, out)
			}
		}
	})
}

// TestASVS_1_2_2_OnlySafeURLSchemesInLinks: a link or image address an
// editor writes is allowed only as a relative reference, http(s) or (for
// links) mailto; every other scheme is refused however it is disguised
// (case, entities, blanks and control characters a browser drops).
func TestASVS_1_2_2_OnlySafeURLSchemesInLinks(t *testing.T) {
	for _, u := range []string{"/demo/site/x", "x?a=1#b", "#top", "https://a.be/x", "HTTP://a.be", "//a.be/x"} {
		if !safeURL(u, false) {
			t.Errorf("%q refused", u)
		}
	}
	if !safeURL("mailto:info@a.be", true) || safeURL("mailto:info@a.be", false) {
		t.Error("mailto: allowed for images or refused for links")
	}
	for _, u := range []string{"javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:x", "java\tscript:x", "java&#x0A;script:x",
		"&#106;avascript:x", "java\x00script:x", "data:text/html,<b>", "vbscript:x", "file:///etc/passwd", "blob:https://a.be/1",
		"jav&#x61;script:x", "\x01javascript:x"} {
		if safeURL(u, true) {
			t.Errorf("%q allowed", u)
		}
	}
}
