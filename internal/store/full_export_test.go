package store_test

import (
	"errors"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseEND3_FullExportRecordFailsClosed: a full export asked for from
// the web is recorded with its job and its audit event in one transaction;
// an empty reason writes nothing; only the asker gets the data key (a
// colleague's and another tenant's attempts are audited as denied and get
// ErrNotFound); deleting shreds the key, so that not even the asker gets
// it after; the sweep finds what is left after 24 hours.
func TestClauseEND3_FullExportRecordFailsClosed(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		other := newTenant(t, env, "brugge")
		admin := activeUser(t, env, tn, "admin@gent.be", account.RoleAdmin, fastHasher())
		colleague := activeUser(t, env, tn, "colleague@gent.be", account.RoleAdmin, fastHasher())
		as := func(u account.User) audit.Actor { return audit.Actor{Kind: audit.KindUser, ID: u.ID} }
		count := func(q string) int {
			var n int
			if err := env.Raw(t).QueryRow(q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		var inv *store.ExportInvalidError
		if _, err := env.DB.CreateFullExport(ctx, as(admin), tn.ID, admin.ID, "  ", ""); !errors.As(err, &inv) || inv.Field != "reason" {
			t.Fatalf("empty reason: %v", err)
		}
		if n := count(`SELECT count(*) FROM full_exports`) + count(`SELECT count(*) FROM jobs WHERE kind = 'tenant.export'`); n != 0 {
			t.Fatalf("%d rows written for a refused request", n)
		}
		e, err := env.DB.CreateFullExport(ctx, as(admin), tn.ID, admin.ID, "einde contract", "")
		if err != nil {
			t.Fatal(err)
		}
		if count(`SELECT count(*) FROM jobs WHERE kind = 'tenant.export'`) != 1 {
			t.Fatal("no job queued")
		}
		if _, err := env.DB.CreateFullExport(ctx, as(colleague), tn.ID, colleague.ID, "ook", ""); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("a second while the first waits: %v", err)
		}
		if count(`SELECT count(*) FROM full_exports`) != 1 {
			t.Fatal("a second export written while the first waits")
		}
		got, key, err := env.DB.FullExportJob(ctx, tn.ID, e.ID)
		if err != nil || len(key) != 32 || got.Status != store.ExportRunning {
			t.Fatalf("job: %+v %v", got, err)
		}
		if _, _, err := env.DB.FullExportJob(ctx, tn.ID, e.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a second run: %v", err)
		}
		counts := []store.EntityCount{{Entity: "submissions", Rows: 3}, {Entity: "users", Rows: 2}}
		if err := env.DB.FinishFullExport(ctx, audit.System("test"), tn.ID, e.ID, 1234, counts, nil); err != nil {
			t.Fatal(err)
		}
		list, err := env.DB.FullExports(ctx, tn.ID)
		if err != nil || len(list) != 1 || list[0].Rows() != 5 || list[0].Size != 1234 || list[0].Status != store.ExportReady {
			t.Fatalf("list: %+v %v", list, err)
		}
		if l, _ := env.DB.FullExports(ctx, other.ID); len(l) != 0 {
			t.Fatal("another tenant lists the export")
		}
		if _, _, err := env.DB.DownloadFullExport(ctx, as(colleague), tn.ID, colleague.ID, e.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("colleague's download: %v", err)
		}
		if _, _, err := env.DB.DownloadFullExport(ctx, as(admin), other.ID, admin.ID, e.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant's download: %v", err)
		}
		if _, k, err := env.DB.DownloadFullExport(ctx, as(admin), tn.ID, admin.ID, e.ID); err != nil || string(k) != string(key) {
			t.Fatalf("asker's download: %v", err)
		}
		denied, ok := 0, 0
		if err := env.DB.EachAuditEvent(ctx, tn.ID, func(ev *audit.Event) error {
			if ev.Action == "fullexport.download" {
				if ev.Outcome == audit.OutcomeDenied {
					denied++
				} else {
					ok++
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if denied != 1 || ok != 1 {
			t.Fatalf("downloads audited: %d denied, %d ok", denied, ok)
		}
		if err := env.DB.DeleteFullExport(ctx, as(colleague), tn.ID, e.ID); err != nil {
			t.Fatal(err)
		}
		if count(`SELECT count(*) FROM full_exports WHERE length(data_key) > 0`) != 0 {
			t.Fatal("the data key is left after delete")
		}
		if _, _, err := env.DB.DownloadFullExport(ctx, as(admin), tn.ID, admin.ID, e.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("download after delete: %v", err)
		}
		if err := env.DB.DeleteFullExport(ctx, as(admin), tn.ID, e.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}

		// The sweep finds a failed one after 24 hours.
		f, err := env.DB.CreateFullExport(ctx, as(admin), tn.ID, admin.ID, "nog eens", "")
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.FinishFullExport(ctx, audit.System("test"), tn.ID, f.ID, 0, nil, errors.New("boom")); err != nil {
			t.Fatal(err)
		}
		if l, _ := env.DB.ExpiredFullExports(ctx); len(l) != 0 {
			t.Fatal("expired too early")
		}
		env.Clock.Advance(store.ExportTTL)
		if l, _ := env.DB.ExpiredFullExports(ctx); len(l) != 1 || l[0].ID != f.ID {
			t.Fatalf("expired: %+v", l)
		}
		if err := env.DB.ExpireFullExport(ctx, audit.System("sweep"), tn.ID, f.ID); err != nil {
			t.Fatal(err)
		}
	})
}
