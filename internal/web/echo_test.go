package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseLOC3_CappedDataEmptiesOnlyOverlongTypedStrings: the net under
// every page with an error status empties plain strings longer than any
// field accepts wherever they sit, and leaves the rest — short strings,
// HTML Kluis made — as it was.
func TestClauseLOC3_CappedDataEmptiesOnlyOverlongTypedStrings(t *testing.T) {
	long := strings.Repeat("é", echoMax+1)
	type inner struct{ Value, Label string }
	type page struct {
		Name   string
		Notice template.HTML
		Fields []inner
		Ptr    *inner
		Typed  url.Values
		ByKey  map[string]string
		Any    any
		hidden string
	}
	in := page{Name: long, Notice: template.HTML(long), Fields: []inner{{Value: long, Label: "Naam"}, {Value: "kort"}},
		Ptr: &inner{Value: long}, Typed: url.Values{"q": {long, "ok"}}, ByKey: map[string]string{"a": long, "b": "ok"},
		Any: inner{Value: long, Label: "x"}, hidden: long}
	got := cappedData(in).(page)
	if got.Name != "" || got.Fields[0].Value != "" || got.Ptr.Value != "" || got.Typed["q"][0] != "" || got.ByKey["a"] != "" ||
		got.Any.(inner).Value != "" {
		t.Errorf("an over-long string survived: %+v", got.Fields)
	}
	if got.Notice != template.HTML(long) || got.Fields[0].Label != "Naam" || got.Fields[1].Value != "kort" || got.Typed["q"][1] != "ok" ||
		got.ByKey["b"] != "ok" || got.Any.(inner).Label != "x" {
		t.Error("capping changed what it must keep")
	}
	if cappedData(long) != "" || cappedData(nil) != nil || cappedData(strings.Repeat("x", echoMax)) != strings.Repeat("x", echoMax) {
		t.Error("top-level strings")
	}
}

// TestClauseLOC3_RefusedFormsDoNotEchoOverlongValues: a citizen's answer
// (and a staff note) longer than its field allows is refused without being
// shown back, and the field's message says why it is gone.
func TestClauseLOC3_RefusedFormsDoNotEchoOverlongValues(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{FormRateLimit: 1000})
		publishForms(t, env, le.gent)
		h := le.app.Handler()
		page := bodyOf(t, request{target: "/gent/toelage"}.do(t, h))
		answers := allowanceAnswers(tokenRE.FindStringSubmatch(page)[1])
		huge := strings.Repeat("MARKER-LONG ", 800_000) // 9.6 MB, under the body limit
		answers.Set("name", huge)
		answers.Set("email", strings.Repeat("a", 300)+"@example.be")
		ct, body := multipartPost(t, answers, "", nil)
		resp := post(t, h, "/gent/toelage", ct, body, "")
		page = bodyOf(t, resp)
		if resp.StatusCode != http.StatusUnprocessableEntity || strings.Contains(page, "MARKER-LONG") || strings.Contains(page, strings.Repeat("a", 300)) ||
			len(page) > 200_000 {
			t.Fatalf("refused form: %d, %d bytes", resp.StatusCode, len(page))
		}
		if n := strings.Count(page, "niet opnieuw getoond"); n != 4 { // two fields, each at the field and in the summary
			t.Errorf("the message saying the value is not shown again appears %d times, want 4", n)
		}
		if !strings.Contains(page, `value="Kerkstraat"`) {
			t.Error("the other answers are no longer kept")
		}
	})
}

// TestClauseLOC3_OverlongNoteIsNotEchoed: a staff note longer than a note
// may be is refused, not shown back, and the message says so.
func TestClauseLOC3_OverlongNoteIsNotEchoed(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		publishForms(t, env, le.gent)
		id := submitDemo(t, env, le.gent, "MARKER-Een")
		clerk, c := le.signIn(t, "clerk@gent.be", account.RoleUser)
		if err := env.DB.SetFormAccess(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, le.gent.ID, clerk.ID, []string{"vraag"}); err != nil {
			t.Fatal(err)
		}
		resp, page := le.postForm(t, "/gent/inbox/submissions/"+id+"/notes", map[string]string{"Cookie": c},
			url.Values{"note": {strings.Repeat("MARKER-NOTE ", 1000)}})
		if resp.StatusCode != http.StatusUnprocessableEntity || strings.Contains(page, "MARKER-NOTE") || !strings.Contains(page, "niet opnieuw getoond") {
			t.Fatalf("over-long note: %d\n%s", resp.StatusCode, page)
		}
	})
}
