package web

import (
	"reflect"
	"unicode/utf8"

	"github.com/kluis/kluis/internal/form"
)

// What a refused form or an error page echoes back of what was typed is
// capped (LOC-3: a 10 MB field must not come back whole, page after page).
// The e-loket does it field by field against each field's own maximum and
// says so in the field's message (renderForm); every other page rendered
// with an error status goes through capEchoes, a net under every form.

// echoMax is the longest single text a page with an error status shows: no
// field of Kluis accepts more (form.MaxTextLength), so anything longer can
// only be a typed value that was refused.
const echoMax = form.MaxTextLength

var stringType = reflect.TypeFor[string]()

// echoUpTo is s as a refused form shows it back: s itself, or nothing
// when it is longer than max characters (the field's limit).
func echoUpTo(s string, max int) string {
	if len(s) > max && utf8.RuneCountInString(s) > max {
		return ""
	}
	return s
}

// capEchoes empties, in place, every plain string reachable from v (through
// exported struct fields, pointers, slices, arrays, maps and interfaces)
// that is longer than echoMax characters. Named string types such as
// template.HTML are left alone: they are made by Kluis, not typed.
func capEchoes(v reflect.Value, depth int) {
	if depth > 8 || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			e := v.Elem()
			if v.Kind() == reflect.Interface && e.Kind() != reflect.Pointer {
				// A value in an interface cannot be set: copy, cap, put back.
				c := reflect.New(e.Type()).Elem()
				c.Set(e)
				if tooLong(c) {
					if v.CanSet() {
						v.Set(reflect.Zero(e.Type()))
					}
					return
				}
				capEchoes(c, depth+1)
				if v.CanSet() {
					v.Set(c)
				}
				return
			}
			capEchoes(e, depth+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				capEchoes(f, depth+1)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			capEchoes(v.Index(i), depth+1)
		}
	case reflect.Map:
		if v.Type().Elem() == stringType {
			for _, k := range v.MapKeys() {
				if tooLong(v.MapIndex(k)) {
					v.SetMapIndex(k, reflect.ValueOf(""))
				}
			}
			return
		}
		if v.Type().Elem() == reflect.TypeFor[[]string]() { // url.Values
			for _, k := range v.MapKeys() {
				capEchoes(v.MapIndex(k), depth+1)
			}
		}
	case reflect.String:
		if tooLong(v) && v.CanSet() {
			v.SetString("")
		}
	}
}

// tooLong reports whether v is a plain string longer than echoMax.
func tooLong(v reflect.Value) bool {
	return v.Type() == stringType && echoUpTo(v.String(), echoMax) == "" && v.Len() > 0
}

// cappedData returns data with its over-long strings emptied, for a page
// with an error status. data itself is not changed where it is a value;
// what it points to is.
func cappedData(data any) any {
	if data == nil {
		return nil
	}
	c := reflect.New(reflect.TypeOf(data)).Elem()
	c.Set(reflect.ValueOf(data))
	if tooLong(c) {
		return ""
	}
	capEchoes(c, 0)
	return c.Interface()
}
