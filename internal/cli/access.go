package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os/user"
	"strings"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// No unaudited operator reads (AUD-3, AUD-4): every command that reads or
// changes a tenant's data runs only under a permission of that tenant —
// today an operator grant its administrator gave the operator running the
// command — named with --grant, checked by store.OperatorAccess, and
// recorded as the on-behalf-of of every audit event the command writes.
// The exceptions are declared here, per command, and explained in
// docs/operations.md ("Operator commands and grants"); the test
// TestClauseAUD3_EveryTenantCommandNeedsAGrant runs every command of the
// table without a grant and fails for one that is not refused and not a
// documented exception.

// access says what a command touches, and so whether it needs a grant.
type access int

const (
	// tenantData: reads or changes a tenant's data; --grant is required.
	tenantData access = iota
	// platform: acts on the platform or a tenant's account without
	// reading its data (keys, schema, tenant status, hashes); no grant.
	platform
	// supplierOnly: concerns only the supplier's own staff or machine.
	supplierOnly
	// onboarding: a tenant's first administrator, while it has none and
	// so nobody who could give a grant; with --grant otherwise.
	onboarding
)

// subcommand is one entry of a command's table: kluis <command> <name>.
type subcommand struct {
	name   string
	access access
	run    func(ctx context.Context, env *Env, args []string) error
}

// dispatch runs the subcommand args[0] of cmd.
func dispatch(ctx context.Context, env *Env, cmd string, subs []subcommand, args []string) error {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	if len(args) == 0 {
		return usageError{fmt.Sprintf("say what to do: kluis %s %s", cmd, strings.Join(names, "|"))}
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, env, args[1:])
		}
	}
	return usageError{fmt.Sprintf("unknown %s command %q: use %s", cmd, args[0], strings.Join(names, ", "))}
}

// grantFlag adds --grant to a tenant-data command's flags.
func grantFlag(fs *flag.FlagSet) *string {
	return fs.String("grant", "", "the id of the tenant's active access grant to you (required: see docs/operations.md)")
}

// operatorLogin is who runs the command: KLUIS_OPERATOR, else the login.
func operatorLogin(env *Env) string {
	if name := env.Getenv("KLUIS_OPERATOR"); name != "" {
		return name
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}

// granted checks that grantID lets the operator running the command reach
// t's data now and returns the actor to record the command's events under
// (the operator's account, on behalf of the grant). Refused: a usageError,
// exit status 2, before anything of the tenant is read.
func granted(ctx context.Context, env *Env, db *store.DB, t tenant.Tenant, grantID, what string) (audit.Actor, error) {
	who := operatorLogin(env)
	p, err := db.OperatorAccess(ctx, t.ID, who, grantID)
	var ae *store.AccessError
	if errors.As(err, &ae) {
		if grantID == "" {
			return audit.Actor{}, usageError{fmt.Sprintf("%s touches the data of tenant %s: give --grant ID, an active grant of %s's administrator to your operator account (%s)",
				what, t.Slug, t.Slug, who)}
		}
		return audit.Actor{}, usageError{fmt.Sprintf("%s refused for tenant %s: %s", what, t.Slug, ae.Reason)}
	}
	if err != nil {
		return audit.Actor{}, err
	}
	actor := p.Actor(operatorActor(env).RequestID)
	// The command itself is in the tenant's log under the grant, also when
	// the store method it calls records nothing of its own (AUD-3).
	if err := db.Audit(ctx, audit.Event{TenantID: t.ID, Actor: actor, Action: "operator.command", ObjectType: "command",
		ObjectID: what, Purpose: "support under grant"}); err != nil {
		return audit.Actor{}, err
	}
	return actor, nil
}
