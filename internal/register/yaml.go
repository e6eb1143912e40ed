package register

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// MaxYAML is the largest register document accepted (a real register is a
// few dozen kilobytes).
const MaxYAML = 1 << 20

// yamlHeader opens every exported register: what the file is and how to
// bring it back.
const yamlHeader = `# Verwerkingsregister (bijlage 1 van de verwerkersovereenkomst) — Kluis
# Import: kluis register import --tenant SLUG FILE (or the register page).
# Texts: nl is required, fr and en are shown to French- and English-speaking citizens.
`

// MarshalYAMLDocument renders the register as the YAML document admins edit.
func (r Register) MarshalYAMLDocument() []byte {
	var buf bytes.Buffer
	buf.WriteString(yamlHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(r); err != nil {
		// Only plain strings, ints and slices: encoding cannot fail.
		panic(fmt.Sprintf("register: encode YAML: %v", err))
	}
	enc.Close()
	return buf.Bytes()
}

var yamlLine = regexp.MustCompile(`^yaml: (?:unmarshal errors:\n\s*)?line (\d+): (.*)$`)

// ParseYAML reads a register document. Every problem is returned — YAML
// syntax, unknown fields, wrong types, then the register's own rules — and
// the register is only usable when there is none.
func ParseYAML(b []byte) (Register, []Problem) {
	var r Register
	if len(b) > MaxYAML {
		return r, []Problem{{Path: "", Key: "document_too_large", Args: []any{MaxYAML}}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err := dec.Decode(&r)
	if errors.Is(err, io.EOF) {
		return r, []Problem{{Path: "", Key: "document_empty"}}
	}
	if err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var ps []Problem
			for _, e := range te.Errors {
				ps = append(ps, yamlProblem(e))
			}
			return r, ps
		}
		return r, []Problem{yamlProblem(err.Error())}
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return r, []Problem{{Path: "", Key: "document_multiple"}}
	}
	return r, r.Validate()
}

// yamlProblem turns a decoder message ("line 12: field colour not found in
// type register.Category") into a problem at "line 12".
func yamlProblem(msg string) Problem {
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Problem{Path: fmt.Sprintf("line %d", n), Key: "yaml", Args: []any{m[2]}}
	}
	if m := regexp.MustCompile(`^line (\d+): (.*)$`).FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Problem{Path: fmt.Sprintf("line %d", n), Key: "yaml", Args: []any{m[2]}}
	}
	return Problem{Path: "", Key: "yaml", Args: []any{msg}}
}
