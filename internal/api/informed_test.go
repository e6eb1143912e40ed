package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestAPIStatusChangeSendsTheStatusMail: a case system moving a case
// through the API tells the citizen as the inbox does, when the form sends
// status mails: in the citizen's language, with the look-up link, without
// the answers, queued with the move.
func TestAPIStatusChangeSendsTheStatusMail(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newFixture(t, env, Options{BaseURL: "https://loket.gent.be"})
		f := form.DemoForm("vraag")
		f.StatusMail = &form.StatusMail{Enabled: true, Texts: map[string]register.Text{"done": {"fr": "MARKER-TEXT-FR"}}}
		d, err := env.DB.SaveFormDraft(ctx, admin, fx.gent.ID, f)
		if err == nil {
			err = env.DB.ApproveNotice(ctx, admin, fx.gent.ID, f.Key, d.Version, store.NoticeDigest(form.NoticeFor(f, register.Demo()).JSON()))
		}
		if err == nil {
			_, err = env.DB.PublishForm(ctx, admin, fx.gent.ID, f.Key, d.Version)
		}
		if err != nil {
			t.Fatal(err)
		}
		answers, _ := json.Marshal(form.Answers{"name": {Value: "MARKER-ANSWER"}, "email": {Value: "citoyen@gent.be"}})
		ref, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, fx.gent.ID, store.NewFormSubmission{
			FormKey: "vraag", FormVersion: d.Version, RegisterVersion: d.RegisterVersion, Answers: answers, Subject: "citoyen@gent.be",
			Idempotency: "tok-mail", Receipt: "rc-mail", Contact: "citoyen@gent.be", Lang: "fr"})
		if err != nil {
			t.Fatal(err)
		}
		var id string
		env.Raw(t).QueryRow(`SELECT id FROM submissions WHERE reference = $1`, ref).Scan(&id)
		if resp := fx.do(t, call{method: "POST", target: "/api/v1/gent/submissions/" + id + "/status", token: fx.full,
			body: `{"status":"done"}`, ctype: "application/json"}); resp.StatusCode != 200 {
			t.Fatalf("status: %d %s", resp.StatusCode, resp.body)
		}
		ms, err := env.DB.ClaimMail(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []store.QueuedMail
		for _, m := range ms {
			if m.Kind == "submission.status" {
				got = append(got, m)
			}
		}
		if len(got) != 1 || got[0].To != "citoyen@gent.be" || got[0].Lang != "fr" || !strings.Contains(got[0].Subject, ref) ||
			!strings.Contains(got[0].Body, "MARKER-TEXT-FR") || !strings.Contains(got[0].Body, "https://loket.gent.be/gent/lookup") ||
			strings.Contains(got[0].Body, "MARKER-ANSWER") {
			t.Fatalf("status mails: %+v", got)
		}
	})
}
