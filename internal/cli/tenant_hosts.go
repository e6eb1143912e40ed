package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// tenantHosts lists a tenant's own host names, or adds or removes one
// (audited like the admin page). Host names are no personal data: no grant.
func tenantHosts(ctx context.Context, env *Env, args []string) error {
	var add, remove *string
	define := func(fs *flag.FlagSet) {
		add = fs.String("add", "", "host name to give the tenant (www.gemeente.be)")
		remove = fs.String("remove", "", "host name to take from the tenant")
	}
	return onTenantWith(ctx, env, "tenant hosts", args, platform, define, func(db *store.DB, t tenant.Tenant, actor audit.Actor) error {
		if *add != "" {
			host, err := db.AddTenantHost(ctx, actor, t.ID, *add)
			var ve *tenant.ValidationError
			if errors.As(err, &ve) {
				return fmt.Errorf("host name %q not added: %s", *add, locale.T(locale.EN, ve.Fields[tenant.FieldHost]))
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "tenant %s now has host name %s\n", t.Slug, host)
		}
		if *remove != "" {
			if err := db.RemoveTenantHost(ctx, actor, t.ID, *remove); err != nil {
				return fmt.Errorf("host name %q not removed: %w", *remove, err)
			}
			fmt.Fprintf(env.Stdout, "tenant %s no longer has host name %s\n", t.Slug, *remove)
		}
		hosts, err := db.TenantHosts(ctx, t.ID)
		if err != nil {
			return err
		}
		for _, h := range hosts {
			fmt.Fprintln(env.Stdout, h.Host)
		}
		return nil
	})
}
