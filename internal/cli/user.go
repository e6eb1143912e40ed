package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

func userList(ctx context.Context, env *Env, args []string) error {
	return onTenant(ctx, env, "user list", args, tenantData, func(db *store.DB, t tenant.Tenant, actor audit.Actor) error {
		return listUsers(ctx, env, db, t, actor)
	})
}

var inviteFlagNames = map[string]string{"email": "--email", "name": "--name", "role": "--role", "lang": "--lang", "department": "--department"}

// userInvite bootstraps a tenant's first administrator (USR-1): it prints a
// one-time activation link where the person chooses their own password
// (USR-3); the supplier never sets or sees it. Later users are invited by
// the tenant's admins in the web interface, or here under a grant: without
// one only an administrator of a tenant that has no active administrator
// yet (onboarding: nobody could give a grant).
func userInvite(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "user invite")
	ref := fs.String("tenant", "", "tenant slug or id")
	grant := grantFlag(fs)
	role := fs.String("role", "admin", "admin (beheerder), user (medewerker) or dpo")
	var in account.Invite
	fs.StringVar(&in.Email, "email", "", "the person's e-mail address")
	fs.StringVar(&in.Name, "name", "", "the person's name")
	fs.StringVar(&in.Lang, "lang", "nl", "language of the account: nl, fr or en")
	cfg, rest, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if r, ok := account.ParseRole(*role); ok {
		in.Role = r
	} else {
		in.Role = account.Role(*role) // Validate names it
	}
	if err := in.Normalize().Validate(); err != nil {
		return inviteSentence(err, "user not invited")
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
	first := false
	if *grant == "" && in.Role == account.RoleAdmin {
		has, err := db.HasActiveAdmin(ctx, t.ID)
		if err != nil {
			return err
		}
		first = !has
	}
	if !first {
		if actor, err = granted(ctx, env, db, t, *grant, "kluis user invite"); err != nil {
			return err
		}
	}
	link := func(token string) string { return t.Link(cfg.BaseURL, "/activate/"+token) }
	u, tok, err := db.InviteUserWithMail(ctx, actor, t.ID, in, func(u account.User, token string) *store.OutgoingMail {
		return inviteMail(u, t, link(token))
	})
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("tenant %s already has a user with that e-mail address", t.Slug)
	}
	if err != nil {
		return inviteSentence(err, "user not invited")
	}
	fmt.Fprintf(env.Stdout, "invited %s as %s of %s (user id %s)\n", u.Email, u.Role, t.Slug, u.ID)
	fmt.Fprintf(env.Stdout, "invitation mail queued (sent when a mail relay is configured, KLUIS_SMTP_HOST)\n")
	fmt.Fprintf(env.Stdout, "activation link, valid for %s and usable once — hand it to the person only:\n%s\n",
		account.InvitationTTL, link(tok.Plain))
	return nil
}

// inviteMail is the invitation in the invited person's language.
func inviteMail(u account.User, t tenant.Tenant, link string) *store.OutgoingMail {
	l, _ := locale.Parse(u.Lang)
	return &store.OutgoingMail{
		To:      u.Email,
		Subject: locale.T(l, "mail.invite.subject", t.LegalName),
		Body:    locale.T(l, "mail.invite.body", u.Name, t.LegalName, locale.T(l, "role."+string(u.Role)), link),
		Lang:    u.Lang,
		Kind:    "account.invite",
	}
}

func inviteSentence(err error, what string) error {
	var ve *account.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var parts []string
	for f, msg := range ve.Fields {
		parts = append(parts, inviteFlagNames[f]+" "+msg)
	}
	sort.Strings(parts)
	return fmt.Errorf("%s: %s", what, strings.Join(parts, "; "))
}

func listUsers(ctx context.Context, env *Env, db *store.DB, t tenant.Tenant, actor audit.Actor) error {
	users, err := db.Users(ctx, actor, t.ID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tE-MAIL\tROLE\tSTATUS\tLANG\tCREATED\tID")
	for _, u := range users {
		if u.Status == account.StatusRemoved {
			u.Name, u.Email = "(removed "+account.Pseudonym(u.ID)+")", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.Email, u.Role, u.Status, u.Lang, u.CreatedAt.Format("2006-01-02"), u.ID)
	}
	return tw.Flush()
}
