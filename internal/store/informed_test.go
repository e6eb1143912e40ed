package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// submitQuestion stores a question (the demo form "vraag", e-mail only)
// from address in lang and returns its id and reference.
func (fx inboxFixture) submitQuestion(t *testing.T, env *storetest.Env, address, lang, marker string) (string, string) {
	t.Helper()
	pub := fx.forms["vraag"]
	answers, _ := json.Marshal(form.Answers{"name": {Value: marker}, "email": {Value: address}, "message": {Value: "MARKER-ANSWER-" + marker}})
	in := store.NewFormSubmission{FormKey: "vraag", FormVersion: pub.Version, RegisterVersion: pub.RegisterVersion, Answers: answers,
		Subject: strings.ToLower(address), Idempotency: "tok-" + marker, Receipt: "rc-" + marker, Contact: address, Lang: lang}
	ref, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, fx.tn.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(time.Minute)
	var id string
	if err := env.Raw(t).QueryRow(`SELECT id FROM submissions WHERE reference = $1`, ref).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id, ref
}

// testCitizenMail is a citizen mail with every placeholder, per language.
func testCitizenMail(kind string) store.CitizenMail {
	m := store.CitizenMail{}
	for _, l := range store.CitizenLangs {
		m[l] = store.OutgoingMail{Subject: l + " " + kind + " {form} ({reference})", Body: l + " body {reference}\n\n{text}\n\n{message}\nend"}
	}
	return m
}

// claimed delivers the outbox as the sender would and returns the mails.
func claimed(t *testing.T, env *storetest.Env) []store.QueuedMail {
	t.Helper()
	ms, err := env.DB.ClaimMail(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// TestClauseSEC2_LookupComparesTheAddressThroughTheBlindIndex: the address
// a citizen gave is kept sealed (no plaintext at rest); the look-up finds
// the request by reference and address (any case, reference typed
// loosely), shows no answers, and answers a wrong address exactly like an
// unknown reference; every look-up is audited, found with the submission,
// not found with nothing, never with the address.
func TestClauseSEC2_LookupComparesTheAddressThroughTheBlindIndex(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		id, ref := fx.submitQuestion(t, env, "Burger.MARKER@Gent.be", "fr", "lookup1")
		if found := storetest.FindPlaintext(t, env, fx.tn.LegalName, "burger.marker@gent.be", "Burger.MARKER@Gent.be", "MARKER-ANSWER-lookup1"); len(found) > 0 {
			t.Fatalf("plaintext at rest: %v", found)
		}
		if d, err := env.DB.OpenSubmission(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.grantee("vraag")), id, "test"); err != nil || d.ContactLang != "fr" {
			t.Fatalf("the form's language is %q (%v)", d.ContactLang, err)
		}
		citizen := audit.Actor{Kind: audit.KindCitizen, ID: "anonymous", RequestID: "r1"}
		loose, ok := store.NormalizeReference(strings.ToLower(strings.ReplaceAll(ref, "-", " ")))
		if !ok || loose != ref {
			t.Fatalf("normalise %q: %q %v", ref, loose, ok)
		}
		res, err := env.DB.LookupSubmission(ctx, citizen, fx.tn.ID, loose, " burger.marker@GENT.be ")
		if err != nil || res.ID != id || res.Status != store.StatusNew || res.FormKey != "vraag" || res.Reference != ref {
			t.Fatalf("look-up: %+v %v", res, err)
		}
		for name, c := range map[string][2]string{
			"wrong address":     {ref, "someone.else@gent.be"},
			"unknown reference": {"00000-00000", "burger.marker@gent.be"},
		} {
			if res, err := env.DB.LookupSubmission(ctx, citizen, fx.tn.ID, c[0], c[1]); !errors.Is(err, store.ErrNotFound) || res.ID != "" {
				t.Fatalf("%s: %+v %v", name, res, err)
			}
		}
		// Another tenant knows nothing of it.
		other := newInboxFixture(t, env, "brugge")
		if _, err := env.DB.LookupSubmission(ctx, citizen, other.tn.ID, ref, "burger.marker@gent.be"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant: %v", err)
		}
		var found, missed int
		env.DB.EachAuditEvent(ctx, fx.tn.ID, func(e *audit.Event) error {
			if strings.Contains(strings.ToLower(fmt.Sprintf("%+v", *e)), "burger.marker") || strings.Contains(fmt.Sprintf("%+v", *e), "someone.else") {
				t.Errorf("an audit event names the address: %+v", *e)
			}
			if e.Action != "submission.lookup" {
				return nil
			}
			switch {
			case e.Outcome == audit.OutcomeSuccess && e.ObjectID == id && e.Subject != "":
				found++
			case e.Outcome == audit.OutcomeFailure && e.ObjectID == "":
				missed++
			default:
				t.Errorf("look-up event %+v", *e)
			}
			return nil
		})
		if found != 1 || missed != 2 {
			t.Fatalf("look-ups recorded: %d found, %d not found", found, missed)
		}
	})
}

// TestClauseAUD1_ReplyToTheCitizenSealedAuditedInHistory: a reply goes to the address
// the citizen gave, in the form's language, queued with the reply and the
// audit event in one transaction; its text is sealed and read back only
// through the audited opening of the submission; a viewer without a grant
// gets ErrNotFound (recorded); an empty, too long or address-less reply
// is refused by field, nothing queued.
func TestClauseAUD1_ReplyToTheCitizenSealedAuditedInHistory(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		id, ref := fx.submitQuestion(t, env, "burger@gent.be", "fr", "reply1")
		viewer := store.UserViewer(fx.other.ID) // grant on vraag
		if err := env.DB.ReplyToSubmission(ctx, fx.otherAct, fx.tn.ID, viewer, id, "  MARKER-REPLY Bonjour  ", testCitizenMail("reply")); err != nil {
			t.Fatal(err)
		}
		if found := storetest.FindPlaintext(t, env, fx.tn.LegalName, "MARKER-REPLY"); len(found) > 0 {
			t.Fatalf("plaintext at rest: %v", found)
		}
		ms := claimed(t, env)
		if len(ms) != 1 {
			t.Fatalf("%d mails queued", len(ms))
		}
		m := ms[0]
		if m.To != "burger@gent.be" || m.Lang != "fr" || m.Kind != "submission.reply" || !strings.HasPrefix(m.Subject, "fr reply ") || !strings.HasSuffix(m.Subject, "("+ref+")") || strings.Contains(m.Subject, "{") ||
			!strings.Contains(m.Body, "MARKER-REPLY Bonjour\nend") || strings.Contains(m.Body, "MARKER-ANSWER") || strings.Contains(m.Body, "{") {
			t.Fatalf("reply mail: %+v", m)
		}
		d, err := env.DB.OpenSubmission(ctx, fx.otherAct, fx.tn.ID, viewer, id, "handling")
		if err != nil {
			t.Fatal(err)
		}
		last := d.History[len(d.History)-1]
		if !d.HasContact || d.ContactLang != "fr" || last.Kind != "reply" || last.Body != "MARKER-REPLY Bonjour" || last.Lang != "fr" || last.ActorID != fx.other.ID ||
			last.MailStatus != store.MailStatusSending {
			t.Fatalf("history: %+v %+v", d.History, d)
		}
		var replies int
		env.DB.EachAuditEvent(ctx, fx.tn.ID, func(e *audit.Event) error {
			if strings.Contains(fmt.Sprintf("%+v", *e), "MARKER-REPLY") {
				t.Errorf("audit event holds the reply: %+v", *e)
			}
			if e.Action == "submission.reply" && e.ObjectID == id && e.Outcome == audit.OutcomeSuccess && e.Subject != "" {
				replies++
			}
			return nil
		})
		if replies != 1 {
			t.Fatalf("replies recorded: %d", replies)
		}

		// Refusals: no grant (the clerk sees only toelage), bad messages,
		// a submission without an address. Nothing is queued.
		if err := env.DB.ReplyToSubmission(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), id, "x", testCitizenMail("reply")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("no grant: %v", err)
		}
		if e := lastEvent(t, env, fx.tn.ID); e.Action != "submission.reply" || e.Outcome != audit.OutcomeFailure {
			t.Fatalf("refused reply not recorded: %+v", e)
		}
		noContact := fx.submit(t, env, "vraag", "x@gent.be", "reply2")
		for name, c := range map[string]struct {
			id, msg, key string
		}{
			"empty":      {id, "   ", "message_required"},
			"too long":   {id, strings.Repeat("é", store.ReplyMaxLength+1), "too_long"},
			"no address": {noContact, "hello", "no_contact"},
		} {
			var ce *store.ChangeError
			if err := env.DB.ReplyToSubmission(ctx, fx.otherAct, fx.tn.ID, viewer, c.id, c.msg, testCitizenMail("reply")); !errors.As(err, &ce) || ce.Field != "message" || ce.Key != c.key {
				t.Fatalf("%s: %v", name, err)
			}
		}
		var n int
		env.Raw(t).QueryRow(`SELECT count(*) FROM mail_outbox WHERE kind = 'submission.reply'`).Scan(&n)
		var rows int
		env.Raw(t).QueryRow(`SELECT count(*) FROM submission_replies`).Scan(&rows)
		if n != 1 || rows != 1 {
			t.Fatalf("after the refusals: %d mails, %d replies", n, rows)
		}
	})
}

// TestClauseAUD1_StatusMailQueuedWithTheStatusChange: a form that sends status mails
// queues one, in the citizen's language with the form's text for the new
// status and without the answers, in the transaction of the move, and
// keeps it in the history; a move back to "new", a form that sends none
// and a submission without an address queue nothing.
func TestClauseAUD1_StatusMailQueuedWithTheStatusChange(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		viewer := store.UserViewer(fx.other.ID)
		id, ref := fx.submitQuestion(t, env, "burger@gent.be", "en", "status1")
		move := func(id, status string) {
			t.Helper()
			if err := env.DB.ChangeSubmission(ctx, fx.otherAct, fx.tn.ID, viewer, id, store.SubmissionChange{Status: status,
				StatusMail: testCitizenMail("status")}); err != nil {
				t.Fatal(err)
			}
		}
		// The demo form sends no status mails.
		move(id, store.StatusInProgress)
		if ms := claimed(t, env); len(ms) != 0 {
			t.Fatalf("a form without status mails sent %d", len(ms))
		}
		// Publish a version that does, with an English text for done.
		f := form.DemoForm("vraag")
		f.StatusMail = &form.StatusMail{Enabled: true, Texts: map[string]register.Text{
			"done": {"nl": "MARKER-TEXT-NL", "en": "MARKER-TEXT-EN"}}}
		fx.forms["vraag"] = publishDemo(t, env, fx.tn.ID, f)
		move(id, store.StatusDone)
		ms := claimed(t, env)
		if len(ms) != 1 {
			t.Fatalf("%d status mails", len(ms))
		}
		m := ms[0]
		if m.To != "burger@gent.be" || m.Lang != "en" || m.Kind != "submission.status" || !strings.Contains(m.Subject, ref) ||
			!strings.Contains(m.Body, "MARKER-TEXT-EN") || strings.Contains(m.Body, "MARKER-TEXT-NL") || strings.Contains(m.Body, "MARKER-ANSWER") ||
			strings.Contains(m.Body, "\n\n\n") || strings.Contains(m.Body, "{") {
			t.Fatalf("status mail: %+v", m)
		}
		d, err := env.DB.OpenSubmission(ctx, fx.otherAct, fx.tn.ID, viewer, id, "handling")
		if err != nil {
			t.Fatal(err)
		}
		if last := d.History[len(d.History)-1]; last.Kind != "status_mail" || last.Status != store.StatusDone || last.Lang != "en" {
			t.Fatalf("history: %+v", d.History)
		}
		// Back in progress: the mail without a text; then back to new: nothing.
		move(id, store.StatusInProgress)
		if ms := claimed(t, env); len(ms) != 1 || strings.Contains(ms[0].Body, "MARKER-TEXT") {
			t.Fatalf("in progress: %+v", ms)
		}
		move(id, store.StatusNew)
		if ms := claimed(t, env); len(ms) != 0 {
			t.Fatalf("a move back to new sent %d", len(ms))
		}
		// Without an address: the move happens, no mail.
		noContact := fx.submit(t, env, "vraag", "x@gent.be", "status2")
		move(noContact, store.StatusDone)
		if ms := claimed(t, env); len(ms) != 0 {
			t.Fatalf("a submission without an address sent %d", len(ms))
		}
		var queued int
		env.DB.EachAuditEvent(ctx, fx.tn.ID, func(e *audit.Event) error {
			if e.Action == "mail.queue" && e.Purpose == "submission.status" {
				queued++
			}
			return nil
		})
		if queued != 2 {
			t.Fatalf("status mails recorded: %d", queued)
		}
	})
}
