// Package agreement holds what the data processing agreement Kluis
// generates for a controller is made of: the articles' texts in the order
// of the contract digest (REG … ORG), in Dutch and French, and the inputs
// whose fingerprint says when the agreement is no longer true — the
// register version, the sub-processors, the measures' answers — with what
// changed between two sets of inputs (an amendment lists exactly that).
// The document and its PDF are annex.Agreement. It imports only locale and
// does no I/O (the store keeps versions with their inputs).
package agreement

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	"github.com/kluis/kluis/internal/locale"
)

// Kinds of version.
const (
	KindAgreement = "agreement" // the full agreement with its annexes
	KindAmendment = "amendment" // the differences from the version in force
)

// Parties.
const (
	Controller = "controller"
	Supplier   = "supplier"
)

// Inputs is what a version is made of, apart from the register's content
// (kept in its own versions): the facts an amendment follows. Two versions
// with the same fingerprint say the same thing.
type Inputs struct {
	RegisterVersion int `json:"register_version"`
	// SubProcessors are the platform's sub-processors the controller
	// accepted (SUB-1, SUB-2), in the annex beside the register's own.
	SubProcessors []SubProcessor `json:"sub_processors"`
	// Measures are the measures annex's answers (the compliance report's
	// findings); empty until that annex is wired.
	Measures []Measure `json:"measures"`
}

// SubProcessor is a platform sub-processor as annex 1 shows it.
type SubProcessor struct {
	Name       string `json:"name"`
	HeadOffice string `json:"head_office"`
	Country    string `json:"country"`
	InEEA      bool   `json:"eea"`
	Mechanism  string `json:"mechanism,omitempty"`
	Service    string `json:"service"`
	Measures   string `json:"measures"`
}

// Measure is one measure's answer: a clause id and "met", "partly",
// "not_met" or "declared".
type Measure struct {
	ID     string `json:"id"`
	Answer string `json:"answer"`
}

// normal is in with its lists in a fixed order, so that the same facts
// always give the same JSON.
func (in Inputs) normal() Inputs {
	in.SubProcessors = slices.Clone(in.SubProcessors)
	slices.SortFunc(in.SubProcessors, func(a, b SubProcessor) int { return strings.Compare(a.Name, b.Name) })
	in.Measures = slices.Clone(in.Measures)
	slices.SortFunc(in.Measures, func(a, b Measure) int { return strings.Compare(a.ID, b.ID) })
	if in.SubProcessors == nil {
		in.SubProcessors = []SubProcessor{}
	}
	if in.Measures == nil {
		in.Measures = []Measure{}
	}
	return in
}

// JSON is the inputs as stored with a version.
func (in Inputs) JSON() []byte {
	b, _ := json.Marshal(in.normal()) // plain strings, ints and bools: cannot fail
	return b
}

// Fingerprint is the SHA-256 of JSON, in hex.
func (in Inputs) Fingerprint() string {
	h := sha256.Sum256(in.JSON())
	return hex.EncodeToString(h[:])
}

// ParseInputs reads inputs stored with a version.
func ParseInputs(b []byte) (Inputs, error) {
	var in Inputs
	err := json.Unmarshal(b, &in)
	return in.normal(), err
}

// SubChange is a platform sub-processor added, removed or changed (Fields:
// the JSON names of the fields that differ).
type SubChange struct {
	Op     string // "added", "removed", "changed" (as register.Diff)
	Name   string
	Fields []string
}

// SubProcessorChanges lists what changed from old to new, matched by name.
func SubProcessorChanges(old, new []SubProcessor) []SubChange {
	var out []SubChange
	find := func(list []SubProcessor, name string) (SubProcessor, bool) {
		i := slices.IndexFunc(list, func(s SubProcessor) bool { return s.Name == name })
		if i < 0 {
			return SubProcessor{}, false
		}
		return list[i], true
	}
	for _, o := range (Inputs{SubProcessors: old}).normal().SubProcessors {
		n, ok := find(new, o.Name)
		if !ok {
			out = append(out, SubChange{Op: "removed", Name: o.Name})
			continue
		}
		var fields []string
		for _, f := range []struct {
			name string
			a, b string
		}{{"head_office", o.HeadOffice, n.HeadOffice}, {"country", o.Country, n.Country}, {"mechanism", o.Mechanism, n.Mechanism},
			{"service", o.Service, n.Service}, {"measures", o.Measures, n.Measures}} {
			if f.a != f.b {
				fields = append(fields, f.name)
			}
		}
		if len(fields) > 0 {
			out = append(out, SubChange{Op: "changed", Name: o.Name, Fields: fields})
		}
	}
	for _, n := range (Inputs{SubProcessors: new}).normal().SubProcessors {
		if _, ok := find(old, n.Name); !ok {
			out = append(out, SubChange{Op: "added", Name: n.Name})
		}
	}
	return out
}

// MeasureChange is a measure whose answer changed (Old "" when it is new,
// New "" when it is gone).
type MeasureChange struct{ ID, Old, New string }

// MeasureChanges lists the measures whose answer differs, by id.
func MeasureChanges(old, new []Measure) []MeasureChange {
	answers := func(ms []Measure) map[string]string {
		m := map[string]string{}
		for _, x := range ms {
			m[x.ID] = x.Answer
		}
		return m
	}
	o, n := answers(old), answers(new)
	var ids []string
	for id := range o {
		ids = append(ids, id)
	}
	for id := range n {
		if _, ok := o[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out []MeasureChange
	for _, id := range ids {
		if o[id] != n[id] {
			out = append(out, MeasureChange{id, o[id], n[id]})
		}
	}
	return out
}

//go:embed articles.nl.txt articles.fr.txt
var articleFiles embed.FS

// Article is one numbered article: its heading and paragraphs.
type Article struct {
	Heading    string
	Paragraphs []string
}

// Articles are the agreement's articles in lang (Dutch, or French; English
// readers get the binding Dutch text), with the parties' names filled in.
func Articles(lang locale.Lang, controller, supplier string) []Article {
	name := "articles.nl.txt"
	if lang == locale.FR {
		name = "articles.fr.txt"
	}
	b, err := articleFiles.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	text := strings.NewReplacer("{controller}", controller, "{supplier}", supplier).Replace(string(b))
	var out []Article
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "# "):
			out = append(out, Article{Heading: strings.TrimPrefix(line, "# ")})
		case len(out) > 0:
			out[len(out)-1].Paragraphs = append(out[len(out)-1].Paragraphs, line)
		}
	}
	return out
}

// TextLang is the language the articles are written in for lang: French
// for French, Dutch otherwise (Dutch is the binding language).
func TextLang(lang locale.Lang) locale.Lang {
	if lang == locale.FR {
		return locale.FR
	}
	return locale.NL
}
