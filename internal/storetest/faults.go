package storetest

import (
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
