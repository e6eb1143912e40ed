package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// tenantFlagNames maps validation fields to the flags that set them.
var tenantFlagNames = map[string]string{
	"slug": "--slug", "legal_name": "--name", "enterprise_number": "--kbo",
	"dpo_name": "--dpo-name", "dpo_email": "--dpo-email", "default_lang": "--lang",
}

func tenantCreate(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "tenant create")
	var in tenant.New
	fs.StringVar(&in.Slug, "slug", "", "short name used in addresses, e.g. gent")
	fs.StringVar(&in.LegalName, "name", "", "legal name, e.g. \"Stad Gent\"")
	fs.StringVar(&in.EnterpriseNumber, "kbo", "", "enterprise number (KBO), e.g. 0207.451.227")
	fs.StringVar(&in.DPOName, "dpo-name", "", "name of the data protection officer")
	fs.StringVar(&in.DPOEmail, "dpo-email", "", "e-mail address of the data protection officer")
	fs.StringVar(&in.DefaultLang, "lang", "nl", "default language: nl, fr or en")
	cfg, _, err := load(env, fs, args)
	if err != nil {
		return err
	}
	// Validate before touching keys or database, so bad input writes nothing.
	if err := in.Normalize().Validate(); err != nil {
		return validationSentence(err)
	}
	db, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := db.CreateTenant(ctx, operatorActor(env), in)
	if err != nil {
		return validationSentence(err)
	}
	fmt.Fprintf(env.Stdout, "tenant %s created (id %s)\n", t.Slug, t.ID)
	return nil
}

func validationSentence(err error) error {
	var ve *tenant.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var parts []string
	for f, msg := range ve.Fields {
		parts = append(parts, tenantFlagNames[f]+" "+msg)
	}
	sort.Strings(parts)
	return fmt.Errorf("tenant not created: %s", strings.Join(parts, "; "))
}

func tenantList(ctx context.Context, env *Env, args []string) error {
	cfg, _, err := load(env, flags(env, "tenant list"), args)
	if err != nil {
		return err
	}
	db, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	ts, err := db.Tenants(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLUG\tNAME\tKBO\tLANG\tSTATUS\tCREATED\tID")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Slug, t.LegalName, tenant.FormatKBO(t.EnterpriseNumber),
			t.DefaultLang, t.Status, t.CreatedAt.Format("2006-01-02"), t.ID)
	}
	return tw.Flush()
}

// findTenant resolves a slug or id given as the first argument.
func findTenant(ctx context.Context, db *store.DB, rest []string, flagValue string) (tenant.Tenant, error) {
	ref := flagValue
	if ref == "" && len(rest) > 0 {
		ref = rest[0]
	}
	if ref == "" {
		return tenant.Tenant{}, usageError{"name the tenant by slug or id"}
	}
	t, err := db.Tenant(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		return t, fmt.Errorf("no tenant %q: `kluis tenant list` shows the tenants", ref)
	}
	if err == nil && t.IsPlatform() {
		return t, fmt.Errorf("%q is the operators' realm, not a tenant: use `kluis operator`", ref)
	}
	return t, err
}

func tenantShow(ctx context.Context, env *Env, args []string) error {
	return onTenant(ctx, env, "tenant show", args, tenantData, func(db *store.DB, t tenant.Tenant, actor audit.Actor) error {
		return showTenant(ctx, env, db, t, actor)
	})
}

func showTenant(ctx context.Context, env *Env, db *store.DB, t tenant.Tenant, actor audit.Actor) error {
	// The DPO contact is sealed personal data: opening it is audited in the
	// tenant's own log as a supplier intervention (AUD-3), under the grant.
	c, err := db.TenantContact(ctx, actor, t.ID, "tenant administration")
	dpo := c.DPOName + " <" + c.DPOEmail + ">"
	if errors.Is(err, store.ErrUnreadable) {
		dpo = "(unreadable: the tenant's keys are gone)"
	} else if err != nil {
		return err
	}
	head, _ := db.AuditHead(ctx, t.ID)
	ids, primary, kerr := db.Keys().KeyIDs(t.ID)
	keys := fmt.Sprintf("%d data key(s), primary %d", len(ids), primary)
	if kerr != nil {
		keys = "none (destroyed)"
	}
	reg := "none"
	if rv, err := db.CurrentRegister(ctx, t.ID); err == nil {
		reg = fmt.Sprintf("version %d (%s, by %s)", rv.Version, rv.CreatedAt.Format("2006-01-02 15:04"), rv.CreatedBy)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	for _, kv := range [][2]string{
		{"id", t.ID}, {"slug", t.Slug}, {"name", t.LegalName}, {"kbo", tenant.FormatKBO(t.EnterpriseNumber)},
		{"dpo", dpo}, {"language", t.DefaultLang}, {"status", t.Status}, {"created", t.CreatedAt.Format("2006-01-02 15:04:05 MST")},
		{"keys", keys}, {"register", reg}, {"audit events", fmt.Sprint(head.Seq)},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
	}
	return tw.Flush()
}

func tenantStatus(ctx context.Context, env *Env, args []string, status string) error {
	return onTenant(ctx, env, "tenant "+status, args, platform, func(db *store.DB, t tenant.Tenant, actor audit.Actor) error {
		if t.Status == status {
			fmt.Fprintf(env.Stdout, "tenant %s is already %s\n", t.Slug, status)
			return nil
		}
		if err := db.SetTenantStatus(ctx, actor, t.ID, status); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "tenant %s is now %s\n", t.Slug, status)
		return nil
	})
}

// onTenant runs a command that acts on one tenant, named by --tenant or the
// first argument: it loads the configuration, opens keys and database, and
// resolves the tenant before calling fn with the actor to record. A command
// on the tenant's data (tenantData) takes --grant and runs only under it.
func onTenant(ctx context.Context, env *Env, name string, args []string, acc access, fn func(*store.DB, tenant.Tenant, audit.Actor) error) error {
	return onTenantWith(ctx, env, name, args, acc, nil, fn)
}

// onTenantWith is onTenant for a command with flags of its own, which
// define adds to the flag set before it is parsed.
func onTenantWith(ctx context.Context, env *Env, name string, args []string, acc access, define func(*flag.FlagSet),
	fn func(*store.DB, tenant.Tenant, audit.Actor) error) error {
	fs := flags(env, name)
	ref := fs.String("tenant", "", "tenant slug or id")
	if define != nil {
		define(fs)
	}
	var grant *string
	if acc == tenantData {
		grant = grantFlag(fs)
	}
	cfg, rest, err := load(env, fs, args)
	if err != nil {
		return err
	}
	db, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := findTenant(ctx, db, rest, *ref)
	if err != nil {
		return err
	}
	actor := operatorActor(env)
	if acc == tenantData {
		if actor, err = granted(ctx, env, db, t, *grant, "kluis "+name); err != nil {
			return err
		}
	}
	return fn(db, t, actor)
}
