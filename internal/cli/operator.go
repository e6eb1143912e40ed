package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// kluis operator manages the supplier's own staff: the platform operators.
// They sign in at /operator/ (password and mandatory MFA) and have no
// standing access to any controller's data: a controller's admin grants
// them time-boxed access from the controller's own pages.

// operatorAdd invites a member of the supplier's staff and prints the
// one-time activation link where they choose their own password.
func operatorAdd(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "operator add")
	in := account.Invite{Role: account.RoleAdmin}
	fs.StringVar(&in.Email, "email", "", "the person's e-mail address")
	fs.StringVar(&in.Name, "name", "", "the person's name")
	fs.StringVar(&in.Lang, "lang", "nl", "language of the account: nl, fr or en")
	fs.StringVar(&in.Department, "department", "", "the person's department or role, shown to every controller (AUD-5)")
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
	if len(users) == 0 { // the realm exists for the platform log alone
		fmt.Fprintln(env.Stdout, "no operators yet: kluis operator add --email … --name …")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tE-MAIL\tSTATUS\tLANG\tCREATED\tID")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.Email, u.Status, u.Lang, u.CreatedAt.Format("2006-01-02"), u.ID)
	}
	return tw.Flush()
}

// operatorSet changes an operator's department; every controller is told
// (AUD-5), in its log and by mail to its DPO.
func operatorSet(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "operator set")
	email := fs.String("email", "", "the operator's e-mail address")
	department := fs.String("department", "", "the new department or role (empty: none)")
	cfg, _, err := load(env, fs, args)
	if err != nil {
		return err
	}
	deptGiven := false
	fs.Visit(func(f *flag.Flag) { deptGiven = deptGiven || f.Name == "department" })
	if *email == "" || !deptGiven {
		return usageError{"say whom and what: kluis operator set --email ADDRESS --department NAME"}
	}
	if msg := account.DepartmentProblem(strings.TrimSpace(*department)); msg != "" {
		return usageError{"--department " + msg}
	}
	db, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SetOperatorDepartment(ctx, operatorActor(env), *email, *department); errors.Is(err, store.ErrNoSuchOperator) {
		return errors.New("no operator has that e-mail address: `kluis operator list` shows them")
	} else if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "department set; every controller sees it on its staff list and was told\n")
	return nil
}

// operatorStatus suspends, re-admits or removes an operator account (or
// resets its second factor). Every controller is told in its log and by
// mail to its DPO (AUD-5); a removed account is gone from every staff list.
func operatorStatus(what string) func(ctx context.Context, env *Env, args []string) error {
	return func(ctx context.Context, env *Env, args []string) error {
		fs := flags(env, "operator "+what)
		email := fs.String("email", "", "the operator's e-mail address")
		cfg, _, err := load(env, fs, args)
		if err != nil {
			return err
		}
		if *email == "" {
			return usageError{"say whom: kluis operator " + what + " --email ADDRESS"}
		}
		db, err := openAll(ctx, cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		id, err := db.OperatorID(ctx, *email)
		if errors.Is(err, store.ErrNoSuchOperator) {
			return errors.New("no operator has that e-mail address: `kluis operator list` shows them")
		} else if err != nil {
			return err
		}
		realm, err := db.TenantBySlug(ctx, tenant.OperatorSlug)
		if err != nil {
			return err
		}
		actor := operatorActor(env)
		switch what {
		case "suspend":
			err = db.DisableUser(ctx, actor, realm.ID, id)
		case "reactivate":
			err = db.EnableUser(ctx, actor, realm.ID, id)
		case "remove":
			err = db.RemoveUser(ctx, actor, realm.ID, id)
		case "reset-mfa":
			err = db.RemoveTOTP(ctx, actor, realm.ID, id)
		}
		if errors.Is(err, store.ErrLastAdmin) {
			return errors.New("that is the last active operator: add another one first")
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "operator %s: %s done; every controller sees it on its staff list and was told\n", *email, what)
		return nil
	}
}
