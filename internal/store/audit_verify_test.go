package store_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// Event.ComputeHash must never change (stored chains would no longer
// verify), and the verifier must agree with it byte for byte. The want
// values were computed with the first implementation.
func TestAuditHashIsPinned(t *testing.T) {
	tenant := "01JCXT4T0Z7Q9V3N8K2M5R6P1A"
	for _, tt := range []struct {
		e    audit.Event
		want string
	}{
		{audit.Event{TenantID: tenant, Seq: 42, Time: time.Date(2026, 11, 2, 9, 30, 0, 123456000, time.UTC),
			Actor:  audit.Actor{Kind: audit.KindOperator, ID: "op-7", Role: "operator", OnBehalfOf: "grant-3", RequestID: "req-9"},
			Action: "submission.read", ObjectType: "submission", ObjectID: "0123456789abcdef", Subject: "5f2c0e", Purpose: "behandeling",
			Outcome: audit.OutcomeDenied, PrevHash: audit.Genesis(tenant)},
			"c6f145761f62555f185cfd66dc4d1b8beb7d3c1f2b5b8e8e807a8bfa2f30f00c"},
		{audit.Event{TenantID: "t", Seq: 1, Time: time.Unix(0, 0), Actor: audit.Actor{Kind: "ü"}},
			"73015f7ac25547911ebdc6b4969286fedd034a4137a3a0c9c14e4543a99b9fa1"},
	} {
		e := tt.e
		if got := hex.EncodeToString(e.ComputeHash()); got != tt.want {
			t.Fatalf("ComputeHash changed: got %s, want %s", got, tt.want)
		}
		e.Hash, _ = hex.DecodeString(tt.want)
		v := audit.ResumeVerifier(e.TenantID, audit.Head{Seq: e.Seq - 1, Hash: e.PrevHash})
		if err := v.Next(&e); err != nil {
			t.Fatalf("verifier rejects event %d: %v", e.Seq, err)
		}
		e.Hash[31] ^= 1
		v = audit.ResumeVerifier(e.TenantID, audit.Head{Seq: e.Seq - 1, Hash: e.PrevHash})
		if err := v.Next(&e); err == nil {
			t.Fatalf("verifier accepts a wrong hash for event %d", e.Seq)
		}
	}
}

// Verifying in parts must name the same first bad event, for the same
// reason, with the same count, as one walk from the genesis (the old
// VerifyAudit, kept here as the reference) — whatever the tampering and
// wherever the part boundaries fall: on the bad event, just before or after
// it, with more parts than events, and with parts that hold nothing.
func TestVerifyAuditInPartsMatchesOneWalk(t *testing.T) {
	const n = 13 // events of the tenant under test
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		db, raw := env.DB, env.Raw(t)
		ta, tb := newTenant(t, env, "a").ID, newTenant(t, env, "b").ID
		for i := 1; i < n; i++ { // creating the tenant was event 1
			for _, id := range []string{ta, tb} { // interleaved with another tenant
				if err := db.Audit(ctx, audit.Event{TenantID: id, Actor: audit.System("test"), Action: "audit.verify",
					ObjectID: fmt.Sprint(i), Purpose: "p"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, q := range []string{
			`CREATE TABLE audit_events_copy AS SELECT * FROM audit_events`,
			`CREATE TABLE audit_heads_copy AS SELECT * FROM audit_heads`,
		} {
			if _, err := raw.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		const cols = `tenant_id, seq, at, actor_kind, actor_id, actor_role, on_behalf_of, request_id, action,
			object_type, object_id, subject, purpose, outcome, prev_hash, hash`
		copyAs := func(seq string) string { // a copy of event $2 as event seq
			return `INSERT INTO audit_events (` + cols + `) SELECT tenant_id, ` + seq + `, at, actor_kind, actor_id, actor_role,
				on_behalf_of, request_id, action, object_type, object_id, subject, purpose, outcome, prev_hash, hash
				FROM audit_events WHERE tenant_id = $1 AND seq = $2`
		}
		tampers := []struct {
			name string
			sql  []string // $1 is the tenant, $2 an event 1…n
		}{
			{"edited", []string{`UPDATE audit_events SET purpose = 'other' WHERE tenant_id = $1 AND seq = $2`}},
			{"rehashed", []string{`UPDATE audit_events SET hash = prev_hash WHERE tenant_id = $1 AND seq = $2`}},
			{"relinked", []string{`UPDATE audit_events SET prev_hash = hash WHERE tenant_id = $1 AND seq = $2`}},
			{"deleted", []string{`DELETE FROM audit_events WHERE tenant_id = $1 AND seq = $2`}},
			{"deleted two", []string{`DELETE FROM audit_events WHERE tenant_id = $1 AND seq - $2 IN (0, 1)`}},
			{"truncated", []string{`DELETE FROM audit_events WHERE tenant_id = $1 AND seq >= $2`}},
			{"cut before", []string{`DELETE FROM audit_events WHERE tenant_id = $1 AND seq <= $2`}},
			{"moved to other tenant", []string{`UPDATE audit_events SET tenant_id = 'someone-else' WHERE tenant_id = $1 AND seq = $2`}},
			{"swapped", []string{
				`UPDATE audit_events SET seq = -1 WHERE tenant_id = $1 AND seq = $2`,
				`UPDATE audit_events SET seq = $2 WHERE tenant_id = $1 AND seq - 1 = $2`,
				`UPDATE audit_events SET seq = $2 + 1 WHERE tenant_id = $1 AND seq = -1`,
			}},
			{"renumbered", []string{ // in two steps: seq is unique at every row
				`UPDATE audit_events SET seq = -seq - 1000 WHERE tenant_id = $1 AND seq >= $2`,
				`UPDATE audit_events SET seq = -seq - 999 WHERE tenant_id = $1 AND seq <= -1000 - $2`,
			}},
			{"copied over the next", []string{`DELETE FROM audit_events WHERE tenant_id = $1 AND seq - 1 = $2`, copyAs("seq + 1")}},
			{"copied before the first", []string{copyAs("-seq")}},
			{"copied after the head", []string{copyAs(fmt.Sprint(n + 1))}},
			{"copied far after the head", []string{copyAs(fmt.Sprint(2 * n))}},
			{"head moved back", []string{`UPDATE audit_heads SET seq = $2,
				hash = (SELECT hash FROM audit_events WHERE tenant_id = $1 AND seq = $2) WHERE tenant_id = $1`}},
			{"head moved on", []string{`UPDATE audit_heads SET seq = seq + $2 WHERE tenant_id = $1`}},
			{"head rehashed", []string{`UPDATE audit_heads SET
				hash = (SELECT hash FROM audit_events WHERE tenant_id = $1 AND seq = $2) WHERE tenant_id = $1`}},
		}
		restore := []string{
			`DELETE FROM audit_events`,
			`INSERT INTO audit_events SELECT * FROM audit_events_copy`,
			`DELETE FROM audit_heads`,
			`INSERT INTO audit_heads SELECT * FROM audit_heads_copy`,
		}
		check := func(t *testing.T, name string) {
			t.Helper()
			head, err := db.AuditHead(ctx, ta)
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprint(walkAudit(ctx, db, ta, head))
			for _, parts := range []int{1, 2, 3, 4, 5, 7, 13, 14} {
				got := fmt.Sprint(db.VerifyAuditInParts(ctx, ta, head, parts))
				if got != want {
					t.Errorf("%s, %d parts: got %s, want %s", name, parts, got, want)
				}
			}
		}
		check(t, "untouched")
		dropAppendOnly(t, env, raw)
		for _, tt := range tampers {
			for k := 1; k <= n; k++ {
				for _, q := range tt.sql {
					if _, err := raw.Exec(q, ta, k); err != nil {
						t.Fatalf("%s: %s: %v", tt.name, q, err)
					}
				}
				check(t, fmt.Sprintf("%s %d", tt.name, k))
				for _, q := range restore {
					if _, err := raw.Exec(q); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		check(t, "restored")
	})
}

// walkAudit is VerifyAudit as it was before it verified in parts: one walk
// from the genesis through EachAuditEvent.
func walkAudit(ctx context.Context, db *store.DB, tenantID string, head audit.Head) (int64, error) {
	v := audit.NewVerifier(tenantID)
	err := db.EachAuditEvent(ctx, tenantID, v.Next)
	var broken *audit.BrokenError
	if err != nil && !errors.As(err, &broken) {
		return v.Count(), err
	}
	if err == nil {
		err = v.Finish(head)
	}
	return v.Count(), err
}
