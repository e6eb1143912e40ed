package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// runOperator manages the supplier's own staff: the platform operators.
// They sign in at /operator/ (password and mandatory MFA) and have no
// standing access to any controller's data: a controller's admin grants
// them time-boxed access from the controller's own pages.
func runOperator(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usageError{"say what to do: kluis operator add|list|notice"}
	}
	switch args[0] {
	case "add":
		return operatorAdd(ctx, env, args[1:])
	case "list":
		return operatorList(ctx, env, args[1:])
	case "notice":
		return operatorNotice(ctx, env, args[1:])
	}
	return usageError{fmt.Sprintf("unknown operator command %q: use add, list or notice", args[0])}
}

// operatorAdd invites a member of the supplier's staff and prints the
// one-time activation link where they choose their own password.
func operatorAdd(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "operator add")
	in := account.Invite{Role: account.RoleAdmin}
	fs.StringVar(&in.Email, "email", "", "the person's e-mail address")
	fs.StringVar(&in.Name, "name", "", "the person's name")
	fs.StringVar(&in.Lang, "lang", "nl", "language of the account: nl, fr or en")
	cfg, _, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if err := in.Normalize().Validate(); err != nil {
		return inviteSentence(err, "operator not added")
	}
	db, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	actor := operatorActor(env)
	realm, err := db.OperatorRealm(ctx, actor)
	if err != nil {
		return err
	}
	link := func(token string) string { return cfg.BaseURL + "/" + realm.Slug + "/activate/" + token }
	u, tok, err := db.InviteUserWithMail(ctx, actor, realm.ID, in, func(u account.User, token string) *store.OutgoingMail {
		l, _ := locale.Parse(u.Lang)
		return &store.OutgoingMail{To: u.Email, Subject: locale.T(l, "mail.operator_invite.subject"),
			Body: locale.T(l, "mail.operator_invite.body", u.Name, link(token)), Lang: u.Lang, Kind: "operator.invite"}
	})
	if errors.Is(err, store.ErrConflict) {
		return errors.New("an operator with that e-mail address exists already")
	}
	if err != nil {
		return inviteSentence(err, "operator not added")
	}
	fmt.Fprintf(env.Stdout, "added operator %s (id %s); they sign in at %s/%s/login with a password and MFA\n",
		u.Email, u.ID, cfg.BaseURL, realm.Slug)
	fmt.Fprintf(env.Stdout, "operators have no access to any controller's data until its admin grants it\n")
	fmt.Fprintf(env.Stdout, "activation link, valid for %s and usable once — hand it to the person only:\n%s\n",
		account.InvitationTTL, link(tok.Plain))
	return nil
}

func operatorList(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "operator list")
	cfg, _, err := load(env, fs, args)
	if err != nil {
		return err
	}
	db, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	realm, err := db.TenantBySlug(ctx, tenant.OperatorSlug)
	if errors.Is(err, store.ErrNotFound) {
		fmt.Fprintln(env.Stdout, "no operators yet: kluis operator add --email … --name …")
		return nil
	} else if err != nil {
		return err
	}
	users, err := db.Users(ctx, operatorActor(env), realm.ID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tE-MAIL\tSTATUS\tLANG\tCREATED\tID")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.Email, u.Status, u.Lang, u.CreatedAt.Format("2006-01-02"), u.ID)
	}
	return tw.Flush()
}
