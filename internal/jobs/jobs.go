// Package jobs runs Kluis's durable background work: a worker inside
// `kluis serve` that claims due jobs from the store, and a scheduler that
// enqueues the periodic ones. The schedule is declared here, in one place.
// Every job is idempotent (a periodic job's dedupe key names its time slot)
// and writes its own audit events where it touches a tenant. On PostgreSQL
// only the node holding the advisory lock schedules; every node works.
//
// It imports store and the domain packages.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// Job kinds.
const (
	KindAuditVerify = "audit.verify"
)

// Periodic is a job the scheduler enqueues once per period.
type Periodic struct {
	Kind  string
	Every time.Duration
	// Offset moves the slots from multiples of Every (midnight UTC for a
	// day) to that much later: the daily backup at 03:30 (END-2).
	Offset time.Duration
}

// Schedule is every periodic job of the platform. Later work (retention
// sweeps, audit checkpoints, the mail outbox, breach clocks) is added here.
var Schedule = []Periodic{
	{Kind: KindAuditVerify, Every: 24 * time.Hour},
	{Kind: KindMailSend, Every: 30 * time.Second},
	{Kind: KindExportSweep, Every: 15 * time.Minute},
	{Kind: KindWebhookSend, Every: 15 * time.Second},
	{Kind: KindDraftSweep, Every: 15 * time.Minute},
	{Kind: KindAttachmentSweep, Every: 15 * time.Minute},
	{Kind: KindRetention, Every: 24 * time.Hour},
	{Kind: KindAuditCheckpoint, Every: 15 * time.Minute}, // `kluis serve` puts the configured period in
	{Kind: KindAuditPrune, Every: 24 * time.Hour},
	{Kind: KindCheckpointDigest, Every: 24 * time.Hour},
	{Kind: KindCheckpointPush, Every: time.Minute},
	{Kind: KindRequestRemind, Every: time.Hour},
	{Kind: KindBreachClock, Every: 5 * time.Minute},
	{Kind: KindBreachAttempts, Every: 5 * time.Minute},
	{Kind: KindAuditPlanClock, Every: time.Hour},
	{Kind: KindAuthorityClock, Every: time.Hour},
	{Kind: KindComplianceDrift, Every: time.Hour},
}

// ScheduleWith is Schedule with the audit checkpoints signed every
// checkpointEvery (when not zero).
func ScheduleWith(checkpointEvery time.Duration) []Periodic {
	s := slices.Clone(Schedule)
	for i := range s {
		if s[i].Kind == KindAuditCheckpoint && checkpointEvery > 0 {
			s[i].Every = checkpointEvery
		}
	}
	return s
}

// Handler does one job. It must be idempotent: a job can run again after a
// crash between its work and its completion.
type Handler func(ctx context.Context, db *store.DB, j store.Job) error

// Handlers maps each kind to its handler.
func Handlers() map[string]Handler {
	return map[string]Handler{
		KindAuditVerify: auditVerify,
		// No export directory: `kluis serve` puts the data directory's in.
		KindExportBuild:     ExportBuildHandler(""),
		KindExportSweep:     ExportSweepHandler(""),
		KindFullExportBuild: FullExportBuildIn(nil),   // no export store: `kluis serve` puts its own in
		KindMailSend:        MailHandler(nil, nil),    // no relay: `kluis serve` puts one in (see MailHandler)
		KindWebhookSend:     WebhookHandler(nil, nil), // no allow-list: `kluis serve` puts its own in (see WebhookHandler)
		KindDraftSweep:      draftSweep,
		KindAttachmentSweep: attachmentSweep,
		KindRetention:       retention,
		// The key's name comes from the base URL: `kluis serve` puts it in.
		KindAuditCheckpoint:  CheckpointHandler("kluis.example/audit"),
		KindAuditPrune:       PruneHandler("kluis.example/audit"),
		KindCheckpointDigest: checkpointDigest,
		KindCheckpointPush:   CheckpointPushHandler(nil, nil), // no allow-list: `kluis serve` puts its own in
		KindRequestRemind:    requestRemind,
		KindBreachClock:      BreachClockHandler(""), // no officer: `kluis serve` puts the configured one in
		KindBreachAttempts:   breachAttempts,
		KindAuditPlanClock:   AuditPlanClockHandler(""),       // no base URL: `kluis serve` puts its own in
		KindAuthorityClock:   AuthorityClockHandler(""),       // no base URL: `kluis serve` puts its own in
		KindComplianceDrift:  ComplianceDriftHandler("", nil), // no base URL nor measure: `kluis serve` puts its own in
	}
}

// Runner is the worker and scheduler of one node.
type Runner struct {
	DB       *store.DB
	Log      *slog.Logger
	Node     string
	Poll     time.Duration // how often to look for work; default 2 s
	Lease    time.Duration // how long a claimed job is ours; default 5 min
	Handlers map[string]Handler
	Schedule []Periodic
	// Observer, when set, hears every finished job and what the audit
	// verification and retention jobs found (the operators' metrics).
	Observer Observer
}

// Observer hears what the worker does, for the operators' metrics. It is
// told job kinds, tenant ids and counts, never anything about a person.
type Observer interface {
	// JobFinished: a job of kind ran at at; err is its failure or nil.
	JobFinished(kind string, err error, at time.Time)
	// AuditVerified: the daily check of a tenant's audit chain (AUD-2).
	AuditVerified(tenantID string, ok bool)
	// RetentionRan: one tenant's retention run (SEC-1) with what it
	// removed or anonymised, or its failure.
	RetentionRan(counts []store.RetentionCount, err error)
}

type observerKey struct{}

// observerFrom returns the Observer the runner put in ctx, or one that
// hears nothing.
func observerFrom(ctx context.Context) Observer {
	if o, ok := ctx.Value(observerKey{}).(Observer); ok && o != nil {
		return o
	}
	return noObserver{}
}

type noObserver struct{}

func (noObserver) JobFinished(string, error, time.Time)       {}
func (noObserver) AuditVerified(string, bool)                 {}
func (noObserver) RetentionRan([]store.RetentionCount, error) {}

// Run works until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	if r.Poll <= 0 {
		r.Poll = 2 * time.Second
	}
	if r.Lease <= 0 {
		r.Lease = 5 * time.Minute
	}
	if r.Handlers == nil {
		r.Handlers = Handlers()
	}
	if r.Schedule == nil {
		r.Schedule = Schedule
	}
	var lead *store.Leadership
	defer func() {
		if lead != nil {
			lead.Release()
		}
	}()
	tick := time.NewTicker(r.Poll)
	defer tick.Stop()
	for {
		if lead != nil && !lead.Alive(ctx) {
			lead.Release()
			lead = nil
			r.Log.Warn("jobs: lost the scheduler lock; trying to take it again", "node", r.Node)
		}
		if lead == nil {
			l, ok, err := r.DB.Leader(ctx)
			if err != nil && ctx.Err() == nil {
				r.Log.Warn("jobs: leader election failed", "err", err)
			}
			if ok {
				lead = l
				r.Log.Info("jobs: this node schedules periodic jobs", "node", r.Node)
			}
		}
		if lead != nil {
			if err := r.EnqueueDue(ctx); err != nil && ctx.Err() == nil {
				r.Log.Warn("jobs: schedule", "err", err)
			}
		}
		for ctx.Err() == nil {
			did, err := r.RunOne(ctx)
			if err != nil && ctx.Err() == nil {
				r.Log.Warn("jobs: run", "err", err)
			}
			if !did {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// EnqueueDue enqueues every periodic job for the current time slot; the
// dedupe key makes a second call in the same slot a no-op.
func (r *Runner) EnqueueDue(ctx context.Context) error {
	now := r.DB.Now()
	var errs []error
	for _, p := range r.Schedule {
		slot := now.Add(-p.Offset).Truncate(p.Every).Add(p.Offset)
		key := fmt.Sprintf("%s@%s", p.Kind, slot.UTC().Format(time.RFC3339))
		if _, _, err := r.DB.EnqueueJob(ctx, store.NewJob{Kind: p.Kind, DedupeKey: key, RunAt: slot}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// RunOne claims and runs one due job. did is false when none was due.
func (r *Runner) RunOne(ctx context.Context) (did bool, err error) {
	j, err := r.DB.ClaimJob(ctx, r.Node, r.Lease)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	h, ok := r.Handlers[j.Kind]
	var runErr error
	if !ok {
		runErr = fmt.Errorf("no handler for job kind %q", j.Kind)
	} else {
		hctx := ctx
		if r.Observer != nil {
			hctx = context.WithValue(ctx, observerKey{}, r.Observer)
		}
		runErr = safeRun(hctx, h, r.DB, j)
	}
	if r.Observer != nil {
		r.Observer.JobFinished(j.Kind, runErr, r.DB.Now())
	}
	if runErr != nil {
		r.Log.Warn("jobs: job failed", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "err", runErr)
	} else {
		r.Log.Info("jobs: job done", "job", j.ID, "kind", j.Kind)
	}
	return true, r.DB.FinishJob(ctx, j, runErr)
}

func safeRun(ctx context.Context, h Handler, db *store.DB, j store.Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return h(ctx, db, j)
}

// auditVerify walks every active tenant's audit chain (the operators' realm
// included) and records the result
// in that tenant's own log, so the controller sees the daily integrity check
// (AUD-2). A broken chain is also logged for the operators, by tenant id.
func auditVerify(ctx context.Context, db *store.DB, j store.Job) error {
	ts, err := db.AuditChains(ctx)
	if err != nil {
		return err
	}
	actor := audit.System(KindAuditVerify)
	actor.RequestID = "job-" + j.ID
	var errs []error
	for _, t := range ts {
		if t.Status != tenant.StatusActive {
			continue
		}
		_, verr := db.VerifyAudit(ctx, t.ID)
		observerFrom(ctx).AuditVerified(t.ID, verr == nil)
		ev := audit.Event{TenantID: t.ID, Actor: actor, Action: "audit.verify", ObjectType: "audit_log", ObjectID: t.ID,
			Purpose: "integrity", Outcome: audit.OutcomeSuccess}
		if verr != nil {
			ev.Outcome = audit.OutcomeFailure
			errs = append(errs, fmt.Errorf("tenant %s: %w", t.ID, verr))
		}
		if err := db.Audit(ctx, ev); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
