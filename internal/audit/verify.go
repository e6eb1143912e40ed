package audit

import (
	"bytes"
	"fmt"
)

// Head is the recorded end of a tenant's chain: the last sequence number and
// its hash. The store keeps it in the same transaction as each append, so a
// truncated tail is detected; signed checkpoints later let the controller
// keep a copy outside Kluis.
type Head struct {
	Seq  int64
	Hash []byte
}

// Verifier walks a tenant's events in sequence order and reports the first
// one that breaks the chain. Feed it with Next, then call Finish.
type Verifier struct {
	tenant string
	prev   []byte
	seq    int64
	err    error
}

// NewVerifier starts a verification of tenant's chain from its genesis.
func NewVerifier(tenant string) *Verifier {
	return &Verifier{tenant: tenant, prev: Genesis(tenant)}
}

// BrokenError names the first event that breaks the chain and why.
type BrokenError struct {
	Seq    int64
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit chain broken at event %d: %s", e.Seq, e.Reason)
}

// Next checks one event; after the first error it ignores the rest.
func (v *Verifier) Next(e *Event) error {
	if v.err != nil {
		return v.err
	}
	want := v.seq + 1
	switch {
	case e.TenantID != v.tenant:
		v.err = &BrokenError{e.Seq, "event belongs to another tenant"}
	case e.Seq != want:
		v.err = &BrokenError{want, fmt.Sprintf("event %d is missing (next present is %d)", want, e.Seq)}
	case !bytes.Equal(e.PrevHash, v.prev):
		v.err = &BrokenError{e.Seq, "previous-hash does not match the event before it"}
	case !bytes.Equal(e.ComputeHash(), e.Hash):
		v.err = &BrokenError{e.Seq, "content does not match its hash (edited)"}
	default:
		v.prev = e.Hash
		v.seq = e.Seq
	}
	return v.err
}

// Count is the number of events verified so far.
func (v *Verifier) Count() int64 { return v.seq }

// Finish compares the end of the walk with the recorded head.
func (v *Verifier) Finish(head Head) error {
	if v.err != nil {
		return v.err
	}
	if head.Seq > v.seq {
		return &BrokenError{v.seq + 1, fmt.Sprintf("log ends at event %d but the recorded head is %d (truncated)", v.seq, head.Seq)}
	}
	if head.Seq < v.seq {
		return &BrokenError{head.Seq + 1, fmt.Sprintf("events after the recorded head %d", head.Seq)}
	}
	if head.Seq > 0 && !bytes.Equal(head.Hash, v.prev) {
		return &BrokenError{head.Seq, "last event does not match the recorded head hash"}
	}
	return nil
}
