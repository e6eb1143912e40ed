package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/kluis/kluis/internal/mail"
	"github.com/kluis/kluis/internal/store"
)

// KindMailSend delivers the mail outbox.
const KindMailSend = "mail.send"

// errRelayNotAccepted: the relay is a sub-processor the mail's tenant has
// not accepted (SUB-2).
var errRelayNotAccepted = errors.New("the mail relay is a sub-processor the controller has not accepted (SUB-2)")

// mailBatch is how many mails one claim takes.
const mailBatch = 50

// MailHandler returns the handler of KindMailSend, delivering with s. Each
// run claims due mails, 50 at a time until fewer are due, and records every
// outcome: sent, or failed (permanently for a 5xx refusal, else to be
// retried with back-off). With no sender (nil: no relay configured) mails
// stay queued and the run succeeds; that is logged once per handler.
//
// Handlers() holds the handler without a sender; `kluis serve` replaces it:
//
//	h := jobs.Handlers()
//	h[jobs.KindMailSend] = jobs.MailHandler(sender, log)
func MailHandler(s *mail.Sender, log *slog.Logger) Handler {
	if log == nil {
		log = slog.Default()
	}
	var once sync.Once
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		if s == nil {
			once.Do(func() {
				log.Warn("jobs: no SMTP relay is configured; queued mail is not sent", "kind", KindMailSend)
			})
			return nil
		}
		return sendMail(ctx, db, s, log, j)
	}
}

func sendMail(ctx context.Context, db *store.DB, s *mail.Sender, log *slog.Logger, j store.Job) error {
	for ctx.Err() == nil {
		ms, err := db.ClaimMail(ctx, mailBatch)
		if err != nil {
			return err
		}
		var relayDown error
		for _, m := range ms {
			if ctx.Err() != nil {
				// Shutting down: what is left is due again once the
				// sending timeout runs out.
				return nil
			}
			// Outcomes are recorded even when ctx ends meanwhile: a mail
			// the relay accepted must not stay "sending" and go out again.
			octx := context.WithoutCancel(ctx)
			var err error
			// The announcement of a sub-processor goes out through it even
			// so: the controller cannot decide on what it is not told.
			refused := false
			if m.Kind != "subprocessor.announce" {
				var rerr error
				if refused, rerr = db.SubProcessorRouteRefused(octx, m.TenantID, s.Host(), "mail relay"); rerr != nil {
					return rerr
				}
			}
			switch {
			case refused:
				// The relay is a sub-processor this tenant has not accepted
				// (SUB-2): its mail does not go there; the refusal is in
				// its log and the mail is tried again later.
				err = errRelayNotAccepted
			case relayDown != nil:
				// The relay failed us on an earlier mail of this batch; it
				// would again, so do not wait out its timeout 49 more times.
				err = relayDown
			default:
				err = s.Send(ctx, m.To, m.Subject, m.Body, m.Lang)
			}
			if err == nil {
				if err := db.MailSent(octx, m.ID); err != nil {
					return err
				}
				log.Info("jobs: mail sent", "mail", m.ID, "tenant", m.TenantID, "kind", m.Kind, "attempt", m.Attempts, "job", j.ID)
				continue
			}
			// err names only an SMTP status, never the recipient. A relay
			// that is down or refuses us is no reason to give up on the
			// mail: it waits for the relay however long that takes.
			if mail.IsRelayFailure(err) {
				relayDown = err
				if err := db.MailDeferred(octx, m.ID, err.Error()); err != nil {
					return err
				}
			} else if err := db.MailFailed(octx, m.ID, mail.IsPermanent(err), err.Error()); err != nil {
				return err
			}
			log.Warn("jobs: mail not sent", "mail", m.ID, "tenant", m.TenantID, "kind", m.Kind, "attempt", m.Attempts,
				"permanent", mail.IsPermanent(err), "err", err, "job", j.ID)
		}
		if len(ms) < mailBatch || relayDown != nil {
			return nil
		}
	}
	return nil
}
