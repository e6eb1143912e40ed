package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/ident"
	"github.com/kluis/kluis/internal/magda"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// The one way the web layer asks the national register (LOC-2): every
// caller (a citizen's prefill, a civil servant's look-up) goes through
// magdaPerson, which builds the client from the tenant's stored connection
// and meets the consumer's logging duty fail closed: the call is recorded
// ("magda.call", with its MAGDA reference, purpose, actor and the person's
// pseudonym) before it leaves, and no call leaves when that record cannot
// be written; its outcome ("magda.answer") is recorded under the same
// reference after it.

var (
	// errMagdaNotConfigured: the tenant has no (usable) connection.
	errMagdaNotConfigured = errors.New("magda: the organisation has no national register connection")
	// errMagdaBadINSZ: not a national register number (wrong length or
	// check digits); nothing is sent, so nothing is recorded.
	errMagdaBadINSZ = errors.New("magda: not a valid national register number")
	// errMagdaNoPurpose: a call needs the register purpose it serves.
	errMagdaNoPurpose = errors.New("magda: a call needs a register purpose")
)

// MagdaPurpose is why a call is made: the processing register's purpose it
// serves (its id) and, when a member of staff asks, the reason they stated.
type MagdaPurpose struct {
	ID     string // the register purpose's id
	Reason string // the stated reason; "" for a citizen's own prefill
}

// MagdaOutcome is what a call that left amounted to: its reference (in both
// audit events), the outcome code (magda.Outcome*) and any warnings.
type MagdaOutcome struct {
	Reference string
	Code      string
	Warnings  []magda.Exception
}

// magdaPerson asks GeefPersoon for the person with national register
// number insz, for purpose, as actor. It returns the person and the
// outcome; when the call was made but found no one or failed, the outcome
// is returned with the error (a *magda.CallError). Errors before any call:
// errMagdaBadINSZ, errMagdaNoPurpose, errMagdaNotConfigured, or a store
// error when the call could not be recorded (then no call was made). When
// the answer cannot be recorded, the person is withheld and an error
// returned with the outcome.
func (a *App) magdaPerson(ctx context.Context, t tenant.Tenant, actor audit.Actor, purpose MagdaPurpose, insz string) (*magda.Result, *MagdaOutcome, error) {
	db := a.opts.Store
	if db == nil {
		return nil, nil, errMagdaNotConfigured
	}
	if strings.TrimSpace(purpose.ID) == "" {
		return nil, nil, errMagdaNoPurpose
	}
	n, err := ident.INSZ(insz)
	if err != nil {
		return nil, nil, errMagdaBadINSZ
	}
	insz = n.Digits
	conn, err := db.MagdaConnection(ctx, t.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errMagdaNotConfigured
	}
	if err != nil {
		return nil, nil, fmt.Errorf("MAGDA connection: %w", err)
	}
	client, err := magdaClient(conn.Settings, db.Now)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", errMagdaNotConfigured, err)
	}
	call := store.MagdaCall{Reference: magda.NewReference(), Purpose: purpose.ID, Reason: purpose.Reason, INSZ: insz}
	var res *magda.Result
	var callErr error
	out := &MagdaOutcome{Reference: call.Reference}
	made, err := db.AuditedMagdaCall(ctx, actor, t.ID, call, func() (string, []string) {
		res, callErr = client.GeefPersoonWithReference(ctx, call.Reference, insz)
		out.Code = magda.OutcomeOf(callErr)
		var ce *magda.CallError
		switch {
		case res != nil:
			out.Warnings = res.Warnings
		case errors.As(callErr, &ce) && ce.Outcome != nil:
			out.Warnings = ce.Outcome.Warnings
		}
		return out.Code, warningCodes(out.Warnings)
	})
	if !made {
		return nil, nil, fmt.Errorf("MAGDA call not recorded, so not made: %w", err)
	}
	if err != nil {
		return nil, out, fmt.Errorf("MAGDA answer not recorded, so withheld: %w", err)
	}
	a.log.Info("national register call", "tenant", t.ID, "reference", call.Reference, "outcome", out.Code)
	if callErr != nil {
		return nil, out, callErr
	}
	return res, out, nil
}

// warningCodes are the codes of an answer's warnings, as the audit log
// records them.
func warningCodes(ws []magda.Exception) []string {
	codes := make([]string, len(ws))
	for i, w := range ws {
		codes[i] = w.Identificatie
	}
	return codes
}

// magdaClient makes a client from stored settings with the store's clock.
func magdaClient(s magda.Settings, now func() time.Time) (*magda.Client, error) {
	cfg, err := s.Config()
	if err != nil {
		return nil, err
	}
	cfg.Now = now
	return magda.NewClient(cfg)
}

// magdaMessageKey is the catalogue key of the sentence for err (nil: a
// person was found).
func magdaMessageKey(err error) string {
	switch {
	case errors.Is(err, errMagdaNotConfigured):
		return "magda.msg.not_configured"
	case errors.Is(err, errMagdaBadINSZ):
		return "magda.msg.bad_insz"
	case errors.Is(err, errMagdaNoPurpose):
		return "magda.msg.no_purpose"
	}
	var ce *magda.CallError
	if err == nil || errors.As(err, &ce) {
		return "magda.msg." + magda.OutcomeOf(err)
	}
	return "magda.msg.failed"
}

// magdaMessage is a clear sentence in the reader's language for what a
// call (or the attempt) amounted to; never a raw code.
func (a *App) magdaMessage(r *http.Request, err error) string {
	return a.t(r, magdaMessageKey(err))
}
