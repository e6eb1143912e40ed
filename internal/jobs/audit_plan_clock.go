package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
)

// KindAuditPlanClock reminds the supplier of every corrective-action plan
// due within a week and not yet submitted, and again — the controller told
// too — once the month after the findings has passed (ADT-3). Idempotent:
// the store records each audit's stage with the mail.
const KindAuditPlanClock = "audits.clock"

// AuditPlanClockHandler is the handler of KindAuditPlanClock; links in the
// mails point under baseURL.
func AuditPlanClockHandler(baseURL string) Handler {
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		actor := audit.System(KindAuditPlanClock)
		actor.RequestID = "job-" + j.ID
		ids, err := db.TenantsWithOpenAuditPlans(ctx)
		if err != nil {
			return err
		}
		var errs []error
		for _, id := range ids {
			if _, err := db.WarnAuditPlans(ctx, actor, id, store.AuditMailer(baseURL)); err != nil {
				errs = append(errs, fmt.Errorf("tenant %s: %w", id, err))
			}
		}
		return errors.Join(errs...)
	}
}
