package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// KindBreachClock warns the supplier's security officer about every breach
// not yet reported to its controller 18 hours after discovery, and again
// when the 24 hours of BRE-1 have passed. Idempotent: the store records
// each breach's stage with the mail.
const KindBreachClock = "breach.clock"

// BreachClockHandler is the handler of KindBreachClock, mailing officer
// (the configured security officer's address). Without one it does
// nothing: the clocks still show on the pages.
func BreachClockHandler(officer string) Handler {
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		if officer == "" {
			return nil
		}
		actor := audit.System(KindBreachClock)
		actor.RequestID = "job-" + j.ID
		ids, err := db.TenantsWithUnreportedBreaches(ctx)
		if err != nil {
			return err
		}
		var errs []error
		for _, id := range ids {
			if _, err := db.EscalateBreaches(ctx, actor, id, officer, escalationMail); err != nil {
				errs = append(errs, fmt.Errorf("tenant %s: %w", id, err))
			}
		}
		return errors.Join(errs...)
	}
}

// escalationMail is the security officer's warning, in Dutch (the
// supplier's language): the tenant, the breach's id and its deadline, no
// content of the form.
func escalationMail(t tenant.Tenant, b store.Breach, stage int) store.OutgoingMail {
	due := b.ControllerClock(b.DiscoveredAt).Due.In(brussels).Format("02.01.2006 15:04")
	disc := b.DiscoveredAt.In(brussels).Format("02.01.2006 15:04")
	key := "breach.escalate.warn"
	if stage >= 24 {
		key = "breach.escalate.overdue"
	}
	return store.OutgoingMail{Lang: string(locale.NL),
		Subject: locale.T(locale.NL, key+".subject", t.LegalName),
		Body:    locale.T(locale.NL, key+".body", t.LegalName, b.ID, disc, due)}
}
