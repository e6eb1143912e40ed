package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// KindBreachAttempts reads every active tenant's recent audit log for the
// signs of a serious attempt (BRE-1: lockout storms, repeated refusals,
// refused uploads, a broken chain, an access report judged a breach
// candidate) and opens a draft breach for review per cause and window.
// Idempotent: the store records each window it opened a draft for.
const KindBreachAttempts = "breach.attempts"

// attemptLookback is how far back each run reads: a few windows, so that
// a run missed (a node down) still finds a burst, and a burst straddling
// two runs is seen whole.
const attemptLookback = 2 * time.Hour

// breachAttempts is the handler of KindBreachAttempts.
func breachAttempts(ctx context.Context, db *store.DB, j store.Job) error {
	ts, err := db.AuditChains(ctx)
	if err != nil {
		return err
	}
	actor := audit.System(KindBreachAttempts)
	actor.RequestID = "job-" + j.ID
	since := db.Now().Add(-attemptLookback)
	var errs []error
	for _, t := range ts {
		if t.Status != tenant.StatusActive {
			continue
		}
		if _, err := db.OpenAttemptDrafts(ctx, actor, t.ID, since, AttemptText); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t.ID, err))
		}
	}
	return errors.Join(errs...)
}

// AttemptText is a draft's description, in Dutch (the supplier's
// language, as the escalation mails): the cause and the first and last
// event's time, no content of any event.
func AttemptText(a breach.Attempt) string {
	return locale.T(locale.NL, "scope.description", locale.T(locale.NL, breach.CauseKey(a.Cause), breach.CauseArgs(a.Cause, a.Events)...),
		a.WindowStart.In(brussels).Format("02.01.2006 15:04:05"), a.Last.In(brussels).Format("02.01.2006 15:04:05"))
}
