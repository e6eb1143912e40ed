package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
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
	buf    []byte // scratch for the canonical encoding
}

// NewVerifier starts a verification of tenant's chain from its genesis.
func NewVerifier(tenant string) *Verifier {
	return &Verifier{tenant: tenant, prev: Genesis(tenant)}
}

// ResumeVerifier continues a verification of tenant's chain after the event
// after.Seq whose hash is after.Hash, as if a verifier had just accepted it.
// It lets a long chain be checked in parts: the part that starts at event
// after.Seq+1 is checked on its own, and the event after.Seq is checked
// where it is read, by the verifier of the part before.
func ResumeVerifier(tenant string, after Head) *Verifier {
	return &Verifier{tenant: tenant, prev: bytes.Clone(after.Hash), seq: after.Seq}
}

// BrokenError names the first event that breaks the chain and why.
type BrokenError struct {
	Seq    int64
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit chain broken at event %d: %s", e.Seq, e.Reason)
}

// Next checks one event; after the first error it ignores the rest. The
// verifier keeps no reference to e, so the caller may reuse it.
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
	case !v.hashMatches(e):
		v.err = &BrokenError{e.Seq, "content does not match its hash (edited)"}
	default:
		v.prev = append(v.prev[:0], e.Hash...)
		v.seq = e.Seq
	}
	return v.err
}

// hashMatches reports whether e.Hash is e.ComputeHash(), computed without
// allocating.
func (v *Verifier) hashMatches(e *Event) bool {
	v.buf = e.appendCanonical(v.buf[:0])
	sum := sha256.Sum256(v.buf)
	return bytes.Equal(sum[:], e.Hash)
}

// appendCanonical appends the encoding that ComputeHash hashes: every
// field, strings length-prefixed, integers as 8 bytes big-endian. Changing
// it changes every hash: existing logs would no longer verify (a test pins
// known hashes).
func (e *Event) appendCanonical(b []byte) []byte {
	str := func(b []byte, s string) []byte {
		return append(binary.BigEndian.AppendUint64(b, uint64(len(s))), s...)
	}
	b = str(b, "kluis/audit/v1")
	b = str(b, e.TenantID)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixMicro()))
	b = str(b, string(e.Actor.Kind))
	b = str(b, e.Actor.ID)
	b = str(b, e.Actor.Role)
	b = str(b, e.Actor.OnBehalfOf)
	b = str(b, e.Actor.RequestID)
	b = str(b, e.Action)
	b = str(b, e.ObjectType)
	b = str(b, e.ObjectID)
	b = str(b, e.Subject)
	b = str(b, e.Purpose)
	b = str(b, e.Outcome)
	b = binary.BigEndian.AppendUint64(b, uint64(len(e.PrevHash)))
	return append(b, e.PrevHash...)
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
