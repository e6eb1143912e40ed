package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
)

// KindAuthorityClock reminds the supplier's operators — and the
// controller, once told — of every authority request still open some
// working days before the deadline the authority set, and again when it
// has passed (REG-5). Idempotent: the store records each request's stage
// with the mails.
const KindAuthorityClock = "authority.clock"

// AuthorityClockHandler is the handler of KindAuthorityClock; links in the
// mails point under baseURL.
func AuthorityClockHandler(baseURL string) Handler {
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		actor := audit.System(KindAuthorityClock)
		actor.RequestID = "job-" + j.ID
		ids, err := db.TenantsWithOpenAuthorityRequests(ctx)
		if err != nil {
			return err
		}
		var errs []error
		for _, id := range ids {
			if _, err := db.RemindAuthorityDeadlines(ctx, actor, id, store.AuthorityMailer(baseURL)); err != nil {
				errs = append(errs, fmt.Errorf("tenant %s: %w", id, err))
			}
		}
		return errors.Join(errs...)
	}
}
