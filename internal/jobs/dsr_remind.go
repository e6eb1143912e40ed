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

// KindRequestRemind reminds each tenant's DPO of data-subject requests 7
// and 2 days before their statutory deadline (DSR-1). Idempotent: the store
// records each request's last reminder with the mail.
const KindRequestRemind = "dsr.remind"

// requestRemind is the handler of KindRequestRemind.
func requestRemind(ctx context.Context, db *store.DB, j store.Job) error {
	actor := audit.System(KindRequestRemind)
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
		if _, err := db.RemindSubjectRequests(ctx, actor, t.ID, reminderMail); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t.ID, err))
		}
	}
	return errors.Join(errs...)
}

// reminderMail is the reminder in the tenant's language. It names the
// kind of request and its deadline, never the person: the DPO opens the
// request in Kluis.
func reminderMail(t tenant.Tenant, r store.SubjectRequest, daysLeft int) store.OutgoingMail {
	l, ok := locale.Parse(t.DefaultLang)
	if !ok {
		l = locale.NL
	}
	last := r.DueAt.Add(-1).In(brussels).Format("02.01.2006")
	kind := locale.T(l, "dsr.kind."+string(r.Kind))
	return store.OutgoingMail{Lang: string(l),
		Subject: locale.T(l, "dsr.remind.subject", kind, last),
		Body:    locale.T(l, "dsr.remind.body", t.DPOName, kind, last, daysLeft, t.LegalName)}
}
