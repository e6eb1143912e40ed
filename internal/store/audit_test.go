package store_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// dropAppendOnly removes the database's own guard, as an attacker with
// database access could, so that the chain is the last line of defence.
func dropAppendOnly(t *testing.T, env *storetest.Env, raw *sql.DB) {
	t.Helper()
	q := []string{`ALTER TABLE audit_events DISABLE TRIGGER USER`}
	if env.Dialect == store.SQLite {
		q = []string{`DROP TRIGGER IF EXISTS audit_events_no_update`, `DROP TRIGGER IF EXISTS audit_events_no_delete`}
	}
	for _, s := range q {
		if _, err := raw.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditLogIsAppendOnlyInTheDatabase(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		raw := env.Raw(t)
		if _, err := raw.Exec(`UPDATE audit_events SET actor_id = 'someone-else' WHERE tenant_id = $1`, tn.ID); err == nil {
			t.Fatal("update of an audit event was allowed")
		}
		if _, err := raw.Exec(`DELETE FROM audit_events WHERE tenant_id = $1`, tn.ID); err == nil {
			t.Fatal("delete of an audit event was allowed")
		}
	})
}

func TestClauseAUD1_VerifyNamesFirstBadEvent(t *testing.T) {
	tamper := []struct {
		name    string
		sql     []string
		wantSeq int64
		reason  string
	}{
		{"untouched", nil, 0, ""},
		{"edited field", []string{`UPDATE audit_events SET actor_id = 'u-innocent' WHERE tenant_id = $1 AND seq = 4`}, 4, "edited"},
		{"deleted event", []string{`DELETE FROM audit_events WHERE tenant_id = $1 AND seq = 3`}, 3, "missing"},
		{"swapped pair", []string{
			`UPDATE audit_events SET seq = -5 WHERE tenant_id = $1 AND seq = 5`,
			`UPDATE audit_events SET seq = 5 WHERE tenant_id = $1 AND seq = 6`,
			`UPDATE audit_events SET seq = 6 WHERE tenant_id = $1 AND seq = -5`,
		}, 5, "previous-hash"},
		{"truncated tail", []string{`DELETE FROM audit_events WHERE tenant_id = $1 AND seq >= 7`}, 7, "truncated"},
	}
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		for _, tt := range tamper {
			t.Run(tt.name, func(t *testing.T) {
				tn := newTenant(t, env, strings.ReplaceAll(tt.name, " ", "-"))
				other := newTenant(t, env, strings.ReplaceAll(tt.name, " ", "-")+"-b")
				for i := 0; i < 8; i++ {
					for _, id := range []string{tn.ID, other.ID} {
						if _, err := env.DB.CreateSubmission(ctx, clerk("u1"), id, store.NewSubmission{FormKey: "f", Data: []byte("x")}); err != nil {
							t.Fatal(err)
						}
					}
				}
				raw := env.Raw(t)
				if tt.sql != nil {
					dropAppendOnly(t, env, raw)
					for _, q := range tt.sql {
						if _, err := raw.Exec(q, tn.ID); err != nil {
							t.Fatalf("%s: %v", q, err)
						}
					}
				}
				n, err := env.DB.VerifyAudit(ctx, tn.ID)
				if tt.wantSeq == 0 {
					if err != nil || n != 9 {
						t.Fatalf("untouched log: n=%d err=%v", n, err)
					}
				} else {
					var broken *audit.BrokenError
					if !errors.As(err, &broken) {
						t.Fatalf("want BrokenError, got %v", err)
					}
					if broken.Seq != tt.wantSeq || !strings.Contains(broken.Reason, tt.reason) {
						t.Fatalf("got event %d (%s), want %d (%s)", broken.Seq, broken.Reason, tt.wantSeq, tt.reason)
					}
				}
				// The other tenant's chain is untouched either way.
				if _, err := env.DB.VerifyAudit(ctx, other.ID); err != nil {
					t.Fatalf("other tenant: %v", err)
				}
				if _, err := raw.Exec(`ALTER TABLE audit_events ENABLE TRIGGER USER`); err != nil && env.Dialect == store.Postgres {
					t.Fatal(err)
				}
			})
		}
	})
}

// Two processes append to one SQLite file (serve and a CLI command): the
// writer's cached head goes stale and must be re-read, never forked.
func TestAuditChainWithTwoProcessesOnOneSQLiteFile(t *testing.T) {
	env := storetest.SQLite(t)
	tn := newTenant(t, env, "gent")
	other, err := store.Open(ctx, env.URL, store.Options{Keys: env.Keys, Now: env.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for i := 0; i < 10; i++ {
		db := env.DB
		if i%3 == 0 {
			db = other
		}
		if _, err := db.CreateSubmission(ctx, clerk("u"), tn.ID, store.NewSubmission{FormKey: "f", Data: []byte("x")}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	n, err := env.DB.VerifyAudit(ctx, tn.ID)
	if err != nil || n != 11 {
		t.Fatalf("verified %d: %v", n, err)
	}
}
