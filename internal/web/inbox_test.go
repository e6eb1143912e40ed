package web

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

var inboxLinkRE = regexp.MustCompile(`href="/gent/inbox/submissions/([0-9a-z]+)">([0-9A-Z]{5}-[0-9A-Z]{5})<`)

// TestClauseAUD1_InboxPages: a clerk without a grant sees no submissions;
// once an admin grants a form, the clerk lists, searches by national
// register number, opens, downloads and handles that form's submissions —
// each read recorded with what it showed — and never another form's;
// bad filters, forged page links and unknown ids are answered precisely.
func TestClauseAUD1_InboxPages(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		clerk, err := env.DB.Users(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, fe.gent.ID)
		if err != nil {
			t.Fatal(err)
		}
		var clerkID string
		for _, u := range clerk {
			if u.Email == "clerk@gent.be" {
				clerkID = u.ID
			}
		}
		// Two submissions: the allowance (with a file) and a question.
		citizen := audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}
		for _, key := range []string{"toelage", "vraag"} {
			fv, err := env.DB.FormByStatus(ctx, fe.gent.ID, key, store.FormPublished)
			if err != nil {
				t.Fatal(err)
			}
			answers, _ := json.Marshal(form.Answers{"name": {Value: "MARKER-NAME-" + key}, "insz": {Value: "85071512397"}})
			in := store.NewFormSubmission{FormKey: key, FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion, Answers: answers,
				Subject: "85071512397", Idempotency: "tok-" + key, Receipt: "rc-" + key}
			if key == "toelage" {
				in.Attachments = []store.NewAttachment{{FieldKey: "certificate", Name: "attest <1>.pdf", ContentType: "application/pdf",
					Data: []byte("%PDF-1.4 MARKER-FILE"), Scanner: "test", ScannedAt: env.Clock.Now()}}
			}
			if _, _, err := env.DB.SubmitForm(ctx, citizen, fe.gent.ID, in); err != nil {
				t.Fatal(err)
			}
		}

		_, page := fe.get(t, "/gent/inbox", fe.clerk)
		if !strings.Contains(page, "Vraag een beheerder") || strings.Contains(page, "MARKER") {
			t.Fatal("a clerk without grants sees submissions")
		}
		// The admin grants the allowance form on the clerk's page.
		if resp, body := fe.submit(t, "/gent/admin/users/"+clerkID+"/forms", fe.admin, url.Values{"form": {"toelage"}}); resp.StatusCode != 303 {
			t.Fatalf("grant: %d %s", resp.StatusCode, body)
		}
		if _, body := fe.get(t, "/gent/admin/users/"+clerkID+"?done=forms", fe.admin); !strings.Contains(body, `value="toelage" checked`) {
			t.Fatal("the user page does not show the grant")
		}

		resp, page := fe.get(t, "/gent/inbox", fe.clerk)
		links := inboxLinkRE.FindAllStringSubmatch(page, -1)
		if resp.StatusCode != 200 || len(links) != 1 || !strings.Contains(page, "MARKER-NAME-toelage") || strings.Contains(page, "MARKER-NAME-vraag") {
			t.Fatalf("inbox after the grant: %d %d rows\n%s", resp.StatusCode, len(links), page)
		}
		id, ref := links[0][1], links[0][2]
		if n := auditActions(t, env, fe.gent.ID)["submission.list"]; n != 2 {
			t.Fatalf("list views recorded: %d", n)
		}

		// Search by INSZ, typed with separators: posted, found, recorded.
		resp, page = fe.submit(t, "/gent/inbox/search", fe.clerk, url.Values{"q": {"85.07.15-123.97"}})
		if resp.StatusCode != 200 || !strings.Contains(page, ref) || strings.Contains(page, "MARKER-NAME-vraag") {
			t.Fatalf("search: %d\n%s", resp.StatusCode, page)
		}
		if resp, page = fe.submit(t, "/gent/inbox/search", fe.clerk, url.Values{"q": {"85.07.15-123.98"}}); resp.StatusCode != 422 ||
			!strings.Contains(page, "geldig rijksregisternummer") {
			t.Fatalf("invalid INSZ: %d", resp.StatusCode)
		}

		// The submission's page, its file, and handling it.
		resp, page = fe.get(t, "/gent/inbox/submissions/"+id, fe.clerk)
		fileLink := regexp.MustCompile(`/gent/inbox/submissions/` + id + `/files/([0-9a-z]+)`).FindString(page)
		if resp.StatusCode != 200 || !strings.Contains(page, "MARKER-NAME-toelage") || !strings.Contains(page, "85.07.15-123.97") || fileLink == "" {
			t.Fatalf("detail: %d\n%s", resp.StatusCode, page)
		}
		resp, body := fe.get(t, fileLink, fe.clerk)
		if resp.StatusCode != 200 || body != "%PDF-1.4 MARKER-FILE" || resp.Header.Get("Content-Type") != "application/octet-stream" ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("download: %d %v", resp.StatusCode, resp.Header)
		}
		if resp, _ := fe.submit(t, "/gent/inbox/submissions/"+id+"/status", fe.clerk, url.Values{"status": {"in_progress"}}); resp.StatusCode != 303 {
			t.Fatalf("status: %d", resp.StatusCode)
		}
		resp, page = fe.submit(t, "/gent/inbox/submissions/"+id+"/status", fe.clerk, url.Values{"status": {"rejected"}, "reason": {" "}})
		if resp.StatusCode != 422 || !strings.Contains(page, "Geef een reden op") || !strings.Contains(page, `href="#reason"`) {
			t.Fatalf("rejection without reason: %d\n%s", resp.StatusCode, page)
		}
		if resp, _ := fe.submit(t, "/gent/inbox/submissions/"+id+"/notes", fe.clerk, url.Values{"note": {"MARKER-NOTE belde burger"}}); resp.StatusCode != 303 {
			t.Fatalf("note: %d", resp.StatusCode)
		}
		if resp, _ := fe.submit(t, "/gent/inbox/submissions/"+id+"/assign", fe.clerk, url.Values{"assignee": {clerkID}}); resp.StatusCode != 303 {
			t.Fatalf("assign: %d", resp.StatusCode)
		}
		_, page = fe.get(t, "/gent/inbox/submissions/"+id+"?done=assign", fe.clerk)
		for _, want := range []string{"In behandeling", "MARKER-NOTE belde burger", "De behandelaar is gewijzigd", "Toegewezen aan Naam clerk@gent.be"} {
			if !strings.Contains(page, want) {
				t.Errorf("handled page lacks %q", want)
			}
		}
		acts := auditActions(t, env, fe.gent.ID)
		for action, min := range map[string]int{"submission.read": 3, "attachment.read": 1, "submission.search": 1, "submission.status": 1,
			"submission.note": 1, "submission.assign": 1, "form_access.grant": 1} {
			if acts[action] < min {
				t.Errorf("%s recorded %d times, want at least %d", action, acts[action], min)
			}
		}
		if _, page := fe.get(t, "/gent/inbox?assignee=me", fe.clerk); !strings.Contains(page, ref) {
			t.Error("the assignee filter does not find the clerk's own")
		}

		// Bad input.
		for target, want := range map[string]string{
			"/gent/inbox?status=archived":                "Kies een status uit de lijst",
			"/gent/inbox?form=vraag":                     "Kies een formulier uit de lijst", // not granted: as unknown
			"/gent/inbox?from=31.02.2026":                "Vul een datum in als dd.mm.jjjj",
			"/gent/inbox?from=2026-11-10&to=2026-11-01":  "De einddatum moet na de begindatum",
			"/gent/inbox?before=%25%25":                  "Deze paginalink is niet",
			"/gent/inbox?assignee=someone-else-entirely": "Kies een behandelaar uit de lijst",
		} {
			resp, page := fe.get(t, target, fe.clerk)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, want) || strings.Contains(page, "MARKER") {
				t.Errorf("%s: %d, want 400 with %q", target, resp.StatusCode, want)
			}
		}
		// The question form's submission is not the clerk's; unknown ids
		// and another tenant's ids look the same.
		admin := fe.admin
		_, page = fe.get(t, "/gent/inbox", admin)
		if strings.Contains(page, "MARKER") {
			t.Fatal("an admin without grants sees submissions: grants apply to admins too")
		}
		if err := env.DB.SetFormAccess(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, fe.gent.ID, adminID(t, env, fe), []string{"vraag"}); err != nil {
			t.Fatal(err)
		}
		_, page = fe.get(t, "/gent/inbox", admin)
		other := inboxLinkRE.FindStringSubmatch(page)
		if other == nil || other[1] == id {
			t.Fatal("the admin's inbox does not show the question")
		}
		for _, target := range []string{"/gent/inbox/submissions/" + other[1], "/gent/inbox/submissions/nonexistent", "/gent/inbox/submissions/" + id + "/files/nope"} {
			if resp, page := fe.get(t, target, fe.clerk); resp.StatusCode != 404 || strings.Contains(page, "MARKER") {
				t.Errorf("%s: %d", target, resp.StatusCode)
			}
		}
		if resp, _ := fe.submit(t, "/gent/inbox/submissions/"+other[1]+"/status", fe.clerk, url.Values{"status": {"done"}}); resp.StatusCode != 404 {
			t.Errorf("changing another form's submission: %d", resp.StatusCode)
		}
		if resp, _ := fe.submit(t, "/gent/inbox/submissions/"+id+"/archive", fe.clerk, url.Values{"x": {"1"}}); resp.StatusCode != 404 {
			t.Errorf("unknown action: %d", resp.StatusCode)
		}
	})
}

func adminID(t *testing.T, env *storetest.Env, fe *formsEnv) string {
	t.Helper()
	users, err := env.DB.Users(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, fe.gent.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Role == account.RoleAdmin {
			return u.ID
		}
	}
	t.Fatal("no admin")
	return ""
}

// TestFormStatsPage: the figures per form, day and status for admins and
// the DPO, as a table and as a CSV for Excel; they stay when the
// submissions are gone; a bad period is refused field by field.
func TestFormStatsPage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		fv, err := env.DB.FormByStatus(ctx, fe.gent.ID, "vraag", store.FormPublished)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			answers, _ := json.Marshal(form.Answers{"name": {Value: "MARKER-STATS"}})
			if _, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, fe.gent.ID, store.NewFormSubmission{
				FormKey: "vraag", FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion, Answers: answers,
				Idempotency: "s" + string(rune('a'+i)), Receipt: "r"}); err != nil {
				t.Fatal(err)
			}
		}
		env.Raw(t).Exec(`DELETE FROM submissions`) // retention removed them
		day := env.Clock.Now().In(brussels).Format("2006-01-02")
		for _, who := range []string{fe.admin, fe.dpo} {
			resp, page := fe.get(t, "/gent/admin/stats", who)
			if resp.StatusCode != 200 || !strings.Contains(page, "Vraag of melding") || !strings.Contains(page, day) ||
				!strings.Contains(page, `<td class="num">3</td>`) || strings.Contains(page, "MARKER") {
				t.Fatalf("stats page: %d\n%s", resp.StatusCode, page)
			}
		}
		resp, body := fe.get(t, "/gent/admin/stats?format=csv", fe.dpo)
		if resp.StatusCode != 200 || !strings.HasPrefix(body, "\ufeffFormulier;Dag;Nieuw") || !strings.Contains(body, ";"+day+";3;0;0;0;3") {
			t.Fatalf("CSV: %d %q", resp.StatusCode, body)
		}
		if resp, page := fe.get(t, "/gent/admin/stats?from=2026-13-01&to=gisteren", fe.admin); resp.StatusCode != 400 ||
			!strings.Contains(page, `href="#from"`) || !strings.Contains(page, `href="#to"`) {
			t.Fatalf("bad period: %d", resp.StatusCode)
		}
		if resp, _ := fe.get(t, "/gent/admin/stats", fe.clerk); resp.StatusCode != 403 {
			t.Fatalf("a clerk reads the figures: %d", resp.StatusCode)
		}
	})
}

// TestClauseAUD1_ControllerAuditLogPage: the DPO reads the tenant's log as
// sentences in their language — the admin's reads of a submission among
// it, named by the submission's reference, the admin by name — found by
// choosing filters (an action or a group of actions, a member of staff, the
// submission's reference) and by the citizen's national register number
// (posted, never in a URL); the citizen column shows a pseudonym only for
// events about a citizen; links go only where the reader may follow; the
// CSV is headed in the reader's language and keeps the chain's fields;
// every look is recorded; bad filters are named; clerks have no access.
func TestClauseAUD1_ControllerAuditLogPage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		fv, err := env.DB.FormByStatus(ctx, fe.gent.ID, "vraag", store.FormPublished)
		if err != nil {
			t.Fatal(err)
		}
		answers, _ := json.Marshal(form.Answers{"name": {Value: "MARKER-AUDIT"}})
		ref, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, fe.gent.ID, store.NewFormSubmission{
			FormKey: "vraag", FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion, Answers: answers, Subject: "85071512397",
			Idempotency: "t1", Receipt: "r1"})
		if err != nil {
			t.Fatal(err)
		}
		admin := adminID(t, env, fe)
		if err := env.DB.SetFormAccess(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, fe.gent.ID, admin, []string{"vraag"}); err != nil {
			t.Fatal(err)
		}
		_, page := fe.get(t, "/gent/inbox", fe.admin)
		id := inboxLinkRE.FindStringSubmatch(page)[1]
		fe.get(t, "/gent/inbox/submissions/"+id, fe.admin)
		opened := "Naam admin@gent.be (beheerder) opende inzending " + ref + " (doel: behandeling)"

		resp, page := fe.get(t, "/gent/admin/audit", fe.dpo)
		if resp.StatusCode != 200 || !strings.Contains(textOf(page), opened) || !strings.Contains(textOf(page), "bekeek een lijst met 1 inzending(en)") ||
			strings.Contains(page, "MARKER") {
			t.Fatalf("audit page: %d\n%s", resp.StatusCode, textOf(page))
		}
		if !strings.Contains(page, `<label for="from">Van</label>`) {
			t.Fatal("the period is labelled as a time of receipt")
		}
		// The DPO handles no submissions: the reference is not a link for
		// them; the form's title and the admin's name are named.
		if strings.Contains(page, "/gent/inbox/submissions/") || strings.Contains(page, "anonymou<") {
			t.Fatal("the DPO is offered a submission they may not open")
		}
		// The admin, with a grant on the form, may follow it.
		if _, page := fe.get(t, "/gent/admin/audit", fe.admin); !strings.Contains(page, `<a href="/gent/inbox/submissions/`+id+`">`+ref+`</a>`) {
			t.Fatal("the admin is not linked to the submission")
		}
		// Who opened submission X: by its reference, reads only.
		resp, page = fe.get(t, "/gent/admin/audit?action=submission.read&object="+url.QueryEscape(strings.ToLower(ref)), fe.dpo)
		if resp.StatusCode != 200 || !strings.Contains(textOf(page), opened) || strings.Contains(textOf(page), "diende") {
			t.Fatalf("by reference and action: %d\n%s", resp.StatusCode, textOf(page))
		}
		resp, page = fe.get(t, "/gent/admin/audit?object="+id, fe.dpo)
		if resp.StatusCode != 200 || !strings.Contains(textOf(page), "Een burger diende inzending "+ref+" in") ||
			strings.Contains(textOf(page), "lijst van gebruikers") {
			t.Fatalf("by object: %d", resp.StatusCode)
		}
		// A group of actions, and a member of staff chosen from the list.
		resp, page = fe.get(t, "/gent/admin/audit?action=group:accounts&actor="+admin, fe.dpo)
		if resp.StatusCode != 200 || strings.Contains(textOf(page), "opende inzending") || !strings.Contains(textOf(page), "meldde zich aan") ||
			!strings.Contains(page, `<option value="`+admin+`" selected>Naam admin@gent.be</option>`) {
			t.Fatalf("by group and actor: %d\n%s", resp.StatusCode, textOf(page))
		}
		// The citizen column: a pseudonym for the citizen's events only.
		for _, row := range regexp.MustCompile(`(?s)<tr[ >].*?</tr>`).FindAllString(page, -1) {
			if strings.Contains(row, "<code>") {
				t.Fatalf("a staff event shows a citizen: %s", row)
			}
		}
		resp, page = fe.submit(t, "/gent/admin/audit/search", fe.dpo, url.Values{"q": {"85.07.15-123.97"}})
		if resp.StatusCode != 200 || !strings.Contains(textOf(page), "Een burger diende inzending "+ref+" in") ||
			!strings.Contains(textOf(page), opened) || strings.Contains(page, "85071512397") || !strings.Contains(page, "<code>") {
			t.Fatalf("by citizen: %d", resp.StatusCode)
		}
		// In French, details included.
		resp, page = fe.get(t, "/gent/admin/audit?lang=fr&object="+ref, fe.dpo)
		if want := "Naam admin@gent.be (administrateur) a ouvert la soumission " + ref + " (finalité : traitement)"; resp.StatusCode != 200 ||
			!strings.Contains(textOf(page), want) {
			t.Fatalf("in French: want %q in\n%s", want, textOf(page))
		}
		if n := auditActions(t, env, fe.gent.ID)["audit.read"]; n != 7 {
			t.Fatalf("looks at the log recorded: %d", n)
		}
		// The same as CSV for Excel, headed in the reader's language: the
		// sentence, and every field of the chain, the citizen by pseudonym
		// only; a download is recorded as such.
		resp, body := fe.get(t, "/gent/admin/audit?format=csv&object="+id, fe.dpo)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") ||
			!strings.HasPrefix(body, "\ufeffvolgnummer;tijd;gebeurtenis;details;soort actor") ||
			!strings.Contains(body, ";"+opened[:len(opened)-len(" (doel: behandeling)")]+";doel: behandeling;") ||
			!strings.Contains(body, ";submission.read;submission;"+id+";") {
			t.Fatalf("CSV by object: %d %q", resp.StatusCode, body)
		}
		resp, body = fe.submit(t, "/gent/admin/audit/search", fe.dpo, url.Values{"q": {"85071512397"}, "format": {"csv"}})
		if resp.StatusCode != 200 || !strings.Contains(body, ";submission.create;") || strings.Contains(body, "85071512397") ||
			strings.Contains(body, "MARKER") {
			t.Fatalf("CSV by citizen: %d %q", resp.StatusCode, body)
		}
		if _, body := fe.get(t, "/gent/admin/audit?format=csv&lang=fr", fe.dpo); !strings.HasPrefix(body, "\ufeffnuméro;heure;événement") {
			t.Fatalf("CSV in French: %q", body[:80])
		}
		if n := auditActions(t, env, fe.gent.ID)["audit.export"]; n != 3 {
			t.Fatalf("downloads of the log recorded: %d", n)
		}
		for target, want := range map[string]string{
			"/gent/admin/audit?object=%25":        "Gebruik alleen letters",
			"/gent/admin/audit?from=30.02.2026":   "Vul een datum in",
			"/gent/admin/audit?before=-4":         "Deze paginalink is niet",
			"/gent/admin/audit?action=submission": "Kies een handeling uit de lijst",
		} {
			if resp, page := fe.get(t, target, fe.dpo); resp.StatusCode != 400 || !strings.Contains(page, want) {
				t.Errorf("%s: %d, want 400 with %q", target, resp.StatusCode, want)
			}
		}
		if resp, _ := fe.get(t, "/gent/admin/audit", fe.clerk); resp.StatusCode != 403 {
			t.Fatalf("a clerk reads the log: %d", resp.StatusCode)
		}
	})
}

// textOf is a page's text as a reader hears it: tags dropped, spaces
// folded, entities decoded.
func textOf(page string) string {
	s := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(page, "")
	return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
}
