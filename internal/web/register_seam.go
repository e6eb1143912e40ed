package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/magda"
)

// The seam with the tenant's MAGDA connection and its one audited call
// function: until it is merged, no tenant has a connection, and every
// look-up says so.

// magdaCall is one national register call as the audit log records it.
type magdaCall struct {
	At                                  time.Time
	Reference, Purpose, Reason, ActorID string
	Subject, Outcome                    string
}

// magdaCallActions are the audit codes of a call.
var magdaCallActions = []string{"magda.call"}

// magdaCallsOf reads the calls out of their audit events.
func magdaCallsOf(evs []audit.Event) []magdaCall { return nil }

// registerAsk makes the one audited call.
func (a *App) registerAsk(r *http.Request, me account.User, purpose, reason, insz string) (*magda.Result, error) {
	return nil, &magda.CallError{Err: magda.ErrUnavailable}
}

// registerOutcome is a failed call in words, with the page's status.
func (a *App) registerOutcome(r *http.Request, err error) (string, int) {
	if errors.Is(err, magda.ErrUnavailable) {
		return a.t(r, "mlookup.outcome.unavailable"), http.StatusServiceUnavailable
	}
	return "", http.StatusInternalServerError
}
