package store_test

import (
	"errors"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/password"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestASVS_7_2_4_SessionRotatedOnMFA: passing the second factor replaces
// the password's session token; the old token no longer works, the new one
// is MFA-verified and keeps the session's absolute expiry.
func TestASVS_7_2_4_SessionRotatedOnMFA(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		fast := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 2)
		const pw = "paardenbloem kastanjeboom vijver"
		_, tok, err := env.DB.InviteUser(ctx, operator, tn.ID, anInvite)
		if err != nil {
			t.Fatal(err)
		}
		hash, _ := fast.Hash(ctx, pw)
		if _, err := env.DB.ActivateUser(ctx, tn.ID, tok.Plain, hash, "r"); err != nil {
			t.Fatal(err)
		}
		_, old, err := env.DB.Login(ctx, tn.ID, anInvite.Email, pw, fast, account.DefaultLockout, "r")
		if err != nil {
			t.Fatal(err)
		}
		_, before, err := env.DB.Session(ctx, tn.ID, string(old))
		if err != nil || before.MFAVerified {
			t.Fatalf("password session: %+v %v", before, err)
		}
		rotated, err := env.DB.MarkSessionMFA(ctx, tn.ID, string(old))
		if err != nil || rotated == old || rotated == "" {
			t.Fatalf("rotate: %q %v", rotated, err)
		}
		if _, _, err := env.DB.Session(ctx, tn.ID, string(old)); !errors.Is(err, store.ErrSessionInvalid) {
			t.Fatalf("old token still works: %v", err)
		}
		_, after, err := env.DB.Session(ctx, tn.ID, string(rotated))
		if err != nil || !after.MFAVerified || !after.AbsoluteExpiry.Equal(before.AbsoluteExpiry) {
			t.Fatalf("rotated session: %+v %v", after, err)
		}
		if _, err := env.DB.MarkSessionMFA(ctx, tn.ID, string(old)); !errors.Is(err, store.ErrSessionInvalid) {
			t.Fatalf("rotating a revoked session: %v", err)
		}
	})
}
