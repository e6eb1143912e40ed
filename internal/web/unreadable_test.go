package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/api"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/jobs"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// corrupt flips the last byte of a sealed column of one row with raw SQL,
// as a damaged disk or a tampering hand would: the value no longer
// authenticates.
func corrupt(t *testing.T, env *storetest.Env, table, column, tenantID, id string) {
	t.Helper()
	raw := env.Raw(t)
	var b []byte
	if err := raw.QueryRow(`SELECT `+column+` FROM `+table+` WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&b); err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 0xff
	if _, err := raw.Exec(`UPDATE `+table+` SET `+column+` = $1 WHERE tenant_id = $2 AND id = $3`, b, tenantID, id); err != nil {
		t.Fatal(err)
	}
}

// TestUnreadableSubmissionFailsOnlyItsRow corrupts one submission's
// ciphertext (and one note of another) on both databases (SEC-3): the
// inbox, the search, the API list and the export still answer, the broken
// one shown as unreadable without answers; every other submission opens;
// its own page and API read say it cannot be opened (409, not 500); each
// failure is audited naming the object only, and alerted to the operator
// with tenant, object and key id.
func TestUnreadableSubmissionFailsOnlyItsRow(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		alerts := &syncBuffer{}
		env.DB.SetLogger(slog.New(slog.NewJSONHandler(alerts, nil)))
		dir := t.TempDir()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000, ExportDir: dir})
		publishForms(t, env, le.gent)
		var ids []string // the citizen x@example.be's questions, a second apart
		for _, name := range []string{"MARKER-Goed", "MARKER-Kapot", "MARKER-Ander"} {
			ids = append(ids, submitDemo(t, env, le.gent, name))
			env.Clock.Advance(time.Second)
		}
		good, broken, other := ids[0], ids[1], ids[2]
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		clerk, c := le.signIn(t, "clerk@gent.be", account.RoleUser)
		if err := env.DB.SetFormAccess(ctx, op, le.gent.ID, clerk.ID, []string{"vraag"}); err != nil {
			t.Fatal(err)
		}
		me := map[string]string{"Cookie": c}
		for _, id := range []string{other, other} {
			if resp, _ := le.postForm(t, "/gent/inbox/submissions/"+id+"/notes", me, url.Values{"note": {"MARKER-NOTE"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("note: %d", resp.StatusCode)
			}
		}
		var brokenRef, noteID string
		raw := env.Raw(t)
		if err := raw.QueryRow(`SELECT reference FROM submissions WHERE tenant_id = $1 AND id = $2`, le.gent.ID, broken).Scan(&brokenRef); err != nil {
			t.Fatal(err)
		}
		if err := raw.QueryRow(`SELECT id FROM submission_events WHERE tenant_id = $1 AND submission_id = $2 AND kind = 'note' ORDER BY id LIMIT 1`,
			le.gent.ID, other).Scan(&noteID); err != nil {
			t.Fatal(err)
		}
		colleague, _ := le.signIn(t, "colleague@gent.be", account.RoleUser)
		corrupt(t, env, "users", "name", le.gent.ID, colleague.ID)
		corrupt(t, env, "submissions", "data", le.gent.ID, broken)
		corrupt(t, env, "submission_events", "body", le.gent.ID, noteID)

		// The inbox lists all three; the broken one says so, the others
		// show their summary.
		resp, page := le.get(t, "/gent/inbox", me)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "MARKER-Goed") || !strings.Contains(page, "MARKER-Ander") ||
			strings.Count(page, "Kan niet worden geopend") != 1 || !strings.Contains(page, brokenRef) {
			t.Fatalf("inbox: %d\n%s", resp.StatusCode, page)
		}
		if _, page := le.get(t, "/gent/inbox?lang=fr", me); !strings.Contains(page, "Ne peut pas être ouvert") {
			t.Error("the French inbox does not say the row cannot be opened")
		}

		// Every other submission opens; the one with a broken note shows
		// the other note and marks the broken one.
		if resp, page := le.get(t, "/gent/inbox/submissions/"+good, me); resp.StatusCode != http.StatusOK || !strings.Contains(page, "MARKER-Goed") {
			t.Fatalf("good submission: %d", resp.StatusCode)
		}
		resp, page = le.get(t, "/gent/inbox/submissions/"+other, me)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "MARKER-Ander") || strings.Count(page, "MARKER-NOTE") != 1 ||
			!strings.Contains(page, "Kan niet worden geopend") {
			t.Fatalf("submission with a broken note: %d\n%s", resp.StatusCode, page)
		}
		// A colleague whose name does not open is listed without it.
		users, err := env.DB.Users(ctx, op, le.gent.ID)
		if err != nil || len(users) < 2 {
			t.Fatalf("users: %d %v", len(users), err)
		}
		for _, u := range users {
			if (u.ID == colleague.ID) != u.Unreadable || u.ID == colleague.ID && u.Name != "" {
				t.Errorf("user %s: unreadable %v", u.ID, u.Unreadable)
			}
		}
		// The broken one: a clear page naming it, with a reference, no 500.
		resp, page = le.get(t, "/gent/inbox/submissions/"+broken, me)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "Inzending "+brokenRef+" kan niet worden geopend") ||
			!strings.Contains(page, "Referentie") || !strings.Contains(page, `href="/gent/inbox"`) || strings.Contains(page, "MARKER-Kapot") {
			t.Fatalf("broken submission: %d\n%s", resp.StatusCode, page)
		}

		// The citizen search finds all three, the broken one marked.
		resp, page = le.postForm(t, "/gent/inbox/search", me, url.Values{"q": {"x@example.be"}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "MARKER-Goed") || strings.Count(page, "Kan niet worden geopend") != 1 {
			t.Fatalf("search: %d\n%s", resp.StatusCode, page)
		}

		// The API list: every item, the broken one marked, without answers.
		_, token, err := env.DB.CreateAPIKey(ctx, op, le.gent.ID, store.NewAPIKey{Name: "case system", Scopes: store.APIScopes, Forms: []string{"vraag"}})
		if err != nil {
			t.Fatal(err)
		}
		apiH := api.New(api.Options{Store: env.DB}).Handler()
		apiGet := func(target string) (int, []byte) {
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			apiH.ServeHTTP(rec, req)
			return rec.Code, rec.Body.Bytes()
		}
		code, body := apiGet("/api/v1/gent/submissions")
		var list struct {
			Items []map[string]json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(body, &list); code != http.StatusOK || err != nil || len(list.Items) != 3 {
			t.Fatalf("API list: %d %v\n%s", code, err, body)
		}
		for _, it := range list.Items {
			var id string
			json.Unmarshal(it["id"], &id)
			_, hasAnswers := it["answers"]
			unreadable := string(it["unreadable"]) == "true"
			if id == broken && (!unreadable || hasAnswers) || id != broken && (unreadable || !hasAnswers) {
				t.Errorf("API item %s: unreadable %v, answers %v", id, unreadable, hasAnswers)
			}
		}
		if code, body := apiGet("/api/v1/gent/submissions/" + broken); code != http.StatusConflict || !bytes.Contains(body, []byte("urn:kluis:problem:unreadable")) {
			t.Errorf("API read of the broken one: %d %s", code, body)
		}
		if code, body := apiGet("/api/v1/gent/submissions/" + good); code != http.StatusOK || !bytes.Contains(body, []byte("MARKER-Goed")) {
			t.Errorf("API read of a good one: %d %s", code, body)
		}

		// The export of the whole form is made; the broken row says so.
		resp, _ = le.postForm(t, "/gent/inbox/forms/vraag/export", me, url.Values{"format": {"csv"}, "reason": {"controle"}})
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("export: %d", resp.StatusCode)
		}
		r := &jobs.Runner{DB: env.DB, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Node: "n1",
			Handlers: map[string]jobs.Handler{jobs.KindExportBuild: jobs.ExportBuildHandler(dir)}}
		if did, err := r.RunOne(ctx); !did || err != nil {
			t.Fatalf("export job: %v %v", did, err)
		}
		resp, csv := le.get(t, loc+"/download", me)
		if resp.StatusCode != http.StatusOK || !strings.Contains(csv, "MARKER-Goed") || !strings.Contains(csv, "MARKER-Ander") ||
			!strings.Contains(csv, brokenRef+";") || !strings.Contains(csv, "Kan niet worden geopend") {
			t.Fatalf("export download: %d\n%s", resp.StatusCode, csv)
		}

		// Audited: failed reads naming only the broken object, beside the
		// successful list that named all three.
		failed := map[string]int{}
		lists := 0
		if err := env.DB.EachAuditEvent(ctx, le.gent.ID, func(e *audit.Event) error {
			if e.Outcome == audit.OutcomeFailure {
				failed[e.Action+" "+e.ObjectType+" "+e.ObjectID]++
			} else if e.Action == "submission.list" && strings.Contains(e.ObjectID, broken) {
				lists++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"submission.list submission " + broken, "submission.read submission " + broken,
			"submission.search submission " + broken, "submission.read submission_event " + noteID, "export.run submission " + broken,
			"user.list user " + colleague.ID} {
			if failed[want] == 0 {
				t.Errorf("no failed %s in the audit log: %v", want, failed)
			}
		}
		if lists < 3 { // two inbox views and the API list
			t.Errorf("successful lists naming the broken row: %d", lists)
		}

		// The operator's alert: ids and key id, no content.
		log := alerts.String()
		if !strings.Contains(log, `"alert":"unreadable"`) || !strings.Contains(log, `"tenant_id":"`+le.gent.ID+`"`) ||
			!strings.Contains(log, `"object_id":"`+broken+`"`) || !strings.Contains(log, `"object_id":"`+noteID+`"`) ||
			!strings.Contains(log, `"object_id":"`+colleague.ID+`"`) ||
			!strings.Contains(log, `"key_id":"1"`) || strings.Contains(log, "MARKER") {
			t.Errorf("alert log:\n%s", log)
		}
		if env.DB.UnreadableSeen() == 0 {
			t.Error("no unreadable value counted")
		}
	})
}
