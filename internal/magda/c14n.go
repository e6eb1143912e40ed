package magda

// Exclusive XML canonicalisation (https://www.w3.org/TR/xml-exc-c14n/, without
// comments and without an InclusiveNamespaces prefix list) of one element of a
// parsed document: the subset WS-Security needs to sign and verify a SOAP Body
// and a ds:SignedInfo (LOC-2). We implement it ourselves because no XML-DSig
// library is available from the module proxy here; the subset is small:
// elements, attributes, namespace declarations, text. A document type
// declaration or processing instruction is refused rather than half-handled.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

// node is an element of a parsed document, kept with the prefixes as written
// so that canonicalisation can reproduce them.
type node struct {
	prefix, local string
	attrs         []xml.Attr        // non-namespace attributes, Name.Space = prefix
	decls         map[string]string // namespace declarations on this element ("" = default)
	children      []any             // *node or string (character data)
	parent        *node
}

// maxDepth bounds element nesting so a hostile answer cannot exhaust the stack.
const maxDepth = 64

var errXML = errors.New("magda: malformed XML")

// parseXML reads a whole document into a tree. It refuses DTDs and processing
// instructions other than the XML declaration, and checks that tags match
// (the raw token reader does not).
func parseXML(data []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var root, cur *node
	depth := 0
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errXML, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if cur == nil && root != nil {
				return nil, fmt.Errorf("%w: more than one document element", errXML)
			}
			depth++
			if depth > maxDepth {
				return nil, fmt.Errorf("%w: nested too deeply", errXML)
			}
			n := &node{prefix: t.Name.Space, local: t.Name.Local, decls: map[string]string{}, parent: cur}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					n.decls[""] = a.Value
				case a.Name.Space == "xmlns":
					n.decls[a.Name.Local] = a.Value
				default:
					n.attrs = append(n.attrs, a)
				}
			}
			if cur == nil {
				root = n
			} else {
				cur.children = append(cur.children, n)
			}
			cur = n
		case xml.EndElement:
			if cur == nil || cur.prefix != t.Name.Space || cur.local != t.Name.Local {
				return nil, fmt.Errorf("%w: unexpected end tag", errXML)
			}
			depth--
			cur = cur.parent
		case xml.CharData:
			if cur == nil {
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, fmt.Errorf("%w: text outside the document element", errXML)
				}
				continue
			}
			cur.children = append(cur.children, string(t))
		case xml.Comment:
			// Dropped: canonicalisation without comments.
		case xml.ProcInst:
			if t.Target != "xml" || root != nil {
				return nil, fmt.Errorf("%w: processing instruction", errXML)
			}
		case xml.Directive:
			return nil, fmt.Errorf("%w: document type declarations are refused", errXML)
		}
	}
	if root == nil || cur != nil {
		return nil, fmt.Errorf("%w: incomplete document", errXML)
	}
	if err := root.checkPrefixes(); err != nil {
		return nil, err
	}
	return root, nil
}

// lookup resolves a prefix in scope at n; ok is false for an unbound prefix.
func (n *node) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return xmlNamespace, true
	}
	for e := n; e != nil; e = e.parent {
		if uri, ok := e.decls[prefix]; ok {
			return uri, true
		}
	}
	if prefix == "" {
		return "", true
	}
	return "", false
}

// space is the namespace URI of the element.
func (n *node) space() string {
	uri, _ := n.lookup(n.prefix)
	return uri
}

func (n *node) checkPrefixes() error {
	if _, ok := n.lookup(n.prefix); !ok {
		return fmt.Errorf("%w: unbound prefix", errXML)
	}
	for _, a := range n.attrs {
		if a.Name.Space == "" {
			continue
		}
		if _, ok := n.lookup(a.Name.Space); !ok {
			return fmt.Errorf("%w: unbound prefix", errXML)
		}
	}
	for _, c := range n.children {
		if e, ok := c.(*node); ok {
			if err := e.checkPrefixes(); err != nil {
				return err
			}
		}
	}
	return nil
}

// attr returns the value of the attribute with the given namespace and local name.
func (n *node) attr(space, local string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Local != local {
			continue
		}
		uri := ""
		if a.Name.Space != "" {
			uri, _ = n.lookup(a.Name.Space)
		}
		if uri == space {
			return a.Value, true
		}
	}
	return "", false
}

// elems returns the element children with the given namespace and local name.
func (n *node) elems(space, local string) []*node {
	var out []*node
	for _, c := range n.children {
		if e, ok := c.(*node); ok && e.local == local && e.space() == space {
			out = append(out, e)
		}
	}
	return out
}

// elem returns the only such child, or nil when there is none or more than one.
func (n *node) elem(space, local string) *node {
	if es := n.elems(space, local); len(es) == 1 {
		return es[0]
	}
	return nil
}

// text is the concatenated character data directly inside n.
func (n *node) text() string {
	var b strings.Builder
	for _, c := range n.children {
		if s, ok := c.(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

// canonicalise writes the exclusive canonical form of the subtree rooted at n.
func canonicalise(n *node) []byte {
	var b bytes.Buffer
	writeCanonical(&b, n, map[string]string{"": ""})
	return b.Bytes()
}

// writeCanonical renders n; rendered holds the namespace bindings already
// output by canonical ancestors (exc-c14n section 3: a declaration is output
// where its prefix is visibly utilised and not already rendered with that URI).
func writeCanonical(b *bytes.Buffer, n *node, rendered map[string]string) {
	used := map[string]bool{n.prefix: true}
	for _, a := range n.attrs {
		if a.Name.Space != "" {
			used[a.Name.Space] = true
		}
	}
	delete(used, "xml")
	var prefixes []string
	scope := rendered
	for p := range used {
		uri, _ := n.lookup(p)
		if have, ok := rendered[p]; ok && have == uri {
			continue
		}
		prefixes = append(prefixes, p)
	}
	if len(prefixes) > 0 {
		scope = make(map[string]string, len(rendered)+len(prefixes))
		for k, v := range rendered {
			scope[k] = v
		}
	}
	sort.Strings(prefixes)

	name := n.local
	if n.prefix != "" {
		name = n.prefix + ":" + n.local
	}
	b.WriteByte('<')
	b.WriteString(name)
	for _, p := range prefixes {
		uri, _ := n.lookup(p)
		scope[p] = uri
		if p == "" {
			b.WriteString(` xmlns="`)
		} else {
			b.WriteString(` xmlns:` + p + `="`)
		}
		escape(b, uri, true)
		b.WriteByte('"')
	}
	type qattr struct{ uri, local, name, value string }
	attrs := make([]qattr, 0, len(n.attrs))
	for _, a := range n.attrs {
		q := qattr{local: a.Name.Local, name: a.Name.Local, value: a.Value}
		if a.Name.Space != "" {
			q.uri, _ = n.lookup(a.Name.Space)
			q.name = a.Name.Space + ":" + a.Name.Local
		}
		attrs = append(attrs, q)
	}
	sort.Slice(attrs, func(i, j int) bool {
		if attrs[i].uri != attrs[j].uri {
			return attrs[i].uri < attrs[j].uri
		}
		return attrs[i].local < attrs[j].local
	})
	for _, a := range attrs {
		b.WriteString(" " + a.name + `="`)
		escape(b, a.value, true)
		b.WriteByte('"')
	}
	b.WriteByte('>')
	for _, c := range n.children {
		switch v := c.(type) {
		case string:
			escape(b, v, false)
		case *node:
			writeCanonical(b, v, scope)
		}
	}
	b.WriteString("</" + name + ">")
}

// escape writes s as canonical text, or as a canonical attribute value
// (which also escapes the quote, tab and line feed but not '>').
func escape(b *bytes.Buffer, s string, attr bool) {
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '\r':
			b.WriteString("&#xD;")
		case r == '>' && !attr:
			b.WriteString("&gt;")
		case r == '"' && attr:
			b.WriteString("&quot;")
		case r == '\t' && attr:
			b.WriteString("&#x9;")
		case r == '\n' && attr:
			b.WriteString("&#xA;")
		default:
			b.WriteRune(r)
		}
	}
}
