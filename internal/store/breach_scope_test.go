package store_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseBRE1_ScopeFromEvidence: in a seeded tenant an API key reads 37
// submissions of 29 distinct citizens in a window — 35 one by one, some
// twice, and the newest 2 only through a list. The scope for that key and
// window is exactly 37 submissions and 29 people, with the REG-7 classes
// of both forms' fields and their annex letters; reads before and after
// the window, a failed read, and the reads of another actor in the window
// are not counted; downloading a submission's file touches it. The
// question is audited; an end before the start is
// refused on its field with nothing recorded.
func TestClauseBRE1_ScopeFromEvidence(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		// Three submissions outside the scope, then the 37: submission j is
		// about citizen j mod 29, toelage (national number) for the even
		// citizens, vraag (e-mail) for the odd ones.
		var outside, in []string
		for i := 0; i < 3; i++ {
			outside = append(outside, fx.submit(t, env, "vraag", fmt.Sprintf("buiten%d@example.be", i), fmt.Sprintf("OUT-%d", i)))
		}
		for j := 0; j < 37; j++ {
			p := j % 29
			if p%2 == 0 {
				in = append(in, fx.submit(t, env, "toelage", fmt.Sprintf("850715%05d", p), fmt.Sprintf("IN-%d", j)))
			} else {
				in = append(in, fx.submit(t, env, "vraag", fmt.Sprintf("burger%d@example.be", p), fmt.Sprintf("IN-%d", j)))
			}
		}
		k, _ := newKey(t, env, fx.tn.ID, store.NewAPIKey{Name: "zaaksysteem", Scopes: []string{store.ScopeSubmissionsRead}, Forms: []string{"toelage", "vraag"}})
		key := k.Actor("req-k")
		read := func(a audit.Actor, id string) {
			t.Helper()
			if _, err := env.DB.Submission(ctx, a, fx.tn.ID, id, "api"); err != nil {
				t.Fatal(err)
			}
		}
		read(key, outside[0]) // before the window
		env.Clock.Advance(time.Hour)
		from := env.Clock.Now()
		for i, id := range in[:35] {
			read(key, id)
			if i%5 == 0 {
				read(key, id) // read twice: one submission
			}
		}
		if _, err := env.DB.Submission(ctx, key, fx.tn.ID, "no-such-submission", "api"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing submission: %v", err)
		}
		env.Clock.Advance(time.Minute)
		beforeList := env.Clock.Now()
		page, err := env.DB.Inbox(ctx, key, fx.tn.ID, store.InboxQuery{Viewer: store.KeyViewer(k.ID), Limit: 2})
		if err != nil || len(page.Rows) != 2 || page.Rows[0].ID != in[36] || page.Rows[1].ID != in[35] {
			t.Fatalf("list of the newest two: %+v %v", page.Rows, err)
		}
		read(fx.actor, outside[1])                                                                  // another actor, in the window
		read(audit.Actor{Kind: audit.KindUser, ID: k.ID, Role: "user", RequestID: "r"}, outside[1]) // same id, other kind
		// A third only downloads a file of in[0]: its submission is touched.
		d, err := env.DB.OpenSubmission(ctx, clerk("setup"), fx.tn.ID, store.UserViewer(fx.clerk.ID), in[0], "find the file")
		if err != nil || len(d.Attachments) != 1 {
			t.Fatalf("the file of %s: %v", in[0], err)
		}
		fileReader := audit.Actor{Kind: audit.KindUser, ID: "file-reader", Role: "user", RequestID: "r"}
		if _, err := env.DB.OpenAttachment(ctx, fileReader, fx.tn.ID, store.UserViewer(fx.clerk.ID), in[0], d.Attachments[0].ID, "download"); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Minute)
		until := env.Clock.Now()
		env.Clock.Advance(time.Minute)
		read(key, outside[2]) // after the window

		s, err := env.DB.BreachScope(ctx, fx.actor, fx.tn.ID, breach.ScopeQuery{From: from, Until: until, Actor: breach.ScopeAPIKey, ActorID: k.ID})
		if err != nil {
			t.Fatal(err)
		}
		if s.Submissions != 37 || s.People != 29 || s.Unidentified != 0 {
			t.Fatalf("scope: %d submissions, %d people, %d unidentified; want 37, 29, 0", s.Submissions, s.People, s.Unidentified)
		}
		if want := []string{"toelage", "vraag"}; !reflect.DeepEqual(s.Forms, want) {
			t.Fatalf("forms %v, want %v", s.Forms, want)
		}
		// vraag: contact, web-forms, attachments (3.00); toelage adds the
		// national number (3.08) and income and account (4.00).
		if want := []string{"3.00", "3.08", "4.00"}; !reflect.DeepEqual(s.InfoClasses, want) {
			t.Fatalf("classes %v, want %v", s.InfoClasses, want)
		}
		if want := []string{"B", "C", "D", "F", "G", "M"}; !reflect.DeepEqual(s.Letters, want) {
			t.Fatalf("letters %v, want %v", s.Letters, want)
		}
		ev := lastEvent(t, env, fx.tn.ID)
		if ev.Action != "breach.scope" || ev.Actor.ID != fx.clerk.ID || !strings.Contains(ev.Purpose, "37 submissions, 29 people") {
			t.Fatalf("scope event: %+v", ev)
		}

		// Applied to a breach: at least 29, at most 29, the letters added.
		r := breach.Report{Description: "Sleutel van het zaaksysteem gelekt", DiscoveredAt: until, Classes: []string{"A"}}
		r.ApplyScope(s)
		if r.People != breach.PeopleRange || *r.PeopleMin != 29 || *r.PeopleMax != 29 ||
			!reflect.DeepEqual(r.Classes, []string{"A", "B", "C", "D", "F", "G", "M"}) {
			t.Fatalf("applied: %+v", r)
		}

		// The window alone decides: ending before the list, the newest two
		// drop out.
		early, err := env.DB.BreachScope(ctx, fx.actor, fx.tn.ID, breach.ScopeQuery{From: from, Until: beforeList, Actor: breach.ScopeAPIKey, ActorID: k.ID})
		if err != nil || early.Submissions != 35 || early.People != 29 {
			t.Fatalf("earlier window: %+v %v", early, err)
		}

		// The other actor: one submission, one person.
		other, err := env.DB.BreachScope(ctx, fx.actor, fx.tn.ID, breach.ScopeQuery{From: from, Until: until, Actor: breach.ScopeUser, ActorID: fx.clerk.ID})
		if err != nil || other.Submissions != 1 || other.People != 1 || !reflect.DeepEqual(other.Forms, []string{"vraag"}) {
			t.Fatalf("other actor: %+v %v", other, err)
		}

		files, err := env.DB.BreachScope(ctx, fx.actor, fx.tn.ID, breach.ScopeQuery{From: from, Until: until, Actor: breach.ScopeUser, ActorID: "file-reader"})
		if err != nil || files.Submissions != 1 || files.People != 1 || !reflect.DeepEqual(files.Forms, []string{"toelage"}) {
			t.Fatalf("file reader: %+v %v", files, err)
		}

		// Bad input: an end before a start, refused on its field.
		before := lastEvent(t, env, fx.tn.ID).Seq
		_, err = env.DB.BreachScope(ctx, fx.actor, fx.tn.ID, breach.ScopeQuery{From: until, Until: from, Actor: breach.ScopeAPIKey, ActorID: k.ID})
		var bad *store.BreachValidationError
		if !errors.As(err, &bad) || bad.Fields["scope_until"] != "scope.error.end_before_start" || len(bad.Fields) != 1 {
			t.Fatalf("end before start: %v", err)
		}
		_, err = env.DB.BreachScope(ctx, fx.actor, fx.tn.ID, breach.ScopeQuery{From: from, Until: until, Actor: "robot", ActorID: ""})
		if !errors.As(err, &bad) || bad.Fields["scope_actor"] != "scope.error.actor" || bad.Fields["scope_actor_id"] != "scope.error.actor_id_required" {
			t.Fatalf("unknown actor: %v", err)
		}
		if after := lastEvent(t, env, fx.tn.ID).Seq; after != before {
			t.Fatalf("a refused question was recorded: %d → %d", before, after)
		}
	})
}
