package web

import (
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/magda"
)

// How the look-up and the monthly overview use the one audited MAGDA call
// (magda_call.go): the look-up asks through magdaPerson, and the overview
// reads its two audit events back.

// registerAsk makes the one audited call for the look-up: the form's
// register purpose with the reason the user stated (AUD-1).
func (a *App) registerAsk(r *http.Request, me account.User, purpose, reason, insz string) (*magda.Result, *MagdaOutcome, error) {
	return a.magdaPerson(r.Context(), tenantFrom(r.Context()), userActor(me, RequestIDFrom(r.Context())),
		MagdaPurpose{ID: purpose, Reason: reason}, insz)
}

// registerOutcome is a look-up that found no address, in words, with the
// page's status: an answer of the register (no one, not in the repertory)
// is a 200, a refusal or broken answer a 502, the register out of reach a
// 503 or 504, no connection a 503. A call that could not be recorded was
// not made: that is an internal error (500, no message).
func (a *App) registerOutcome(r *http.Request, err error) (string, int) {
	status := http.StatusBadGateway
	switch {
	case errors.Is(err, magda.ErrNotFound), errors.Is(err, magda.ErrNotInRepertory):
		status = http.StatusOK
	case errors.Is(err, magda.ErrTimeout):
		status = http.StatusGatewayTimeout
	case errors.Is(err, magda.ErrUnavailable), errors.Is(err, errMagdaNotConfigured):
		status = http.StatusServiceUnavailable
	case errors.Is(err, errMagdaBadINSZ), errors.Is(err, errMagdaNoPurpose):
		status = http.StatusUnprocessableEntity
	}
	var ce *magda.CallError
	if status == http.StatusBadGateway && !errors.As(err, &ce) {
		return "", http.StatusInternalServerError
	}
	return a.magdaMessage(r, err), status
}

// magdaCall is one national register call as the audit log holds it: the
// "magda.call" event before it and the "magda.answer" event after it,
// joined by their MAGDA reference.
type magdaCall struct {
	At                          time.Time
	Seq                         int64 // the magda.call event's place in the log
	Reference, Purpose, Reason  string
	ActorID, ActorKind, Subject string
	Outcome                     string // a magda.Outcome* code, or rrNoAnswer
}

// rrNoAnswer is a call whose answer was never recorded (the node stopped
// during the call): the adviser sees it rather than losing it.
const rrNoAnswer = "no_answer"

// magdaCallActions are the audit codes of a call.
var magdaCallActions = []string{"magda.call", "magda.answer"}

// magdaCallsOf joins the calls' events by reference, oldest call first.
// The purpose text is "MAGDA reference R; purpose P[: reason]", and the
// answer's "MAGDA reference R; outcome O[ (warnings W)]; purpose …" (see
// store.RecordMagdaCall and RecordMagdaAnswer).
func magdaCallsOf(evs []audit.Event) []magdaCall {
	byRef := map[string]*magdaCall{}
	outcome := map[string]string{}
	var order []*magdaCall
	for _, e := range evs {
		rest, ok := strings.CutPrefix(e.Purpose, "MAGDA reference "+e.ObjectID+"; ")
		if !ok || e.ObjectID == "" {
			continue
		}
		switch e.Action {
		case "magda.call":
			c := &magdaCall{At: e.Time, Seq: e.Seq, Reference: e.ObjectID, ActorID: e.Actor.ID, ActorKind: string(e.Actor.Kind), Subject: e.Subject,
				Outcome: rrNoAnswer}
			p, _ := strings.CutPrefix(rest, "purpose ")
			c.Purpose, c.Reason, _ = strings.Cut(p, ": ")
			byRef[e.ObjectID] = c
			order = append(order, c)
		case "magda.answer":
			o, _ := strings.CutPrefix(rest, "outcome ")
			o, _, _ = strings.Cut(o, ";")
			o, _, _ = strings.Cut(o, " ")
			outcome[e.ObjectID] = o
		}
	}
	out := make([]magdaCall, 0, len(order))
	for _, c := range order {
		if o, ok := outcome[c.Reference]; ok {
			c.Outcome = o
		}
		out = append(out, *c)
	}
	// The log is read newest first; the file lists the month in order.
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}
