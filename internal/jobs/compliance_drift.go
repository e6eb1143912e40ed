package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// KindComplianceDrift measures every clause of every active tenant's
// agreement from live facts each hour, and tells the DPO and the admins
// when one flipped since the last run (ADT-1: the controller gets the
// information it needs to show compliance, also between two readings of
// the report). Idempotent: the store compares with its snapshot and
// records each flip once.
const KindComplianceDrift = "compliance.drift"

// ComplianceMeasure measures every clause of tenantID's agreement at now.
type ComplianceMeasure func(ctx context.Context, db *store.DB, tenantID string, now time.Time) ([]store.ClauseState, error)

// ComplianceDriftHandler is the handler of KindComplianceDrift; measure
// reads the facts, the mails link under baseURL.
func ComplianceDriftHandler(baseURL string, measure ComplianceMeasure) Handler {
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		if measure == nil {
			return nil
		}
		actor := audit.System(KindComplianceDrift)
		actor.RequestID = "job-" + j.ID
		ts, err := db.Tenants(ctx)
		if err != nil {
			return err
		}
		var errs []error
		for _, t := range ts {
			if t.Status != tenant.StatusActive {
				continue
			}
			states, err := measure(ctx, db, t.ID, db.Now())
			if err == nil {
				_, err = db.RecordComplianceDrift(ctx, actor, t.ID, states, store.DriftMailer(baseURL))
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("tenant %s: %w", t.ID, err))
			}
		}
		return errors.Join(errs...)
	}
}
