package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/export"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/jobs"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// submitDemo stores a submission of the demo question form in tn and
// returns its id.
func submitDemo(t *testing.T, env *storetest.Env, tn tenant.Tenant, name string) string {
	t.Helper()
	ctx := context.Background()
	fv, err := env.DB.FormByStatus(ctx, tn.ID, "vraag", store.FormPublished)
	if err != nil {
		t.Fatal(err)
	}
	answers, _ := json.Marshal(form.Answers{"name": {Value: name}, "email": {Value: "x@example.be"}, "topic": {Value: "waste"},
		"message": {Value: "MARKER-MESSAGE"}})
	ref, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, tn.ID, store.NewFormSubmission{
		FormKey: "vraag", FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion, Answers: answers, Subject: "x@example.be",
		Idempotency: "tok-" + name, Receipt: "rc-" + name})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	if err := env.Raw(t).QueryRow(`SELECT id FROM submissions WHERE tenant_id = $1 AND reference = $2`, tn.ID, ref).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestClauseEND1_ExportThroughThePages walks an export as a clerk: the
// step-up first, a reason and a known format required (named per field in
// the user's language), the selection only of this form in this tenant, a
// form without a grant refused; the progress page follows the export (a script, no timed refresh) until
// the job is done; only the owner downloads (audited) and deletes it;
// another tenant's user gets 404.
func TestClauseEND1_ExportThroughThePages(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		dir := t.TempDir()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000, ExportDir: dir})
		publishForms(t, env, le.gent)
		publishForms(t, env, le.brugge)
		first := submitDemo(t, env, le.gent, "MARKER-Eerste")
		submitDemo(t, env, le.gent, "MARKER-Tweede")
		foreign := submitDemo(t, env, le.brugge, "MARKER-Brugge")
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		clerk, c := le.signIn(t, "clerk@gent.be", account.RoleUser)
		colleague, cc := le.signIn(t, "colleague@gent.be", account.RoleUser)
		for _, u := range []account.User{clerk, colleague} {
			if err := env.DB.SetFormAccess(ctx, op, le.gent.ID, u.ID, []string{"vraag"}); err != nil {
				t.Fatal(err)
			}
		}
		me, other := map[string]string{"Cookie": c}, map[string]string{"Cookie": cc}
		exportCount := func() int {
			var n int
			env.Raw(t).QueryRow(`SELECT count(*) FROM exports`).Scan(&n)
			return n
		}

		// A stale proof of credentials: to the confirmation page, nothing made.
		env.Clock.Advance(StepUpMaxAge + time.Minute)
		resp, _ := le.get(t, "/gent/inbox/forms/vraag/export", me)
		wantRedirect(t, "stale get", resp, "/gent/account/confirm?next="+url.QueryEscape("/gent/inbox/forms/vraag/export"))
		resp, body := le.postForm(t, "/gent/inbox/forms/vraag/export", me, url.Values{"format": {"csv"}, "reason": {"controle"}})
		pendingOn(t, "stale post", resp, body)
		if n := exportCount(); n != 0 {
			t.Fatalf("%d exports made without the step-up", n)
		}
		resp, _ = le.postForm(t, "/gent/account/confirm", me, url.Values{"password": {loginPassword}, "next": {"/gent/inbox/forms/vraag/export"}})
		wantRedirect(t, "confirm", resp, "/gent/inbox/forms/vraag/export")

		resp, body = le.get(t, "/gent/inbox/forms/vraag/export?id="+first, me)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Reden van de export") || !strings.Contains(body, `value="`+first+`"`) ||
			!strings.Contains(body, `href="/gent/inbox"`) {
			t.Fatalf("form: %d\n%s", resp.StatusCode, body)
		}
		resp, body = le.postForm(t, "/gent/inbox/forms/vraag/export", me, url.Values{"format": {"docx"}, "reason": {" "}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Kies een bestandsformaat.") ||
			!strings.Contains(body, "Geef de reden van de export.") || !strings.Contains(body, `href="#reason"`) {
			t.Fatalf("bad input: %d\n%s", resp.StatusCode, body)
		}
		resp, body = le.postForm(t, "/gent/inbox/forms/vraag/export?lang=fr", me, url.Values{"format": {"csv"}, "reason": {"controle"},
			"id": {first, foreign}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "appartiennent pas à ce formulaire") ||
			strings.Contains(body, "MARKER") {
			t.Fatalf("another tenant's id: %d\n%s", resp.StatusCode, body)
		}
		if resp, _ := le.postForm(t, "/gent/inbox/forms/toelage/export", me, url.Values{"format": {"csv"}, "reason": {"controle"}}); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("form without a grant: %d", resp.StatusCode)
		}
		if n := exportCount(); n != 0 {
			t.Fatalf("%d exports made from refused requests", n)
		}

		resp, _ = le.postForm(t, "/gent/inbox/forms/vraag/export", me, url.Values{"format": {"csv"}, "reason": {"dossier 17"}, "id": {first}})
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/gent/inbox/exports/") {
			t.Fatalf("create: %d %q", resp.StatusCode, loc)
		}
		id := strings.TrimPrefix(loc, "/gent/inbox/exports/")
		resp, body = le.get(t, loc, me)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `export.js`) || strings.Contains(body, "http-equiv") ||
			!strings.Contains(body, `role="status"`) || !strings.Contains(body, "0 van 1 inzendingen verwerkt") {
			t.Fatalf("progress: %d\n%s", resp.StatusCode, body)
		}
		r := &jobs.Runner{DB: env.DB, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Node: "n1",
			Handlers: map[string]jobs.Handler{jobs.KindExportBuild: jobs.ExportBuildHandler(dir)}}
		if did, err := r.RunOne(ctx); !did || err != nil {
			t.Fatalf("job: %v %v", did, err)
		}
		resp, body = le.get(t, loc, me)
		if resp.StatusCode != http.StatusOK || strings.Contains(body, "export.js") || !strings.Contains(body, loc+"/download") {
			t.Fatalf("ready: %d\n%s", resp.StatusCode, body)
		}
		if _, body := le.get(t, "/gent/inbox/exports", me); !strings.Contains(body, loc+"/download") {
			t.Fatalf("own list lacks the export:\n%s", body)
		}

		// Only the owner: a colleague of the tenant and another tenant's
		// user get 404, and nothing of the export.
		for _, target := range []string{loc, loc + "/download"} {
			if resp, _ := le.get(t, target, other); resp.StatusCode != http.StatusNotFound {
				t.Errorf("colleague GET %s: %d", target, resp.StatusCode)
			}
		}
		if _, body := le.get(t, "/gent/inbox/exports", other); strings.Contains(body, id) {
			t.Error("a colleague's list shows the export")
		}
		if resp, _ := le.postForm(t, loc+"/delete", other, url.Values{"x": {"1"}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("colleague delete: %d", resp.StatusCode)
		}
		le.addUser(t, le.brugge, "clerk@brugge.be", "Clerk Brugge")
		bresp := le.post(t, "brugge", "clerk@brugge.be", loginPassword, "", nil)
		bh := withSession(sessionCookieOf(bresp))
		if resp, _ := le.get(t, "/brugge/inbox/exports/"+id+"/download", bh); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another tenant's download: %d", resp.StatusCode)
		}

		resp, body = le.get(t, loc+"/download", me)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "\ufeffReferentie;") || !strings.Contains(body, "MARKER-Eerste") ||
			strings.Contains(body, "MARKER-Tweede") || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("download: %d %v\n%s", resp.StatusCode, resp.Header, body)
		}
		if strings.Contains(loc, "MARKER") || strings.Contains(resp.Header.Get("Content-Disposition"), "MARKER") {
			t.Fatal("personal data in a URL")
		}
		got := auditActions(t, env, le.gent.ID)
		if got["export.create"] != 1 || got["export.download"] != 2 || got["export.ready"] != 1 {
			t.Fatalf("audit: %v", got)
		}
		resp, _ = le.postForm(t, loc+"/delete", me, url.Values{"x": {"1"}})
		wantRedirect(t, "delete", resp, "/gent/inbox/exports?done=deleted")
		if _, err := os.Stat(export.Path(dir, le.gent.ID, id)); !os.IsNotExist(err) {
			t.Fatalf("file left after delete: %v", err)
		}
		if resp, _ := le.get(t, loc+"/download", me); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("download after delete: %d", resp.StatusCode)
		}
	})
}
