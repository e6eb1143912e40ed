package store_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// submitCase stores a submission of formKey made in lang with a handling
// time of days, and returns its id.
func (fx inboxFixture) submitCase(t *testing.T, env *storetest.Env, formKey, marker, lang string, days int) string {
	t.Helper()
	pub := fx.forms[formKey]
	answers, _ := json.Marshal(form.Answers{"name": {Value: marker}})
	in := store.NewFormSubmission{FormKey: formKey, FormVersion: pub.Version, RegisterVersion: pub.RegisterVersion, Answers: answers,
		Idempotency: "tok-" + marker, Receipt: "rc-" + marker, Lang: lang, HandlingDays: days}
	return fx.stored(t, env, in)
}

func (fx inboxFixture) move(t *testing.T, env *storetest.Env, id, status string) {
	t.Helper()
	ch := store.SubmissionChange{Status: status}
	if status == store.StatusRejected {
		ch.Reason = "onvolledig"
	}
	if err := env.DB.ChangeSubmission(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), id, ch); err != nil {
		t.Fatal(err)
	}
}

func TestDueAtIsTheDayAfterReceiptPlusHandlingTime(t *testing.T) {
	be, _ := time.LoadLocation("Europe/Brussels")
	for _, tc := range []struct {
		name     string
		received time.Time
		days     int
		want     time.Time // start of the day it becomes overdue
		day      string    // the due date shown
	}{
		{"none", time.Date(2026, 11, 2, 9, 0, 0, 0, be), 0, time.Time{}, ""},
		{"morning", time.Date(2026, 11, 2, 9, 0, 0, 0, be), 10, time.Date(2026, 11, 13, 0, 0, 0, 0, be), "2026-11-12"},
		// 23:30 UTC on 2 November is already 3 November in Brussels.
		{"late evening UTC", time.Date(2026, 11, 2, 23, 30, 0, 0, time.UTC), 1, time.Date(2026, 11, 5, 0, 0, 0, 0, be), "2026-11-04"},
		{"across summer time", time.Date(2026, 3, 20, 12, 0, 0, 0, be), 14, time.Date(2026, 4, 4, 0, 0, 0, 0, be), "2026-04-03"},
		{"year end", time.Date(2026, 12, 20, 8, 0, 0, 0, be), 365, time.Date(2027, 12, 21, 0, 0, 0, 0, be), "2027-12-20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := store.DueAt(tc.received, tc.days)
			if !got.Equal(tc.want) {
				t.Fatalf("DueAt = %v, want %v", got, tc.want)
			}
			if tc.day != "" {
				if d := store.DueDay(got).Format(time.DateOnly); d != tc.day {
					t.Errorf("DueDay = %s, want %s", d, tc.day)
				}
			}
		})
	}
}

// TestCaseworkDueDateAndLanguageAtIntake: intake fixes the due date from
// the handling time it is given and seals the citizen's language; the
// fake clock makes an open case overdue the day after its due date, and
// ending it clears the mark.
func TestCaseworkDueDateAndLanguageAtIntake(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		received := env.Clock.Now()
		withDue := fx.submitCase(t, env, "toelage", "Anna", "fr", 10)
		without := fx.submitCase(t, env, "toelage", "Bert", "nl", 0)
		viewer := store.UserViewer(fx.clerk.ID)
		rows := func() map[string]store.InboxRow {
			page, err := env.DB.Inbox(ctx, fx.actor, fx.tn.ID, store.InboxQuery{Viewer: viewer})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]store.InboxRow{}
			for _, r := range page.Rows {
				out[r.ID] = r
			}
			return out
		}
		got := rows()
		if want := store.DueAt(received, 10); !got[withDue].DueAt.Equal(want) || got[withDue].Lang != "fr" || got[withDue].Overdue {
			t.Errorf("with handling time: due %v lang %q overdue %v, want %v fr false", got[withDue].DueAt, got[withDue].Lang, got[withDue].Overdue, want)
		}
		if !got[without].DueAt.IsZero() || got[without].Lang != "nl" {
			t.Errorf("without handling time: due %v lang %q", got[without].DueAt, got[without].Lang)
		}
		// The language is sealed: the column holds no "fr".
		var raw []byte
		if err := env.Raw(t).QueryRowContext(ctx, `SELECT lang FROM submissions WHERE id = $1`, withDue).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if len(raw) < 16 || string(raw) == "fr" {
			t.Errorf("lang column not sealed: %q", raw)
		}

		// Still on time on the due day itself, overdue from the next day.
		env.Clock.Advance(store.DueAt(received, 10).Sub(env.Clock.Now()) - time.Second)
		if r := rows()[withDue]; r.Overdue {
			t.Errorf("overdue a second before the end of the due day")
		}
		env.Clock.Advance(time.Second)
		got = rows()
		if !got[withDue].Overdue || got[without].Overdue {
			t.Errorf("at due: overdue %v (want true), without handling time %v (want false)", got[withDue].Overdue, got[without].Overdue)
		}
		d, err := env.DB.OpenSubmission(ctx, fx.actor, fx.tn.ID, viewer, withDue, "handling")
		if err != nil || !d.Overdue || d.Lang != "fr" || !d.DueAt.Equal(store.DueAt(received, 10)) {
			t.Errorf("OpenSubmission: overdue %v lang %q due %v, %v", d.Overdue, d.Lang, d.DueAt, err)
		}
		fx.move(t, env, withDue, store.StatusInProgress)
		if !rows()[withDue].Overdue {
			t.Errorf("in progress past due: not overdue")
		}
		fx.move(t, env, withDue, store.StatusDone)
		if rows()[withDue].Overdue {
			t.Errorf("done: still overdue")
		}
	})
}

// TestClauseORG6_InboxCountsAndOverdueFilter: the counts per status and
// the overdue filter cover only the forms the viewer holds a grant on,
// and overdue follows the fake clock.
func TestClauseORG6_InboxCountsAndOverdueFilter(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		a := fx.submitCase(t, env, "toelage", "A", "nl", 1)
		b := fx.submitCase(t, env, "toelage", "B", "fr", 1)
		c := fx.submitCase(t, env, "toelage", "C", "nl", 30)
		d := fx.submitCase(t, env, "toelage", "D", "nl", 1)
		e := fx.submitCase(t, env, "toelage", "E", "en", 0)
		fx.submitCase(t, env, "vraag", "V1", "nl", 1) // the clerk holds no grant on vraag
		fx.submitCase(t, env, "vraag", "V2", "nl", 1)
		fx.move(t, env, b, store.StatusInProgress)
		fx.move(t, env, c, store.StatusInProgress)
		fx.move(t, env, d, store.StatusDone)
		fx.move(t, env, e, store.StatusRejected)
		clerkV, otherV := store.UserViewer(fx.clerk.ID), store.UserViewer(fx.other.ID)
		counts := func(v store.Viewer, formKey string) store.StatusCounts {
			c, err := env.DB.InboxCounts(ctx, fx.tn.ID, v, formKey)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		want := store.StatusCounts{ByStatus: map[string]int{"new": 1, "in_progress": 2, "done": 1, "rejected": 1}}
		if got := counts(clerkV, ""); !equalCounts(got, want) {
			t.Errorf("clerk before due: %+v, want %+v", got, want)
		}
		if got := counts(clerkV, "vraag"); !equalCounts(got, store.StatusCounts{ByStatus: map[string]int{"new": 0, "in_progress": 0, "done": 0, "rejected": 0}}) {
			t.Errorf("clerk counting a form without grant: %+v", got)
		}
		if got := counts(otherV, ""); got.ByStatus["new"] != 2 || got.ByStatus["in_progress"] != 0 {
			t.Errorf("other: %+v", got)
		}
		overdueIDs := func(v store.Viewer) []string {
			page, err := env.DB.Inbox(ctx, fx.actor, fx.tn.ID, store.InboxQuery{Viewer: v, Overdue: true})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range page.Rows {
				if !r.Overdue {
					t.Errorf("row %s in the overdue filter is not overdue", r.ID)
				}
				ids = append(ids, r.ID)
			}
			slices.Sort(ids)
			return ids
		}
		if ids := overdueIDs(clerkV); len(ids) != 0 {
			t.Errorf("overdue before any due date: %v", ids)
		}
		// Three days on: the one-day cases are overdue unless ended.
		env.Clock.Advance(72 * time.Hour)
		want.Overdue = 2
		if got := counts(clerkV, ""); !equalCounts(got, want) {
			t.Errorf("clerk after due: %+v, want %+v", got, want)
		}
		if got := counts(clerkV, "toelage"); !equalCounts(got, want) {
			t.Errorf("clerk on toelage after due: %+v, want %+v", got, want)
		}
		if got := counts(otherV, ""); got.Overdue != 2 {
			t.Errorf("other after due: %+v", got)
		}
		wantIDs := []string{a, b}
		slices.Sort(wantIDs)
		if ids := overdueIDs(clerkV); !slices.Equal(ids, wantIDs) {
			t.Errorf("overdue filter: %v, want %v", ids, wantIDs)
		}
		// By due date: the scan along the order's index finds the same.
		page, err := env.DB.Inbox(ctx, fx.actor, fx.tn.ID, store.InboxQuery{Viewer: clerkV, Overdue: true, Sort: store.SortDue})
		if err != nil || len(page.Rows) != 2 || page.Rows[0].ID != a || page.Rows[1].ID != b {
			t.Errorf("overdue by due date: %v, %v", page.Rows, err)
		}
		// Combined with a status filter.
		page, err = env.DB.Inbox(ctx, fx.actor, fx.tn.ID, store.InboxQuery{Viewer: clerkV, Overdue: true, Status: store.StatusInProgress})
		if err != nil || len(page.Rows) != 1 || page.Rows[0].ID != b {
			t.Errorf("overdue and in progress: %v, %v", page.Rows, err)
		}
		if got := counts(store.Viewer{}, ""); got.ByStatus["new"] != 0 || got.Overdue != 0 {
			t.Errorf("zero viewer counts: %+v", got)
		}
	})
}

func equalCounts(a, b store.StatusCounts) bool {
	if a.Overdue != b.Overdue {
		return false
	}
	for _, s := range store.Statuses {
		if a.ByStatus[s] != b.ByStatus[s] {
			return false
		}
	}
	return true
}

// TestInboxSortOrdersPageByKeyset: every order pages by keyset without
// losing or repeating a row, pages of one order refuse the cursor of
// another, and due date puts open cases first, soonest due first, those
// without a handling time last.
func TestInboxSortOrdersPageByKeyset(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		type c struct {
			marker string
			days   int
			status string
		}
		cases := []c{{"s1", 5, ""}, {"s2", 2, ""}, {"s3", 0, ""}, {"s4", 2, store.StatusDone}, {"s5", 9, store.StatusInProgress},
			{"s6", 1, store.StatusRejected}, {"s7", 2, ""}, {"s8", 0, store.StatusDone}, {"s9", 4, ""}}
		ids := map[string]string{}
		var created []string // oldest first
		for _, k := range cases {
			id := fx.submitCase(t, env, "toelage", k.marker, "nl", k.days)
			ids[k.marker] = id
			created = append(created, k.marker)
			if k.status != "" {
				fx.move(t, env, id, k.status)
			}
		}
		newest := slices.Clone(created)
		slices.Reverse(newest)
		// Submissions a minute apart on one day, so the due day is that day
		// plus days: open ones first (s2 and s7 share a due date, so their
		// time-ordered ids decide), those without a handling time last;
		// then the ended ones the same way.
		due := []string{"s2", "s7", "s9", "s1", "s5", "s3", "s6", "s4", "s8"}
		viewer := store.UserViewer(fx.clerk.ID)
		for _, tc := range []struct {
			sort string
			want []string
		}{{"", newest}, {store.SortNewest, newest}, {store.SortOldest, created}, {store.SortDue, due}} {
			t.Run("sort "+tc.sort, func(t *testing.T) {
				for _, limit := range []int{1, 2, 4, 50} {
					var got []string
					before := ""
					for range 20 {
						page, err := env.DB.Inbox(ctx, fx.actor, fx.tn.ID, store.InboxQuery{Viewer: viewer, Sort: tc.sort, Limit: limit, Before: before})
						if err != nil {
							t.Fatal(err)
						}
						for _, r := range page.Rows {
							for m, id := range ids {
								if id == r.ID {
									got = append(got, m)
								}
							}
						}
						if before = page.Next; before == "" {
							break
						}
					}
					if !slices.Equal(got, tc.want) {
						t.Errorf("limit %d: %v, want %v", limit, got, tc.want)
					}
				}
			})
		}
		// A cursor of one order is refused by another.
		first, err := env.DB.Inbox(ctx, fx.actor, fx.tn.ID, store.InboxQuery{Viewer: viewer, Sort: store.SortDue, Limit: 2})
		if err != nil || first.Next == "" {
			t.Fatalf("first due page: %v", err)
		}
		for _, other := range []string{"", store.SortOldest} {
			if _, err := env.DB.Inbox(ctx, fx.actor, fx.tn.ID, store.InboxQuery{Viewer: viewer, Sort: other, Before: first.Next}); !errors.Is(err, store.ErrBadCursor) {
				t.Errorf("due cursor with sort %q: %v, want ErrBadCursor", other, err)
			}
		}
		if _, err := env.DB.Inbox(ctx, fx.actor, fx.tn.ID, store.InboxQuery{Viewer: viewer, Sort: "sideways"}); err == nil {
			t.Errorf("unknown order accepted")
		}
	})
}

// TestClauseORG6_InboxSummaryPerGrantedForm: the home page's to-do counts,
// per form the user holds a grant on, the new and the overdue submissions.
func TestClauseORG6_InboxSummaryPerGrantedForm(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		if err := env.DB.SetFormAccess(ctx, clerk("admin"), fx.tn.ID, fx.other.ID, []string{"toelage", "vraag"}); err != nil {
			t.Fatal(err)
		}
		a := fx.submitCase(t, env, "toelage", "A", "nl", 1)
		fx.submitCase(t, env, "toelage", "B", "nl", 1)
		fx.submitCase(t, env, "toelage", "C", "nl", 20)
		fx.submitCase(t, env, "vraag", "V", "nl", 1)
		fx.move(t, env, a, store.StatusInProgress)
		env.Clock.Advance(3 * 24 * time.Hour)
		sum := func(userID string) []store.FormSummary {
			s, err := env.DB.InboxSummary(ctx, fx.tn.ID, store.UserViewer(userID))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		if got, want := sum(fx.clerk.ID), []store.FormSummary{{FormKey: "toelage", New: 2, Overdue: 2}}; !slices.Equal(got, want) {
			t.Errorf("clerk: %+v, want %+v", got, want)
		}
		if got, want := sum(fx.other.ID), []store.FormSummary{{FormKey: "toelage", New: 2, Overdue: 2}, {FormKey: "vraag", New: 1, Overdue: 1}}; !slices.Equal(got, want) {
			t.Errorf("other: %+v, want %+v", got, want)
		}
		if got := sum("nobody"); len(got) != 0 {
			t.Errorf("a user without grants: %+v", got)
		}
	})
}

// TestInboxCountsStopAtTheCapAndManyOverdueStillPage: with more overdue
// cases than CountCap, each count says CountCap ("or more") and the
// overdue filter pages newest and oldest first by scanning in the list's
// order, with the same rows in the same order as without the filter.
func TestInboxCountsStopAtTheCapAndManyOverdueStillPage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		n := store.CountCap + 20
		start := env.Clock.Now().Add(-400 * 24 * time.Hour)
		err := env.DB.BulkSubmissions(ctx, fx.tn.ID, n, func(i int) store.BenchSubmission {
			created := start.Add(time.Duration(i) * time.Minute)
			return store.BenchSubmission{FormKey: "toelage", FormVersion: fx.forms["toelage"].Version, Answers: []byte(`{}`),
				Subject: "s", Status: store.StatusNew, CreatedAt: created, DueAt: store.DueAt(created, 30)}
		})
		if err != nil {
			t.Fatal(err)
		}
		viewer := store.UserViewer(fx.clerk.ID)
		c, err := env.DB.InboxCounts(ctx, fx.tn.ID, viewer, "")
		if err != nil || c.ByStatus[store.StatusNew] != store.CountCap || c.Overdue != store.CountCap || c.ByStatus[store.StatusDone] != 0 {
			t.Fatalf("counts past the cap: %+v, %v", c, err)
		}
		for _, sort := range []string{store.SortNewest, store.SortOldest, store.SortDue} {
			var all, overdue []string
			for _, q := range []store.InboxQuery{{Viewer: viewer, Sort: sort, Limit: 7}, {Viewer: viewer, Sort: sort, Limit: 7, Overdue: true}} {
				var got []string
				for range 3 {
					page, err := env.DB.Inbox(ctx, fx.actor, fx.tn.ID, q)
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range page.Rows {
						if q.Overdue && !r.Overdue {
							t.Errorf("%s: row %s is not overdue", sort, r.ID)
						}
						got = append(got, r.ID)
					}
					q.Before = page.Next
				}
				if q.Overdue {
					overdue = got
				} else {
					all = got
				}
			}
			if len(all) != 21 || !slices.Equal(all, overdue) {
				t.Errorf("%s: overdue pages %v, want %v", sort, overdue, all)
			}
		}
	})
}
