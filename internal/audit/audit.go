// Package audit owns the shape of Kluis's audit log: who did what to which
// object, for which purpose and with what outcome, and the hash chain that
// makes each tenant's log tamper-evident. It is pure Go: it imports only the
// standard library, does no I/O, and knows nothing about SQL. The store writes
// events in the same transaction as the change they describe (contract AUD-1).
package audit

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"time"
)

// ActorKind says what kind of party performed an action.
type ActorKind string

// The kinds of actor. Operator is supplier staff (AUD-3); System is Kluis
// itself (jobs, the scheduler); APIKey is an integration calling /api/v1.
const (
	KindUser     ActorKind = "user"
	KindOperator ActorKind = "operator"
	KindSystem   ActorKind = "system"
	KindAPIKey   ActorKind = "apikey"
	KindCitizen  ActorKind = "citizen"
)

// Actor is the party on whose account a store method runs. Every store method
// that reads or writes personal data takes one; there is no anonymous path.
type Actor struct {
	Kind ActorKind
	// ID identifies the actor within its kind: a user id, an operator id, a
	// job name. Never a name or an e-mail address.
	ID   string
	Role string
	// OnBehalfOf names the controller's grant under which supplier staff act
	// (AUD-4); empty otherwise.
	OnBehalfOf string
	// RequestID ties the event to the HTTP request or CLI invocation.
	RequestID string
}

// System returns the actor for work Kluis does by itself, named after the job.
func System(job string) Actor { return Actor{Kind: KindSystem, ID: job, Role: "system"} }

// Validate reports whether the actor is complete enough to be recorded.
func (a Actor) Validate() error {
	switch a.Kind {
	case KindUser, KindOperator, KindSystem, KindAPIKey, KindCitizen:
	case "":
		return errors.New("audit: actor has no kind")
	default:
		return fmt.Errorf("audit: unknown actor kind %q", a.Kind)
	}
	if a.ID == "" {
		return errors.New("audit: actor has no id")
	}
	return nil
}

// Outcome of an action.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeDenied  = "denied"
)

// Event is one entry of a tenant's audit log.
type Event struct {
	TenantID   string
	Seq        int64 // 1, 2, 3 … per tenant, no gaps
	Time       time.Time
	Actor      Actor
	Action     string // e.g. "submission.create", "submission.read"
	ObjectType string
	ObjectID   string
	// Subject is the data subject's pseudonym (a keyed blind index, hex), never content.
	Subject  string
	Purpose  string
	Outcome  string
	PrevHash []byte
	Hash     []byte
}

// Validate reports whether the event can be recorded.
func (e Event) Validate() error {
	if e.TenantID == "" {
		return errors.New("audit: event without tenant")
	}
	if err := e.Actor.Validate(); err != nil {
		return err
	}
	if e.Action == "" {
		return errors.New("audit: event without action")
	}
	if _, ok := LookupAction(e.Action); !ok {
		// A code the log cannot read as a sentence (AUD-2): register it,
		// with its sentences, in actions.go.
		return fmt.Errorf("audit: action %q is not registered", e.Action)
	}
	switch e.Outcome {
	case OutcomeSuccess, OutcomeFailure, OutcomeDenied:
	default:
		return fmt.Errorf("audit: unknown outcome %q", e.Outcome)
	}
	return nil
}

// ComputeHash returns the SHA-256 over a canonical, length-prefixed encoding
// of every field of the event and the previous event's hash, so changing any
// field, or the order of events, changes the hash.
func (e Event) ComputeHash() []byte {
	s := sha256.Sum256(e.appendCanonical(nil))
	return s[:]
}

// Genesis is the previous-hash of a tenant's first event.
func Genesis(tenantID string) []byte {
	s := sha256.Sum256([]byte("kluis/audit/genesis/" + tenantID))
	return s[:]
}
