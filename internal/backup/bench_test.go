package backup

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// BenchmarkBackupRestore measures kluis backup and kluis restore of a
// tenant with KLUIS_BENCH_SUBMISSIONS sealed 1 KiB submissions (default
// 20,000; each also writes its audit event): the time of each and the
// database size per second. Run on SQLite with
// go test ./internal/backup -run '^$' -bench BackupRestore -benchtime 3x,
// on both with scripts/test.sh. KLUIS_BENCH_BULK_SUBMISSIONS seeds a large
// tenant instead (storetest.SeedBulk), for a million.
func BenchmarkBackupRestore(b *testing.B) {
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("KLUIS_BENCH_SUBMISSIONS")); err == nil && v > 0 {
		n = v
	}
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: "bench", LegalName: "Bench", EnterpriseNumber: "0207451227",
			DPOName: "D", DPOEmail: "d@bench.be"})
		if err != nil {
			b.Fatal(err)
		}
		if bulk, err := strconv.Atoi(os.Getenv("KLUIS_BENCH_BULK_SUBMISSIONS")); err == nil && bulk > 0 {
			// A large tenant straight into the tables (no audit event per
			// submission), with KLUIS_BENCH_BULK_ATTACHMENT_BYTES of files.
			files, _ := strconv.ParseInt(os.Getenv("KLUIS_BENCH_BULK_ATTACHMENT_BYTES"), 10, 64)
			t0 := time.Now()
			storetest.SeedBulk(b, env, storetest.BulkSeed{TenantID: tn.ID, Submissions: bulk, AttachmentBytes: files})
			fmt.Fprintf(os.Stderr, "%s: seeded %d submissions and %d MB of files in %.1f s\n", env.Dialect, bulk, files/1e6, time.Since(t0).Seconds())
			n = 0
		}
		payload := bytes.Repeat([]byte("x"), 1024)
		clerk := audit.Actor{Kind: audit.KindUser, ID: "u1", Role: "user", RequestID: "bench"}
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for w := 0; w < 16; w++ {
			wg.Go(func() {
				for i := w; i < n; i += 16 {
					if _, err := env.DB.CreateSubmission(ctx, clerk, tn.ID, store.NewSubmission{FormKey: "f", Subject: "85073100343", Data: payload}); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
		id, _ := age.GenerateX25519Identity()
		var backupTime, restoreTime time.Duration
		var size int64
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			st, _ := objstore.Dir(filepath.Join(b.TempDir(), "target"))
			start := time.Now()
			m, err := Make(ctx, Options{DB: env.DB, DatabaseURL: env.URL, Keys: env.Keys, Stores: []objstore.Store{st},
				Recipients: []string{id.Recipient().String()}, TempDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			backupTime += time.Since(start)
			size = m.Objects[0].Size
			dir := b.TempDir()
			o := RestoreOptions{Store: st, ID: m.ID, Identities: []age.Identity{id}, Master: env.Master,
				KeysDir: filepath.Join(dir, "keys"), DataDir: filepath.Join(dir, "data"), TempDir: b.TempDir()}
			if env.Dialect == store.Postgres {
				b.StopTimer()
				o.DatabaseURL = storetest.NewPostgresDatabase(b)
				b.StartTimer()
			}
			start = time.Now()
			if _, err := Restore(ctx, o); err != nil {
				b.Fatal(err)
			}
			restoreTime += time.Since(start)
		}
		mb := float64(size) / (1 << 20)
		b.ReportMetric(backupTime.Seconds()/float64(b.N), "backup-s")
		b.ReportMetric(restoreTime.Seconds()/float64(b.N), "restore-s")
		b.ReportMetric(mb, "MB-encrypted")
		b.ReportMetric(mb/(backupTime.Seconds()/float64(b.N)), "backup-MB/s")
		fmt.Fprintf(os.Stderr, "%s: backup %.1f s, restore %.1f s, %.1f MB encrypted\n", env.Dialect,
			backupTime.Seconds()/float64(b.N), restoreTime.Seconds()/float64(b.N), mb)
	})
}
