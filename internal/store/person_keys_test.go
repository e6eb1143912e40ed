package store_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

var keysAdmin = audit.Actor{Kind: audit.KindUser, ID: "admin-1", Role: "admin", RequestID: "r-keys"}

// personKeysOn switches the fixture tenant's per-person keys on.
func personKeysOn(t *testing.T, env *storetest.Env) func(inboxFixture) {
	return func(fx inboxFixture) {
		t.Helper()
		if err := env.DB.SetPersonKeys(ctx, keysAdmin, fx.tn.ID, true); err != nil {
			t.Fatal(err)
		}
	}
}

// sealedRow is a submission as a copy of the database holds it.
type sealedRow struct {
	id        string
	data      []byte
	personKey int64 // 0: the tenant key
}

func sealedRows(t *testing.T, env *storetest.Env, tenantID string) map[string]sealedRow {
	t.Helper()
	rows, err := env.Raw(t).Query(`SELECT id, data, COALESCE(person_key_id, 0) FROM submissions WHERE tenant_id = $1`, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]sealedRow{}
	for rows.Next() {
		var r sealedRow
		if err := rows.Scan(&r.id, &r.data, &r.personKey); err != nil {
			t.Fatal(err)
		}
		out[r.id] = r
	}
	return out
}

func wrappedPersonKeys(t *testing.T, env *storetest.Env, tenantID string) map[int64][]byte {
	t.Helper()
	rows, err := env.Raw(t).Query(`SELECT id, wrapped FROM person_keys WHERE tenant_id = $1 AND wrapped IS NOT NULL`, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64][]byte{}
	for rows.Next() {
		var id int64
		var w []byte
		if err := rows.Scan(&id, &w); err != nil {
			t.Fatal(err)
		}
		out[id] = w
	}
	return out
}

func erase(t *testing.T, env *storetest.Env, tenantID string, p store.SubjectPerson) {
	t.Helper()
	r := fileRequest(t, env, tenantID, dsrClerk, dsr.Erasure, p)
	if err := env.DB.DecideSubjectRequest(ctx, dsrDPO, tenantID, r.ID, true, "Identiteit gecontroleerd"); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.ExecuteSubjectRequest(ctx, dsrDPO, tenantID, r.ID); err != nil {
		t.Fatal(err)
	}
}

// TestClauseDSR1_PerPersonKeyErasureReachesCopies: with per-person keys on,
// a copy of the database taken before an erasure, opened after it with the
// current keyring, cannot open the erased person's values while everyone
// else's open; what the law keeps stays readable in the live database.
//
// The copy is taken two ways. On both databases the test copies the rows a
// backup holds — the sealed submissions and the wrapped person keys — before
// the erasure and tries to open them after it, as a restore would. On
// SQLite it also takes a real copy of the whole file (VACUUM INTO) and
// opens it with store.Open and the current keyring, reading through the
// store like the inbox does. (pg_dump of a throwaway database would need
// the client tools here; the row copy holds the same bytes.)
func TestClauseDSR1_PerPersonKeyErasureReachesCopies(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, mine, theirs := personOnThreeForms(t, env, personKeysOn(t, env))
		before := sealedRows(t, env, fx.tn.ID)
		keysBefore := wrappedPersonKeys(t, env, fx.tn.ID)
		for id, r := range before {
			if r.personKey == 0 || keysBefore[r.personKey] == nil {
				t.Fatalf("submission %s was not sealed with a person key: %+v", id, r)
			}
		}
		var copyPath string
		if env.Dialect == store.SQLite {
			copyPath = filepath.Join(t.TempDir(), "backup.db")
			if _, err := env.Raw(t).Exec(`VACUUM INTO '` + copyPath + `'`); err != nil {
				t.Fatal(err)
			}
		}

		erase(t, env, fx.tn.ID, anPeeters)

		// The live database: An's keys are overwritten, their destruction
		// recorded, the kept allowance re-sealed with the tenant key.
		keysAfter := wrappedPersonKeys(t, env, fx.tn.ID)
		for _, id := range []string{mine[0], mine[1], mine[2]} {
			if keysAfter[before[id].personKey] != nil {
				t.Fatalf("the key of An's submission %s survived the erasure", id)
			}
		}
		if keysAfter[before[theirs].personKey] == nil {
			t.Fatal("the other citizen's key was destroyed")
		}
		destroyed := 0
		env.DB.EachAuditEvent(ctx, fx.tn.ID, func(e *audit.Event) error {
			if e.Action == "person_keys.destroy" && e.Subject != "" {
				destroyed++
			}
			return nil
		})
		if destroyed != 2 { // the address's key and the national number's
			t.Fatalf("%d person_keys.destroy events, want 2", destroyed)
		}
		live := sealedRows(t, env, fx.tn.ID)
		if live[mine[1]].personKey != 0 {
			t.Fatalf("the kept submission still names a destroyed person key")
		}
		d, err := env.DB.OpenSubmission(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), mine[1], "test")
		if err != nil || !strings.Contains(string(d.Answers), "MARKER-mine-toelage") || len(d.Attachments) != 1 ||
			d.Attachments[0].Name != "mine-toelage.pdf" {
			t.Fatalf("the submission kept by law does not open after the erasure: %v %+v", err, d.Attachments)
		}
		a, err := env.DB.OpenAttachment(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), mine[1], d.Attachments[0].ID, "test")
		if err != nil || !bytes.Contains(a.Data, []byte("mine-toelage")) {
			t.Fatalf("the kept file does not open: %v", err)
		}

		// The rows copied before, opened now with the current keyring.
		for id, r := range before {
			pk, err := env.Keys.OpenPersonKey(fx.tn.ID, uint64(r.personKey), keysBefore[r.personKey])
			if id != theirs {
				if !errors.Is(err, seal.ErrPersonKeyDestroyed) {
					t.Fatalf("An's submission %s: the copied person key still unwraps (%v)", id, err)
				}
				if _, err := env.Keys.Open(fx.tn.ID, seal.AD{Tenant: fx.tn.ID, Table: "submissions", Column: "data", Row: id}, r.data); err == nil {
					t.Fatalf("An's submission %s opens with the tenant key", id)
				}
				continue
			}
			if err != nil {
				t.Fatalf("the other citizen's copied key: %v", err)
			}
			plain, err := pk.Open(seal.AD{Tenant: fx.tn.ID, Table: "submissions", Column: "data", Row: id}, r.data)
			if err != nil || !strings.Contains(string(plain), "MARKER-theirs") {
				t.Fatalf("the other citizen's copied submission: %q %v", plain, err)
			}
		}

		if copyPath == "" {
			return
		}
		// The whole SQLite file copied before, opened through the store.
		cp, err := store.Open(ctx, "sqlite:"+copyPath, store.Options{Keys: env.Keys, Now: env.Clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer cp.Close()
		if _, err := cp.OpenSubmission(ctx, fx.otherAct, fx.tn.ID, store.UserViewer(fx.other.ID), mine[0], "restore"); !errors.Is(err, store.ErrUnreadable) {
			t.Fatalf("An's submission in the old copy: %v, want ErrUnreadable", err)
		}
		if _, err := cp.OpenSubmission(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), mine[1], "restore"); !errors.Is(err, store.ErrUnreadable) {
			t.Fatalf("An's kept submission in the old copy: %v, want ErrUnreadable", err)
		}
		other, err := cp.OpenSubmission(ctx, fx.otherAct, fx.tn.ID, store.UserViewer(fx.other.ID), theirs, "restore")
		if err != nil || !strings.Contains(string(other.Answers), "MARKER-theirs") {
			t.Fatalf("the other citizen's submission in the old copy: %v", err)
		}
	})
}

// TestClauseDSR1_PersonKeyPerPerson: a person's second submission reuses
// their key (found by the national number's index, else the address's),
// and a near-identical address gets a key of its own; switching the
// setting is recorded once per change.
func TestClauseDSR1_PersonKeyPerPerson(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, mine, theirs := personOnThreeForms(t, env, personKeysOn(t, env))
		rows := sealedRows(t, env, fx.tn.ID)
		if rows[mine[1]].personKey != rows[mine[2]].personKey {
			t.Fatal("two submissions under the same national number got different keys")
		}
		if rows[mine[0]].personKey == rows[mine[1]].personKey {
			t.Fatal("a submission by address only shares the national number's key")
		}
		if rows[theirs].personKey == rows[mine[0]].personKey {
			t.Fatal("a near-identical address got the same key")
		}
		if n := len(wrappedPersonKeys(t, env, fx.tn.ID)); n != 3 {
			t.Fatalf("%d person keys, want 3", n)
		}
		// A second intake by address reuses the first key (also after the
		// caches are cold: a fresh store on the same database).
		cold, err := store.Open(ctx, env.URL, store.Options{Keys: env.Keys, Now: env.Clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer cold.Close()
		id := submitWith(t, env, cold, fx, "vraag", anAddress, anAddress, "mine-again")
		if got := sealedRows(t, env, fx.tn.ID)[id].personKey; got != rows[mine[0]].personKey {
			t.Fatalf("second submission by address: key %d, want %d", got, rows[mine[0]].personKey)
		}
		if err := env.DB.SetPersonKeys(ctx, keysAdmin, fx.tn.ID, true); err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		env.DB.EachAuditEvent(ctx, fx.tn.ID, func(e *audit.Event) error {
			counts[e.Action]++
			return nil
		})
		if counts["person_keys.enable"] != 1 {
			t.Fatalf("person_keys.enable recorded %d times", counts["person_keys.enable"])
		}
	})
}

// TestClauseDSR1_PersonKeysOffLeavesSealingUnchanged: with the setting off
// (the default) every value is sealed with the tenant key as before, no
// person key is made; switching off after on seals new values with the
// tenant key while the person-sealed ones still open.
func TestClauseDSR1_PersonKeysOffLeavesSealingUnchanged(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, mine, _ := personOnThreeForms(t, env)
		if on, err := env.DB.PersonKeys(ctx, fx.tn.ID); err != nil || on {
			t.Fatalf("default setting: %v %v", on, err)
		}
		for id, r := range sealedRows(t, env, fx.tn.ID) {
			if r.personKey != 0 {
				t.Fatalf("submission %s names a person key with the setting off", id)
			}
			if _, err := env.Keys.Open(fx.tn.ID, seal.AD{Tenant: fx.tn.ID, Table: "submissions", Column: "data", Row: id}, r.data); err != nil {
				t.Fatalf("submission %s does not open with the tenant key: %v", id, err)
			}
		}
		if n := len(wrappedPersonKeys(t, env, fx.tn.ID)); n != 0 {
			t.Fatalf("%d person keys with the setting off", n)
		}
		if err := env.DB.SetPersonKeys(ctx, keysAdmin, fx.tn.ID, true); err != nil {
			t.Fatal(err)
		}
		on := submitWith(t, env, env.DB, fx, "vraag", anAddress, anAddress, "on")
		if err := env.DB.SetPersonKeys(ctx, keysAdmin, fx.tn.ID, false); err != nil {
			t.Fatal(err)
		}
		off := submitWith(t, env, env.DB, fx, "vraag", anAddress, anAddress, "off")
		rows := sealedRows(t, env, fx.tn.ID)
		if rows[on].personKey == 0 || rows[off].personKey != 0 {
			t.Fatalf("on: key %d, off: key %d", rows[on].personKey, rows[off].personKey)
		}
		for _, id := range []string{on, off, mine[0]} {
			if _, err := env.DB.OpenSubmission(ctx, fx.otherAct, fx.tn.ID, store.UserViewer(fx.other.ID), id, "test"); err != nil {
				t.Fatalf("submission %s: %v", id, err)
			}
		}
	})
}

// TestClauseDSR1_KeyDestroyedOnAnotherNodeIsNotReused: a node that cached a
// person's key before another node erased the person seals the person's
// next submission with a new key, not the destroyed one, and it opens.
func TestClauseDSR1_KeyDestroyedOnAnotherNodeIsNotReused(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, mine, _ := personOnThreeForms(t, env, personKeysOn(t, env))
		old := sealedRows(t, env, fx.tn.ID)[mine[0]].personKey
		other, err := store.Open(ctx, env.URL, store.Options{Keys: env.Keys, Now: env.Clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		r := fileRequest(t, env, fx.tn.ID, dsrClerk, dsr.Erasure, anPeeters)
		if err := other.DecideSubjectRequest(ctx, dsrDPO, fx.tn.ID, r.ID, true, "ok"); err != nil {
			t.Fatal(err)
		}
		if err := other.ExecuteSubjectRequest(ctx, dsrDPO, fx.tn.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		// env.DB still holds An's address key in its cache.
		id := submitWith(t, env, env.DB, fx, "vraag", anAddress, anAddress, "after-erasure")
		got := sealedRows(t, env, fx.tn.ID)[id].personKey
		if got == 0 || got == old {
			t.Fatalf("the submission after the erasure names key %d (destroyed: %d)", got, old)
		}
		d, err := env.DB.OpenSubmission(ctx, fx.otherAct, fx.tn.ID, store.UserViewer(fx.other.ID), id, "test")
		if err != nil || !strings.Contains(string(d.Answers), "MARKER-after-erasure") {
			t.Fatalf("the new submission does not open: %v", err)
		}
	})
}

// sealedBodies copies, as a backup holds them, the sealed bodies of a
// history or reply table: row id -> (submission id, sealed body).
func sealedBodies(t *testing.T, env *storetest.Env, table, tenantID string) map[string][2]string {
	t.Helper()
	rows, err := env.Raw(t).Query(`SELECT id, submission_id, body FROM `+table+` WHERE tenant_id = $1 AND body IS NOT NULL`, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][2]string{}
	for rows.Next() {
		var id, sub string
		var body []byte
		if err := rows.Scan(&id, &sub, &body); err != nil {
			t.Fatal(err)
		}
		out[id] = [2]string{sub, string(body)}
	}
	return out
}

// TestClauseDSR1_PerPersonKeyErasureReachesNotesAndReplies: with per-person
// keys on, the notes and the staff replies about a submission are sealed
// with the submission's person key, so copies of them taken before an
// erasure cannot be opened after it with the current keyring (nor with the
// tenant key), while the other citizen's open; the note of the submission
// the law keeps is re-sealed with the tenant key and still shows in its
// history.
func TestClauseDSR1_PerPersonKeyErasureReachesNotesAndReplies(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, mine, theirs := personOnThreeForms(t, env, personKeysOn(t, env))
		for _, id := range []string{mine[0], theirs} {
			if err := env.DB.ReplyToSubmission(ctx, fx.otherAct, fx.tn.ID, store.UserViewer(fx.other.ID), id, "MARKER-REPLY "+id,
				testCitizenMail("reply")); err != nil {
				t.Fatal(err)
			}
		}
		if err := env.DB.ChangeSubmission(ctx, fx.otherAct, fx.tn.ID, store.UserViewer(fx.other.ID), mine[0],
			store.SubmissionChange{Note: "MARKER-NOTE-mine-vraag"}); err != nil {
			t.Fatal(err)
		}
		subs := sealedRows(t, env, fx.tn.ID)
		keysBefore := wrappedPersonKeys(t, env, fx.tn.ID)
		copies := map[string]map[string][2]string{}
		for _, table := range []string{"submission_events", "submission_replies"} {
			copies[table] = sealedBodies(t, env, table, fx.tn.ID)
			if len(copies[table]) < 2 {
				t.Fatalf("%s: %d sealed bodies, want at least 2", table, len(copies[table]))
			}
			for id, c := range copies[table] {
				if got, ok := seal.PersonKeyIDOf([]byte(c[1])); !ok || int64(got) != subs[c[0]].personKey {
					t.Fatalf("%s %s is not sealed with its submission's person key", table, id)
				}
			}
		}

		erase(t, env, fx.tn.ID, anPeeters)

		for table, rows := range copies {
			for id, c := range rows {
				ad := seal.AD{Tenant: fx.tn.ID, Table: table, Column: "body", Row: id}
				key := subs[c[0]].personKey
				pk, err := env.Keys.OpenPersonKey(fx.tn.ID, uint64(key), keysBefore[key])
				if c[0] != theirs {
					if !errors.Is(err, seal.ErrPersonKeyDestroyed) {
						t.Fatalf("%s %s of An: the copied person key still unwraps (%v)", table, id, err)
					}
					if _, err := env.Keys.Open(fx.tn.ID, ad, []byte(c[1])); err == nil {
						t.Fatalf("%s %s of An opens with the tenant key", table, id)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if plain, err := pk.Open(ad, []byte(c[1])); err != nil || !strings.Contains(string(plain), "MARKER-") {
					t.Fatalf("%s %s of the other citizen: %q %v", table, id, plain, err)
				}
			}
		}
		// The allowance, kept by law: its note was re-sealed and shows.
		d, err := env.DB.OpenSubmission(ctx, fx.actor, fx.tn.ID, store.UserViewer(fx.clerk.ID), mine[1], "test")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range d.History {
			found = found || (e.Body == "MARKER-NOTE-mine" && !e.Unreadable)
		}
		if !found {
			t.Fatalf("the kept submission's note does not open after the erasure: %+v", d.History)
		}
		for id, c := range sealedBodies(t, env, "submission_events", fx.tn.ID) {
			if _, ok := seal.PersonKeyIDOf([]byte(c[1])); ok && c[0] != theirs {
				t.Fatalf("history entry %s of An still names a destroyed key", id)
			}
		}
	})
}
