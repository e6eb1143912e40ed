package store_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"golang.org/x/mod/sumdb/note"
)

func testSigner(t testing.TB) (note.Signer, note.Verifier) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := auditproof.NewSigner("test.example/audit", priv)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := auditproof.VerifierKey("test.example/audit", priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	v, err := auditproof.ParseVerifierKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// walkRoot is the reference: the tree built from every stored event.
func walkRoot(t *testing.T, db *store.DB, tenantID string) (uint64, []byte) {
	t.Helper()
	tree := auditproof.NewLog()
	if err := db.EachAuditEvent(context.Background(), tenantID, tree.AppendEvent); err != nil {
		t.Fatal(err)
	}
	return tree.Size(), tree.Root()
}

func auditN(t *testing.T, db *store.DB, tenantID string, n int) {
	t.Helper()
	for i := range n {
		if err := db.Audit(context.Background(), audit.Event{TenantID: tenantID, Actor: audit.System("test"),
			Action: "audit.verify", ObjectID: fmt.Sprint(i), Purpose: "p"}); err != nil {
			t.Fatal(err)
		}
	}
}

// AUD-2: the tree the store keeps beside the chain's head on every append
// gives the same root as a walk over every stored event, so a checkpoint is
// signed in constant time yet says exactly what the log holds; the note is
// a valid signed checkpoint of that size and root for the tenant's origin.
func TestClauseAUD2_CheckpointFromKeptTreeMatchesTheWholeLog(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		db := env.DB
		ta, tb := newTenant(t, env, "a").ID, newTenant(t, env, "b").ID
		signer, verifier := testSigner(t)
		for _, n := range []int{0, 1, 6, 25} { // sizes 1 (the creation), 2, 8, 33: every frontier shape
			auditN(t, db, ta, n)
			auditN(t, db, tb, 1) // another tenant's appends never touch this tree
			cp, created, err := db.SignCheckpoint(ctx, ta, signer, nil)
			if err != nil || !created {
				t.Fatalf("sign: %v (created %v)", err, created)
			}
			size, root := walkRoot(t, db, ta)
			if uint64(cp.Size) != size || !bytes.Equal(cp.Root, root) {
				t.Fatalf("checkpoint %d/%x, the log walked gives %d/%x", cp.Size, cp.Root, size, root)
			}
			parsed, err := auditproof.Parse("kept", cp.Note, store.CheckpointOrigin(signer, ta), verifier)
			if err != nil || parsed.Size != size || !bytes.Equal(parsed.Root, root) {
				t.Fatalf("the note does not hold: %v %+v", err, parsed)
			}
		}
		// Not grown: the same checkpoint, nothing new signed.
		again, created, err := db.SignCheckpoint(ctx, ta, signer, nil)
		latest, lerr := db.LatestCheckpoint(ctx, ta)
		if err != nil || created || lerr != nil || again.Size != latest.Size || !bytes.Equal(again.Note, latest.Note) {
			t.Fatalf("unchanged log signed again: created %v, %v, %v", created, err, lerr)
		}
	})
}

// AUD-3: a checkpoint someone asks for is itself in the log, and covers
// its own event; the job's (no actor) writes nothing.
func TestClauseAUD3_CheckpointOnDemandIsLoggedAndCovered(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		db := env.DB
		ta := newTenant(t, env, "a").ID
		signer, _ := testSigner(t)
		job, _, err := db.SignCheckpoint(ctx, ta, signer, nil)
		if err != nil {
			t.Fatal(err)
		}
		if h, _ := db.AuditHead(ctx, ta); h.Seq != job.Size {
			t.Fatalf("the job's checkpoint wrote to the log: head %d, checkpoint %d", h.Seq, job.Size)
		}
		who := audit.Actor{Kind: audit.KindUser, ID: "u1", Role: "dpo"}
		cp, created, err := db.SignCheckpoint(ctx, ta, signer, &who)
		if err != nil || !created || cp.Size != job.Size+1 {
			t.Fatalf("on demand: %v, created %v, size %d after %d", err, created, cp.Size, job.Size)
		}
		var last audit.Event
		if err := db.EachAuditEvent(ctx, ta, func(e *audit.Event) error { last = *e; return nil }); err != nil {
			t.Fatal(err)
		}
		if last.Action != "audit.checkpoint" || last.Actor.ID != "u1" || last.Seq != cp.Size || last.ObjectID != fmt.Sprint(cp.Size) {
			t.Fatalf("last event %+v, want the request for checkpoint %d", last, cp.Size)
		}
		if _, err := db.CheckpointOfSize(ctx, ta, cp.Size); err != nil {
			t.Fatalf("kept checkpoint not found: %v", err)
		}
		if _, err := db.CheckpointOfSize(ctx, ta, cp.Size+5); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("checkpoint of unsigned size: %v", err)
		}
		list, err := db.Checkpoints(ctx, ta, env.Clock.Now().Add(-time.Hour), 10)
		if err != nil || len(list) != 2 || list[0].Size != cp.Size || list[1].Size != job.Size {
			t.Fatalf("checkpoints listed: %v %+v", err, list)
		}
	})
}

// A log written before the store kept its tree (or whose tree column was
// damaged) gets the tree built from its events: appends and checkpoints go
// on and agree with the whole log. The job finds the logs that grew.
func TestAuditTreeIsBuiltForAnOlderLog(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		raw := env.Raw(t)
		ta, tb := newTenant(t, env, "a").ID, newTenant(t, env, "b").ID
		auditN(t, env.DB, ta, 10)
		signer, _ := testSigner(t)
		if _, _, err := env.DB.SignCheckpoint(ctx, tb, signer, nil); err != nil {
			t.Fatal(err)
		}
		todo, err := env.DB.UncheckpointedLogs(ctx)
		if err != nil || len(todo) != 1 || todo[0] != ta {
			t.Fatalf("logs to checkpoint %v (%v), want only %s", todo, err, ta)
		}
		for _, q := range []string{`UPDATE audit_heads SET tree = NULL WHERE tenant_id = $1`,
			`UPDATE audit_heads SET tree = hash WHERE tenant_id = $1`} {
			if _, err := raw.Exec(q, ta); err != nil {
				t.Fatal(err)
			}
			// A fresh store: no cached head.
			db, err := store.Open(ctx, env.URL, store.Options{Keys: env.Keys, Now: env.Clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			auditN(t, db, ta, 3)
			cp, _, err := db.SignCheckpoint(ctx, ta, signer, nil)
			db.Close()
			size, root := walkRoot(t, env.DB, ta)
			if err != nil || uint64(cp.Size) != size || !bytes.Equal(cp.Root, root) {
				t.Fatalf("after %q: checkpoint %d/%x (%v), log %d/%x", q, cp.Size, cp.Root, err, size, root)
			}
		}
	})
}
