package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/password"
	"github.com/kluis/kluis/internal/store"
)

// DemoOperator is the demo's supplier operator: the account under which
// the CLI works on the demo tenant (fake data only), by a grant that the
// demo seed gives as the demo tenant.
const DemoOperator = "demo-operator@kluis.example"

// DemoOperatorFile is the file in the data directory that names the demo
// operator and its grant, as KLUIS_OPERATOR=… and KLUIS_GRANT=… lines.
const DemoOperatorFile = "demo-operator.env"

// ensureDemoGrant gives the demo operator (made on first start, with a
// password nobody knows: it works through the CLI only) a 72-hour grant
// of the demo tenant when it has none that lasts another day, and writes
// it to DemoOperatorFile. The grant is the demo tenant's own, in its log as
// given by the demo seed: the honest way for scripts and the browser tests
// to run `kluis user invite` on the demo (AUD-4), with no bypass.
func ensureDemoGrant(ctx context.Context, env *Env, db *store.DB, dataDir string) error {
	seed := audit.System("demo.seed")
	t, err := db.Tenant(ctx, DemoSlug)
	if err != nil {
		return err
	}
	opID, err := db.OperatorID(ctx, DemoOperator)
	if errors.Is(err, store.ErrNoSuchOperator) {
		realm, err := db.OperatorRealm(ctx, seed)
		if err != nil {
			return err
		}
		_, tok, err := db.InviteUser(ctx, seed, realm.ID, account.Invite{Email: DemoOperator, Name: "Demo Operator",
			Role: account.RoleAdmin, Lang: "nl", Department: "Demo"})
		if err != nil {
			return fmt.Errorf("demo operator: %w", err)
		}
		// The hash of a random password nobody is shown: the account works
		// through the command line only.
		secret, err := account.NewToken()
		if err != nil {
			return err
		}
		hash, err := password.NewHasher(password.DefaultParams, 1).Hash(ctx, secret.Plain)
		if err != nil {
			return err
		}
		u, err := db.ActivateUser(ctx, realm.ID, tok.Plain, hash, "demo.seed")
		if err != nil {
			return fmt.Errorf("demo operator: %w", err)
		}
		opID = u.ID
	} else if err != nil {
		return err
	}
	g, err := db.ActiveOperatorGrant(ctx, t.ID, opID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && g.ExpiresAt.Sub(db.Now()) < 24*time.Hour) {
		g, err = db.GrantOperatorAccess(ctx, seed, t.ID, store.GrantInput{Email: DemoOperator,
			Reason: "demo: the command line and the browser tests on fake data", Duration: store.OperatorGrantMax})
	}
	if err != nil {
		return fmt.Errorf("demo grant: %w", err)
	}
	body := "KLUIS_OPERATOR=" + DemoOperator + "\nKLUIS_GRANT=" + g.ID + "\n"
	path := filepath.Join(dataDir, DemoOperatorFile)
	if b, err := os.ReadFile(path); err == nil && string(b) == body {
		return nil
	}
	// On PostgreSQL nothing else has made the data directory yet.
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("demo grant: %w", err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		return fmt.Errorf("demo grant: %w", err)
	}
	fmt.Fprintf(env.Stdout, "demo operator %s has grant %s of tenant %s until %s (%s)\n", DemoOperator, g.ID, t.Slug,
		g.ExpiresAt.UTC().Format(time.RFC3339), strings.TrimPrefix(path, "./"))
	return nil
}
