package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/pdftest"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// caseworkEnv is gent with both demo forms published (handling times 14
// and 30 days), the clerk granted the question form only.
func caseworkEnv(t *testing.T, env *storetest.Env) (*formsEnv, string) {
	t.Helper()
	ctx := context.Background()
	fe := newFormsEnv(t, env)
	publishForms(t, env, fe.gent)
	users, err := env.DB.Users(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, fe.gent.ID)
	if err != nil {
		t.Fatal(err)
	}
	var clerkID string
	for _, u := range users {
		if u.Email == "clerk@gent.be" {
			clerkID = u.ID
		}
	}
	if err := env.DB.SetFormAccess(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, fe.gent.ID, clerkID, []string{"vraag"}); err != nil {
		t.Fatal(err)
	}
	return fe, clerkID
}

// postQuestion fills in the question form on the e-loket in lang, as a
// citizen's browser does, and fails t unless it is taken.
func postQuestion(t *testing.T, fe *formsEnv, lang, marker string) {
	t.Helper()
	h := fe.app.Handler()
	req := httptest.NewRequest(http.MethodGet, "/gent/vraag?lang="+lang, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	m := tokenRE.FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatalf("no form token on /gent/vraag:\n%s", rec.Body.String())
	}
	ct, body := multipartPost(t, url.Values{"token": {m[1]}, "name": {marker}, "email": {"burger@example.be"}, "topic": {"waste"},
		"message": {"De container is niet geleegd."}, "lang": {lang}}, "", nil)
	req = httptest.NewRequest(http.MethodPost, "/gent/vraag?lang="+lang, body)
	req.Header.Set("Content-Type", ct)
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("post the question in %s: %d\n%s", lang, rec.Code, rec.Body.String())
	}
	fe.env.Clock.Advance(time.Minute)
}

// advance moves the clock on and signs the clerk in again, the session
// having idled out.
func advance(t *testing.T, fe *formsEnv, d time.Duration) {
	t.Helper()
	fe.env.Clock.Advance(d)
	_, st, err := fe.env.DB.Login(context.Background(), fe.gent.ID, "clerk@gent.be", loginPassword, fe.hasher, account.DefaultLockout, "r")
	if err != nil {
		t.Fatal(err)
	}
	fe.clerk = sessionCookie + "=" + string(st)
}

var inboxRowRE = regexp.MustCompile(`(?s)<tr>\s*<th scope="row"><a href="/gent/inbox/submissions/([0-9a-z]+)">.*?</tr>`)

// inboxRows returns the rows of an inbox page, in order, by submission id.
func inboxRows(page string) (ids []string, rows map[string]string) {
	rows = map[string]string{}
	for _, m := range inboxRowRE.FindAllStringSubmatch(page, -1) {
		ids = append(ids, m[1])
		rows[m[1]] = m[0]
	}
	return ids, rows
}

// TestCaseworkInboxDueDatesCountsSortAndFilter: a citizen's question made
// on the e-loket in French gets the form's due date and its language; the
// inbox shows both, marks an overdue case in words once the clock passes
// its due date, counts per status for the granted form only (ORG-6), sorts
// and filters "overdue only", and refuses bad sort and filter values field
// by field.
func TestCaseworkInboxDueDatesCountsSortAndFilter(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe, _ := caseworkEnv(t, env)
		received := env.Clock.Now()
		postQuestion(t, fe, "fr", "MARKER-FR")
		advance(t, fe, 48*time.Hour)
		postQuestion(t, fe, "nl", "MARKER-NL")
		postQuestion(t, fe, "en", "MARKER-EN")

		resp, page := fe.get(t, "/gent/inbox", fe.clerk)
		ids, rows := inboxRows(page)
		if resp.StatusCode != 200 || len(ids) != 3 {
			t.Fatalf("inbox: %d, %d rows\n%s", resp.StatusCode, len(ids), page)
		}
		frID := ids[2] // newest first
		due := store.DueDay(store.DueAt(received, 14)).Format("02.01.2006")
		if r := rows[frID]; !strings.Contains(r, "MARKER-FR") || !strings.Contains(r, ">Frans<") || !strings.Contains(r, due) || strings.Contains(r, "Te laat") {
			t.Errorf("the French row lacks its language or due date %s, or is overdue:\n%s", due, r)
		}
		if r := rows[ids[0]]; !strings.Contains(r, ">Engels<") {
			t.Errorf("the English row: %s", r)
		}
		for _, want := range []string{`<span class="count-number">3</span> <span class="count-label">Nieuw</span>`,
			`<span class="count-number">0</span> <span class="count-label">Te laat</span>`, `href="/gent/inbox?overdue=1"`} {
			if !strings.Contains(page, want) {
				t.Errorf("counts lack %s", want)
			}
		}

		// Past the French question's due date: overdue, in words.
		advance(t, fe, store.DueAt(received, 14).Sub(env.Clock.Now()))
		_, page = fe.get(t, "/gent/inbox", fe.clerk)
		_, rows = inboxRows(page)
		if !strings.Contains(rows[frID], `<strong class="overdue">Te laat</strong>`) || strings.Contains(rows[ids[0]], "Te laat") {
			t.Errorf("overdue marks: French %q\nEnglish %q", rows[frID], rows[ids[0]])
		}
		if !strings.Contains(page, `<span class="count-number">1</span> <span class="count-label">Te laat</span>`) {
			t.Error("the overdue count is not 1")
		}
		_, page = fe.get(t, "/gent/inbox?overdue=1", fe.clerk)
		if got, _ := inboxRows(page); len(got) != 1 || got[0] != frID {
			t.Errorf("overdue only: %v, want [%s]", got, frID)
		}
		// Done is no longer overdue.
		if resp, _ := fe.submit(t, "/gent/inbox/submissions/"+frID+"/status", fe.clerk, url.Values{"status": {"done"}}); resp.StatusCode != 303 {
			t.Fatalf("status: %d", resp.StatusCode)
		}
		_, page = fe.get(t, "/gent/inbox?overdue=1", fe.clerk)
		if got, _ := inboxRows(page); len(got) != 0 || !strings.Contains(page, `<span class="count-number">1</span> <span class="count-label">Afgehandeld</span>`) {
			t.Errorf("after done: overdue rows %v", got)
		}

		// Sorting: oldest first, and due date (open first, ended last).
		_, page = fe.get(t, "/gent/inbox?sort=oldest", fe.clerk)
		if got, _ := inboxRows(page); len(got) != 3 || got[0] != frID || got[2] != ids[0] || !strings.Contains(page, "Inzendingen, oudste eerst") {
			t.Errorf("oldest first: %v", got)
		}
		_, page = fe.get(t, "/gent/inbox?sort=due", fe.clerk)
		if got, _ := inboxRows(page); len(got) != 3 || got[0] != ids[1] || got[1] != ids[0] || got[2] != frID {
			t.Errorf("by due date: %v, want [%s %s %s]", got, ids[1], ids[0], frID)
		}
		// The vraag form's counts; none of toelage's (no grant).
		if _, _, err := env.DB.SubmitForm(context.Background(), audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, fe.gent.ID, toelageSubmission(t, env, fe)); err != nil {
			t.Fatal(err)
		}
		_, page = fe.get(t, "/gent/inbox", fe.clerk)
		if !strings.Contains(page, `<span class="count-number">2</span> <span class="count-label">Nieuw</span>`) {
			t.Error("counts include a form the clerk holds no grant on")
		}

		// Bad input: named at its field, 400.
		for target, want := range map[string]string{
			"/gent/inbox?sort=sideways": "Kies een sortering uit de lijst.",
			"/gent/inbox?overdue=yes":   "Vink het vakje aan of laat het leeg.",
		} {
			resp, page := fe.get(t, target, fe.clerk)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, want) || !strings.Contains(page, `aria-invalid="true"`) {
				t.Errorf("%s: %d, lacks %q", target, resp.StatusCode, want)
			}
		}
	})
}

// toelageSubmission is an allowance application made through the store.
func toelageSubmission(t *testing.T, env *storetest.Env, fe *formsEnv) store.NewFormSubmission {
	t.Helper()
	fv, err := env.DB.FormByStatus(context.Background(), fe.gent.ID, "toelage", store.FormPublished)
	if err != nil {
		t.Fatal(err)
	}
	answers, _ := json.Marshal(form.Answers{"name": {Value: "MARKER-TOELAGE"}})
	return store.NewFormSubmission{FormKey: "toelage", FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion, Answers: answers,
		Idempotency: "tok-toelage", Receipt: "rc-toelage", Lang: "nl", HandlingDays: fv.Form.HandlingDays}
}

// TestClauseAUD1_SubmissionPDF: the submission page shows the due date and
// the citizen's language and offers the PDF; the PDF holds the answers,
// the due date and the language in the reader's language, is a download,
// and is recorded as a read with its purpose; a submission of a form
// without grant is 404 and recorded as refused.
func TestClauseAUD1_SubmissionPDF(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe, _ := caseworkEnv(t, env)
		received := env.Clock.Now()
		postQuestion(t, fe, "fr", "MARKER-PDF-NAME")
		_, page := fe.get(t, "/gent/inbox", fe.clerk)
		ids, _ := inboxRows(page)
		if len(ids) != 1 {
			t.Fatalf("inbox rows: %v", ids)
		}
		id := ids[0]
		due := store.DueDay(store.DueAt(received, 14)).Format("02.01.2006")
		_, page = fe.get(t, "/gent/inbox/submissions/"+id, fe.clerk)
		for _, want := range []string{"Uiterste datum", due, "Frans", `href="/gent/inbox/submissions/` + id + `/pdf"`, "Afdrukken als PDF"} {
			if !strings.Contains(page, want) {
				t.Errorf("submission page lacks %q", want)
			}
		}
		before := auditActions(t, env, fe.gent.ID)["submission.read"]
		resp, body := fe.get(t, "/gent/inbox/submissions/"+id+"/pdf", fe.clerk)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") || !strings.Contains(resp.Header.Get("Content-Disposition"), "inzending-") ||
			resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("PDF: %d %v", resp.StatusCode, resp.Header)
		}
		if after := auditActions(t, env, fe.gent.ID)["submission.read"]; after != before+1 {
			t.Errorf("PDF reads recorded: %d, want %d", after, before+1)
		}
		var purpose string
		env.DB.EachAuditEvent(context.Background(), fe.gent.ID, func(e *audit.Event) error {
			if e.Action == "submission.read" && e.ObjectID == id {
				purpose = e.Purpose
			}
			return nil
		})
		if purpose != pdfPurpose {
			t.Errorf("the PDF read's purpose: %q", purpose)
		}
		// Another form's submission: as unknown.
		if _, _, err := env.DB.SubmitForm(context.Background(), audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, fe.gent.ID, toelageSubmission(t, env, fe)); err != nil {
			t.Fatal(err)
		}
		var toelageID string
		env.DB.EachAuditEvent(context.Background(), fe.gent.ID, func(e *audit.Event) error {
			if e.Action == "submission.create" && strings.Contains(e.Purpose, "form toelage") {
				toelageID = e.ObjectID
			}
			return nil
		})
		if resp, _ := fe.get(t, "/gent/inbox/submissions/"+toelageID+"/pdf", fe.clerk); resp.StatusCode != http.StatusNotFound {
			t.Errorf("PDF of a form without grant: %d", resp.StatusCode)
		}
		text := strings.Join(pdftest.Text(t, []byte(body)), " ")
		for _, want := range []string{"MARKER-PDF-NAME", "De container is niet geleegd.", "Uiterste datum " + due, "Taal Frans", "Nieuw"} {
			if !strings.Contains(text, want) {
				t.Errorf("the PDF lacks %q:\n%s", want, text)
			}
		}
	})
}

// TestCaseworkHandlingTimeSetting: the form's settings page takes a
// handling time of 1 to 365 calendar days or none; anything else is
// refused at its field, with the other fields kept, and nothing is saved.
func TestCaseworkHandlingTimeSetting(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		_, page := fe.get(t, "/gent/admin/forms/vraag/settings", fe.admin)
		base := regexp.MustCompile(`name="base" value="([^"]*)"`).FindStringSubmatch(page)
		if base == nil || !strings.Contains(page, `id="handling_days" name="handling_days" value="14"`) {
			t.Fatalf("settings page without the handling time:\n%s", page)
		}
		values := func(days string) url.Values {
			return url.Values{"base": {base[1]}, "title_nl": {"Vraag of melding"}, "handling_days": {days}, "confirmation_mail": {"on"},
				"confirmation_field": {"email"}}
		}
		for _, bad := range []string{"abc", "-1", "0", "1000", "366", "2.5"} {
			resp, page := fe.submit(t, "/gent/admin/forms/vraag/settings", fe.admin, values(bad))
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "vul een geheel aantal kalenderdagen tussen 1 en 365 in") ||
				!strings.Contains(page, `href="#handling_days"`) || !strings.Contains(page, `value="`+bad+`"`) || !strings.Contains(page, `aria-describedby="handling_days-hint handling_days-error"`) {
				t.Errorf("%q: %d\n%s", bad, resp.StatusCode, page)
			}
		}
		// With another problem too: both named, nothing saved.
		v := values("abc")
		v.Set("title_nl", "")
		resp, page := fe.submit(t, "/gent/admin/forms/vraag/settings", fe.admin, v)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#handling_days"`) || !strings.Contains(page, `href="#title_nl"`) {
			t.Errorf("two problems: %d\n%s", resp.StatusCode, page)
		}
		if _, err := env.DB.FormByStatus(context.Background(), fe.gent.ID, "vraag", store.FormDraft); err == nil {
			t.Error("a refused handling time saved a draft")
		}
		fe.post(t, "/gent/admin/forms/vraag/settings", values(" 21 "), http.StatusSeeOther)
		if d := fe.draft(t, "vraag"); d.Form.HandlingDays != 21 {
			t.Errorf("saved handling time: %d", d.Form.HandlingDays)
		}
		_, page = fe.get(t, "/gent/admin/forms/vraag/settings", fe.admin)
		base = regexp.MustCompile(`name="base" value="([^"]*)"`).FindStringSubmatch(page)
		fe.post(t, "/gent/admin/forms/vraag/settings", values(""), http.StatusSeeOther)
		if d := fe.draft(t, "vraag"); d.Form.HandlingDays != 0 {
			t.Errorf("emptied handling time: %d", d.Form.HandlingDays)
		}
	})
}

func TestCountTextGroupsThousandsAndSaysTheCap(t *testing.T) {
	a := &App{}
	r := httptest.NewRequest(http.MethodGet, "/gent/inbox", nil)
	for n, want := range map[int]string{0: "0", 999: "999", store.CountCap: "1.000+", 123456: "123.456+"} {
		if got := a.countText(r, n); got != want {
			t.Errorf("countText(%d) = %q, want %q", n, got, want)
		}
	}
}
