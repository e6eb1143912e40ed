package register

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Sections are the register's lists, in document order, by their field
// name in the YAML document.
var Sections = []string{"purposes", "categories", "data_subjects", "recipients", "sub_processors", "applications"}

// What a Change did to an item.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
)

// Change is one difference between two register versions: an item of a
// section added, removed or changed (Section "" is the register's own
// fields: subject, duration, DPO contact, with Key "").
type Change struct {
	Op      string // Added, Removed or Changed
	Section string // one of Sections, or ""
	Key     string
	// Fields are the fields that differ: for Changed, those that changed;
	// for Added, every field the new item fills in (Old empty); for
	// Removed, none.
	Fields []FieldChange
}

// FieldChange is one field of an item that differs, named by its field
// name in the YAML document ("retention_days"). A text differs per
// language (Lang "fr"); a list by what it gained and lost.
type FieldChange struct {
	Field string
	Lang  string // for a text, the language that differs
	// Old and New are a scalar's values as the document writes them
	// ("730", "3.01", "delete"), or a text's in Lang; "" for none.
	Old, New string
	// Added and Removed are what a list (purposes, endpoints…) gained and
	// lost, in the order of the new and the old list.
	Added, Removed []string
}

// Diff lists what changed from old to new, in document order: the
// register's own fields, then each section; within a section, the items
// of old changed or removed in their order, then the items new adds.
// Items are matched by key, so a renamed key is a removal and an
// addition. Reordering items or list values is no change. Diff is what
// the register page shows before a change is saved and between two
// saved versions (REG-1).
func Diff(old, new Register) []Change {
	var out []Change
	ov, nv := reflect.ValueOf(old), reflect.ValueOf(new)
	var top []FieldChange
	for i := range ov.NumField() {
		f := ov.Type().Field(i)
		if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
			continue
		}
		top = append(top, fieldChanges(docName(f), ov.Field(i), nv.Field(i))...)
	}
	if len(top) > 0 {
		out = append(out, Change{Op: Changed, Fields: top})
	}
	for _, section := range Sections {
		oi, ni := items(ov, section), items(nv, section)
		for _, k := range oi.keys {
			n, ok := ni.byKey[k]
			if !ok {
				out = append(out, Change{Op: Removed, Section: section, Key: k})
				continue
			}
			if fs := itemChanges(oi.byKey[k], n); len(fs) > 0 {
				out = append(out, Change{Op: Changed, Section: section, Key: k, Fields: fs})
			}
		}
		for _, k := range ni.keys {
			if _, ok := oi.byKey[k]; !ok {
				zero := reflect.Zero(ni.byKey[k].Type())
				out = append(out, Change{Op: Added, Section: section, Key: k, Fields: itemChanges(zero, ni.byKey[k])})
			}
		}
	}
	return out
}

// sectionItems are one section's items by key, keys in document order.
type sectionItems struct {
	keys  []string
	byKey map[string]reflect.Value
}

// items reads section (a document name) of register value r.
func items(r reflect.Value, section string) sectionItems {
	s := sectionItems{byKey: map[string]reflect.Value{}}
	for i := range r.NumField() {
		if docName(r.Type().Field(i)) != section {
			continue
		}
		list := r.Field(i)
		for j := range list.Len() {
			it := list.Index(j)
			k := it.FieldByName("Key").String()
			if _, dup := s.byKey[k]; dup {
				continue // Validate refuses duplicate keys; the first counts
			}
			s.keys = append(s.keys, k)
			s.byKey[k] = it
		}
	}
	return s
}

// itemChanges compares two items of one section field by field, the key
// left out.
func itemChanges(o, n reflect.Value) []FieldChange {
	var out []FieldChange
	for i := range o.NumField() {
		f := o.Type().Field(i)
		if f.Name == "Key" {
			continue
		}
		out = append(out, fieldChanges(docName(f), o.Field(i), n.Field(i))...)
	}
	return out
}

var textType = reflect.TypeOf(Text{})

// fieldChanges compares one field: a text per language (nl, fr, en, then
// any other in name order), a list as sets, anything else as a scalar.
func fieldChanges(name string, o, n reflect.Value) []FieldChange {
	switch {
	case o.Type() == textType:
		ot, nt := o.Interface().(Text), n.Interface().(Text)
		langs := []string{"nl", "fr", "en"}
		var extra []string
		for _, t := range []Text{ot, nt} {
			for l := range t {
				if !slices.Contains(langs, l) && !slices.Contains(extra, l) {
					extra = append(extra, l)
				}
			}
		}
		slices.Sort(extra)
		var out []FieldChange
		for _, l := range append(langs, extra...) {
			if a, b := strings.TrimSpace(ot[l]), strings.TrimSpace(nt[l]); a != b {
				out = append(out, FieldChange{Field: name, Lang: l, Old: a, New: b})
			}
		}
		return out
	case o.Kind() == reflect.Slice:
		ol, nl := o.Interface().([]string), n.Interface().([]string)
		var fc FieldChange
		for _, v := range nl {
			if !slices.Contains(ol, v) && !slices.Contains(fc.Added, v) {
				fc.Added = append(fc.Added, v)
			}
		}
		for _, v := range ol {
			if !slices.Contains(nl, v) && !slices.Contains(fc.Removed, v) {
				fc.Removed = append(fc.Removed, v)
			}
		}
		if len(fc.Added)+len(fc.Removed) == 0 {
			return nil
		}
		fc.Field = name
		return []FieldChange{fc}
	default:
		a, b := scalar(o), scalar(n)
		if a == b {
			return nil
		}
		return []FieldChange{{Field: name, Old: a, New: b}}
	}
}

// scalar is a string or int field as the document writes it; 0 is "".
func scalar(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Int:
		if v.Int() == 0 {
			return ""
		}
		return strconv.FormatInt(v.Int(), 10)
	default:
		return strings.TrimSpace(v.String())
	}
}

// docName is a struct field's name in the YAML document.
func docName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}
