package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/oidc"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// EnvOIDCClientSecret is where `kluis oidc add` reads the client secret
// when no --client-secret-file is given: never from argv, where other
// users of the machine and the shell history would see it.
const EnvOIDCClientSecret = "KLUIS_OIDC_CLIENT_SECRET"

func oidcListCommand(ctx context.Context, env *Env, args []string) error {
	return onTenant(ctx, env, "oidc list", args, tenantData, func(db *store.DB, t tenant.Tenant, _ audit.Actor) error {
		return oidcList(ctx, env, db, t)
	})
}

var oidcFlagNames = map[string]string{"name": "--name", "preset": "--preset", "issuer": "--issuer", "client_id": "--client-id",
	"client_secret": "the client secret (" + EnvOIDCClientSecret + " or --client-secret-file)", "display_name": "--display-name", "acr": "--acr"}

// oidcAdd configures an OpenID provider for a tenant (USR-2).
func oidcAdd(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "oidc add")
	ref := fs.String("tenant", "", "tenant slug or id")
	grant := grantFlag(fs)
	var s oidc.Settings
	preset := fs.String("preset", "", "fas-eid, fas-itsme, acm or generic")
	fs.StringVar(&s.Name, "name", "", "name in the login address /{tenant}/login/oidc/{name} (default: the preset)")
	fs.StringVar(&s.DisplayName, "display-name", "", "label of a generic provider's button (default: the name)")
	fs.StringVar(&s.Issuer, "issuer", "", "issuer URL (default for fas-* and acm: their production issuer)")
	fs.StringVar(&s.ClientID, "client-id", "", "client id registered at the provider")
	acr := fs.String("acr", "", "generic only: acr values accepted, space-separated (a login meeting one counts as second factor)")
	secretFile := fs.String("client-secret-file", "", "file holding the client secret (else "+EnvOIDCClientSecret+")")
	argvSecret := fs.String("client-secret", "", "refused: the secret never goes on the command line (use "+EnvOIDCClientSecret+" or --client-secret-file)")
	cfg, rest, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if *argvSecret != "" {
		return usageError{"the client secret is not taken from the command line, where others can read it: set " + EnvOIDCClientSecret +
			" or use --client-secret-file"}
	}
	s.Preset = oidc.Preset(*preset)
	if *acr != "" {
		s.RequiredACR = []string{*acr}
	}
	if *secretFile != "" {
		b, err := os.ReadFile(*secretFile)
		if err != nil {
			return fmt.Errorf("client secret file: %s", strings.TrimPrefix(err.Error(), "open "))
		}
		s.ClientSecret = string(b)
	} else {
		s.ClientSecret = env.Getenv(EnvOIDCClientSecret)
	}
	// Validate before touching keys or database, so bad input writes nothing.
	if err := s.Normalize().Validate(); err != nil {
		return oidcSentence(err)
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
	actor, err := granted(ctx, env, db, t, *grant, "kluis oidc add")
	if err != nil {
		return err
	}
	p, err := db.AddOIDCProvider(ctx, actor, t.ID, s)
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("tenant %s already has an OpenID provider named %q: choose another --name", t.Slug, s.Normalize().Name)
	}
	if err != nil {
		return oidcSentence(err)
	}
	fmt.Fprintf(env.Stdout, "OpenID provider %s (%s) added to %s, issuer %s\n", p.Name, p.Preset, t.Slug, p.Issuer)
	fmt.Fprintf(env.Stdout, "register this redirect URI at the provider: %s/%s/login/oidc/callback\n", cfg.BaseURL, t.Slug)
	return nil
}

func oidcSentence(err error) error {
	var ve *oidc.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var parts []string
	for f, msg := range ve.Fields {
		parts = append(parts, oidcFlagNames[f]+" "+msg)
	}
	sort.Strings(parts)
	return fmt.Errorf("OpenID provider not added: %s", strings.Join(parts, "; "))
}

func oidcList(ctx context.Context, env *Env, db *store.DB, t tenant.Tenant) error {
	ps, err := db.OIDCProviders(ctx, t.ID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPRESET\tISSUER\tCLIENT ID\tACR\tENABLED\tCREATED")
	for _, p := range ps {
		acr := strings.Join(p.Requirement().ACRValues, " ")
		if acr == "" {
			acr = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\t%s\n", p.Name, p.Preset, p.Issuer, p.ClientID, acr, p.Enabled, p.CreatedAt.Format("2006-01-02"))
	}
	return tw.Flush()
}

func oidcRemove(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "oidc remove")
	ref := fs.String("tenant", "", "tenant slug or id")
	grant := grantFlag(fs)
	name := fs.String("name", "", "the provider's name (see `kluis oidc list`)")
	cfg, rest, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if *name == "" && len(rest) > 0 && *ref != "" {
		*name = rest[0]
	}
	if *name == "" {
		return usageError{"name the provider to remove: --name NAME (see `kluis oidc list`)"}
	}
	db, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := findTenant(ctx, db, nil, *ref)
	if err != nil {
		return err
	}
	actor, err := granted(ctx, env, db, t, *grant, "kluis oidc remove")
	if err != nil {
		return err
	}
	n, err := db.RemoveOIDCProvider(ctx, actor, t.ID, *name)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("tenant %s has no OpenID provider named %q: `kluis oidc list --tenant %s` shows them", t.Slug, *name, t.Slug)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "OpenID provider %s removed from %s; %d linked identities removed\n", *name, t.Slug, n)
	return nil
}
