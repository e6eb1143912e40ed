package store_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseSEC1_EveryPersonalColumnIsKnownToRetention reads the schema of
// the migrated database and fails when a column that can hold sealed data
// (every BLOB/BYTEA column: that is where sealed values live) or that has a
// personal name is neither in the retention inventory nor listed as not
// personal with a reason; and when the inventory names a column that does
// not exist, so that it cannot rot.
func TestClauseSEC1_EveryPersonalColumnIsKnownToRetention(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		q := `SELECT m.name, p.name, p.type FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'`
		if env.Dialect == store.Postgres {
			q = `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'`
		}
		rows, err := env.Raw(t).Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		exists := map[string]bool{}
		var suspects []string
		for rows.Next() {
			var table, column, typ string
			if err := rows.Scan(&table, &column, &typ); err != nil {
				t.Fatal(err)
			}
			col := table + "." + column
			exists[col] = true
			typ = strings.ToLower(typ)
			if typ == "blob" || typ == "bytea" || slices.Contains(store.PersonalColumnNames, column) {
				suspects = append(suspects, col)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		known := map[string]bool{}
		for _, e := range store.RetentionInventory {
			if e.Rule == "" {
				t.Errorf("inventory entry %s has no rule", e.Table)
			}
			for _, c := range e.Columns {
				known[e.Table+"."+c] = true
				if !exists[e.Table+"."+c] {
					t.Errorf("the retention inventory names %s.%s, which the schema does not have", e.Table, c)
				}
			}
		}
		for c := range store.NotPersonalColumns {
			if !exists[c] {
				t.Errorf("NotPersonalColumns names %s, which the schema does not have", c)
			}
		}
		if len(suspects) < 20 {
			t.Fatalf("the schema scan found only %d byte or personal columns: it does not see the schema", len(suspects))
		}
		for _, c := range suspects {
			if !known[c] && store.NotPersonalColumns[c] == "" {
				t.Errorf("column %s may hold personal data but is not known to the retention engine: "+
					"add it to store.RetentionInventory (how it expires) or to store.NotPersonalColumns (why it is not personal)", c)
			}
		}
	})
}
