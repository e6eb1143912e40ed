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

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/jobs"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/mail"
	"github.com/kluis/kluis/internal/mail/mailtest"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// deliver runs the mail job once against the real SMTP server relay and
// returns the messages it received since the last call (*seen counts them).
func deliver(t *testing.T, env *storetest.Env, relay *mailtest.Server, seen *int) []mailtest.Message {
	t.Helper()
	sender, err := mail.New(relay.Config())
	if err != nil {
		t.Fatal(err)
	}
	if err := jobs.MailHandler(sender, nil)(context.Background(), env.DB, store.Job{ID: "test"}); err != nil {
		t.Fatal(err)
	}
	all := relay.Messages()
	got := all[*seen:]
	*seen = len(all)
	return got
}

// submitQuestion fills in the demo question form in lang through the
// e-loket and returns the receipt cookie and the reference.
func submitQuestion(t *testing.T, fe *formsEnv, lang, email, marker string, confirm bool) (string, string) {
	t.Helper()
	resp, page := fe.get(t, "/gent/vraag?lang="+lang, "")
	if resp.StatusCode != 200 {
		t.Fatalf("form page: %d", resp.StatusCode)
	}
	v := url.Values{"token": {tokenRE.FindStringSubmatch(page)[1]}, "name": {"MARKER-NAME-" + marker}, "email": {email},
		"topic": {"waste"}, "message": {"MARKER-ANSWER-" + marker}}
	if confirm {
		v.Set("confirm_mail", "on")
	}
	resp, body := fe.submit(t, "/gent/vraag", "", v, "Accept-Language", lang)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d\n%s", resp.StatusCode, body)
	}
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == receiptCookie {
			cookie = c.Name + "=" + c.Value
		}
	}
	ref, _, _ := strings.Cut(strings.TrimPrefix(cookie, receiptCookie+"="), ".")
	return cookie + "; lang=" + lang, ref
}

// TestCitizenKeptInformed: the receipt says the confirmation went out to a
// masked address (or that none goes, and to keep the reference) and links
// to the look-up; a clerk replies from the submission's page and a status
// change sends the form's status mail — both arrive through a real SMTP
// server in the language the form was filled in (French), without the
// answers, and stand in the history; the citizen then looks the request
// up and sees its status only.
func TestCitizenKeptInformed(t *testing.T) {
	relay := mailtest.Start(t, mailtest.Options{})
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		var seen int
		deliver(t, env, relay, &seen) // the staff's own mails (MFA enrolment)

		// The receipt: a confirmation on its way to a masked address.
		cookie, ref := submitQuestion(t, fe, "fr", "burger.fr@gent.be", "fr1", true)
		_, page := fe.get(t, "/gent/receipt/vraag", cookie)
		if !strings.Contains(page, "Une confirmation par e-mail est en route vers b***@gent.be.") || !strings.Contains(page, `href="/gent/lookup"`) {
			t.Fatalf("receipt without the mail's state or the look-up link:\n%s", page)
		}
		msgs := deliver(t, env, relay, &seen)
		if len(msgs) != 1 || msgs[0].To[0] != "burger.fr@gent.be" || !strings.Contains(msgs[0].Subject, "Question ou signalement") ||
			!strings.Contains(msgs[0].Body, ref) || strings.Contains(msgs[0].Body, "MARKER-ANSWER") ||
			!strings.Contains(msgs[0].Body, "/gent/lookup") || strings.Contains(msgs[0].Body, "Cordialement,\nKluis") {
			t.Fatalf("confirmation without the look-up's address, or signed by the supplier: %s", brief(msgs))
		}
		if _, page = fe.get(t, "/gent/receipt/vraag", cookie); !strings.Contains(page, "Une confirmation par e-mail a été envoyée à b***@gent.be.") {
			t.Fatal("the receipt does not say the confirmation was sent")
		}
		// A relay that refuses the address for good: the receipt says so.
		refused, _ := submitQuestion(t, fe, "nl", "weigert@gent.be", "nl0", true)
		relay.RejectNext(550)
		if msgs := deliver(t, env, relay, &seen); len(msgs) != 0 {
			t.Fatalf("a refused mail arrived: %s", brief(msgs))
		}
		if _, page = fe.get(t, "/gent/receipt/vraag", refused); !strings.Contains(page, "De bevestiging per e-mail naar w***@gent.be kon niet worden verstuurd.") {
			t.Fatalf("receipt after a refused mail:\n%s", page)
		}
		noMail, _ := submitQuestion(t, fe, "nl", "geen.mail@gent.be", "nl1", false)
		if _, page = fe.get(t, "/gent/receipt/vraag", noMail); !strings.Contains(page, "U krijgt geen bevestiging per e-mail. Bewaar uw referentienummer goed.") ||
			strings.Contains(page, "g***@gent.be") {
			t.Fatalf("receipt without a mail:\n%s", page)
		}

		// The clerk, granted the question form, replies.
		clerk := fe.userID(t, "clerk@gent.be")
		if err := env.DB.SetFormAccess(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, fe.gent.ID, clerk, []string{"vraag"}); err != nil {
			t.Fatal(err)
		}
		var id string
		env.Raw(t).QueryRow(`SELECT id FROM submissions WHERE reference = $1`, ref).Scan(&id)
		subPage := "/gent/inbox/submissions/" + id
		_, page = fe.get(t, subPage, fe.clerk)
		if !strings.Contains(page, `action="/gent/inbox/submissions/`+id+`/reply"`) || !strings.Contains(page, "in het Frans") {
			t.Fatalf("no reply form in French:\n%s", page)
		}
		resp, page := fe.submit(t, subPage+"/reply", fe.clerk, url.Values{"message": {"  "}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#message"`) || !strings.Contains(page, "Schrijf een bericht.") ||
			!strings.Contains(page, `aria-describedby="message-hint message-error"`) {
			t.Fatalf("empty reply: %d\n%s", resp.StatusCode, page)
		}
		resp, page = fe.submit(t, subPage+"/reply", fe.clerk, url.Values{"message": {"MARKER-REPLY Votre conteneur sera livré lundi."}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != subPage+"?done=reply" {
			t.Fatalf("reply: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), page)
		}
		_, page = fe.get(t, subPage+"?done=reply", fe.clerk)
		if !strings.Contains(page, "Antwoord per e-mail aan de burger (Frans): klaar voor verzending") || !strings.Contains(page, `lang="fr">MARKER-REPLY Votre conteneur`) ||
			!strings.Contains(page, "klaargezet voor verzending") {
			t.Fatalf("history without the reply:\n%s", page)
		}
		msgs = deliver(t, env, relay, &seen)
		if len(msgs) != 1 || msgs[0].To[0] != "burger.fr@gent.be" || msgs[0].Subject != "Message concernant votre demande Question ou signalement (référence "+ref+")" ||
			!strings.Contains(msgs[0].Body, "MARKER-REPLY Votre conteneur sera livré lundi.") || !strings.Contains(msgs[0].Body, "Madame, Monsieur") ||
			strings.Contains(msgs[0].Body, "MARKER-ANSWER") || strings.Contains(msgs[0].Body, "MARKER-NAME") {
			t.Fatalf("reply mail: %s", brief(msgs))
		}

		// The form sends status mails (a published version with them on).
		f := form.DemoForm("vraag")
		f.StatusMail = &form.StatusMail{Enabled: true, Texts: map[string]register.Text{
			"in_progress": {"nl": "MARKER-TEXT-NL", "fr": "MARKER-TEXT-FR Nous vous recontactons."}}}
		republish(t, env, fe, f)
		if resp, body := fe.submit(t, subPage+"/status", fe.clerk, url.Values{"status": {"in_progress"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status: %d\n%s", resp.StatusCode, body)
		}
		msgs = deliver(t, env, relay, &seen)
		inProgress := locale.T(locale.FR, "inbox.status.in_progress")
		if len(msgs) != 1 || msgs[0].To[0] != "burger.fr@gent.be" || !strings.Contains(msgs[0].Subject, inProgress) || !strings.Contains(msgs[0].Subject, ref) ||
			!strings.Contains(msgs[0].Body, "MARKER-TEXT-FR Nous vous recontactons.") || strings.Contains(msgs[0].Body, "MARKER-TEXT-NL") ||
			!strings.Contains(msgs[0].Body, "https://loket.gent.be/gent/lookup") || strings.Contains(msgs[0].Body, "MARKER-ANSWER") {
			t.Fatalf("status mail: %s", brief(msgs))
		}
		if _, page = fe.get(t, subPage, fe.clerk); !strings.Contains(page, "Statusmail aan de burger: In behandeling (Frans): verstuurd") ||
			!strings.Contains(page, "Antwoord per e-mail aan de burger (Frans): verstuurd") {
			t.Fatalf("history without the status mail:\n%s", page)
		}

		// The citizen looks it up: the status, nothing of the answers.
		resp, page = fe.submit(t, "/gent/lookup", "lang=fr", url.Values{"reference": {strings.ToLower(ref)}, "email": {"Burger.FR@gent.be"}})
		if resp.StatusCode != 200 || !strings.Contains(page, inProgress) || !strings.Contains(page, ref) || !strings.Contains(page, "Question ou signalement") ||
			strings.Contains(page, "MARKER") {
			t.Fatalf("look-up: %d\n%s", resp.StatusCode, page)
		}
		wrong, wrongPage := fe.submit(t, "/gent/lookup", "lang=fr", url.Values{"reference": {ref}, "email": {"autre@gent.be"}})
		unknown, unknownPage := fe.submit(t, "/gent/lookup", "lang=fr", url.Values{"reference": {"00000-00000"}, "email": {"autre@gent.be"}})
		strip := regexp.MustCompile(`(value="[^"]*"|Référence : \S+)`)
		if wrong.StatusCode != http.StatusNotFound || unknown.StatusCode != http.StatusNotFound ||
			strip.ReplaceAllString(wrongPage, "") != strip.ReplaceAllString(unknownPage, "") || !strings.Contains(wrongPage, "Nous ne trouvons aucune demande") {
			t.Fatalf("a wrong address (%d) and an unknown reference (%d) answer differently", wrong.StatusCode, unknown.StatusCode)
		}

		// A submission from before the address was kept: no reply form.
		pub, _ := env.DB.FormByStatus(ctx, fe.gent.ID, "vraag", store.FormPublished)
		answers, _ := json.Marshal(form.Answers{"name": {Value: "old"}})
		if _, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, fe.gent.ID, store.NewFormSubmission{
			FormKey: "vraag", FormVersion: pub.Version, RegisterVersion: pub.RegisterVersion, Answers: answers, Idempotency: "old", Receipt: "old"}); err != nil {
			t.Fatal(err)
		}
		var old string
		env.Raw(t).QueryRow(`SELECT id FROM submissions WHERE contact IS NULL`).Scan(&old)
		if _, page = fe.get(t, "/gent/inbox/submissions/"+old, fe.clerk); !strings.Contains(page, "geen e-mailadres op") || strings.Contains(page, "/reply\"") {
			t.Fatalf("a reply form for a submission without an address:\n%s", page)
		}
		if resp, page := fe.submit(t, "/gent/inbox/submissions/"+old+"/reply", fe.clerk, url.Values{"message": {"hallo"}}); resp.StatusCode != 422 ||
			!strings.Contains(page, "De burger gaf geen e-mailadres op") {
			t.Fatalf("a reply without an address: %d", resp.StatusCode)
		}

		// The DPO may not reply (no HandleSubmissions); nothing was sent
		// beyond what this test asked for.
		if resp, _ := fe.submit(t, subPage+"/reply", fe.dpo, url.Values{"message": {"x"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("DPO reply: %d", resp.StatusCode)
		}
		var replies int
		env.Raw(t).QueryRow(`SELECT count(*) FROM mail_outbox WHERE kind = 'submission.reply'`).Scan(&replies)
		if replies != 1 {
			t.Fatalf("%d replies queued", replies)
		}
	})
}

// userID is the id of gent's user with email.
func (fe *formsEnv) userID(t *testing.T, email string) string {
	t.Helper()
	users, err := fe.env.DB.Users(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, fe.gent.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Email == email {
			return u.ID
		}
	}
	t.Fatalf("no user %s", email)
	return ""
}

// republish publishes f as gent's new version of its form.
func republish(t *testing.T, env *storetest.Env, fe *formsEnv, f form.Form) {
	t.Helper()
	ctx := context.Background()
	op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
	d, err := env.DB.SaveFormDraft(ctx, op, fe.gent.ID, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.DB.ApproveNotice(ctx, op, fe.gent.ID, f.Key, d.Version, store.NoticeDigest(form.NoticeFor(f, register.Demo()).JSON())); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.PublishForm(ctx, op, fe.gent.ID, f.Key, d.Version); err != nil {
		t.Fatal(err)
	}
}

// TestLookupRefusesBadInputFieldByField: an empty reference, a malformed
// reference and a malformed address are each named at their field, in the
// citizen's language, with the summary linking to the field; nothing is
// looked up (no audit event).
func TestLookupRefusesBadInputFieldByField(t *testing.T) {
	env := storetest.SQLite(t)
	fe := newFormsEnv(t, env)
	for _, c := range []struct {
		name, lang, reference, email string
		want                         []string
	}{
		{"empty", "nl", "", "", []string{`href="#reference"`, `href="#email"`, "Referentienummer: Vul het referentienummer in.", "E-mailadres: Vul dit veld in."}},
		{"malformed", "nl", "K7M4Q", "burger@", []string{"Een referentienummer heeft tien letters en cijfers", "Vul een geldig e-mailadres in"}},
		{"malformed fr", "fr", "K7M4Q-2XD9P-ZZ", "pas une adresse", []string{"Numéro de référence: Un numéro de référence compte dix",
			`id="email-error"`, `aria-invalid="true"`, `value="pas une adresse"`}},
	} {
		resp, page := fe.submit(t, "/gent/lookup", "lang="+c.lang, url.Values{"reference": {c.reference}, "email": {c.email}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d", c.name, resp.StatusCode)
		}
		for _, w := range c.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s: the page lacks %q", c.name, w)
			}
		}
	}
	if n := auditActions(t, env, fe.gent.ID)["submission.lookup"]; n != 0 {
		t.Fatalf("%d look-ups recorded for refused input", n)
	}
	// The look-up is reachable from the tenant's public page; the form
	// carries nothing in its URL.
	if _, page := fe.get(t, "/gent/", ""); !strings.Contains(page, `href="/gent/lookup"`) {
		t.Fatal("the tenant page does not link to the look-up")
	}
	if _, page := fe.get(t, "/gent/lookup", ""); !strings.Contains(page, `method="post" action="/gent/lookup"`) {
		t.Fatal("the look-up form does not post")
	}
}

// TestASVS_2_4_1_LookupRateLimitPerClient: the look-up is limited per client address
// like the login; other addresses and the page itself are not.
func TestASVS_2_4_1_LookupRateLimitPerClient(t *testing.T) {
	env := storetest.SQLite(t)
	le := newLoginEnv(t, env, Options{LoginRateLimit: 3})
	from := func(ip string) *http.Response {
		v := url.Values{"reference": {"K7M4Q-2XD9P"}, "email": {"burger@gent.be"}}
		req := httptest.NewRequest(http.MethodPost, "/gent/lookup", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = ip + ":40000"
		rec := httptest.NewRecorder()
		le.app.Handler().ServeHTTP(rec, req)
		return rec.Result()
	}
	for i := range 3 {
		if resp := from("192.0.2.1"); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("look-up %d: %d", i, resp.StatusCode)
		}
	}
	if resp := from("192.0.2.1"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fourth look-up: %d", resp.StatusCode)
	}
	if resp := from("192.0.2.2"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another address: %d", resp.StatusCode)
	}
	if resp := (request{target: "/gent/lookup"}).do(t, le.app.Handler()); resp.StatusCode != 200 {
		t.Fatalf("GET look-up: %d", resp.StatusCode)
	}
	if n := auditActions(t, env, le.gent.ID)["submission.lookup"]; n != 4 {
		t.Fatalf("%d look-ups recorded, want 4 (the refused one is not looked up)", n)
	}
}

// TestStatusMailSettingsFieldByField: the form's settings page has the
// status mail's own fieldset; a text over the limit is refused at its
// field, nothing saved; a good one is saved in the draft.
func TestStatusMailSettingsFieldByField(t *testing.T) {
	env := storetest.SQLite(t)
	fe := newFormsEnv(t, env)
	fe.post(t, "/gent/admin/forms", url.Values{"title": {"Melding"}, "key": {"melding"}}, http.StatusSeeOther)
	_, page := fe.get(t, "/gent/admin/forms/melding/settings", fe.admin)
	base := regexp.MustCompile(`name="base" value="([^"]*)"`).FindStringSubmatch(page)
	if base == nil || !strings.Contains(page, `id="status_mail_in_progress_fr"`) || !strings.Contains(page, "Statusmail aan de burger") {
		t.Fatalf("settings page without the status mail:\n%s", page)
	}
	v := url.Values{"base": {base[1]}, "title_nl": {"Melding"}, "status_mail_on": {"on"},
		"status_mail_done_fr": {strings.Repeat("é", form.StatusMailTextMax+1)}}
	resp, page := fe.submit(t, "/gent/admin/forms/melding/settings", fe.admin, v)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#status_mail_done_fr"`) ||
		!strings.Contains(page, `href="#status_mail"`) || !strings.Contains(page, `aria-describedby="status_mail_done_fr-error"`) {
		t.Fatalf("too long a text: %d\n%s", resp.StatusCode, page)
	}
	if d := fe.draft(t, "melding"); d.Form.StatusMail != nil {
		t.Fatalf("saved after a refusal: %+v", d.Form.StatusMail)
	}
	v.Set("status_mail_done_fr", "Votre demande est traitée.")
	v.Del("status_mail_on")
	fe.post(t, "/gent/admin/forms/melding/settings", v, http.StatusSeeOther)
	if d := fe.draft(t, "melding"); d.Form.StatusMail == nil || d.Form.StatusMail.Enabled || d.Form.StatusMail.Texts["done"]["fr"] != "Votre demande est traitée." {
		t.Fatalf("saved: %+v", d.Form.StatusMail)
	}
}

// brief shows messages by recipient, subject and body.
func brief(msgs []mailtest.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(strings.Join(m.To, ",") + " | " + m.Subject + "\n" + m.Body + "\n---\n")
	}
	return b.String()
}
