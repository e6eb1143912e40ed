package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

var ctx = context.Background()

var operator = audit.Actor{Kind: audit.KindOperator, ID: "op-test", Role: "operator", RequestID: "req-test-1"}

func clerk(id string) audit.Actor {
	return audit.Actor{Kind: audit.KindUser, ID: id, Role: "user", RequestID: "req-" + id}
}

func newTenant(t *testing.T, env *storetest.Env, slug string) tenant.Tenant {
	t.Helper()
	tn, err := env.DB.CreateTenant(ctx, operator, tenant.New{
		Slug: slug, LegalName: "Gemeente " + slug, EnterpriseNumber: "0207.451.227",
		DPOName: "DPO " + slug, DPOEmail: "dpo@" + slug + ".example", DefaultLang: "nl",
	})
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	return tn
}

func TestClauseSEC2_MarkersNeverStoredInPlaintext(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		markers := []string{"MARKER-NAAM-7f3a9c", "marker-mail-7f3a9c@example.be", "MARKER-INSZ-85073100343", "MARKER-DPO-7f3a9c"}
		tn, err := env.DB.CreateTenant(ctx, operator, tenant.New{
			Slug: "scan", LegalName: "Gemeente Scan", EnterpriseNumber: "0207451227",
			DPOName: markers[3], DPOEmail: "dpo@scan.example",
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20; i++ {
			data := fmt.Sprintf(`{"naam":%q,"email":%q,"insz":%q}`, markers[0], markers[1], markers[2])
			if _, err := env.DB.CreateSubmission(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anon"}, tn.ID,
				store.NewSubmission{FormKey: "melding", Subject: markers[2], Data: []byte(data)}); err != nil {
				t.Fatal(err)
			}
		}
		// The markers are readable through the audited path …
		contact, err := env.DB.TenantContact(ctx, operator, tn.ID, "test")
		if err != nil || contact.DPOName != markers[3] {
			t.Fatalf("contact: %v %q", err, contact.DPOName)
		}
		// … and nowhere in what the database holds.
		// The legal name is not personal data and is stored as is: the
		// control value that proves the scan can see plaintext at all.
		found := storetest.FindPlaintext(t, env, "Gemeente Scan", markers...)
		if len(found) > 0 {
			t.Fatalf("plaintext personal data at rest: %v", found)
		}
	})
}

func TestClauseEND4_DestroyedKeysShredOnlyThatTenant(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		a, b := newTenant(t, env, "a"), newTenant(t, env, "b")
		sa, err := env.DB.CreateSubmission(ctx, clerk("u1"), a.ID, store.NewSubmission{FormKey: "f", Data: []byte("secret A")})
		if err != nil {
			t.Fatal(err)
		}
		sb, err := env.DB.CreateSubmission(ctx, clerk("u1"), b.ID, store.NewSubmission{FormKey: "f", Data: []byte("secret B")})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Keys.DestroyTenant(a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.Submission(ctx, clerk("u1"), a.ID, sa.ID, "test"); !errors.Is(err, store.ErrUnreadable) {
			t.Fatalf("tenant A after shredding: want ErrUnreadable, got %v", err)
		}
		if _, err := env.DB.TenantContact(ctx, operator, a.ID, "test"); !errors.Is(err, store.ErrUnreadable) {
			t.Fatalf("tenant A contact after shredding: want ErrUnreadable, got %v", err)
		}
		got, err := env.DB.Submission(ctx, clerk("u1"), b.ID, sb.ID, "test")
		if err != nil || string(got.Data) != "secret B" {
			t.Fatalf("tenant B: %v %q", err, got.Data)
		}
	})
}

func TestClauseAUD1_ReadAndWriteAreAudited(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		s, err := env.DB.CreateSubmission(ctx, clerk("u7"), tn.ID, store.NewSubmission{FormKey: "melding", Subject: "85073100343", Data: []byte("x")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.Submission(ctx, clerk("u8"), tn.ID, s.ID, "behandeling"); err != nil {
			t.Fatal(err)
		}
		var events []audit.Event
		env.DB.EachAuditEvent(ctx, tn.ID, func(e *audit.Event) error { events = append(events, *e); return nil })
		var actions []string
		for _, e := range events {
			actions = append(actions, e.Action)
		}
		if got := strings.Join(actions, ","); got != "tenant.create,submission.create,submission.read" {
			t.Fatalf("actions: %s", got)
		}
		read := events[2]
		if read.Actor.ID != "u8" || read.Purpose != "behandeling" || read.ObjectID != s.ID || read.Actor.RequestID != "req-u8" {
			t.Fatalf("read event: %+v", read)
		}
		if read.Subject == "" || read.Subject != events[1].Subject || strings.Contains(read.Subject, "85073100343") {
			t.Fatalf("subject pseudonym: %q vs %q", read.Subject, events[1].Subject)
		}
	})
}

func TestTenantIsolation_OtherTenantsSubmissionIsNotFound(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		a, b := newTenant(t, env, "a"), newTenant(t, env, "b")
		sa, err := env.DB.CreateSubmission(ctx, clerk("u1"), a.ID, store.NewSubmission{FormKey: "f", Data: []byte("A")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.Submission(ctx, clerk("u2"), b.ID, sa.ID, "test"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("want ErrNotFound, got %v", err)
		}
		// The refused attempt is in B's log, and A's log does not mention it.
		var last audit.Event
		env.DB.EachAuditEvent(ctx, b.ID, func(e *audit.Event) error { last = *e; return nil })
		if last.Action != "submission.read" || last.Outcome != audit.OutcomeFailure {
			t.Fatalf("B's last event: %+v", last)
		}
	})
}

func TestASVS_16_5_3_ClauseAUD1_AuditFailureLeavesNoPersonalData(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		raw := env.Raw(t)
		// A real database refusal, not a mock.
		storetest.RefuseAuditInserts(t, env)
		_, err := env.DB.CreateSubmission(ctx, clerk("u1"), tn.ID, store.NewSubmission{FormKey: "f", Data: []byte("x")})
		if err == nil || !strings.Contains(err.Error(), "audit") {
			t.Fatalf("want an audit error, got %v", err)
		}
		var n int
		if err := raw.QueryRow(`SELECT count(*) FROM submissions`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("submissions left behind: %d (%v)", n, err)
		}
		var seq int64
		raw.QueryRow(`SELECT seq FROM audit_heads WHERE tenant_id = $1`, tn.ID).Scan(&seq)
		if seq != 1 {
			t.Fatalf("audit head moved to %d", seq)
		}
	})
}

func TestGroupCommit_FailingWriteDoesNotUndoOthers(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		var wg sync.WaitGroup
		errs := make([]error, 40)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				target := tn.ID
				if i%4 == 0 {
					target = "no-such-tenant"
				}
				_, errs[i] = env.DB.CreateSubmission(ctx, clerk("u"), target, store.NewSubmission{FormKey: "f", Data: []byte("x")})
			}(i)
		}
		wg.Wait()
		for i, err := range errs {
			if (i%4 == 0) != (err != nil) {
				t.Fatalf("request %d: err=%v", i, err)
			}
		}
		var n int
		env.Raw(t).QueryRow(`SELECT count(*) FROM submissions`).Scan(&n)
		if n != 30 {
			t.Fatalf("want 30 submissions, got %d", n)
		}
		if _, err := env.DB.VerifyAudit(ctx, tn.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestClauseAUD1_ChainLinearUnderConcurrentWriters(t *testing.T) {
	const writers, each = 32, 500
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		var wg sync.WaitGroup
		errc := make(chan error, writers)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					if _, err := env.DB.CreateSubmission(ctx, clerk(fmt.Sprint("u", w)), tn.ID,
						store.NewSubmission{FormKey: "f", Data: []byte("payload")}); err != nil {
						errc <- err
						return
					}
				}
			}(w)
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		n, err := env.DB.VerifyAudit(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(writers*each + 1); n != want {
			t.Fatalf("verified %d events, want %d", n, want)
		}
	})
}

func TestTenantCreate_BadInputAndConflictLeaveNothing(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		newTenant(t, env, "gent")
		_, err := env.DB.CreateTenant(ctx, operator, tenant.New{Slug: "gent", LegalName: "Dubbel", EnterpriseNumber: "0207451227", DPOName: "x", DPOEmail: "x@y.be"})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate slug: %v", err)
		}
		_, err = env.DB.CreateTenant(ctx, operator, tenant.New{Slug: "x", EnterpriseNumber: "1"})
		var ve *tenant.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("bad input: %v", err)
		}
		ts, err := env.DB.Tenants(ctx)
		if err != nil || len(ts) != 1 {
			t.Fatalf("tenants: %d %v", len(ts), err)
		}
	})
}

func TestTenantSuspendBlocksIntake(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		if err := env.DB.SetTenantStatus(ctx, operator, tn.ID, tenant.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		got, _ := env.DB.Tenant(ctx, "gent")
		if got.Status != tenant.StatusSuspended || got.SuspendedAt == nil {
			t.Fatalf("status: %+v", got)
		}
		if _, err := env.DB.CreateSubmission(ctx, clerk("u"), tn.ID, store.NewSubmission{FormKey: "f", Data: []byte("x")}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("intake on suspended tenant: %v", err)
		}
		if err := env.DB.SetTenantStatus(ctx, operator, "nope", tenant.StatusSuspended); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown tenant: %v", err)
		}
	})
}

func TestRegisterVersions(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		if _, err := env.DB.CurrentRegister(ctx, tn.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("empty: %v", err)
		}
		r := register.Demo()
		v1, err := env.DB.SaveRegister(ctx, clerk("admin"), tn.ID, r)
		if err != nil || v1 != 1 {
			t.Fatalf("save: %d %v", v1, err)
		}
		bad := r
		bad.Categories = append([]register.Category{}, r.Categories...)
		bad.Categories[0].Class = "9.99"
		var ie *store.RegisterInvalidError
		if _, err := env.DB.SaveRegister(ctx, clerk("admin"), tn.ID, bad); !errors.As(err, &ie) {
			t.Fatalf("invalid register saved: %v", err)
		}
		cur, err := env.DB.CurrentRegister(ctx, tn.ID)
		if err != nil || cur.Version != 1 || cur.Register.Categories[0].Class != r.Categories[0].Class {
			t.Fatalf("current: %+v %v", cur, err)
		}
		// A second version; the first stays readable, the history names both.
		r2 := register.Demo()
		r2.Duration = register.Text{"nl": "Tot eind 2030"}
		if v2, err := env.DB.SaveRegister(ctx, clerk("dpo"), tn.ID, r2); err != nil || v2 != 2 {
			t.Fatalf("second save: %d %v", v2, err)
		}
		old, err := env.DB.RegisterAt(ctx, tn.ID, 1)
		if err != nil || old.Register.Duration["nl"] != r.Duration["nl"] {
			t.Fatalf("version 1: %+v %v", old.Register.Duration, err)
		}
		if cur, _ := env.DB.CurrentRegister(ctx, tn.ID); cur.Version != 2 || cur.Register.Duration["nl"] != "Tot eind 2030" {
			t.Fatalf("current after second save: %d", cur.Version)
		}
		if _, err := env.DB.RegisterAt(ctx, tn.ID, 3); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("version 3: %v", err)
		}
		hist, err := env.DB.RegisterHistory(ctx, tn.ID)
		if err != nil || len(hist) != 2 || hist[0].Version != 2 || !strings.Contains(hist[0].CreatedBy, "dpo") || hist[1].Version != 1 {
			t.Fatalf("history: %+v %v", hist, err)
		}
	})
}

func TestSchemaCheck(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		if err := env.DB.CheckSchema(ctx); err != nil {
			t.Fatalf("migrated database: %v", err)
		}
		fresh, err := store.Open(ctx, freshURL(t, env), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		err = fresh.CheckSchema(ctx)
		if !errors.Is(err, store.ErrSchema) || !strings.Contains(err.Error(), "kluis migrate") {
			t.Fatalf("empty database: %v", err)
		}
	})
}

func freshURL(t *testing.T, env *storetest.Env) string {
	if env.Dialect == store.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "fresh.db")
	}
	return storetest.NewPostgresDatabase(t)
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		in      string
		dialect store.Dialect
		wantErr string
	}{
		{"sqlite:./kluis-data/kluis.db", store.SQLite, ""},
		{"./kluis.db", store.SQLite, ""},
		{"postgres://kluis:secret@db.example:5432/kluis", store.Postgres, ""},
		{"", "", "empty"},
		{"mysql://x", "", "unsupported scheme"},
		{"postgres://", "", "not a valid"},
		{"kluis", "", "not understood"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, _, err := store.ParseURL(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || d != tt.dialect {
				t.Fatalf("got %v %v", d, err)
			}
		})
	}
	if got := store.Redact("postgres://kluis:secret@h/db"); strings.Contains(got, "secret") {
		t.Fatalf("password not redacted: %s", got)
	}
}

// TestClauseSEC4_WriterRecoversFromLostConnection: when PostgreSQL drops
// every connection (a restart, a failover), writes fail at most briefly and
// then succeed again without restarting Kluis.
func TestClauseSEC4_WriterRecoversFromLostConnection(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		if env.Dialect == store.Postgres {
			raw := env.Raw(t)
			if _, err := raw.Exec(`SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		for attempt := 0; attempt < 3; attempt++ {
			if _, err = env.DB.CreateSubmission(ctx, clerk("u"), tn.ID, store.NewSubmission{FormKey: "f", Data: []byte("x")}); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("writes do not recover: %v", err)
		}
		if _, err := env.DB.VerifyAudit(ctx, tn.ID); err != nil {
			t.Fatal(err)
		}
	})
}
