package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseAUD1_ControllerReadsItsAuditLog: the controller pages through
// its own log newest first, filters by action, actor, object (also inside
// a list event's ids) and data subject (by pseudonym: the identifier is in
// no event), never sees another tenant's events, and every look at the
// log is itself recorded.
func TestClauseAUD1_ControllerReadsItsAuditLog(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		a := fx.submit(t, env, "toelage", "85071512397", "MARKER-A")
		b := fx.submit(t, env, "toelage", "90020199704", "MARKER-B")
		if _, err := env.DB.OpenSubmission(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), a, "handling"); err != nil {
			t.Fatal(err)
		}
		dpo := audit.Actor{Kind: audit.KindUser, ID: "dpo-1", Role: "dpo", RequestID: "r"}
		read := func(q store.AuditQuery) store.AuditPage {
			t.Helper()
			p, err := env.DB.AuditLog(ctx, dpo, fx.tn.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		var seqs []int64
		var before int64
		for {
			p := read(store.AuditQuery{Limit: 7, Before: before})
			for _, e := range p.Events {
				seqs = append(seqs, e.Seq)
			}
			if before = p.Next; before == 0 {
				break
			}
		}
		for i := 1; i < len(seqs); i++ {
			if seqs[i] != seqs[i-1]-1 {
				t.Fatalf("pages skip or repeat events: %v", seqs)
			}
		}
		if seqs[len(seqs)-1] != 1 {
			t.Fatalf("paging did not reach the first event: %v", seqs)
		}
		for _, e := range read(store.AuditQuery{Action: "submission."}).Events {
			if !strings.HasPrefix(e.Action, "submission.") {
				t.Fatalf("action filter let %s through", e.Action)
			}
		}
		// Who looked at submission a: the list that showed it and the read.
		got := map[string]bool{}
		for _, e := range read(store.AuditQuery{ObjectID: a}).Events {
			got[e.Action] = true
		}
		if !got["submission.read"] || !got["submission.list"] || !got["submission.create"] {
			t.Fatalf("events about %s: %v", a, got)
		}
		for _, e := range read(store.AuditQuery{ObjectID: b}).Events {
			if e.ObjectID == a {
				t.Fatal("the object filter matched another id")
			}
		}
		// Everything about one citizen, by their national register number.
		p := read(store.AuditQuery{Subject: "90020199704"})
		if len(p.Events) == 0 {
			t.Fatal("nothing found for the data subject")
		}
		for _, e := range p.Events {
			if e.Subject == "" || strings.Contains(e.Purpose+e.ObjectID, "90020199704") {
				t.Fatalf("subject filter: %+v", e)
			}
		}
		if n := len(read(store.AuditQuery{ActorID: fx.clerk.ID}).Events); n == 0 {
			t.Fatal("nothing found for the clerk")
		}
		// The look at the log is recorded, without the identifier.
		last := lastEvent(t, env, fx.tn.ID)
		if last.Action != "audit.read" || last.Actor.ID != "dpo-1" || strings.Contains(last.Purpose, "90020199704") {
			t.Fatalf("the log read is not recorded as it should be: %+v", last)
		}
		if n := auditCount(t, env, fx.tn.ID, "audit.read", ""); n < 6 {
			t.Fatalf("log reads recorded: %d", n)
		}
		// A download holds the whole (small) log at once and is recorded
		// as a download.
		head := read(store.AuditQuery{}).Head
		var all int64
		n, err := env.DB.AuditExport(ctx, dpo, fx.tn.ID, store.AuditQuery{}, func(b []audit.Event) error {
			all += int64(len(b))
			return nil
		})
		if err != nil || n != all || all != head+1 { // with the read just before it
			t.Fatalf("download: %d (%d) events of %d: %v", n, all, head+1, err)
		}
		if last := lastEvent(t, env, fx.tn.ID); last.Action != "audit.export" {
			t.Fatalf("a download recorded as %s", last.Action)
		}
		other := newTenant(t, env, "brugge")
		for _, e := range read(store.AuditQuery{Limit: 200}).Events {
			if e.TenantID != fx.tn.ID {
				t.Fatal("another tenant's event")
			}
		}
		if p, _ := env.DB.AuditLog(ctx, dpo, other.ID, store.AuditQuery{ObjectID: a}); len(p.Events) != 0 {
			t.Fatal("another tenant's log shows this tenant's events")
		}
		if _, err := env.DB.AuditLog(ctx, dpo, fx.tn.ID, store.AuditQuery{ObjectID: "%"}); !errors.Is(err, store.ErrBadFilter) {
			t.Fatalf("a wildcard filter: %v", err)
		}
	})
}

// TestClauseAUD1_AuditLogNamesObjects: the log's page names a page of
// submissions by reference and form in one look-up, says which the reader
// may open (a grant on the form, ORG-6), leaves out another tenant's ids,
// and finds a submission by the reference a citizen reads from the
// receipt; the action filter takes exact codes (a group of the registry).
func TestClauseAUD1_AuditLogNamesObjects(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		a := fx.submit(t, env, "toelage", "85071512397", "MARKER-A")
		b := fx.submit(t, env, "vraag", "90020199704", "MARKER-B")
		other := newInboxFixture(t, env, "brugge")
		c := other.submit(t, env, "toelage", "85071512397", "MARKER-C")
		refs, err := env.DB.AuditSubmissionRefs(ctx, fx.tn.ID, fx.clerk.ID, []string{a, b, c, "nope"})
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) != 2 || refs[a].FormKey != "toelage" || !refs[a].Visible || refs[b].FormKey != "vraag" || refs[b].Visible {
			t.Fatalf("names of submissions: %+v", refs)
		}
		if refs[a].Reference == "" || refs[a].Reference == refs[b].Reference {
			t.Fatalf("references: %+v", refs)
		}
		for _, typed := range []string{refs[a].Reference, strings.ToLower(refs[a].Reference), strings.ReplaceAll(refs[a].Reference, "-", "")} {
			if id, err := env.DB.SubmissionIDByReference(ctx, fx.tn.ID, typed); err != nil || id != a {
				t.Fatalf("by reference %q: %s %v", typed, id, err)
			}
		}
		if _, err := env.DB.SubmissionIDByReference(ctx, other.tn.ID, refs[a].Reference); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant's reference: %v", err)
		}
		dpo := audit.Actor{Kind: audit.KindUser, ID: "dpo-1", Role: "dpo", RequestID: "r"}
		p, err := env.DB.AuditLog(ctx, dpo, fx.tn.ID, store.AuditQuery{Actions: audit.ActionsIn(audit.GroupSubmissions), ObjectID: a})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, e := range p.Events {
			got[e.Action] = true
		}
		if !got["submission.create"] || !got["submission.list"] || len(got) != 2 {
			t.Fatalf("the submissions group about %s: %v", a, got)
		}
		if _, err := env.DB.AuditLog(ctx, dpo, fx.tn.ID, store.AuditQuery{Actions: []string{"x%"}}); !errors.Is(err, store.ErrBadFilter) {
			t.Fatalf("a wildcard action: %v", err)
		}
	})
}
