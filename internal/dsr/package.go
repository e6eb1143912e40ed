package dsr

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"time"
)

// PackageSchema names the shape of Package in its JSON, so that whoever
// receives a package (portability, art. 20) can read it by machine.
const PackageSchema = "https://kluis.be/schema/subject-access-package/v1"

// Package is everything the controller holds on one person in Kluis (art.
// 15 and 20 GDPR): each submission found through the blind index across all
// forms, with its answers, its files (names and sizes), its history (notes,
// reasons), the mails sent about it and the audit events about it.
type Package struct {
	Schema     string `json:"schema"`
	Controller string `json:"controller"`
	RequestID  string `json:"request"`
	// Reference is the request's short reference (VZ-2026-0042), the one
	// the citizen's receipt and mails name.
	Reference   string       `json:"reference,omitempty"`
	Kind        Kind         `json:"kind"`
	GeneratedAt time.Time    `json:"generated_at"`
	Submissions []Submission `json:"submissions"`
}

// Submission is one submission in a Package.
type Submission struct {
	ID          string          `json:"id"`
	Reference   string          `json:"reference,omitempty"`
	Form        string          `json:"form"`
	FormVersion int             `json:"form_version"`
	ReceivedAt  time.Time       `json:"received_at"`
	Status      string          `json:"status"`
	Answers     json.RawMessage `json:"answers"`
	Attachments []Attachment    `json:"attachments"`
	History     []Entry         `json:"history"`
	Replies     []Entry         `json:"replies"`
	Events      []Event         `json:"audit_events"`
	// Rectifications are the values corrected at the person's request
	// (art. 16 GDPR), the old value kept with who, when and the request.
	Rectifications []Correction `json:"rectifications,omitempty"`
}

// Correction is one rectified value of a submission.
type Correction struct {
	Field   string    `json:"field"`
	Old     string    `json:"old_value"`
	New     string    `json:"new_value"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Request string    `json:"request"`
}

// Attachment is a file's description (its content is delivered apart).
type Attachment struct {
	Field       string `json:"field"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// Entry is a step of a submission's history or a mail about it.
type Entry struct {
	Kind   string    `json:"kind"`
	At     time.Time `json:"at"`
	Status string    `json:"status,omitempty"`
	Text   string    `json:"text,omitempty"`
}

// Event is an audit event about a submission: what was done with it, when,
// by which kind of actor in which role — not by whom.
type Event struct {
	At      time.Time `json:"at"`
	Action  string    `json:"action"`
	Actor   string    `json:"actor"`
	Role    string    `json:"role"`
	Outcome string    `json:"outcome"`
}

// WriteCSV writes p as one table, a row per value: submission, section,
// key and value, so that every part of the package survives a spreadsheet.
func (p Package) WriteCSV(w io.Writer) error {
	c := csv.NewWriter(w)
	c.Write([]string{"submission", "reference", "form", "section", "key", "value"})
	for _, s := range p.Submissions {
		row := func(section, key, value string) { c.Write([]string{s.ID, s.Reference, s.Form, section, key, value}) }
		row("submission", "received_at", s.ReceivedAt.Format(time.RFC3339))
		row("submission", "status", s.Status)
		var answers map[string]json.RawMessage
		if json.Unmarshal(s.Answers, &answers) == nil {
			for _, k := range sortedKeys(answers) {
				var v struct {
					Value string `json:"v"`
				}
				if json.Unmarshal(answers[k], &v) == nil && v.Value != "" {
					row("answer", k, v.Value)
				} else {
					row("answer", k, string(answers[k]))
				}
			}
		}
		for _, a := range s.Attachments {
			row("attachment", a.Field, a.Name+" ("+strconv.FormatInt(a.Size, 10)+" bytes, "+a.ContentType+")")
		}
		for _, e := range s.History {
			row("history", e.At.Format(time.RFC3339)+" "+e.Kind, joinNonEmpty(e.Status, e.Text))
		}
		for _, e := range s.Replies {
			row("mail", e.At.Format(time.RFC3339)+" "+e.Kind, joinNonEmpty(e.Status, e.Text))
		}
		for _, e := range s.Events {
			row("audit", e.At.Format(time.RFC3339)+" "+e.Action, e.Actor+" "+e.Role+" "+e.Outcome)
		}
	}
	c.Flush()
	return c.Error()
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ": " + b
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
