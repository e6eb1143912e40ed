// Package svgsafe sanitises an uploaded SVG image (a tenant's logo) so that
// it can be served from our origin: it parses the document with
// encoding/xml and writes back only an allow-list of SVG elements and
// attributes. Scripts, foreignObject, event handlers, style sheets, links to
// anything but a fragment of the same document (#id), url() other than
// url(#id), processing instructions, comments, DOCTYPE and entities never
// come through (LOC-3: OWASP A03 injection, stored XSS through an upload).
//
// It is pure Go and imports only the standard library.
package svgsafe

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Limits of what Sanitize accepts.
const (
	MaxDepth    = 32   // nesting of elements
	MaxElements = 5000 // elements kept and dropped together
)

// Namespaces of the documents Sanitize reads and writes.
const (
	nsSVG   = "http://www.w3.org/2000/svg"
	nsXLink = "http://www.w3.org/1999/xlink"
)

// Errors of Sanitize. Each names what is wrong with the document, never
// repeats its content.
var (
	ErrNotXML    = errors.New("svgsafe: not a well-formed XML document")
	ErrNotSVG    = errors.New("svgsafe: the root element is not an SVG element")
	ErrDoctype   = errors.New("svgsafe: a DOCTYPE or entity declaration is not allowed")
	ErrTooDeep   = errors.New("svgsafe: elements are nested too deep")
	ErrTooMany   = errors.New("svgsafe: too many elements")
	ErrNoContent = errors.New("svgsafe: the document has nothing to draw")
)

// elements are the SVG elements kept: shapes, text, grouping, gradients,
// clipping and reuse within the document. Anything else (script,
// foreignObject, style, image, a, animate, set, iframe, feImage…) is
// dropped together with everything inside it.
var elements = set("svg", "g", "defs", "symbol", "use", "title", "desc", "path", "rect", "circle", "ellipse",
	"line", "polyline", "polygon", "text", "tspan", "linearGradient", "radialGradient", "stop", "clipPath", "mask")

// attributes are the attributes kept, on any kept element. No event
// handler (on*), no style sheet beyond a checked style attribute, no
// reference but a fragment.
var attributes = set("id", "class", "d", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy",
	"width", "height", "viewBox", "preserveAspectRatio", "points", "transform", "version",
	"fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
	"stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "opacity",
	"clip-path", "clip-rule", "mask", "offset", "stop-color", "stop-opacity", "gradientUnits",
	"gradientTransform", "spreadMethod", "clipPathUnits", "maskUnits", "maskContentUnits",
	"font-family", "font-size", "font-weight", "font-style", "text-anchor", "dominant-baseline",
	"letter-spacing", "dx", "dy", "style", "role", "aria-label", "aria-hidden", "focusable", "href")

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// fragment is the only form a reference may take: a same-document id.
var fragment = regexp.MustCompile(`^#[A-Za-z_][A-Za-z0-9_.:-]{0,63}$`)

// localURL is the only url() a value may hold: url(#id).
var localURL = regexp.MustCompile(`(?i)url\(\s*(['"]?)#[A-Za-z_][A-Za-z0-9_.:-]{0,63}(['"]?)\s*\)`)

// Sanitize returns a sanitised copy of the SVG document src: the allowed
// elements and attributes only, re-serialised, in the SVG namespace. A
// document that is not well-formed XML, whose root is not <svg>, that
// declares a DOCTYPE or entities, or that is nested too deep or too large
// is refused with an error; a disallowed element or attribute is dropped.
func Sanitize(src []byte) ([]byte, error) {
	d := xml.NewDecoder(bytes.NewReader(src))
	d.Strict = true
	d.Entity = nil // only the five XML entities; &xxe; is an error
	d.CharsetReader = nil

	var out bytes.Buffer
	depth, skip, count := 0, 0, 0 // skip > 0: inside a dropped element
	rootSeen, drawn := false, false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, ErrNotXML
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, ErrDoctype
		case xml.ProcInst:
			if t.Target != "xml" || rootSeen {
				continue // dropped: only the XML declaration is tolerated, and not written
			}
		case xml.Comment:
			continue
		case xml.StartElement:
			count++
			if count > MaxElements {
				return nil, ErrTooMany
			}
			depth++
			if depth > MaxDepth {
				return nil, ErrTooDeep
			}
			if depth == 1 {
				if rootSeen || t.Name.Space != nsSVG || t.Name.Local != "svg" {
					return nil, ErrNotSVG
				}
				rootSeen = true
			}
			if skip > 0 {
				skip++
				continue
			}
			if t.Name.Space != nsSVG || !elements[t.Name.Local] {
				skip = 1
				continue
			}
			out.WriteByte('<')
			out.WriteString(t.Name.Local)
			if depth == 1 {
				out.WriteString(` xmlns="` + nsSVG + `"`)
			}
			writeAttrs(&out, t.Attr)
			out.WriteByte('>')
			if t.Name.Local != "svg" && t.Name.Local != "title" && t.Name.Local != "desc" {
				drawn = true
			}
		case xml.EndElement:
			depth--
			if skip > 0 {
				skip--
				continue
			}
			out.WriteString("</" + t.Name.Local + ">")
		case xml.CharData:
			if skip > 0 || depth == 0 {
				continue
			}
			if err := xml.EscapeText(&out, t); err != nil {
				return nil, ErrNotXML
			}
		}
	}
	if !rootSeen {
		return nil, ErrNotSVG
	}
	if !drawn {
		return nil, ErrNoContent
	}
	return out.Bytes(), nil
}

// writeAttrs writes the allowed attributes of an element, in a stable
// order, with their values escaped. An attribute whose value would reach
// outside the document is dropped.
func writeAttrs(out *bytes.Buffer, attrs []xml.Attr) {
	kept := map[string]string{}
	for _, a := range attrs {
		name := a.Name.Local
		switch a.Name.Space {
		case "":
		case nsXLink:
			if name != "href" {
				continue
			}
		default:
			continue // xmlns declarations (written anew), xml:base, foreign namespaces
		}
		if !attributes[name] || !safeValue(name, a.Value) {
			continue
		}
		kept[name] = a.Value
	}
	names := make([]string, 0, len(kept))
	for n := range kept {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(out, ` %s="`, n)
		xml.EscapeText(out, []byte(kept[n]))
		out.WriteByte('"')
	}
}

// safeValue reports whether an allowed attribute's value stays inside the
// document: a reference is a fragment, url() is url(#id), and a style
// attribute holds no @import, expression(), escapes or other url().
func safeValue(name, v string) bool {
	if name == "href" {
		return fragment.MatchString(strings.TrimSpace(v))
	}
	lower := strings.ToLower(v)
	rest := localURL.ReplaceAllString(lower, "")
	for _, bad := range []string{"url(", "javascript:", "data:", "expression(", "@import", "\\", "<", "&"} {
		if strings.Contains(rest, bad) {
			return false
		}
	}
	if name == "style" && strings.Contains(lower, "behavior") {
		return false
	}
	return true
}
