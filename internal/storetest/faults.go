package storetest

import (
	"context"
	"database/sql"
	"testing"

	"github.com/kluis/kluis/internal/store"
)

// RefuseAuditInserts installs a trigger that makes the database itself
// refuse every new audit event with "audit store down", and returns a
// function that removes it again. It is a real refusal, not a mock: the
// store sees the same error a full or broken audit table would give, which
// is how tests show that an operation fails when its audit event cannot be
// written (AUD-1).
func RefuseAuditInserts(t testing.TB, env *Env) (restore func()) {
	t.Helper()
	raw := env.Raw(t)
	install := []string{`CREATE TRIGGER audit_refuse BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit store down'); END`}
	remove := []string{`DROP TRIGGER audit_refuse`}
	if env.Dialect == store.Postgres {
		install = []string{
			`CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit store down'; END; $$`,
			`CREATE TRIGGER audit_refuse BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_refuse()`,
		}
		remove = []string{`DROP TRIGGER audit_refuse ON audit_events`, `DROP FUNCTION audit_refuse()`}
	}
	for _, q := range install {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		t.Helper()
		for _, q := range remove {
			if _, err := raw.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TakeAway makes the database unavailable to the running store,
// for real: on PostgreSQL the database stops accepting connections and
// every backend serving it is ended with pg_terminate_backend (what a
// failover or a restarted server does to a live pool); on SQLite another
// process holds the write lock (BEGIN EXCLUSIVE), so writes wait out the
// busy timeout and fail. It returns the function that brings it back.
func (env *Env) TakeAway(t testing.TB) (back func()) {
	t.Helper()
	if env.Dialect == store.SQLite {
		raw := env.Raw(t)
		conn, err := raw.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(context.Background(), `BEGIN EXCLUSIVE`); err != nil {
			t.Fatal(err)
		}
		return func() {
			conn.ExecContext(context.Background(), `ROLLBACK`)
			conn.Close()
		}
	}
	admin, err := sql.Open("pgx", PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var name string
	if err := env.Raw(t).QueryRow(`SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS false`,
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '` + name + `' AND pid <> pg_backend_pid()`} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		if _, err := admin.Exec(`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS true`); err != nil {
			t.Fatal(err)
		}
	}
}
