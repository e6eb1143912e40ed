package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/workdays"
)

// operatorNotice announces maintenance for a tenant (AUD-4): the operator
// named by --operator may then read the tenant's pages, as under a grant,
// only inside the window, which must start at least the tenant's minimum
// number of Belgian working days from today. The tenant's admins and DPO
// are mailed and may object or shorten it. Bad input names every flag at
// fault in one sentence and exits 2; nothing is stored.
func operatorNotice(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "operator notice")
	ref := fs.String("tenant", "", "the tenant (slug or id) the maintenance is for")
	email := fs.String("operator", "", "e-mail address of the operator who will do the maintenance")
	from := fs.String("from", "", "start, Brussels time: 2027-05-10T09:00 or 10.05.2027 09:00")
	until := fs.String("until", "", "end, Brussels time, at most 7 days after the start")
	scope := fs.String("scope", "", "what is maintained (sealed; no citizens' personal data)")
	reason := fs.String("reason", "", "why (sealed; e.g. a change ticket)")
	cfg, rest, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q: name the tenant with --tenant", rest[0])}
	}
	in := store.NoticeInput{Operator: *email, Scope: *scope, Reason: *reason}
	bad := map[string]string{}
	for _, w := range []struct {
		flag, text string
		dst        *time.Time
	}{{"from", *from, &in.From}, {"until", *until, &in.Until}} {
		if strings.TrimSpace(w.text) == "" {
			continue // the store names it as required
		}
		t, err := workdays.ParseLocal(w.text)
		if err != nil {
			bad[w.flag] = locale.T(locale.EN, "maintenance.error."+w.flag+"_invalid")
			continue
		}
		*w.dst = t
	}
	if *ref == "" {
		return usageError{"--tenant is required: the tenant the maintenance is for"}
	}
	db, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := findTenant(ctx, db, nil, *ref)
	if err != nil {
		return usageError{err.Error()}
	}
	n, err := db.AnnounceMaintenance(ctx, operatorActor(env), t.ID, in)
	var ve *store.NoticeValidationError
	switch {
	case errors.As(err, &ve) || len(bad) > 0:
		if ve != nil {
			for f, key := range ve.Fields {
				if _, unparsed := bad[f]; unparsed {
					continue // "required" or "too soon" would say less than the parse error
				}
				if key == "maintenance.error.too_soon" {
					bad[f] = locale.T(locale.EN, key, ve.Days, ve.Earliest.In(workdays.Brussels).Format("Mon 02.01.2006"))
				} else {
					bad[f] = locale.T(locale.EN, key)
				}
			}
		}
		var parts []string
		for _, f := range []string{"operator", "from", "until", "scope", "reason"} {
			if m, ok := bad[f]; ok {
				parts = append(parts, "--"+f+": "+m)
			}
		}
		return usageError{"maintenance not announced: " + strings.Join(parts, "; ")}
	case errors.Is(err, store.ErrNoSuchOperator):
		return usageError{"maintenance not announced: --operator: " + locale.T(locale.EN, "maintenance.error.no_operator")}
	case err != nil:
		return err
	}
	const layout = "Mon 02.01.2006 15:04"
	fmt.Fprintf(env.Stdout, "announced maintenance %s for %s from %s until %s (Brussels time)\n", n.ID, t.Slug,
		n.StartsAt.In(workdays.Brussels).Format(layout), n.EndsAt.In(workdays.Brussels).Format(layout))
	fmt.Fprintf(env.Stdout, "the tenant's admins and DPO are mailed; they may object or shorten it; access opens only inside the window\n")
	return nil
}
