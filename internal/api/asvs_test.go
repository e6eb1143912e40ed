package api

import (
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/storetest"
)

// closed returns doc with every object schema that does not say otherwise
// closed to properties it does not list (additionalProperties false), so a
// response field the documentation does not name fails conformance.
func closed(v any) {
	switch v := v.(type) {
	case map[string]any:
		if v["type"] == "object" && v["properties"] != nil {
			if _, ok := v["additionalProperties"]; !ok {
				v["additionalProperties"] = false
			}
		}
		for _, x := range v {
			closed(x)
		}
	case []any:
		for _, x := range v {
			closed(x)
		}
	}
}

// TestASVS_15_3_1_ResponsesCarryOnlyDocumentedFields: every successful
// answer of every API operation holds only the fields the OpenAPI document
// lists for it (checked with every object schema closed), never a stored
// row as it is.
func TestASVS_15_3_1_ResponsesCarryOnlyDocumentedFields(t *testing.T) {
	env := storetest.SQLite(t)
	fx := newFixture(t, env, Options{})
	doc := loadDoc(t)
	closed(doc)
	s := "/api/v1/gent/submissions/" + fx.sub
	for op, c := range map[string]call{
		"list":   {method: "GET", target: "/api/v1/gent/submissions?limit=5&from=" + time.Unix(0, 0).UTC().Format(time.RFC3339), token: fx.full},
		"one":    {method: "GET", target: s, token: fx.full},
		"status": {method: "POST", target: s + "/status", token: fx.full, body: `{"status":"rejected","reason":"incomplete"}`, ctype: "application/json"},
		"ingest": ingestCall(fx.full, ingestBody(t, PageView{Path: "/", UserAgent: chromeUA, Language: "nl", Time: env.Clock.Now().Format(time.RFC3339)})),
	} {
		resp := fx.do(t, c)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", op, resp.StatusCode, resp.body)
		}
		path := c.target
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if errs := conforms(doc, c.method, path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.body); len(errs) > 0 {
			t.Errorf("%s answers fields the document does not list:\n  %s", op, strings.Join(errs, "\n  "))
		}
	}
	// The check bites: a field nobody documented is caught.
	if errs := conforms(doc, "GET", "/api/v1/gent/submissions", 200, "application/json",
		[]byte(`{"items":[],"next_cursor":null,"tenant_key":"x"}`)); len(errs) == 0 {
		t.Fatal("an undocumented field was not caught")
	}
}

// TestASVS_2_2_3_PeriodMustBeOrdered: items that only make sense together
// are judged together: a period whose end comes before its start is
// refused naming the end, while each date alone is valid and the same
// dates in order are taken.
func TestASVS_2_2_3_PeriodMustBeOrdered(t *testing.T) {
	env := storetest.SQLite(t)
	fx := newFixture(t, env, Options{})
	base := "/api/v1/gent/submissions?from=2026-11-10T00:00:00Z&to=2026-11-01T00:00:00Z"
	resp := fx.do(t, call{method: "GET", target: base, token: fx.full})
	if resp.StatusCode != 400 || !strings.Contains(string(resp.body), `"field":"to"`) {
		t.Fatalf("reversed period: %d %s", resp.StatusCode, resp.body)
	}
	resp = fx.do(t, call{method: "GET", target: "/api/v1/gent/submissions?from=2026-11-01T00:00:00Z&to=2026-11-10T00:00:00Z", token: fx.full})
	if resp.StatusCode != 200 {
		t.Fatalf("ordered period: %d %s", resp.StatusCode, resp.body)
	}
}
