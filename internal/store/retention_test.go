package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
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

const day = 24 * time.Hour

var retentionActor = audit.System("retention.run")

// retentionFixture is the inbox fixture under a register with short,
// distinct periods: contact 10 days, web-forms 20 days
// pseudonymise (contact: contactExpiry), attachments 10 days delete, income 5 days from case closed
// delete, the rest of the allowance form 30 days delete.
func retentionFixture(t *testing.T, env *storetest.Env, slug, contactExpiry string) inboxFixture {
	t.Helper()
	fx := newInboxFixture(t, env, slug)
	r := register.Demo()
	for i := range r.Categories {
		c := &r.Categories[i]
		switch c.Key {
		case "contact":
			c.RetentionDays, c.Expiry = 10, contactExpiry
		case "web-forms":
			c.RetentionDays, c.Expiry = 20, register.ExpiryPseudonymise
		case "attachments":
			c.RetentionDays, c.Expiry = 10, register.ExpiryDelete
		case "income":
			c.RetentionDays, c.Expiry, c.RetentionStart = 5, register.ExpiryDelete, register.StartCaseClosed
		case "national-number", "address", "bank-account":
			c.RetentionDays, c.Expiry = 30, register.ExpiryDelete
		}
	}
	if _, err := env.DB.SaveRegister(ctx, clerk("admin"), fx.tn.ID, r); err != nil {
		t.Fatal(err)
	}
	return fx
}

// question submits the contact form with a photo and returns its id.
func (fx inboxFixture) question(t *testing.T, env *storetest.Env, marker, topic string) string {
	t.Helper()
	pub := fx.forms["vraag"]
	answers, _ := json.Marshal(form.Answers{"name": {Value: "Naam " + marker}, "email": {Value: marker + "@example.be"},
		"topic": {Value: topic}, "message": {Value: "Vraag " + marker}})
	return fx.stored(t, env, store.NewFormSubmission{FormKey: "vraag", FormVersion: pub.Version, RegisterVersion: pub.RegisterVersion,
		Answers: answers, Subject: marker + "@example.be", Contact: marker + "@example.be", Lang: "nl",
		Idempotency: "tok-" + marker, Receipt: "rc-" + marker,
		Attachments: []store.NewAttachment{{FieldKey: "photo", Name: marker + ".png", ContentType: "image/png",
			Data: []byte("PNG " + marker), Scanner: "clamd test", ScannedAt: env.Clock.Now()}}})
}

// allowance submits the allowance form and returns its id.
func (fx inboxFixture) allowance(t *testing.T, env *storetest.Env, marker string) string {
	t.Helper()
	pub := fx.forms["toelage"]
	answers, _ := json.Marshal(form.Answers{"insz": {Value: "85073003328"}, "name": {Value: "Naam " + marker},
		"household": {Value: "3"}, "income": {Value: "1800"}, "iban": {Value: "BE68539007547034"}})
	return fx.stored(t, env, store.NewFormSubmission{FormKey: "toelage", FormVersion: pub.Version, RegisterVersion: pub.RegisterVersion,
		Answers: answers, Subject: "85073003328", Idempotency: "tok-" + marker, Receipt: "rc-" + marker})
}

func answersOf(t *testing.T, env *storetest.Env, fx inboxFixture, id string) form.Answers {
	t.Helper()
	s, err := env.DB.Submission(ctx, clerk("dpo"), fx.tn.ID, id, "test")
	if err != nil {
		t.Fatal(err)
	}
	var a form.Answers
	if err := json.Unmarshal(s.Data, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func attachmentCount(t *testing.T, env *storetest.Env, id string) int {
	t.Helper()
	var n int
	if err := env.Raw(t).QueryRow(`SELECT count(*) FROM attachments WHERE submission_id = $1`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func runRetention(t *testing.T, env *storetest.Env, tenantID string, opts store.RetentionOptions) store.RetentionReport {
	t.Helper()
	rep, err := env.DB.RunRetention(ctx, retentionActor, tenantID, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func countOf(rep store.RetentionReport, category, action string) int64 {
	for _, c := range rep.Counts {
		if c.Category == category && c.Action == action {
			return c.Count
		}
	}
	return 0
}

// TestClauseSEC1_DataExpiresExactlyWhenItsCategorySays: each field's
// values go at the moment its register category's period ends — not a
// microsecond earlier — counted from receipt or from the case's closing,
// with the category's action: anonymised values and attachments gone,
// pseudonymised values replaced by the same keyed pseudonym in every
// submission, deleted values gone.
func TestClauseSEC1_DataExpiresExactlyWhenItsCategorySays(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := retentionFixture(t, env, "gent", register.ExpiryAnonymise)
		received := env.Clock.Now()
		q1 := fx.question(t, env, "een", "street")
		q2 := fx.question(t, env, "twee", "street")
		if err := env.DB.ChangeSubmission(ctx, fx.otherAct, fx.tn.ID, store.UserViewer(fx.other.ID), q1,
			store.SubmissionChange{Note: "Belde over de lantaarnpaal"}); err != nil {
			t.Fatal(err)
		}
		next, err := env.DB.NextExpiries(ctx, fx.tn.ID)
		if err != nil || !next["contact"].Equal(received.Add(10*day)) || !next["web-forms"].Equal(received.Add(20*day)) {
			t.Fatalf("next expiries: %v %v", next, err)
		}
		// stored() moves the clock a minute after each submission.
		env.Clock.Advance(10*day - 2*time.Minute - time.Microsecond)
		if rep := runRetention(t, env, fx.tn.ID, store.RetentionOptions{}); rep.Total() != 0 {
			t.Fatalf("a microsecond before 10 days: %+v", rep.Counts)
		}
		env.Clock.Advance(time.Microsecond) // q1 is exactly 10 days old
		rep := runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if countOf(rep, "contact", "anonymise") != 1 || countOf(rep, "attachments", "delete") != 1 || countOf(rep, "web-forms", "pseudonymise") != 0 {
			t.Fatalf("at 10 days: %+v", rep.Counts)
		}
		a := answersOf(t, env, fx, q1)
		if _, ok := a["name"]; ok || a["email"].Value != "" || a["message"].Value != "Vraag een" {
			t.Fatalf("after contact expired: %+v", a)
		}
		if attachmentCount(t, env, q1) != 0 || attachmentCount(t, env, q2) != 1 {
			t.Fatal("the expired attachment stays, or the other went too early")
		}
		var contact []byte
		env.Raw(t).QueryRow(`SELECT contact FROM submissions WHERE id = $1`, q1).Scan(&contact)
		if contact != nil {
			t.Fatal("the contact address outlived its category")
		}
		if _, ok := answersOf(t, env, fx, q2)["name"]; !ok {
			t.Fatal("the second submission, a minute younger, expired early")
		}
		env.Clock.Advance(10*day + time.Minute) // both past 20 days
		rep = runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if countOf(rep, "web-forms", "pseudonymise") != 2 || countOf(rep, "contact", "anonymise") != 1 {
			t.Fatalf("at 20 days: %+v", rep.Counts)
		}
		a1, a2 := answersOf(t, env, fx, q1), answersOf(t, env, fx, q2)
		if !strings.HasPrefix(a1["topic"].Value, "pseudonym:") || a1["topic"].Value != a2["topic"].Value || a1["message"].Value == a2["message"].Value ||
			strings.Contains(a1["message"].Value, "Vraag") {
			t.Fatalf("pseudonyms: %+v / %+v", a1, a2)
		}
		var spent sql.NullInt64
		var subject []byte
		env.Raw(t).QueryRow(`SELECT retention_spent_at, subject_index FROM submissions WHERE id = $1`, q1).Scan(&spent, &subject)
		if !spent.Valid || subject == nil {
			t.Fatalf("spent %v, subject index kept as the pseudonym: %v", spent, subject != nil)
		}
		// The note was about the case: its text goes with the last value,
		// the history (who, when, what kind) stays.
		var notes, texts int
		env.Raw(t).QueryRow(`SELECT count(*), count(body) FROM submission_events WHERE submission_id = $1 AND kind = 'note'`, q1).Scan(&notes, &texts)
		if notes != 1 || texts != 0 {
			t.Fatalf("notes %d, with text %d", notes, texts)
		}
		if rep := runRetention(t, env, fx.tn.ID, store.RetentionOptions{}); rep.Total() != 0 {
			t.Fatalf("a second run did work again: %+v", rep.Counts)
		}

		// Income counts from the case's closing, not from receipt.
		al := fx.allowance(t, env, "drie")
		env.Clock.Advance(40 * day)
		runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if answersOf(t, env, fx, al)["income"].Value != "1800" {
			t.Fatal("income of an open case expired")
		}
		fx.move(t, env, al, store.StatusDone)
		env.Clock.Advance(5*day - time.Microsecond)
		runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if answersOf(t, env, fx, al)["income"].Value != "1800" {
			t.Fatal("income expired before 5 days after closing")
		}
		env.Clock.Advance(time.Microsecond)
		rep = runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if countOf(rep, "income", "delete") != 1 {
			t.Fatalf("income at 5 days after closing: %+v", rep.Counts)
		}
		var spentAl sql.NullInt64
		env.Raw(t).QueryRow(`SELECT retention_spent_at FROM submissions WHERE id = $1`, al).Scan(&spentAl)
		if !spentAl.Valid {
			t.Fatal("the allowance, every value gone, is not marked spent")
		}
		// Each chunk is in the log with its count and category.
		n := 0
		env.DB.EachAuditEvent(ctx, fx.tn.ID, func(e *audit.Event) error {
			if e.Action == "retention.pseudonymise" && e.ObjectID == "2" && e.Purpose == "category web-forms" {
				n++
			}
			return nil
		})
		if n != 1 {
			t.Fatalf("audit events for the pseudonymised chunk: %d", n)
		}
	})
}

// TestClauseSEC1_LegalHoldStopsExpiry: a hold on a submission or on its
// form keeps it whole past its period; lifting the hold, or its date
// passing, lets the next run expire it. A hold without a reason or with a
// past date is refused field by field.
func TestClauseSEC1_LegalHoldStopsExpiry(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := retentionFixture(t, env, "gent", register.ExpiryAnonymise)
		held := fx.question(t, env, "een", "street")
		free := fx.question(t, env, "twee", "street")
		al := fx.allowance(t, env, "drie")
		fx.move(t, env, al, store.StatusDone)
		admin := clerk("admin")
		_, err := env.DB.SetLegalHold(ctx, admin, fx.tn.ID, store.NewLegalHold{SubmissionID: held, Until: env.Clock.Now().Add(-time.Hour)})
		var verr *store.HoldValidationError
		if !errors.As(err, &verr) || verr.Fields["reason"] != "retention.error.reason_required" || verr.Fields["until"] != "retention.error.until_past" {
			t.Fatalf("a hold without reason and in the past: %v", err)
		}
		_, err = env.DB.SetLegalHold(ctx, admin, fx.tn.ID, store.NewLegalHold{SubmissionID: "nope", Reason: "x", Until: env.Clock.Now().Add(day)})
		if !errors.As(err, &verr) || verr.Fields["submission"] != "retention.error.submission_unknown" {
			t.Fatalf("a hold on an unknown submission: %v", err)
		}
		hold, err := env.DB.SetLegalHold(ctx, admin, fx.tn.ID, store.NewLegalHold{SubmissionID: held, Reason: "Geschil bij de rechtbank",
			Until: env.Clock.Now().Add(100 * day)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.SetLegalHold(ctx, admin, fx.tn.ID, store.NewLegalHold{FormKey: "toelage", Reason: "Inspectie",
			Until: env.Clock.Now().Add(50 * day)}); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(40 * day)
		rep := runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if rep.Held != 2 || countOf(rep, "contact", "anonymise") != 1 {
			t.Fatalf("with holds: held %d, %+v", rep.Held, rep.Counts)
		}
		if answersOf(t, env, fx, held)["name"].Value != "Naam een" || attachmentCount(t, env, held) != 1 {
			t.Fatal("the held submission expired")
		}
		if answersOf(t, env, fx, al)["income"].Value != "1800" {
			t.Fatal("a submission of the held form expired")
		}
		if _, ok := answersOf(t, env, fx, free)["name"]; ok {
			t.Fatal("the submission without hold did not expire")
		}
		hs, err := env.DB.LegalHolds(ctx, admin, fx.tn.ID, held)
		if err != nil || len(hs) != 1 || hs[0].Reason != "Geschil bij de rechtbank" || !hs[0].Active(env.Clock.Now()) {
			t.Fatalf("holds: %+v %v", hs, err)
		}
		if err := env.DB.LiftLegalHold(ctx, admin, fx.tn.ID, hold); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.LiftLegalHold(ctx, admin, fx.tn.ID, hold); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("lifting twice: %v", err)
		}
		rep = runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if _, ok := answersOf(t, env, fx, held)["name"]; ok || rep.Held != 1 {
			t.Fatalf("after the lift: held %d", rep.Held)
		}
		env.Clock.Advance(11 * day) // the form's hold ran out
		rep = runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if rep.Held != 0 || countOf(rep, "income", "delete") != 1 {
			t.Fatalf("after the form hold's date: held %d %+v", rep.Held, rep.Counts)
		}
	})
}

// snapshot is a digest of every row of the tables the engine touches.
func snapshot(t *testing.T, env *storetest.Env) string {
	t.Helper()
	h := sha256.New()
	raw := env.Raw(t)
	for _, q := range []string{
		`SELECT id, data, COALESCE(contact, ''), COALESCE(subject_index, ''), retention_applied, COALESCE(retention_spent_at, 0) FROM submissions ORDER BY id`,
		`SELECT id, data, '', '', field_key, 0 FROM attachments ORDER BY id`,
		`SELECT id, COALESCE(body, ''), '', '', kind, 0 FROM submission_events ORDER BY id`,
		`SELECT id, recipient, body, subject, status, 0 FROM mail_outbox ORDER BY id`,
		`SELECT id, '', '', '', status, 0 FROM retention_runs ORDER BY id`,
		`SELECT tenant_id, '', '', '', action, seq FROM audit_events ORDER BY tenant_id, seq`,
	} {
		rows, err := raw.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, e string
			var a, b, c []byte
			var n int64
			if err := rows.Scan(&id, &a, &b, &c, &e, &n); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(h, "%s|%x|%x|%x|%s|%d\n", id, a, b, c, e, n)
		}
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestClauseSEC1_DryRunChangesNothing: a dry run leaves every row and the
// log as they were, and reports exactly what the real run then does.
func TestClauseSEC1_DryRunChangesNothing(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := retentionFixture(t, env, "gent", register.ExpiryAnonymise)
		for i := range 3 {
			fx.question(t, env, fmt.Sprint("q", i), "street")
		}
		al := fx.allowance(t, env, "a")
		fx.move(t, env, al, store.StatusDone)
		env.Clock.Advance(15 * day)
		before := snapshot(t, env)
		dry := runRetention(t, env, fx.tn.ID, store.RetentionOptions{DryRun: true})
		if after := snapshot(t, env); after != before {
			t.Fatal("the dry run changed the database")
		}
		if !dry.DryRun || dry.RunID != "" || dry.Total() == 0 {
			t.Fatalf("dry report: %+v", dry)
		}
		real := runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if fmt.Sprint(dry.Counts) != fmt.Sprint(real.Counts) {
			t.Fatalf("dry run said %+v, the run did %+v", dry.Counts, real.Counts)
		}
	})
}

// TestClauseSEC1_StatisticsSurviveAnonymisation (M27): the figures per
// form, day and status are the same after anonymisation, and after whole
// submissions are removed; the anonymised skeleton keeps its status.
func TestClauseSEC1_StatisticsSurviveAnonymisation(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := retentionFixture(t, env, "gent", register.ExpiryDelete)
		q := fx.question(t, env, "een", "street")
		fx.question(t, env, "twee", "other")
		al := fx.allowance(t, env, "drie")
		fx.move(t, env, al, store.StatusDone)
		from, to := "2000-01-01", "2100-01-01"
		before, err := env.DB.FormStats(ctx, fx.tn.ID, from, to)
		if err != nil || len(before) == 0 {
			t.Fatalf("stats: %v %v", before, err)
		}
		env.Clock.Advance(60 * day)
		rep := runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		// Every category of the allowance says delete: it is removed;
		// the question keeps a skeleton (web-forms are pseudonymised).
		if countOf(rep, "", "remove") != 1 || countOf(rep, "contact", "delete") != 3 {
			t.Fatalf("run: %+v", rep.Counts)
		}
		after, err := env.DB.FormStats(ctx, fx.tn.ID, from, to)
		if err != nil || fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("statistics changed: %v -> %v (%v)", before, after, err)
		}
		if _, err := env.DB.Submission(ctx, clerk("dpo"), fx.tn.ID, al, "test"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a submission all of whose categories say delete is still there: %v", err)
		}
		var status, ref string
		if err := env.Raw(t).QueryRow(`SELECT status, reference FROM submissions WHERE id = $1`, q).Scan(&status, &ref); err != nil ||
			status != store.StatusNew || ref == "" {
			t.Fatalf("skeleton: %q %q %v", status, ref, err)
		}
	})
}

// TestClauseSEC1_CrashedRunResumesWithoutDoubleWork: a run stopped after
// its first chunk keeps what it committed; the next run takes the same
// run record up, does only the rest, and the log counts each submission
// once.
func TestClauseSEC1_CrashedRunResumesWithoutDoubleWork(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := retentionFixture(t, env, "gent", register.ExpiryAnonymise)
		for i := range 7 {
			fx.question(t, env, fmt.Sprint("q", i), "street")
		}
		env.Clock.Advance(12 * day) // contact and attachments expired, web-forms not yet
		crash, cancel := context.WithCancel(ctx)
		defer cancel()
		first, err := env.DB.RunRetention(crash, retentionActor, fx.tn.ID, store.RetentionOptions{Chunk: 2, AfterChunk: cancel})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the stopped run: %v", err)
		}
		if countOf(first, "contact", "anonymise") != 2 {
			t.Fatalf("first chunk: %+v", first.Counts)
		}
		var status string
		env.Raw(t).QueryRow(`SELECT status FROM retention_runs WHERE id = $1`, first.RunID).Scan(&status)
		if status != "running" {
			t.Fatalf("the crashed run is %q", status)
		}
		second := runRetention(t, env, fx.tn.ID, store.RetentionOptions{Chunk: 2})
		if !second.Resumed || second.RunID != first.RunID || countOf(second, "contact", "anonymise") != 7 {
			t.Fatalf("resumed run: %+v", second)
		}
		if logged := loggedCount(t, env, fx.tn.ID, "retention.anonymise", "category contact"); logged != 7 {
			t.Fatalf("the log counts %d anonymisations of 7 submissions", logged)
		}
		var applied int
		env.Raw(t).QueryRow(`SELECT count(*) FROM submissions WHERE retention_applied = ',attachments,contact,'`).Scan(&applied)
		if applied != 7 {
			t.Fatalf("%d of 7 submissions carry each category once", applied)
		}
		env.Raw(t).QueryRow(`SELECT status FROM retention_runs WHERE id = $1`, first.RunID).Scan(&status)
		if status != "done" {
			t.Fatalf("the resumed run ends %q", status)
		}
	})
}

// TestClauseSEC1_FixedPeriodsEraseMailsAndSessions: a sent mail's address,
// subject and text are erased 90 days after it went (its row stays for the
// delivery state), an ended session is deleted 90 days after it ended,
// each audited with its count; younger ones stay.
func TestClauseSEC1_FixedPeriodsEraseMailsAndSessions(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := retentionFixture(t, env, "gent", register.ExpiryAnonymise)
		if _, err := env.DB.QueueMail(ctx, clerk("admin"), fx.tn.ID, invite("nl")); err != nil {
			t.Fatal(err)
		}
		m := claimOne(t, env)
		if err := env.DB.MailSent(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := login(env, fx.tn.ID, "clerk@gent.be", goodPassword, fastHasher()); err != nil {
			t.Fatal(err)
		}
		var sessions int
		env.Raw(t).QueryRow(`SELECT count(*) FROM sessions`).Scan(&sessions)
		env.Clock.Advance(89 * day)
		rep := runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		for _, c := range rep.Counts {
			if c.Table == "mail_outbox" || c.Table == "sessions" {
				t.Fatalf("before 90 days: %+v", rep.Counts)
			}
		}
		env.Clock.Advance(2 * day)
		rep = runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		var mailN, sessN int64
		for _, c := range rep.Counts {
			switch c.Table {
			case "mail_outbox":
				mailN = c.Count
			case "sessions":
				sessN = c.Count
			}
		}
		if mailN != 1 || sessN != int64(sessions) || sessions == 0 {
			t.Fatalf("after 90 days: %+v (sessions %d)", rep.Counts, sessions)
		}
		var recipient []byte
		var status string
		if err := env.Raw(t).QueryRow(`SELECT recipient, status FROM mail_outbox WHERE id = $1`, m.ID).Scan(&recipient, &status); err != nil ||
			len(recipient) != 0 || status != "sent" {
			t.Fatalf("mail row: %x %q %v", recipient, status, err)
		}
		if n := auditCount(t, env, fx.tn.ID, "retention.mail", ""); n != 1 {
			t.Fatalf("retention.mail events: %d", n)
		}
	})
}

// TestClauseSEC1_UnreadableRowDoesNotStopRetention: a submission whose
// answers cannot be opened is left, counted and reported; the others
// expire.
func TestClauseSEC1_UnreadableRowDoesNotStopRetention(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := retentionFixture(t, env, "gent", register.ExpiryAnonymise)
		bad := fx.question(t, env, "een", "street")
		good := fx.question(t, env, "twee", "street")
		if _, err := env.Raw(t).Exec(`UPDATE submissions SET data = $1 WHERE id = $2`, []byte("not sealed at all, long enough to parse"), bad); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(11 * day)
		rep := runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if rep.Unreadable != 1 || countOf(rep, "contact", "anonymise") != 1 {
			t.Fatalf("report: %+v", rep)
		}
		if _, ok := answersOf(t, env, fx, good)["name"]; ok {
			t.Fatal("the readable submission did not expire")
		}
		// When every value of a submission simply goes, nothing is opened:
		// retention reaches answers whose key is already gone.
		al := fx.allowance(t, env, "drie")
		fx.move(t, env, al, store.StatusDone)
		if _, err := env.Raw(t).Exec(`UPDATE submissions SET data = $1 WHERE id = $2`, []byte("not sealed at all, long enough to parse"), al); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(40 * day)
		rep = runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		var spent sql.NullInt64
		env.Raw(t).QueryRow(`SELECT retention_spent_at FROM submissions WHERE id = $1`, al).Scan(&spent)
		if !spent.Valid || len(answersOf(t, env, fx, al)) != 0 {
			t.Fatalf("the unreadable allowance, all of whose values go, is not spent: %+v", rep)
		}
	})
}
