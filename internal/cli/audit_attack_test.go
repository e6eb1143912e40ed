package cli

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// The three rewrites of the log that an operator with database access can
// make without any key, on a copy of the database with the append-only
// triggers dropped. Each passes the hash-chain check `kluis audit verify
// --tenant` (that is the weakness), and each fails the offline
// verification of a later export against the checkpoint the controller
// kept before, naming that checkpoint (ADT-1, AUD-3).
func TestClauseADT1_RawSQLAttacksFailAgainstKeptCheckpoint(t *testing.T) {
	attacks := []struct {
		name  string
		check string // what the kept checkpoint no longer holds
		run   func(t *testing.T, raw *sql.DB, dialect store.Dialect, tenantID string, events []audit.Event)
	}{
		{"delete the last events and move the head", "truncated", func(t *testing.T, raw *sql.DB, _ store.Dialect, id string, events []audit.Event) {
			keep := events[len(events)-4]
			mustExec(t, raw, `DELETE FROM audit_events WHERE tenant_id = $1 AND seq > $2`, id, keep.Seq)
			mustExec(t, raw, `UPDATE audit_heads SET seq = $1, hash = $2 WHERE tenant_id = $3`, keep.Seq, keep.Hash, id)
		}},
		{"delete everything and reset the head to the genesis", "truncated", func(t *testing.T, raw *sql.DB, _ store.Dialect, id string, _ []audit.Event) {
			mustExec(t, raw, `DELETE FROM audit_events WHERE tenant_id = $1`, id)
			mustExec(t, raw, `UPDATE audit_heads SET seq = 0, hash = $1 WHERE tenant_id = $2`, audit.Genesis(id), id)
		}},
		{"change a failed login into a success, delete another event, renumber and rehash", "root", func(t *testing.T, raw *sql.DB, _ store.Dialect, id string, events []audit.Event) {
			var rewritten []audit.Event
			for _, e := range events {
				switch {
				case e.Action == "login.failure" && e.Seq == 2:
					e.Action, e.Outcome = "login.success", audit.OutcomeSuccess
				case e.Seq == 3:
					continue // gone
				}
				rewritten = append(rewritten, e)
			}
			prev := audit.Genesis(id)
			mustExec(t, raw, `DELETE FROM audit_events WHERE tenant_id = $1`, id)
			for i := range rewritten {
				e := &rewritten[i]
				e.Seq, e.PrevHash = int64(i+1), prev
				e.Hash = e.ComputeHash()
				prev = e.Hash
				mustExec(t, raw, `INSERT INTO audit_events (tenant_id, seq, at, actor_kind, actor_id, actor_role, on_behalf_of,
					request_id, action, object_type, object_id, subject, purpose, outcome, prev_hash, hash)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
					id, e.Seq, e.Time.UnixMicro(), string(e.Actor.Kind), e.Actor.ID, e.Actor.Role, e.Actor.OnBehalfOf,
					e.Actor.RequestID, e.Action, e.ObjectType, e.ObjectID, e.Subject, e.Purpose, e.Outcome, e.PrevHash, e.Hash)
			}
			mustExec(t, raw, `UPDATE audit_heads SET seq = $1, hash = $2 WHERE tenant_id = $3`, len(rewritten), prev, id)
		}},
	}
	for _, dialect := range []store.Dialect{store.SQLite, store.Postgres} {
		for _, attack := range attacks {
			t.Run(string(dialect)+"/"+attack.name, func(t *testing.T) {
				s := newSandbox(t)
				if dialect == store.Postgres {
					s.env["KLUIS_DATABASE_URL"] = storetest.NewPostgresDatabase(t)
				}
				s.setup()
				ctx := context.Background()
				cfg, _, err := load(&Env{Getenv: func(k string) string { return s.env[k] }}, flags(&Env{Stderr: os.Stderr}, "test"), nil)
				if err != nil {
					t.Fatal(err)
				}
				db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				gent, err := db.Tenant(ctx, "gent")
				if err != nil {
					t.Fatal(err)
				}
				// Event 2 is a failed login; then key rotations (platform
				// commands that need no grant, one event each).
				user := audit.Actor{Kind: audit.KindUser, ID: "u-1", Role: "admin"}
				if err := db.Audit(ctx, audit.Event{TenantID: gent.ID, Actor: user, Action: "login.failure",
					ObjectType: "user", ObjectID: "u-1", Outcome: audit.OutcomeFailure}); err != nil {
					t.Fatal(err)
				}
				for range 4 {
					s.ok("keys", "rotate", "--tenant", "gent")
				}
				// The controller keeps a checkpoint of these 6 events and of
				// its own signing, event 7, and the verification key.
				kept := filepath.Join(s.dir, "kept.note")
				s.ok("audit", "checkpoint", "--tenant", "gent", "--out", kept)
				vkey := strings.SplitN(s.ok("audit", "key"), "\n", 2)[0]
				var events []audit.Event
				if err := db.EachAuditEvent(ctx, gent.ID, func(e *audit.Event) error {
					events = append(events, *e)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if len(events) != 7 || events[1].Action != "login.failure" {
					t.Fatalf("%d events before the attack, event 2 %q", len(events), events[1].Action)
				}

				// Online, the live log holds against the kept checkpoint.
				if out := s.ok("audit", "verify", "--tenant", "gent", "--checkpoint", kept, "--key", vkey); !strings.Contains(out, "gent: intact: 7 events, 1 checkpoints hold") {
					t.Fatalf("live verify before the attack: %s", out)
				}

				raw := rawDB(t, dialect, cfg.DatabaseURL)
				if dialect == store.SQLite {
					mustExec(t, raw, `DROP TRIGGER audit_events_no_update`)
					mustExec(t, raw, `DROP TRIGGER audit_events_no_delete`)
				} else {
					mustExec(t, raw, `DROP TRIGGER audit_events_no_update ON audit_events`)
				}
				attack.run(t, raw, dialect, gent.ID, events)

				// The hash chain alone does not see it.
				if out := s.ok("audit", "verify", "--tenant", "gent"); !strings.Contains(out, "chain intact") {
					t.Fatalf("verify --tenant after the attack: %s", out)
				}
				// The platform goes on after the attack: the log grows.
				for range 2 {
					if err := db.Audit(ctx, audit.Event{TenantID: gent.ID, Actor: user, Action: "login.success",
						ObjectType: "user", ObjectID: "u-1"}); err != nil {
						t.Fatal(err)
					}
				}
				// The kept checkpoint sees it.
				// The export as the controller takes it (AUD-2), without the
				// supplier's grant and so without events of its own.
				export := filepath.Join(s.dir, "after.jsonl")
				exportLog(t, db, gent.ID, export)
				code, out, errs := s.run(ctx, "audit", "verify", "--export", export, "--checkpoint", kept, "--key", vkey)
				want := "checkpoint " + kept + " (" + strings.SplitN(vkey, "+", 2)[0] + "/" + gent.ID + ", size 7) no longer holds: " + attack.check
				if code != 1 || !strings.Contains(errs, want) {
					t.Fatalf("offline verify: exit %d, want 1 with %q\n%s%s", code, want, out, errs)
				}
				// And so does the same check on the live log.
				code, out, errs = s.run(ctx, "audit", "verify", "--tenant", "gent", "--checkpoint", kept, "--key", vkey)
				if code != 1 || !strings.Contains(errs, want) {
					t.Fatalf("live verify: exit %d, want 1 with %q\n%s%s", code, want, out, errs)
				}
			})
		}
	}
}

// exportLog writes tenantID's log to path in the export format, as the
// store holds it now, adding no event.
func exportLog(t *testing.T, db *store.DB, tenantID, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := auditproof.NewExportWriter(f, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.EachAuditEvent(context.Background(), tenantID, w.Write); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

func rawDB(t *testing.T, dialect store.Dialect, url string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", url
	if dialect == store.SQLite {
		driver, dsn = "sqlite", "file:"+store.SQLitePath(url)
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
