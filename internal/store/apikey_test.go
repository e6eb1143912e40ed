package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

func newKey(t *testing.T, env *storetest.Env, tenantID string, in store.NewAPIKey) (store.APIKey, string) {
	t.Helper()
	k, tok, err := env.DB.CreateAPIKey(ctx, clerk("admin"), tenantID, in)
	if err != nil {
		t.Fatal(err)
	}
	return k, tok
}

// TestClauseORG6_APIKeySeesOnlyItsForms: a key reads, lists and changes
// only the submissions of the forms it was issued for; once revoked it
// sees nothing even if a caller forgets to authenticate it again.
func TestClauseORG6_APIKeySeesOnlyItsForms(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		a := fx.submit(t, env, "toelage", "85071512397", "MARKER-A-k1")
		q := fx.submit(t, env, "vraag", "vraag@example.be", "MARKER-Q-k1")
		k, _ := newKey(t, env, fx.tn.ID, store.NewAPIKey{Name: "zaaksysteem", Scopes: []string{store.ScopeSubmissionsRead}, Forms: []string{"toelage"}})
		actor, viewer := k.Actor("req-k"), store.KeyViewer(k.ID)

		page, err := env.DB.Inbox(ctx, actor, fx.tn.ID, store.InboxQuery{Viewer: viewer})
		if err != nil || len(page.Rows) != 1 || page.Rows[0].ID != a {
			t.Fatalf("list: %+v %v", page, err)
		}
		if ev := lastEvent(t, env, fx.tn.ID); ev.Action != "submission.list" || ev.Actor.Kind != audit.KindAPIKey || ev.Actor.ID != k.ID {
			t.Fatalf("list event: %+v", ev)
		}
		if _, err := env.DB.OpenSubmission(ctx, actor, fx.tn.ID, viewer, q, "api"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another form's submission: %v", err)
		}
		if err := env.DB.ChangeSubmission(ctx, actor, fx.tn.ID, viewer, q, store.SubmissionChange{Status: store.StatusInProgress}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("change another form's submission: %v", err)
		}
		if err := env.DB.ChangeSubmission(ctx, actor, fx.tn.ID, viewer, a, store.SubmissionChange{Status: store.StatusInProgress}); err != nil {
			t.Fatalf("change: %v", err)
		}
		// A user's grants do not leak to a key with the user's id, nor
		// the other way round.
		if page, _ := env.DB.Inbox(ctx, actor, fx.tn.ID, store.InboxQuery{Viewer: store.KeyViewer(fx.clerk.ID)}); len(page.Rows) != 0 {
			t.Fatal("a user's id as key sees the user's forms")
		}
		if page, _ := env.DB.Inbox(ctx, actor, fx.tn.ID, store.InboxQuery{Viewer: store.UserViewer(k.ID)}); len(page.Rows) != 0 {
			t.Fatal("a key's id as user sees the key's forms")
		}
		if err := env.DB.RevokeAPIKey(ctx, clerk("admin"), fx.tn.ID, k.ID); err != nil {
			t.Fatal(err)
		}
		if page, err := env.DB.Inbox(ctx, actor, fx.tn.ID, store.InboxQuery{Viewer: viewer}); err != nil || len(page.Rows) != 0 {
			t.Fatalf("a revoked key still lists: %d %v", len(page.Rows), err)
		}
	})
}

// TestAPIKeyAuthentication: the token proves its key once, and not when it
// is malformed, wrong, revoked or expired; revocation and creation are
// audited; the last use is kept.
func TestAPIKeyAuthentication(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		k, tok := newKey(t, env, fx.tn.ID, store.NewAPIKey{Name: "zaaksysteem", Scopes: []string{store.ScopeSubmissionsRead, store.ScopeAttachmentsRead},
			Forms: []string{"toelage", "vraag"}, ExpiresAt: env.Clock.Now().Add(48 * time.Hour)})
		if ev := lastEvent(t, env, fx.tn.ID); ev.Action != "api_key.create" || ev.ObjectID != k.ID || ev.Actor.ID != "admin" {
			t.Fatalf("create event: %+v", ev)
		}
		if !strings.HasPrefix(tok, "kluis_"+k.ID+"_") {
			t.Fatalf("token format: %s", tok)
		}
		got, err := env.DB.AuthenticateAPIKey(ctx, tok)
		if err != nil || got.ID != k.ID || got.TenantID != fx.tn.ID || !got.Has(store.ScopeAttachmentsRead) || got.Has(store.ScopeSubmissionsWrite) ||
			strings.Join(got.Forms, ",") != "toelage,vraag" || got.LastUsedAt.IsZero() {
			t.Fatalf("authenticate: %+v %v", got, err)
		}
		wrong := tok[:len(tok)-1] + map[bool]string{true: "0", false: "1"}[tok[len(tok)-1] != '0']
		for name, bad := range map[string]string{"empty": "", "no prefix": strings.TrimPrefix(tok, "kluis_"), "wrong secret": wrong,
			"short": tok[:40], "not hex": tok[:len(tok)-1] + "z", "unknown key": "kluis_" + strings.Repeat("0", 32) + tok[len(tok)-65:]} {
			if _, err := env.DB.AuthenticateAPIKey(ctx, bad); !errors.Is(err, store.ErrAPIKeyInvalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		env.Clock.Advance(48 * time.Hour)
		if _, err := env.DB.AuthenticateAPIKey(ctx, tok); !errors.Is(err, store.ErrAPIKeyInvalid) {
			t.Errorf("expired: %v", err)
		}
		k2, tok2 := newKey(t, env, fx.tn.ID, store.NewAPIKey{Name: "tweede", Scopes: []string{store.ScopeSubmissionsRead}, Forms: []string{"vraag"}})
		if err := env.DB.RevokeAPIKey(ctx, clerk("admin"), fx.tn.ID, k2.ID); err != nil {
			t.Fatal(err)
		}
		if ev := lastEvent(t, env, fx.tn.ID); ev.Action != "api_key.revoke" || ev.ObjectID != k2.ID {
			t.Fatalf("revoke event: %+v", ev)
		}
		if _, err := env.DB.AuthenticateAPIKey(ctx, tok2); !errors.Is(err, store.ErrAPIKeyInvalid) {
			t.Errorf("revoked: %v", err)
		}
		if err := env.DB.RevokeAPIKey(ctx, clerk("admin"), fx.tn.ID, k2.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoke twice: %v", err)
		}
		other := newTenant(t, env, "brugge")
		if err := env.DB.RevokeAPIKey(ctx, clerk("admin"), other.ID, k.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoke another tenant's key: %v", err)
		}
		keys, err := env.DB.APIKeys(ctx, fx.tn.ID)
		if err != nil || len(keys) != 2 || keys[0].ID != k2.ID || keys[0].RevokedAt.IsZero() || keys[1].ActiveAt(env.Clock.Now()) {
			t.Fatalf("list: %+v %v", keys, err)
		}
		if keys, _ := env.DB.APIKeys(ctx, other.ID); len(keys) != 0 {
			t.Fatal("another tenant lists the keys")
		}
	})
}

// TestAPIKeyValidation: bad input names each field and stores nothing.
func TestAPIKeyValidation(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		for name, c := range map[string]struct {
			in    store.NewAPIKey
			field string
		}{
			"no name":      {store.NewAPIKey{Name: " ", Scopes: []string{store.ScopeSubmissionsRead}, Forms: []string{"vraag"}}, "name"},
			"long name":    {store.NewAPIKey{Name: strings.Repeat("x", 101), Scopes: []string{store.ScopeSubmissionsRead}, Forms: []string{"vraag"}}, "name"},
			"no scope":     {store.NewAPIKey{Name: "k", Forms: []string{"vraag"}}, "scopes"},
			"bad scope":    {store.NewAPIKey{Name: "k", Scopes: []string{"admin:all"}, Forms: []string{"vraag"}}, "scopes"},
			"no form":      {store.NewAPIKey{Name: "k", Scopes: []string{store.ScopeSubmissionsRead}}, "forms"},
			"unknown form": {store.NewAPIKey{Name: "k", Scopes: []string{store.ScopeSubmissionsRead}, Forms: []string{"nope"}}, "forms"},
			"past expiry":  {store.NewAPIKey{Name: "k", Scopes: []string{store.ScopeSubmissionsRead}, Forms: []string{"vraag"}, ExpiresAt: env.Clock.Now()}, "expires_at"},
		} {
			_, _, err := env.DB.CreateAPIKey(ctx, clerk("admin"), fx.tn.ID, c.in)
			var ve *store.APIKeyValidationError
			if !errors.As(err, &ve) || ve.Fields[c.field] == "" {
				t.Errorf("%s: %v", name, err)
			}
		}
		if keys, _ := env.DB.APIKeys(ctx, fx.tn.ID); len(keys) != 0 {
			t.Fatalf("invalid keys stored: %d", len(keys))
		}
	})
}

// TestClauseUSR7_APIKeySecretStoredHashed: neither the token nor its
// secret is anywhere in the database; only the key's name is in clear.
func TestClauseUSR7_APIKeySecretStoredHashed(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newInboxFixture(t, env, "gent")
		_, tok := newKey(t, env, fx.tn.ID, store.NewAPIKey{Name: "CONTROL-key-name", Scopes: []string{store.ScopeSubmissionsRead}, Forms: []string{"vraag"}})
		secret := tok[len(tok)-64:]
		if found := storetest.FindPlaintext(t, env, "CONTROL-key-name", tok, secret, secret[:32], secret[32:]); len(found) > 0 {
			t.Fatalf("the secret is stored in clear: %v", found)
		}
	})
}
