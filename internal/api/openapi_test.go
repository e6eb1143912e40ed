package api

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"mime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/storetest"
)

// loadDoc parses the embedded document.
func loadDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

var methods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// operations lists the document's operations as route patterns.
func operations(doc map[string]any) []string {
	var out []string
	for path, item := range doc["paths"].(map[string]any) {
		for _, m := range methods {
			if _, ok := item.(map[string]any)[m]; ok {
				out = append(out, strings.ToUpper(m)+" "+path)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIDocumentsEveryRoute: the document describes exactly the
// routes the API serves, and every operation names its security, its
// responses and each path parameter.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc := loadDoc(t)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi version %v", doc["openapi"])
	}
	routes := slices.Sorted(slices.Values(New(Options{}).patterns))
	ops := operations(doc)
	for _, r := range routes {
		if !slices.Contains(ops, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, o := range ops {
		if !slices.Contains(routes, o) {
			t.Errorf("openapi.json describes %s, which the API does not serve", o)
		}
	}
	for path, item := range doc["paths"].(map[string]any) {
		item := item.(map[string]any)
		declared := map[string]bool{}
		for _, p := range asSlice(item["parameters"]) {
			p := resolve(doc, p)
			if p["in"] == "path" {
				declared[p["name"].(string)] = true
			}
		}
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, "{") && !declared[strings.Trim(seg, "{}")] && path != "/api/v1/openapi.json" {
				t.Errorf("%s: path parameter %s is not described", path, seg)
			}
		}
		for _, m := range methods {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			if _, ok := op["security"]; !ok {
				t.Errorf("%s %s names no security", m, path)
			}
			if op["operationId"] == nil || op["responses"] == nil {
				t.Errorf("%s %s lacks operationId or responses", m, path)
			}
			if sec, _ := op["security"].([]any); len(sec) > 0 {
				for _, code := range []string{"401", "404", "500"} {
					if _, ok := op["responses"].(map[string]any)[code]; !ok {
						t.Errorf("%s %s does not document %s", m, path, code)
					}
				}
			}
		}
	}
	// Every reference resolves.
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok && resolveRef(doc, ref) == nil {
				t.Errorf("unresolved $ref %s", ref)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
}

// TestOpenAPIOperationsAnswerAsDocumented calls every documented
// operation on a real app with valid input, checking (in do) that the
// status is documented and the body fits the schema; the error answers
// are checked the same way by the other tests of this package.
func TestOpenAPIOperationsAnswerAsDocumented(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newFixture(t, env, Options{})
		s := "/api/v1/gent/submissions/" + fx.sub
		calls := map[string]call{
			"GET /api/v1/openapi.json":                                       {method: "GET", target: "/api/v1/openapi.json"},
			"GET /api/v1/{tenant}/submissions":                               {method: "GET", target: "/api/v1/gent/submissions?limit=1&from=" + time.Unix(0, 0).UTC().Format(time.RFC3339), token: fx.full},
			"GET /api/v1/{tenant}/submissions/{id}":                          {method: "GET", target: s, token: fx.full},
			"POST /api/v1/{tenant}/submissions/{id}/status":                  {method: "POST", target: s + "/status", token: fx.full, body: `{"status":"rejected","reason":"incomplete"}`, ctype: "application/json"},
			"GET /api/v1/{tenant}/submissions/{id}/attachments/{attachment}": {method: "GET", target: s + "/attachments/" + fx.file, token: fx.full},
			"POST /api/v1/{tenant}/analytics/pageviews": ingestCall(fx.full, ingestBody(t,
				PageView{Path: "/", UserAgent: chromeUA, Language: "nl", Time: env.Clock.Now().Format(time.RFC3339)})),
			"GET /api/v1/{tenant}/analytics": {method: "GET", target: "/api/v1/gent/analytics", token: fx.full},
		}
		for _, op := range operations(loadDoc(t)) {
			c, ok := calls[op]
			if !ok {
				t.Errorf("no call for %s", op)
				continue
			}
			if resp := fx.do(t, c); resp.StatusCode != 200 {
				t.Errorf("%s: %d %s", op, resp.StatusCode, resp.body)
			}
		}
	})
}

// TestConformsCatchesMismatches: the checker the tests rely on fails
// where it should, so a passing test means something.
func TestConformsCatchesMismatches(t *testing.T) {
	doc := loadDoc(t)
	p := "/api/v1/gent/submissions"
	for name, c := range map[string]struct {
		status int
		ctype  string
		body   string
	}{
		"undocumented status": {418, "application/problem+json", `{"type":"x","title":"t","status":418,"detail":"d"}`},
		"missing property":    {200, "application/json", `{"items":[]}`},
		"wrong type":          {200, "application/json", `{"items":{},"next_cursor":null}`},
		"bad enum":            {200, "application/json", `{"items":[{"id":"1","reference":"r","form":"f","form_version":1,"status":"archived","assignee":null,"received_at":"2026-01-01T00:00:00Z","answers":{}}],"next_cursor":null}`},
		"bad time":            {200, "application/json", `{"items":[{"id":"1","reference":"r","form":"f","form_version":1,"status":"new","assignee":null,"received_at":"yesterday","answers":{}}],"next_cursor":null}`},
		"wrong media type":    {401, "application/json", `{"type":"x","title":"t","status":401,"detail":"d"}`},
		"problem lacks title": {404, "application/problem+json", `{"type":"x","status":404,"detail":"d"}`},
	} {
		if errs := conforms(doc, "GET", p, c.status, c.ctype, []byte(c.body)); len(errs) == 0 {
			t.Errorf("%s: not caught", name)
		}
	}
	if errs := conforms(doc, "GET", p, 200, "application/json", []byte(`{"items":[],"next_cursor":null}`)); len(errs) > 0 {
		t.Errorf("a valid page refused: %v", errs)
	}
}

func resolveRef(doc map[string]any, ref string) map[string]any {
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	m, _ := cur.(map[string]any)
	return m
}

// resolve follows $ref until it reaches a value.
func resolve(doc map[string]any, v any) map[string]any {
	m, _ := v.(map[string]any)
	for m != nil {
		ref, ok := m["$ref"].(string)
		if !ok {
			break
		}
		m = resolveRef(doc, ref)
	}
	return m
}

// conforms checks an answer against the operation the document gives for
// method and path: the status is documented, the content type is one of
// the response's, and a JSON body fits its schema. A path or method the
// document does not know is not checked here (TestOpenAPIDocumentsEveryRoute
// ties the document to the routes).
func conforms(doc map[string]any, method, path string, status int, ctype string, body []byte) []string {
	var item map[string]any
	for p, it := range doc["paths"].(map[string]any) {
		if pathMatches(p, path) {
			item = it.(map[string]any)
		}
	}
	if item == nil {
		return nil
	}
	op, ok := item[strings.ToLower(method)].(map[string]any)
	if !ok {
		return nil
	}
	resp := resolve(doc, op["responses"].(map[string]any)[fmt.Sprint(status)])
	if resp == nil {
		return []string{fmt.Sprintf("status %d is not documented", status)}
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(ctype)
	media, ok := content[mt].(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("content type %q is not one of %v", ctype, slices.Sorted(maps.Keys(content)))}
	}
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []string{"body is not JSON: " + err.Error()}
	}
	return validate(doc, media["schema"], v, "$")
}

func pathMatches(template, path string) bool {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if !strings.HasPrefix(ts[i], "{") && ts[i] != ps[i] {
			return false
		}
	}
	return true
}

// validate checks v against a JSON Schema (the subset the document uses:
// $ref, type, enum, required, properties, additionalProperties, items,
// minimum, maximum, maxLength, format date-time).
func validate(doc map[string]any, schema any, v any, at string) []string {
	s := resolve(doc, schema)
	if s == nil {
		return nil
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	if t, ok := s["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				types = append(types, x.(string))
			}
		}
		if !slices.ContainsFunc(types, func(t string) bool { return hasType(v, t) }) {
			fail("%v is not of type %v", v, types)
			return errs
		}
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		fail("%v is not one of %v", v, enum)
	}
	switch v := v.(type) {
	case map[string]any:
		for _, r := range asSlice(s["required"]) {
			if _, ok := v[r.(string)]; !ok {
				fail("lacks required %s", r)
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, x := range v {
			if ps, ok := props[k]; ok {
				errs = append(errs, validate(doc, ps, x, at+"."+k)...)
			} else if ap, ok := s["additionalProperties"]; ok {
				if ap == false {
					fail("has unknown property %s", k)
				} else {
					errs = append(errs, validate(doc, ap, x, at+"."+k)...)
				}
			}
		}
	case []any:
		for i, x := range v {
			errs = append(errs, validate(doc, s["items"], x, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case string:
		if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				fail("%q is not RFC 3339", v)
			}
		}
		if m, ok := s["maxLength"].(float64); ok && float64(len([]rune(v))) > m {
			fail("longer than %v", m)
		}
	case float64:
		if m, ok := s["minimum"].(float64); ok && v < m {
			fail("%v < %v", v, m)
		}
		if m, ok := s["maximum"].(float64); ok && v > m {
			fail("%v > %v", v, m)
		}
	}
	return errs
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func hasType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "number":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	}
	return false
}
