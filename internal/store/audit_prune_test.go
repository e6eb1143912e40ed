package store_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"golang.org/x/mod/sumdb/note"
)

const month = 31 * 24 * time.Hour

// keyringSigner is the platform's checkpoint key from the test keyring,
// the one the store checks pruning records with.
func keyringSigner(t *testing.T, db *store.DB) (note.Signer, note.Verifier) {
	t.Helper()
	k, err := db.CheckpointKey("test.example/audit")
	if err != nil {
		t.Fatal(err)
	}
	v, err := auditproof.ParseVerifierKey(k.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	return k.Signer, v
}

// growTo appends events until tenant's log holds size events.
func growTo(t *testing.T, db *store.DB, tenantID string, size int64) {
	t.Helper()
	head, err := db.AuditHead(context.Background(), tenantID)
	if err != nil {
		t.Fatal(err)
	}
	if head.Seq > size {
		t.Fatalf("log already holds %d events, want %d", head.Seq, size)
	}
	auditN(t, db, tenantID, int(size-head.Seq))
}

// signAt grows tenant's log to size events and signs a checkpoint of it,
// kept as the controller would, named name.
func signAt(t *testing.T, db *store.DB, tenantID string, size int64, signer note.Signer, name string) auditproof.SignedCheckpoint {
	t.Helper()
	growTo(t, db, tenantID, size)
	cp, _, err := db.SignCheckpoint(context.Background(), tenantID, signer, nil)
	if err != nil || cp.Size != size {
		t.Fatalf("sign at %d: %v (size %d)", size, err, cp.Size)
	}
	return auditproof.SignedCheckpoint{Name: name, Note: cp.Note}
}

// verifyLive checks tenant's live log, as it remains, against kept with
// the pruning record the store keeps (none: from the genesis).
func verifyLive(t *testing.T, db *store.DB, tenantID string, v note.Verifier, pruned *auditproof.Pruned, kept []auditproof.SignedCheckpoint) (*auditproof.Report, error) {
	t.Helper()
	next, stop, err := db.AuditEvents(context.Background(), tenantID)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	return auditproof.VerifyFrom(tenantID, auditproof.Origin(v.Name()+"/", tenantID), v, pruned, kept, next)
}

// AUD-2: pruning removes exactly the events up to the largest checkpoint
// all of whose events are older than the retention, leaves a signed record
// in their place and an audit.prune event in the log; the chain verifier
// and the checkpoint verifier both still pass on what remains, the kept
// checkpoints the record can speak for are covered, the one it cannot is
// named as unprovable, and a second pruning later resumes from the first.
func TestClauseAUD2_PruningAtCheckpointKeepsVerificationWorking(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		db := env.DB
		tn := newTenant(t, env, "gent").ID
		other := newTenant(t, env, "brugge").ID
		signer, v := keyringSigner(t, db)
		// Sizes 3, 4 and 6: the frontier of 6 is [0,4) and [4,6), so
		// the record speaks for size 4 (and 6) but not for 3.
		kept := []auditproof.SignedCheckpoint{signAt(t, db, tn, 3, signer, "cp3"), signAt(t, db, tn, 4, signer, "cp4"),
			signAt(t, db, tn, 6, signer, "cp6")}
		auditN(t, db, other, 2)
		env.Clock.Advance(12 * month)
		kept = append(kept, signAt(t, db, tn, 9, signer, "cp9")) // a year old: kept
		if _, err := db.PruneAudit(ctx, tn, signer); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("prune with nothing older than 24 months: %v", err)
		}
		env.Clock.Advance(13 * month) // events 1-6 are 25 months old, 7-9 13 months
		auditN(t, db, tn, 2)          // 10, 11: not covered by a checkpoint yet
		rec, err := db.PruneAudit(ctx, tn, signer)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Size != 6 {
			t.Fatalf("pruned through %d, want 6 (the largest checkpoint all of whose events are older than 24 months)", rec.Size)
		}
		var seqs []int64
		if err := db.EachAuditEvent(ctx, tn, func(e *audit.Event) error { seqs = append(seqs, e.Seq); return nil }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(seqs, []int64{7, 8, 9, 10, 11, 12}) {
			t.Fatalf("events after pruning: %v, want 7…12 (12 the audit.prune)", seqs)
		}
		var last audit.Event
		_ = db.EachAuditEvent(ctx, tn, func(e *audit.Event) error { last = *e; return nil })
		if last.Action != "audit.prune" || last.ObjectID != "6" || last.Actor.Kind != audit.KindSystem {
			t.Fatalf("last event %+v, want audit.prune of 6 by the system", last)
		}
		if n, err := db.VerifyAudit(ctx, other); err != nil || n != 3 {
			t.Fatalf("the other tenant's log: %d events, %v", n, err)
		}
		// The chain verifier starts after the record.
		if n, err := db.VerifyAudit(ctx, tn); err != nil || n != 6 {
			t.Fatalf("VerifyAudit after pruning: %d events, %v; want 6 intact", n, err)
		}
		got, err := db.LatestAuditPruning(ctx, tn)
		if err != nil || got.Size != 6 || !bytes.Equal(got.Note, rec.Note) {
			t.Fatalf("latest pruning: %+v, %v", got, err)
		}
		// The checkpoint verifier starts from the record's frontier.
		kept = append(kept, signAt(t, db, tn, 12, signer, "cp12"))
		r, err := verifyLive(t, db, tn, v, rec.Pruned(), kept)
		if err != nil {
			t.Fatalf("verify what remains: %v", err)
		}
		if r.Pruned != 6 || r.Events != 6 || r.Size != 12 || !slices.Equal(r.Covered, []string{"cp4", "cp6"}) ||
			!slices.Equal(r.Unprovable, []string{"cp3"}) || r.Checkpoints != 4 {
			t.Fatalf("report %+v", r)
		}
		// Through an export, as the controller verifies offline.
		var buf bytes.Buffer
		w, err := auditproof.NewPrunedExportWriter(&buf, tn, rec.Pruned())
		if err != nil {
			t.Fatal(err)
		}
		if err := db.EachAuditEvent(ctx, tn, w.Write); err != nil {
			t.Fatal(err)
		}
		_ = w.Flush()
		x, err := auditproof.NewExportReader(&buf)
		if err != nil || x.Pruned() == nil {
			t.Fatalf("read export: %v (pruned %v)", err, x.Pruned())
		}
		if _, err := auditproof.VerifyFrom(tn, auditproof.Origin(v.Name()+"/", tn), v, x.Pruned(), kept, x.Next); err != nil {
			t.Fatalf("offline verification of the pruned export: %v", err)
		}
		// Without the record, what remains cannot verify: it does not
		// start at the genesis.
		if _, err := verifyLive(t, db, tn, v, nil, kept); err == nil {
			t.Fatal("a pruned log verified without its pruning record")
		}
		// Idempotent: nothing more to prune now.
		if _, err := db.PruneAudit(ctx, tn, signer); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second prune: %v", err)
		}
		// Two years on, a second pruning resumes from the first record.
		env.Clock.Advance(25 * month)
		kept = append(kept, signAt(t, db, tn, 14, signer, "cp14"))
		env.Clock.Advance(25 * month)
		rec2, err := db.PruneAudit(ctx, tn, signer)
		if err != nil || rec2.Size != 14 {
			t.Fatalf("second pruning: %+v, %v", rec2, err)
		}
		if n, err := db.VerifyAudit(ctx, tn); err != nil || n != 1 {
			t.Fatalf("VerifyAudit after the second pruning: %d, %v", n, err)
		}
		// The log goes on, checkpoints are signed from the kept tree, and
		// verify from the second record.
		auditN(t, db, tn, 3)
		kept = append(kept, signAt(t, db, tn, 18, signer, "cp18"))
		if r, err := verifyLive(t, db, tn, v, rec2.Pruned(), kept); err != nil || r.Pruned != 14 || r.Size != 18 {
			t.Fatalf("verify after the second pruning: %+v, %v", r, err)
		}
	})
}

// AUD-2: the audit retention cannot be set under six months (the field is
// named, nothing is saved); a valid change is stored and audited, and
// pruning follows it; the register's audit-log category, when there is
// one, rules instead, never under the minimum either.
func TestClauseAUD2_PruningRefusedBelowMinimum(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		db := env.DB
		tn := newTenant(t, env, "gent").ID
		signer, _ := keyringSigner(t, db)
		admin := audit.Actor{Kind: audit.KindUser, ID: "u-admin", Role: "admin"}
		for _, months := range []int{0, 5, -1} {
			err := db.SetAuditRetention(ctx, admin, tn, months)
			var re *audit.RetentionError
			if !errors.As(err, &re) || re.Field != "months" || re.Key != "auditret.error.below_minimum" || re.Limit != 6 {
				t.Fatalf("%d months: %v", months, err)
			}
		}
		if r, err := db.AuditRetention(ctx, tn); err != nil || r.Source != "default" || r.Months != 24 {
			t.Fatalf("after refusals: %+v, %v", r, err)
		}
		if err := db.SetAuditRetention(ctx, admin, tn, 6); err != nil {
			t.Fatal(err)
		}
		r, err := db.AuditRetention(ctx, tn)
		if err != nil || r.Source != "setting" || r.Months != 6 || r.SetBy != "u-admin" {
			t.Fatalf("after setting 6: %+v, %v", r, err)
		}
		var last audit.Event
		_ = db.EachAuditEvent(ctx, tn, func(e *audit.Event) error { last = *e; return nil })
		if last.Action != "audit.retention" || last.ObjectID != "6" || last.Actor.ID != "u-admin" {
			t.Fatalf("last event %+v, want audit.retention 6 by the admin", last)
		}
		head, _ := db.AuditHead(ctx, tn)
		signAt(t, db, tn, head.Seq, signer, "cp")
		env.Clock.Advance(5 * month) // under six months: not yet
		if _, err := db.PruneAudit(ctx, tn, signer); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("prune after 5 months: %v", err)
		}
		env.Clock.Advance(2 * month)
		if rec, err := db.PruneAudit(ctx, tn, signer); err != nil || rec.Size != head.Seq {
			t.Fatalf("prune after 7 months: %+v, %v", rec, err)
		}

		// The register rules when it has an audit-log category, and its
		// 30 days count as the 184-day minimum.
		tb := newTenant(t, env, "brugge").ID
		reg := register.Demo()
		reg.Categories = append(reg.Categories, register.Category{Key: audit.RegisterCategory,
			Name: register.Text{"nl": "Logboek", "fr": "Journal", "en": "Audit log"}, Class: reg.Categories[0].Class,
			Purposes: reg.Categories[0].Purposes, RetentionDays: 30, Expiry: reg.Categories[0].Expiry,
			Reason: reg.Categories[0].Reason, Countermeasures: reg.Categories[0].Countermeasures})
		if _, err := db.SaveRegister(ctx, admin, tb, reg); err != nil {
			t.Fatal(err)
		}
		if r, err := db.AuditRetention(ctx, tb); err != nil || r.Source != "register" || r.RegisterDays != 30 {
			t.Fatalf("register-driven retention: %+v, %v", r, err)
		}
		head, _ = db.AuditHead(ctx, tb)
		signAt(t, db, tb, head.Seq, signer, "cp")
		env.Clock.Advance(100 * 24 * time.Hour)
		if _, err := db.PruneAudit(ctx, tb, signer); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("prune after 100 days with a register of 30: %v", err)
		}
		env.Clock.Advance(90 * 24 * time.Hour)
		if rec, err := db.PruneAudit(ctx, tb, signer); err != nil || rec.Size != head.Seq {
			t.Fatalf("prune after 190 days: %+v, %v", rec, err)
		}
	})
}

// AUD-2: pruning is the only way events leave the log: a plain DELETE
// still fails — before any pruning, and after it for the events that
// remain — and the pruning records are append-only themselves.
func TestASVS_16_4_2_ClauseAUD2_PlainDeleteOnAuditEventsStillFails(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		db := env.DB
		tn := newTenant(t, env, "gent").ID
		signer, _ := keyringSigner(t, db)
		raw := env.Raw(t)
		signAt(t, db, tn, 4, signer, "cp4")
		if _, err := raw.ExecContext(ctx, `DELETE FROM audit_events WHERE tenant_id = $1 AND seq = 1`, tn); err == nil {
			t.Fatal("a plain DELETE of event 1 succeeded")
		}
		env.Clock.Advance(25 * month)
		auditN(t, db, tn, 1)
		if _, err := db.PruneAudit(ctx, tn, signer); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`DELETE FROM audit_events WHERE tenant_id = $1`,
			`DELETE FROM audit_events WHERE tenant_id = $1 AND seq = 5`,
			`UPDATE audit_events SET purpose = 'x' WHERE tenant_id = $1`,
			`DELETE FROM audit_prunings WHERE tenant_id = $1`,
			`UPDATE audit_prunings SET size = 2 WHERE tenant_id = $1`,
		} {
			if _, err := raw.ExecContext(ctx, q, tn); err == nil {
				t.Errorf("%s succeeded", q)
			}
		}
		if n, err := db.VerifyAudit(ctx, tn); err != nil || n != 2 {
			t.Fatalf("after the refused changes: %d, %v", n, err)
		}
	})
}

// AUD-2, ADT-1: a forged pruning record does not verify — signed by
// another key, or by the platform's key over a frontier that is not the
// log's — nor does a record whose checkpoint is another size's, nor a kept
// checkpoint the record contradicts.
func TestClauseAUD2_ForgedPruningRecordFailsVerification(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		db := env.DB
		tn := newTenant(t, env, "gent").ID
		signer, v := keyringSigner(t, db)
		other, _ := testSigner(t)
		kept := []auditproof.SignedCheckpoint{signAt(t, db, tn, 4, signer, "cp4"), signAt(t, db, tn, 5, signer, "cp5")}
		env.Clock.Advance(25 * month)
		kept = append(kept, signAt(t, db, tn, 7, signer, "cp7"))
		rec, err := db.PruneAudit(ctx, tn, signer)
		if err != nil || rec.Size != 5 {
			t.Fatalf("prune: %+v, %v", rec, err)
		}
		frontier := func(b []byte) [][]byte {
			var out [][]byte
			for i := 0; i < len(b); i += auditproof.HashSize {
				out = append(out, b[i:i+auditproof.HashSize])
			}
			return out
		}
		origin := auditproof.Origin(v.Name()+"/", tn)
		cp5, err := db.CheckpointOfSize(ctx, tn, 5)
		if err != nil {
			t.Fatal(err)
		}
		p := auditproof.Pruning{Origin: origin, Size: 5, Root: cp5.Root, LastHash: rec.LastHash, Frontier: frontier(rec.Frontier)}
		// Another key: the right content, a foreign signature.
		foreign, err := auditproof.SignPruning(p, other)
		if err != nil {
			t.Fatal(err)
		}
		// The platform's key over a frontier of another log of 5 events
		// (one that folds to its own root): its checkpoint is not of it.
		alt := auditproof.NewLog()
		for i := range 5 {
			e := audit.Event{TenantID: tn, Seq: int64(i + 1), Hash: bytes.Repeat([]byte{byte(i)}, 32)}
			_ = alt.AppendEvent(&e)
		}
		wrongFrontier, err := auditproof.SignPruning(auditproof.Pruning{Origin: origin, Size: 5, Root: alt.Root(),
			LastHash: bytes.Repeat([]byte{4}, 32), Frontier: alt.Frontier()}, signer)
		if err != nil {
			t.Fatal(err)
		}
		cp4, _ := db.CheckpointOfSize(ctx, tn, 4)
		for _, tc := range []struct {
			name   string
			pruned auditproof.Pruned
			kept   []auditproof.SignedCheckpoint
			want   auditproof.Check
		}{
			{"signed by another key", auditproof.Pruned{Record: foreign, Checkpoint: rec.Checkpoint}, kept, auditproof.CheckSignature},
			{"a frontier not of the log", auditproof.Pruned{Record: wrongFrontier, Checkpoint: rec.Checkpoint}, kept, auditproof.CheckPruning},
			{"the checkpoint of another size", auditproof.Pruned{Record: rec.Note, Checkpoint: cp4.Note}, kept, auditproof.CheckPruning},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := verifyLive(t, db, tn, v, &tc.pruned, tc.kept)
				var pe *auditproof.PruningError
				if !errors.As(err, &pe) || pe.Check != tc.want {
					t.Fatalf("got %v, want a pruning record failing %s", err, tc.want)
				}
			})
		}
		// A genuine record with a frontier whose other log the events
		// after it do not chain from: the chain check names cp7.
		if _, err := verifyLive(t, db, tn, v, &auditproof.Pruned{Record: wrongFrontier, Checkpoint: mustSign(t, signer, origin, 5, alt.Root())}, kept[2:]); err == nil {
			t.Fatal("events verified after another log's pruning record")
		} else if ce := (*auditproof.CheckpointError)(nil); !errors.As(err, &ce) || ce.Name != "cp7" || ce.Check != auditproof.CheckChain {
			t.Fatalf("got %v, want cp7 failing its chain check", err)
		}
		// A kept checkpoint the record contradicts: cp4 from a log that
		// was different before it was pruned.
		forkedCp4 := mustSign(t, signer, origin, 4, bytes.Repeat([]byte{9}, 32))
		_, err = verifyLive(t, db, tn, v, rec.Pruned(), []auditproof.SignedCheckpoint{{Name: "cp4-kept", Note: forkedCp4}, kept[2]})
		if ce := (*auditproof.CheckpointError)(nil); !errors.As(err, &ce) || ce.Name != "cp4-kept" || ce.Check != auditproof.CheckPruning {
			t.Fatalf("got %v, want cp4-kept failing against the pruning record", err)
		}
		// A record written behind the store's back, signed by another key,
		// lets the trigger delete the events it claims to cover — and the
		// chain verifier then refuses the log at the first event after it.
		tb := newTenant(t, env, "brugge").ID
		signAt(t, db, tb, 4, signer, "b4")
		auditN(t, db, tb, 2)
		tree := auditproof.NewLog()
		var lastHash []byte
		_ = db.EachAuditEvent(ctx, tb, func(e *audit.Event) error {
			if e.Seq <= 4 {
				lastHash = bytes.Clone(e.Hash)
				return tree.AppendEvent(e)
			}
			return nil
		})
		bOrigin := auditproof.Origin(v.Name()+"/", tb)
		forged, err := auditproof.SignPruning(auditproof.Pruning{Origin: bOrigin, Size: 4, Root: tree.Root(), LastHash: lastHash,
			Frontier: tree.Frontier()}, other)
		if err != nil {
			t.Fatal(err)
		}
		raw := env.Raw(t)
		if _, err := raw.ExecContext(ctx, `INSERT INTO audit_prunings (tenant_id, size, last_hash, frontier, checkpoint, note, pruned_at)
			VALUES ($1, 4, $2, $3, $4, $5, 0)`, tb, lastHash, tree.FrontierBytes(), string(mustSign(t, other, bOrigin, 4, tree.Root())), string(forged)); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.ExecContext(ctx, `DELETE FROM audit_events WHERE tenant_id = $1 AND seq <= 4`, tb); err != nil {
			t.Fatal(err)
		}
		var broken *audit.BrokenError
		if _, err := db.VerifyAudit(ctx, tb); !errors.As(err, &broken) || broken.Seq != 5 || !strings.Contains(broken.Reason, "pruning record") {
			t.Fatalf("VerifyAudit of a log pruned by a forged record: %v", err)
		}
		// A kept checkpoint of the record's size with another root: a fork.
		_, err = verifyLive(t, db, tn, v, rec.Pruned(), []auditproof.SignedCheckpoint{{Name: "cp5-kept", Note: mustSign(t, signer, origin, 5, alt.Root())}})
		if ce := (*auditproof.CheckpointError)(nil); !errors.As(err, &ce) || ce.Name != "cp5-kept" || ce.Check != auditproof.CheckFork {
			t.Fatalf("got %v, want cp5-kept failing as a fork", err)
		}
	})
}

func mustSign(t *testing.T, s note.Signer, origin string, size uint64, root []byte) []byte {
	t.Helper()
	n, err := auditproof.Sign(auditproof.Checkpoint{Origin: origin, Size: size, Root: root}, s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
