package jobs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/compliance"
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

// ComplianceMeasure measures every clause of tenantID's agreement at now,
// reading the facts as actor.
type ComplianceMeasure func(ctx context.Context, db *store.DB, actor audit.Actor, tenantID string, now time.Time) ([]store.ClauseState, error)

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
			states, err := measure(ctx, db, actor, t.ID, db.Now())
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

// MeasureCompliance measures with the compliance report on platform p:
// Collect reads the live facts, counts only (no name is opened, so no
// hourly compliance.read fills the log), Build answers every clause.
func MeasureCompliance(p compliance.Platform) ComplianceMeasure {
	return func(ctx context.Context, db *store.DB, actor audit.Actor, tenantID string, now time.Time) ([]store.ClauseState, error) {
		f, err := compliance.Collect(ctx, db, tenantID, now, compliance.Options{Actor: actor, Platform: p, CountsOnly: true})
		if err != nil {
			return nil, err
		}
		return ClauseStates(compliance.Build(f)), nil
	}
}

// personalEvidence are the evidence labels whose value names a person
// (an admin without a second factor): the snapshot keeps no personal data,
// the reason's counts say what changed.
var personalEvidence = map[string]bool{"compliance.ev.admin_without_mfa": true}

// ClauseStates turns the report into what the snapshot keeps per clause:
// the status, the reason with its arguments (store.DriftReasonFact, what
// the alert shows as before and now), and each evidence item's value for
// machines by its label (a repeated label numbered: "…#2").
func ClauseStates(r compliance.Report) []store.ClauseState {
	out := make([]store.ClauseState, 0, len(r.Items))
	for _, it := range r.Items {
		facts := map[string]string{store.DriftReasonFact: store.EncodeDriftReason(it.Reason, it.ReasonArgs...)}
		seen := map[string]int{}
		for _, e := range it.Evidence {
			if personalEvidence[e.Label] {
				continue
			}
			seen[e.Label]++
			k := e.Label
			if n := seen[e.Label]; n > 1 {
				k += "#" + strconv.Itoa(n)
			}
			facts[k] = e.Value
		}
		out = append(out, store.ClauseState{Clause: it.ID, Status: string(it.Status), Facts: facts, MeasuredAt: r.At})
	}
	return out
}
