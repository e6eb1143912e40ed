package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseUSR5_OperatorGrants: the operators' realm is made once (also
// when asked concurrently), is no tenant, and its users reach a tenant only
// through a grant that validates its input, is bound to that tenant, ends
// when revoked or expired, is audited in both logs and is sealed at rest.
func TestClauseUSR5_OperatorGrants(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		gent, brugge := newTenant(t, env, "gent"), newTenant(t, env, "brugge")
		cli := audit.Actor{Kind: audit.KindOperator, ID: "cli:root"}

		var wg sync.WaitGroup
		ids := make([]string, 4)
		for i := range ids {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				realm, err := env.DB.OperatorRealm(ctx, cli)
				if err != nil {
					t.Error(err)
				}
				ids[i] = realm.ID
			}(i)
		}
		wg.Wait()
		for _, id := range ids[1:] {
			if id != ids[0] {
				t.Fatalf("two realms: %v", ids)
			}
		}
		realmID := ids[0]
		ts, _ := env.DB.Tenants(ctx)
		chains, _ := env.DB.AuditChains(ctx)
		if len(ts) != 2 || len(chains) != 3 {
			t.Fatalf("tenants %d (want 2), audit chains %d (want 3)", len(ts), len(chains))
		}

		admin := audit.Actor{Kind: audit.KindUser, ID: "admin-1", Role: "admin"}
		grant := func(in store.GrantInput) (store.OperatorGrant, error) {
			return env.DB.GrantOperatorAccess(ctx, admin, gent.ID, in)
		}
		// No operators yet, then an invited one: neither can be granted.
		if _, err := grant(store.GrantInput{Email: "marker-op-7c1@lev.be", Reason: "r", Duration: time.Hour}); !errors.Is(err, store.ErrNoSuchOperator) {
			t.Fatalf("grant to nobody: %v", err)
		}
		_, tok, err := env.DB.InviteUser(ctx, cli, realmID, account.Invite{Email: "marker-op-7c1@lev.be", Name: "Op", Role: account.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := grant(store.GrantInput{Email: "marker-op-7c1@lev.be", Reason: "r", Duration: time.Hour}); !errors.Is(err, store.ErrNoSuchOperator) {
			t.Fatalf("grant to an invited operator: %v", err)
		}
		op, err := env.DB.ActivateUser(ctx, realmID, tok.Plain, "x", "r")
		if err != nil {
			t.Fatal(err)
		}
		// Every bad field at once, nothing stored.
		var ve *store.GrantValidationError
		_, err = grant(store.GrantInput{Email: "not-an-address", Reason: "", Duration: 73 * time.Hour})
		if !errors.As(err, &ve) || len(ve.Fields) != 3 {
			t.Fatalf("bad grant: %v", err)
		}
		g, err := grant(store.GrantInput{Email: " MARKER-OP-7c1@lev.be ", Reason: "MARKER-REASON-7c1 ticket", Duration: 2 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.ActiveOperatorGrant(ctx, gent.ID, op.ID); err != nil {
			t.Fatalf("active grant: %v", err)
		}
		if _, err := env.DB.ActiveOperatorGrant(ctx, brugge.ID, op.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("gent's grant opens brugge: %v", err)
		}
		if err := env.DB.RevokeOperatorGrant(ctx, admin, brugge.ID, g.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("brugge revokes gent's grant: %v", err)
		}
		if sums, _ := env.DB.GrantedTenants(ctx, op.ID); len(sums) != 1 || sums[0].Slug != "gent" {
			t.Fatalf("granted tenants: %+v", sums)
		}
		if found := storetest.FindPlaintext(t, env, "Gemeente gent", "marker-op-7c1", "MARKER-REASON-7c1"); len(found) > 0 {
			t.Fatalf("plaintext at rest: %v", found)
		}
		gs, err := env.DB.OperatorGrants(ctx, admin, gent.ID)
		if err != nil || len(gs) != 1 || gs[0].Label != "MARKER-OP-7c1@lev.be" || gs[0].Reason != "MARKER-REASON-7c1 ticket" {
			t.Fatalf("grants: %v %+v", err, gs)
		}

		if err := env.DB.RevokeOperatorGrant(ctx, admin, gent.ID, g.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.ActiveOperatorGrant(ctx, gent.ID, op.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoked grant still active: %v", err)
		}
		if _, err := grant(store.GrantInput{Email: "marker-op-7c1@lev.be", Reason: "again", Duration: time.Hour}); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Hour + time.Second)
		if _, err := env.DB.ActiveOperatorGrant(ctx, gent.ID, op.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired grant still active: %v", err)
		}

		count := func(tenantID string) map[string]int {
			n := map[string]int{}
			if err := env.DB.EachAuditEvent(ctx, tenantID, func(e *audit.Event) error { n[e.Action]++; return nil }); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(gent.ID); n["operator.grant"] != 2 || n["operator.revoke"] != 1 || n["operator.grants.read"] != 1 {
			t.Fatalf("gent's log: %v", n)
		}
		if n := count(realmID); n["realm.create"] != 1 || n["operator.grant.received"] != 2 {
			t.Fatalf("realm's log: %v", n)
		}
		for _, id := range []string{gent.ID, realmID} {
			if _, err := env.DB.VerifyAudit(ctx, id); err != nil {
				t.Fatalf("chain %s: %v", id, err)
			}
		}
	})
}
