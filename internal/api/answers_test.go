package api

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/kluis/kluis/internal/form"
)

// decodedAnswers is what the API answered before apiAnswers: the store's
// answers decoded and encoded again as Answer values.
func decodedAnswers(t testing.TB, stored []byte) []byte {
	t.Helper()
	var answers form.Answers
	if err := json.Unmarshal(stored, &answers); err != nil {
		t.Fatal(err)
	}
	m := map[string]Answer{}
	for k, an := range answers {
		m[k] = Answer{Value: an.Value, Values: an.Values, Address: an.Address, Register: an.Register}
	}
	var b bytes.Buffer
	json.NewEncoder(&b).Encode(m) // as writeJSON encodes (HTML escaped)
	return bytes.TrimSpace(b.Bytes())
}

// TestAPIListAnswersAreTheDecodedAnswers: the list's answers,
// rewritten without decoding, are byte for byte the answers decoded and
// encoded again, for every kind of answer and awkward text (keys that
// look like the store's, quotes, escapes, HTML, non-ASCII).
func TestAPIListAnswersAreTheDecodedAnswers(t *testing.T) {
	cases := map[string]form.Answers{
		"empty":   {},
		"text":    {"name": {Value: "Jan Peeters"}, "email": {Value: "jan@gent.be"}},
		"choices": {"days": {Values: []string{"ma", "di", `"v":"x"`}}},
		"address": {"address": {Address: &form.Address{Street: "Kerkstraat", Number: "1", Box: "b", Postcode: "9000", Municipality: "Gent"}}},
		"all":     {"x": {Value: "a", Values: []string{"b"}, Address: &form.Address{Street: "{", Number: "}", Postcode: "[", Municipality: "]"}}},
		"awkward": {"v": {Value: `"a":{"v":1} \ \" <script>&</script> é ü 😀 ` + "\n\t\u2028"}, "vs": {}, `"q"`: {Value: ","}},
		"blank":   {"": {Value: ""}},
		"register": {"insz": {Value: "85073003328", Register: "2026-12-05"},
			"address": {Address: &form.Address{Street: "Voorbeeldstraat", Number: "12", Postcode: "9000", Municipality: "Gent"}, Register: "2026-12-05"}},
	}
	for name, answers := range cases {
		t.Run(name, func(t *testing.T) {
			stored, err := json.Marshal(answers)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := apiAnswers(stored)
			if !ok {
				t.Fatalf("apiAnswers refused the store's own encoding %s", stored)
			}
			if want := decodedAnswers(t, stored); !bytes.Equal(got, want) {
				t.Errorf("apiAnswers(%s)\n got %s\nwant %s", stored, got, want)
			}
		})
	}
}

// TestAPIListAnswersRefuseWhatTheStoreDoesNotWrite: anything but
// the store's compact encoding is left to the decoding path, so that no
// undocumented field reaches an answer.
func TestAPIListAnswersRefuseWhatTheStoreDoesNotWrite(t *testing.T) {
	for _, in := range []string{``, `null`, `[]`, `{"a":"b"}`, `{"a":["b"]}`, `{"a":1}`, `{"a":{"value":"x"}}`,
		`{"a": {"v":"x"}}`, `{"a":{"v":"x"}}{}`, `{"a":{"v":"x"}`, `{"a":{"v":"x}}`, `{"a":{"v" :"x"}}`, `{"a":{"secret":"x"}}`} {
		if out, ok := apiAnswers([]byte(in)); ok {
			t.Errorf("apiAnswers(%s) = %s, want refused", in, out)
		}
	}
}

func FuzzAPIAnswers(f *testing.F) {
	f.Add(`{"a":{"v":"x","vs":["y"],"a":{"street":"s","number":"1","postcode":"9000","municipality":"Gent"}}}`)
	f.Fuzz(func(t *testing.T, in string) {
		out, ok := apiAnswers([]byte(in))
		if !ok {
			return
		}
		// Whatever it accepts is the store's encoding, and its rewrite is
		// what decoding and encoding give.
		var answers form.Answers
		dec := json.NewDecoder(bytes.NewReader([]byte(in)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&answers); err != nil || dec.More() {
			return // not the store's encoding; nothing stores it
		}
		if stored, _ := json.Marshal(answers); string(stored) != in {
			return
		}
		if want := decodedAnswers(t, []byte(in)); !bytes.Equal(out, want) {
			t.Errorf("apiAnswers(%s)\n got %s\nwant %s", in, out, want)
		}
	})
}
