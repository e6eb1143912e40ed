package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// inboxFixture is a tenant with both demo forms published, a clerk with a
// grant on the allowance form only, and submissions.
type inboxFixture struct {
	tn       tenant.Tenant
	clerk    account.User // grant on toelage
	other    account.User // grant on vraag only
	forms    map[string]store.FormVersion
	actor    audit.Actor
	otherAct audit.Actor
}

func newInboxFixture(t *testing.T, env *storetest.Env, slug string) inboxFixture {
	t.Helper()
	fx := inboxFixture{tn: newTenant(t, env, slug), forms: map[string]store.FormVersion{}}
	for _, f := range form.DemoForms() {
		fx.forms[f.Key] = publishDemo(t, env, fx.tn.ID, f)
	}
	h := fastHasher()
	fx.clerk = activeUser(t, env, fx.tn, "clerk@"+slug+".be", account.RoleUser, h)
	fx.other = activeUser(t, env, fx.tn, "other@"+slug+".be", account.RoleUser, h)
	admin := clerk("admin")
	if err := env.DB.SetFormAccess(ctx, admin, fx.tn.ID, fx.clerk.ID, []string{"toelage"}); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.SetFormAccess(ctx, admin, fx.tn.ID, fx.other.ID, []string{"vraag"}); err != nil {
		t.Fatal(err)
	}
	fx.actor = audit.Actor{Kind: audit.KindUser, ID: fx.clerk.ID, Role: "user", RequestID: "r"}
	fx.otherAct = audit.Actor{Kind: audit.KindUser, ID: fx.other.ID, Role: "user", RequestID: "r"}
	return fx
}

// submit stores a submission of formKey about subject (an INSZ or e-mail)
// with marker in its name field and one attachment for the allowance.
func (fx inboxFixture) submit(t *testing.T, env *storetest.Env, formKey, subject, marker string) string {
	t.Helper()
	pub := fx.forms[formKey]
	answers, _ := json.Marshal(form.Answers{"name": {Value: marker}, "insz": {Value: subject}})
	in := store.NewFormSubmission{FormKey: formKey, FormVersion: pub.Version, RegisterVersion: pub.RegisterVersion, Answers: answers,
		Subject: subject, Idempotency: "tok-" + marker, Receipt: "rc-" + marker}
	if formKey == "toelage" {
		in.Attachments = []store.NewAttachment{{FieldKey: "certificate", Name: marker + ".pdf", ContentType: "application/pdf",
			Data: []byte("%PDF-1.4 " + marker), Scanner: "clamd test", ScannedAt: env.Clock.Now()}}
	}
	return fx.stored(t, env, in)
}

// stored submits in as a citizen a minute before the next one and returns
// the new submission's id.
func (fx inboxFixture) stored(t *testing.T, env *storetest.Env, in store.NewFormSubmission) string {
	t.Helper()
	if _, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, fx.tn.ID, in); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(time.Minute)
	page, err := env.DB.Inbox(ctx, clerk("setup"), fx.tn.ID, store.InboxQuery{Viewer: store.UserViewer(fx.grantee(in.FormKey)), Limit: 1})
	if err != nil || len(page.Rows) != 1 {
		t.Fatalf("find the new submission: %v", err)
	}
	return page.Rows[0].ID
}

func (fx inboxFixture) grantee(formKey string) string {
	if formKey == "toelage" {
		return fx.clerk.ID
	}
	return fx.other.ID
}

// lastEvent is the tenant's newest audit event.
func lastEvent(t *testing.T, env *storetest.Env, tenantID string) audit.Event {
	t.Helper()
	var last audit.Event
	if err := env.DB.EachAuditEvent(ctx, tenantID, func(e *audit.Event) error { last = *e; return nil }); err != nil {
		t.Fatal(err)
	}
	return last
}

// TestClauseAUD1_InboxReadPathsAreAudited: the list records which
// submissions it showed (ids, not content), the detail view and each
// attachment download record a read with purpose, the citizen search
// records the subject's pseudonym and what it found — each in the same
// transaction as the read; refused reads are recorded as failures.
func TestClauseAUD1_InboxReadPathsAreAudited(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		a := fx.submit(t, env, "toelage", "85071512397", "MARKER-A-5e1")
		b := fx.submit(t, env, "toelage", "90020199714", "MARKER-B-5e1")
		q := fx.submit(t, env, "vraag", "vraag@example.be", "MARKER-Q-5e1")

		page, err := env.DB.Inbox(ctx, fx.actor, fx.tn.ID, store.InboxQuery{Viewer: store.UserViewer(fx.clerk.ID)})
		if err != nil || len(page.Rows) != 2 || page.Rows[0].ID != b || page.Rows[1].ID != a {
			t.Fatalf("list: %+v %v", page, err)
		}
		if !strings.Contains(string(page.Rows[0].Answers), "MARKER-B-5e1") {
			t.Fatal("list answers not opened")
		}
		ev := lastEvent(t, env, fx.tn.ID)
		if ev.Action != "submission.list" || ev.ObjectID != b+","+a || ev.Actor.ID != fx.clerk.ID || strings.Contains(ev.Purpose, "MARKER") {
			t.Fatalf("list event: %+v", ev)
		}

		d, err := env.DB.OpenSubmission(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), a, "handling")
		if err != nil || d.Reference == "" || len(d.Attachments) != 1 || d.Attachments[0].Name != "MARKER-A-5e1.pdf" {
			t.Fatalf("detail: %+v %v", d, err)
		}
		if ev = lastEvent(t, env, fx.tn.ID); ev.Action != "submission.read" || ev.ObjectID != a || ev.Purpose != "handling" || ev.Subject == "" {
			t.Fatalf("detail event: %+v", ev)
		}

		att, err := env.DB.OpenAttachment(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), a, d.Attachments[0].ID, "handling")
		if err != nil || string(att.Data) != "%PDF-1.4 MARKER-A-5e1" {
			t.Fatalf("attachment: %v", err)
		}
		if ev = lastEvent(t, env, fx.tn.ID); ev.Action != "attachment.read" || ev.ObjectID != d.Attachments[0].ID || ev.Subject != lastSubject(t, env, fx, a) {
			t.Fatalf("attachment event: %+v", ev)
		}

		found, err := env.DB.SearchSubject(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), "85071512397")
		if err != nil || len(found) != 1 || found[0].ID != a {
			t.Fatalf("search: %+v %v", found, err)
		}
		ev = lastEvent(t, env, fx.tn.ID)
		if ev.Action != "submission.search" || ev.ObjectID != a || ev.Subject == "" || strings.Contains(ev.Purpose, "85071512397") {
			t.Fatalf("search event: %+v", ev)
		}
		if found, err := env.DB.SearchSubject(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), "00000000097"); err != nil || len(found) != 0 {
			t.Fatalf("search without hits: %v %v", found, err)
		}
		if ev = lastEvent(t, env, fx.tn.ID); ev.Action != "submission.search" || ev.ObjectID != "" {
			t.Fatalf("a search without hits is recorded too: %+v", ev)
		}

		// Refused: another form's submission, another tenant's, unknown ids.
		for _, id := range []string{q, "01UNKNOWN"} {
			if _, err := env.DB.OpenSubmission(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), id, "handling"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("open %s without a grant: %v", id, err)
			}
			if ev = lastEvent(t, env, fx.tn.ID); ev.Action != "submission.read" || ev.Outcome != audit.OutcomeFailure {
				t.Fatalf("refused read not recorded: %+v", ev)
			}
			if _, err := env.DB.OpenAttachment(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), id, d.Attachments[0].ID, "handling"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("attachment via %s: %v", id, err)
			}
		}
		brugge := newInboxFixture(t, env, "brugge")
		if _, err := env.DB.OpenSubmission(ctx, brugge.actor, brugge.tn.ID, store.UserViewer(brugge.clerk.ID), a, "handling"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant's submission: %v", err)
		}
		if found, _ := env.DB.SearchSubject(ctx, brugge.actor, brugge.tn.ID, store.UserViewer(brugge.clerk.ID), "85071512397"); len(found) != 0 {
			t.Fatal("a search finds another tenant's submissions")
		}
		if page, _ := env.DB.Inbox(ctx, brugge.actor, brugge.tn.ID, store.InboxQuery{Viewer: store.UserViewer(brugge.clerk.ID)}); len(page.Rows) != 0 {
			t.Fatal("another tenant's inbox lists this tenant's submissions")
		}
	})
}

// lastSubject is the pseudonym the detail read of id recorded.
func lastSubject(t *testing.T, env *storetest.Env, fx inboxFixture, id string) string {
	t.Helper()
	var s string
	env.DB.EachAuditEvent(ctx, fx.tn.ID, func(e *audit.Event) error {
		if e.Action == "submission.read" && e.ObjectID == id {
			s = e.Subject
		}
		return nil
	})
	return s
}

// TestClauseORG6_FormGrantsScopeTheInbox: a user sees only the forms an
// admin granted, in the list, the detail, the search and changes; grants
// and revocations are audited; a revoked grant hides the form at once.
func TestClauseORG6_FormGrantsScopeTheInbox(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		a := fx.submit(t, env, "toelage", "85071512397", "MARKER-A")
		fx.submit(t, env, "vraag", "85071512397", "MARKER-Q")
		page, _ := env.DB.Inbox(ctx, fx.otherAct, fx.tn.ID, store.InboxQuery{Viewer: store.UserViewer(fx.other.ID)})
		if len(page.Rows) != 1 || page.Rows[0].FormKey != "vraag" {
			t.Fatalf("other sees %+v", page.Rows)
		}
		if found, _ := env.DB.SearchSubject(ctx, fx.otherAct, fx.tn.ID, store.UserViewer(fx.other.ID), "85071512397"); len(found) != 1 || found[0].FormKey != "vraag" {
			t.Fatalf("search across forms without a grant: %+v", found)
		}
		if err := env.DB.ChangeSubmission(ctx, fx.otherAct, fx.tn.ID, store.UserViewer(fx.other.ID), a, store.SubmissionChange{Note: "x"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("change without a grant: %v", err)
		}
		admin := clerk("admin")
		if err := env.DB.SetFormAccess(ctx, admin, fx.tn.ID, fx.other.ID, []string{"vraag", "toelage"}); err != nil {
			t.Fatal(err)
		}
		if page, _ := env.DB.Inbox(ctx, fx.otherAct, fx.tn.ID, store.InboxQuery{Viewer: store.UserViewer(fx.other.ID)}); len(page.Rows) != 2 {
			t.Fatalf("after the grant: %d rows", len(page.Rows))
		}
		if err := env.DB.SetFormAccess(ctx, admin, fx.tn.ID, fx.other.ID, nil); err != nil {
			t.Fatal(err)
		}
		if page, _ := env.DB.Inbox(ctx, fx.otherAct, fx.tn.ID, store.InboxQuery{Viewer: store.UserViewer(fx.other.ID)}); len(page.Rows) != 0 {
			t.Fatalf("after revoking: %d rows", len(page.Rows))
		}
		if n := auditCount(t, env, fx.tn.ID, "form_access.grant", "form toelage"); n != 2 {
			t.Fatalf("grants of toelage recorded: %d", n)
		}
		if n := auditCount(t, env, fx.tn.ID, "form_access.revoke", ""); n != 2 {
			t.Fatalf("revocations recorded: %d", n)
		}
		if err := env.DB.SetFormAccess(ctx, admin, fx.tn.ID, fx.other.ID, []string{"nope"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown form: %v", err)
		}
		if err := env.DB.SetFormAccess(ctx, admin, fx.tn.ID, "someone", []string{"vraag"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
		if forms, _ := env.DB.FormAccess(ctx, fx.tn.ID, fx.other.ID); len(forms) != 0 {
			t.Fatalf("a refused change left grants: %v", forms)
		}
	})
}

// TestInboxPagingAndFilters: newest first in pages joined by a cursor that
// neither skips nor repeats; filters by form, status, assignee and time;
// a forged cursor is refused.
func TestInboxPagingAndFilters(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		admin := clerk("admin")
		if err := env.DB.SetFormAccess(ctx, admin, fx.tn.ID, fx.clerk.ID, []string{"toelage", "vraag"}); err != nil {
			t.Fatal(err)
		}
		var ids []string
		start := env.Clock.Now()
		for i := range 7 {
			key := "toelage"
			if i%2 == 1 {
				key = "vraag"
			}
			pub := fx.forms[key]
			answers, _ := json.Marshal(form.Answers{"name": {Value: fmt.Sprint(i)}})
			if _, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, fx.tn.ID, store.NewFormSubmission{
				FormKey: key, FormVersion: pub.Version, RegisterVersion: pub.RegisterVersion, Answers: answers,
				Idempotency: fmt.Sprint("t", i), Receipt: fmt.Sprint("r", i)}); err != nil {
				t.Fatal(err)
			}
			env.Clock.Advance(time.Hour)
		}
		var cursor string
		for {
			page, err := env.DB.Inbox(ctx, fx.actor, fx.tn.ID, store.InboxQuery{Viewer: store.UserViewer(fx.clerk.ID), Limit: 3, Before: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Rows {
				ids = append(ids, r.ID)
			}
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		if len(ids) != 7 || !slices.IsSortedFunc(ids, func(a, b string) int { return strings.Compare(b, a) }) {
			t.Fatalf("paged: %v", ids)
		}
		count := func(q store.InboxQuery) int {
			q.Viewer = store.UserViewer(fx.clerk.ID)
			page, err := env.DB.Inbox(ctx, fx.actor, fx.tn.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Rows)
		}
		if n := count(store.InboxQuery{Form: "vraag"}); n != 3 {
			t.Fatalf("form filter: %d", n)
		}
		if n := count(store.InboxQuery{From: start.Add(2 * time.Hour), To: start.Add(4 * time.Hour)}); n != 2 {
			t.Fatalf("time filter: %d", n)
		}
		if err := env.DB.ChangeSubmission(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), ids[0], store.SubmissionChange{Status: store.StatusInProgress}); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ChangeSubmission(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), ids[1], store.SubmissionChange{Assignee: fx.clerk.ID}); err != nil {
			t.Fatal(err)
		}
		if n := count(store.InboxQuery{Status: store.StatusInProgress}); n != 1 {
			t.Fatalf("status filter: %d", n)
		}
		if n := count(store.InboxQuery{Status: store.StatusNew}); n != 6 {
			t.Fatalf("status new: %d", n)
		}
		if n := count(store.InboxQuery{Assignee: fx.clerk.ID}); n != 1 {
			t.Fatalf("assignee filter: %d", n)
		}
		if n := count(store.InboxQuery{Assignee: "-"}); n != 6 {
			t.Fatalf("unassigned: %d", n)
		}
		for _, bad := range []string{"%%%", "AAAA", strings.Repeat("A", 200)} {
			if _, err := env.DB.Inbox(ctx, fx.actor, fx.tn.ID, store.InboxQuery{Viewer: store.UserViewer(fx.clerk.ID), Before: bad}); !errors.Is(err, store.ErrBadCursor) {
				t.Fatalf("cursor %q: %v", bad, err)
			}
		}
	})
}

// TestSubmissionWorkflow: the workflow's moves, a reason for rejecting,
// assignment only to a colleague with a grant on the form, sealed notes
// and reasons in the history, every step audited; figures per form, day
// and status follow the moves and outlive the submissions.
func TestSubmissionWorkflow(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		id := fx.submit(t, env, "toelage", "85071512397", "MARKER-W")
		change := func(ch store.SubmissionChange) error {
			return env.DB.ChangeSubmission(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), id, ch)
		}
		refused := func(err error, field, key string) {
			t.Helper()
			var ce *store.ChangeError
			if !errors.As(err, &ce) || ce.Field != field || ce.Key != key {
				t.Fatalf("want %s/%s, got %v", field, key, err)
			}
		}
		refused(change(store.SubmissionChange{Status: "archived"}), "status", "status_unknown")
		refused(change(store.SubmissionChange{Status: store.StatusRejected}), "reason", "reason_required")
		refused(change(store.SubmissionChange{Assignee: fx.other.ID}), "assignee", "assignee_unknown")
		refused(change(store.SubmissionChange{}), "note", "note_required")
		refused(change(store.SubmissionChange{Note: strings.Repeat("x", store.NoteMaxLength+1)}), "note", "too_long")
		for _, ch := range []store.SubmissionChange{{Status: store.StatusInProgress}, {Assignee: fx.clerk.ID},
			{Note: "MARKER-NOTE-5e1 called the citizen"}, {Status: store.StatusRejected, Reason: "MARKER-REASON-5e1 income too high"},
			{Assignee: "-"}} {
			if err := change(ch); err != nil {
				t.Fatalf("%+v: %v", ch, err)
			}
			env.Clock.Advance(time.Second)
		}
		refused(change(store.SubmissionChange{Status: store.StatusDone}), "status", "status_move")
		d, err := env.DB.OpenSubmission(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), id, "handling")
		if err != nil || d.Status != store.StatusRejected || d.AssigneeID != "" || len(d.History) != 5 {
			t.Fatalf("after handling: %+v %v", d, err)
		}
		if h := d.History[2]; h.Kind != "note" || h.Body != "MARKER-NOTE-5e1 called the citizen" || h.ActorID != fx.clerk.ID {
			t.Fatalf("note: %+v", h)
		}
		if h := d.History[3]; h.Kind != "status" || h.Status != store.StatusRejected || !strings.HasPrefix(h.Body, "MARKER-REASON-5e1") {
			t.Fatalf("rejection: %+v", h)
		}
		if found := storetest.FindPlaintext(t, env, "Gemeente gent", "MARKER-NOTE-5e1", "MARKER-REASON-5e1", "MARKER-W"); len(found) > 0 {
			t.Fatalf("plaintext at rest: %v", found)
		}
		for action, want := range map[string]int{"submission.status": 2, "submission.assign": 2, "submission.note": 1} {
			if n := auditCount(t, env, fx.tn.ID, action, ""); n != want {
				t.Errorf("%s recorded %d times, want %d", action, n, want)
			}
		}
		if n := auditCount(t, env, fx.tn.ID, "submission.status", "in_progress -> rejected"); n != 1 {
			t.Errorf("the rejection's audit event does not name the move")
		}

		// Statistics: one received today, now rejected; they stay when the
		// submission is gone.
		day := env.Clock.Now().Add(-time.Minute).In(time.FixedZone("CET", 3600)).Format(time.DateOnly)
		want := []store.FormStat{{FormKey: "toelage", Day: day, Status: store.StatusRejected, Count: 1}}
		stats, err := env.DB.FormStats(ctx, fx.tn.ID, day, day)
		if err != nil || !slices.Equal(stats, want) {
			t.Fatalf("stats: %+v %v", stats, err)
		}
		raw := env.Raw(t)
		for _, q := range []string{`DELETE FROM submission_events`, `DELETE FROM attachments`, `DELETE FROM submissions`} {
			if _, err := raw.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		if stats, _ := env.DB.FormStats(ctx, fx.tn.ID, day, day); !slices.Equal(stats, want) {
			t.Fatalf("stats after deletion: %+v", stats)
		}
	})
}

// AUD-1: an inbox page of up to 200 rows is recorded in full, on both
// databases: in parts small enough for the log's object index (a single
// event of 200 ids outgrows PostgreSQL's b-tree row limit and the read
// would fail).
func TestClauseAUD1_FullInboxPageIsRecorded(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		admin := clerk("admin")
		if err := env.DB.SetFormAccess(ctx, admin, fx.tn.ID, fx.clerk.ID, []string{"toelage"}); err != nil {
			t.Fatal(err)
		}
		pub := fx.forms["toelage"]
		const n = 130
		for i := range n {
			answers, _ := json.Marshal(form.Answers{"name": {Value: fmt.Sprint(i)}})
			if _, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, fx.tn.ID, store.NewFormSubmission{
				FormKey: "toelage", FormVersion: pub.Version, RegisterVersion: pub.RegisterVersion, Answers: answers,
				Idempotency: fmt.Sprint("t", i), Receipt: fmt.Sprint("r", i)}); err != nil {
				t.Fatal(err)
			}
		}
		page, err := env.DB.Inbox(ctx, fx.actor, fx.tn.ID, store.InboxQuery{Viewer: store.UserViewer(fx.clerk.ID), Limit: store.InboxLimit})
		if err != nil || len(page.Rows) != n {
			t.Fatalf("inbox of %d rows: %d rows, %v", n, len(page.Rows), err)
		}
		named := map[string]bool{}
		if err := env.DB.EachAuditEvent(ctx, fx.tn.ID, func(e *audit.Event) error {
			if e.Action == "submission.list" && e.Actor.ID == fx.actor.ID {
				for _, id := range strings.Split(e.ObjectID, ",") {
					named[id] = true
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Rows {
			if !named[r.ID] {
				t.Fatalf("row %s shown but not in the log", r.ID)
			}
		}
	})
}
