// Package sitemd renders the safe Markdown subset of a tenant's site pages
// and checks a text against it. Rendering is goldmark's CommonMark with its
// default renderer, which leaves raw HTML out and drops dangerous link
// schemes; Check refuses those at save time instead, so that an editor is
// told rather than seeing part of the text silently vanish. CheckPublish
// adds the structure WCAG 2.1 AA asks of a published page (1.3.1, 2.4.6):
// the page title is the h1, so the body's headings start at h2 and never
// skip a level.
package sitemd

import (
	"bytes"
	"html"
	"html/template"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// Problem is one refusal: a catalogue key ("site.md.<Code>") and its
// arguments (the line, then what was found).
type Problem struct {
	Code string
	Args []any
}

// MessageKey is the catalogue key of the problem's sentence.
func (p Problem) MessageKey() string { return "site.md." + p.Code }

// The refusals.
const (
	RawHTML      = "raw_html"     // line, the HTML found
	BadLink      = "bad_link"     // line, the destination
	BadImage     = "bad_image"    // line, the source
	ImageNoAlt   = "image_no_alt" // line, the source
	HeadingH1    = "heading_h1"   // line
	HeadingSkip  = "heading_skip" // line, the level, the highest allowed
	TooLong      = "too_long"     // 0, the limit
	MaxBodyBytes = 100_000
)

var md = goldmark.New() // CommonMark; the default renderer omits raw HTML (html.WithUnsafe is never set)

func parse(src []byte) ast.Node { return md.Parser().Parse(text.NewReader(src)) }

// lineOf is the 1-based line of byte offset off in src.
func lineOf(src []byte, off int) int { return bytes.Count(src[:min(off, len(src))], []byte("\n")) + 1 }

// start is the offset of n's first byte in the source, or -1.
func start(n ast.Node) int {
	if n.Type() == ast.TypeBlock { // an inline node panics on Lines
		if l := n.Lines(); l != nil && l.Len() > 0 {
			return l.At(0).Start
		}
	}
	if t, ok := n.(*ast.Text); ok {
		return t.Segment.Start
	}
	if r, ok := n.(*ast.RawHTML); ok && r.Segments.Len() > 0 {
		return r.Segments.At(0).Start
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if s := start(c); s >= 0 {
			return s
		}
	}
	return -1
}

// line is the line n is on; inline nodes without a position of their own
// take their paragraph's.
func line(src []byte, n ast.Node) int {
	for p := n; p != nil; p = p.Parent() {
		if s := start(p); s >= 0 {
			return lineOf(src, s)
		}
	}
	return 1
}

// plain is the text of n's children (an image's alt text).
func plain(src []byte, n ast.Node) string {
	var b strings.Builder
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering {
			b.Write(t.Segment.Value(src))
		}
		if s, ok := c.(*ast.String); ok && entering {
			b.Write(s.Value)
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// safeURL says whether u is a relative reference or an http(s) or mailto
// address. Entities are resolved and blanks and control characters removed
// before the scheme is read, as a browser would ("java&#x09;script:").
func safeURL(u string, mailto bool) bool {
	u = html.UnescapeString(u)
	u = strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, u)
	i := strings.IndexAny(u, ":/?#")
	if i < 0 || u[i] != ':' {
		return true // no scheme: relative
	}
	switch strings.ToLower(u[:i]) {
	case "http", "https":
		return true
	case "mailto":
		return mailto
	}
	return false
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return s
}

// Check returns what the save of src must refuse: raw HTML, a link that is
// not http(s), mailto or relative, an image whose source is not http(s) or
// relative, an image without alt text (WCAG 1.1.1), a passage marked with
// an unknown language code or a language fence left open (WCAG 3.1.2).
// Nil when src is acceptable.
func Check(src string) []Problem {
	b := []byte(src)
	if len(b) > MaxBodyBytes {
		return []Problem{{TooLong, []any{0, MaxBodyBytes}}}
	}
	_, ps := splitLang(src) // WCAG 3.1.2: see lang.go
	ast.Walk(parse(b), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.HTMLBlock:
			var h []byte
			for i := 0; i < n.Lines().Len(); i++ {
				seg := n.Lines().At(i)
				h = append(h, seg.Value(b)...)
			}
			ps = append(ps, Problem{RawHTML, []any{line(b, n), snippet(h)}})
		case *ast.RawHTML:
			var h []byte
			for i := 0; i < n.Segments.Len(); i++ {
				seg := n.Segments.At(i)
				h = append(h, seg.Value(b)...)
			}
			ps = append(ps, Problem{RawHTML, []any{line(b, n), snippet(h)}})
		case *ast.Link:
			if !safeURL(string(n.Destination), true) {
				ps = append(ps, Problem{BadLink, []any{line(b, n), snippet(n.Destination)}})
			}
		case *ast.AutoLink:
			if !safeURL(string(n.URL(b)), true) && n.AutoLinkType != ast.AutoLinkEmail {
				ps = append(ps, Problem{BadLink, []any{line(b, n), snippet(n.URL(b))}})
			}
		case *ast.Image:
			if !safeURL(string(n.Destination), false) {
				ps = append(ps, Problem{BadImage, []any{line(b, n), snippet(n.Destination)}})
			}
			if strings.TrimSpace(plain(b, n)) == "" {
				ps = append(ps, Problem{ImageNoAlt, []any{line(b, n), snippet(n.Destination)}})
			}
		}
		return ast.WalkContinue, nil
	})
	return ps
}

// CheckPublish returns what publishing src must refuse on top of Check:
// an h1 (the page title is the only h1) and a heading that skips a level
// (h2 then h4), WCAG 1.3.1.
func CheckPublish(src string) []Problem {
	ps := Check(src)
	b := []byte(src)
	prev := 1 // the page title
	ast.Walk(parse(b), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		h, ok := n.(*ast.Heading)
		if !ok || !entering {
			return ast.WalkContinue, nil
		}
		switch {
		case h.Level == 1:
			ps = append(ps, Problem{HeadingH1, []any{line(b, h)}})
		case h.Level > prev+1:
			ps = append(ps, Problem{HeadingSkip, []any{line(b, h), h.Level, prev + 1}})
		}
		prev = max(h.Level, 2)
		return ast.WalkContinue, nil
	})
	return ps
}

// Render turns src into HTML. Raw HTML is left out and unsafe link schemes
// dropped by goldmark's defaults even if a text was stored before Check
// refused it; headings are shifted so that none is an h1; a passage marked
// with a language (lang.go) is rendered inside an element with its lang.
func Render(src string) (template.HTML, error) {
	return renderParts(src, render)
}

// render renders one part of a text (see lang.go).
func render(src string) (template.HTML, error) {
	b := []byte(src)
	doc := parse(b)
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering && h.Level == 1 {
			h.Level = 2
		}
		return ast.WalkContinue, nil
	})
	var out bytes.Buffer
	if err := md.Renderer().Render(&out, b, doc); err != nil {
		return "", err
	}
	return template.HTML(out.String()), nil // goldmark's safe renderer escapes all text
}
