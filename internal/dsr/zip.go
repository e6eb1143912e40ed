package dsr

import (
	"archive/zip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
)

// The files of a package's ZIP (DSR-1, art. 15 and 20 GDPR): the package
// as JSON with the JSON Schema that describes it (machine-readable for
// portability), the same as CSV tables, a readable overview in the
// person's language (a PDF, named in that language) and the files the
// person uploaded, as they uploaded them.
const (
	ZipJSON        = "package.json"
	ZipSchema      = "package.schema.json"
	ZipCSV         = "package.csv"
	ZipSubmissions = "submissions.csv"
	ZipFilesDir    = "files/"
)

// OverviewName is the readable overview's file name in lang.
func OverviewName(lang string) string {
	switch lang {
	case "fr":
		return "apercu.pdf"
	case "en":
		return "overview.pdf"
	}
	return "overzicht.pdf"
}

// File is an attachment's content in a package, by submission.
type File struct {
	Submission string // the submission's reference, or its id without one
	Field      string
	Name       string
	Data       []byte
}

// Path is where f lies in the ZIP: files/<submission>/<field>-<name>, with
// every part cleaned of path separators so that no name escapes the
// folder.
func (f File) Path() string {
	clean := func(s string) string {
		s = strings.Map(func(r rune) rune {
			if r == '/' || r == '\\' || r == ':' || r < ' ' {
				return '_'
			}
			return r
		}, s)
		s = strings.TrimLeft(s, ".")
		if s == "" {
			s = "_"
		}
		return s
	}
	return ZipFilesDir + clean(f.Submission) + "/" + clean(f.Field+"-"+f.Name)
}

// WriteZip writes the package's ZIP to w: JSON, schema, CSV tables, the
// overview (when given) and the files. Entries carry the package's time.
func WriteZip(w io.Writer, p Package, overview []byte, lang string, files []File) error {
	z := zip.NewWriter(w)
	at := p.GeneratedAt
	if at.IsZero() {
		at = time.Now()
	}
	add := func(name string, write func(io.Writer) error) error {
		f, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: at})
		if err != nil {
			return err
		}
		return write(f)
	}
	parts := []struct {
		name  string
		write func(io.Writer) error
	}{
		{ZipJSON, func(w io.Writer) error {
			e := json.NewEncoder(w)
			e.SetIndent("", "  ")
			return e.Encode(p)
		}},
		{ZipSchema, func(w io.Writer) error { _, err := io.WriteString(w, PackageJSONSchema); return err }},
		{ZipSubmissions, p.writeSubmissionsCSV},
		{ZipCSV, p.WriteCSV},
	}
	for _, part := range parts {
		if err := add(part.name, part.write); err != nil {
			return fmt.Errorf("package zip %s: %w", part.name, err)
		}
	}
	if overview != nil {
		if err := add(OverviewName(lang), func(w io.Writer) error { _, err := w.Write(overview); return err }); err != nil {
			return fmt.Errorf("package zip overview: %w", err)
		}
	}
	seen := map[string]int{}
	for _, f := range files {
		name := f.Path()
		// Two files of one field with one name stay two files.
		if n := seen[name]; n > 0 {
			ext := path.Ext(name)
			name = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(name, ext), n+1, ext)
		}
		seen[f.Path()]++
		if err := add(name, func(w io.Writer) error { _, err := w.Write(f.Data); return err }); err != nil {
			return fmt.Errorf("package zip file: %w", err)
		}
	}
	return z.Close()
}

// writeSubmissionsCSV writes one row per submission: the table a
// spreadsheet opens first.
func (p Package) writeSubmissionsCSV(w io.Writer) error {
	c := csv.NewWriter(w)
	c.Write([]string{"submission", "reference", "form", "form_version", "received_at", "status", "attachments", "history", "mails", "audit_events"})
	for _, s := range p.Submissions {
		c.Write([]string{s.ID, s.Reference, s.Form, fmt.Sprint(s.FormVersion), s.ReceivedAt.Format(time.RFC3339), s.Status,
			fmt.Sprint(len(s.Attachments)), fmt.Sprint(len(s.History)), fmt.Sprint(len(s.Replies)), fmt.Sprint(len(s.Events))})
	}
	c.Flush()
	return c.Error()
}

// PackageJSONSchema is the JSON Schema (2020-12) of package.json, its $id
// the Package's schema name.
const PackageJSONSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "` + PackageSchema + `",
  "title": "Subject access package",
  "description": "Everything a municipality holds in Kluis on one person (GDPR art. 15 and 20).",
  "type": "object",
  "required": ["schema", "controller", "request", "kind", "generated_at", "submissions"],
  "properties": {
    "schema": {"const": "` + PackageSchema + `"},
    "controller": {"type": "string", "description": "the municipality (controller)"},
    "request": {"type": "string", "description": "the request's identifier"},
    "reference": {"type": "string", "description": "the request's short reference, as on the receipt and in the mails"},
    "kind": {"enum": ["access", "portability"]},
    "generated_at": {"type": "string", "format": "date-time"},
    "submissions": {"type": "array", "items": {"$ref": "#/$defs/submission"}}
  },
  "$defs": {
    "submission": {
      "type": "object",
      "required": ["id", "form", "form_version", "received_at", "status", "answers", "attachments", "history", "replies", "audit_events"],
      "properties": {
        "id": {"type": "string"},
        "reference": {"type": "string"},
        "form": {"type": "string", "description": "the form's key"},
        "form_version": {"type": "integer"},
        "received_at": {"type": "string", "format": "date-time"},
        "status": {"type": "string"},
        "answers": {"type": "object", "description": "per field key: v (a value), vs (several values) or a (an address)",
          "additionalProperties": {"type": "object"}},
        "attachments": {"type": "array", "items": {"$ref": "#/$defs/attachment"}},
        "history": {"type": "array", "items": {"$ref": "#/$defs/entry"}},
        "replies": {"type": "array", "items": {"$ref": "#/$defs/entry"}},
        "audit_events": {"type": "array", "items": {"$ref": "#/$defs/event"}}
      }
    },
    "attachment": {
      "type": "object",
      "required": ["field", "name", "content_type", "size"],
      "properties": {
        "field": {"type": "string"},
        "name": {"type": "string", "description": "the file's name; its content is in files/ of the ZIP"},
        "content_type": {"type": "string"},
        "size": {"type": "integer", "minimum": 0}
      }
    },
    "entry": {
      "type": "object",
      "required": ["kind", "at"],
      "properties": {
        "kind": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
        "status": {"type": "string"},
        "text": {"type": "string"}
      }
    },
    "event": {
      "type": "object",
      "required": ["at", "action", "actor", "role", "outcome"],
      "properties": {
        "at": {"type": "string", "format": "date-time"},
        "action": {"type": "string"},
        "actor": {"type": "string", "description": "the kind of actor: user, citizen, system, operator"},
        "role": {"type": "string"},
        "outcome": {"type": "string"}
      }
    }
  }
}
`
