package auditproof

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/kluis/kluis/internal/audit"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"
)

// Events yields a tenant's events in the order they are stored: it reads
// the next into e and reports false at the end. ExportReader.Next is one;
// SliceEvents makes one of a slice.
type Events func(e *audit.Event) (bool, error)

// SliceEvents yields the events of a slice.
func SliceEvents(events []audit.Event) Events {
	i := 0
	return func(e *audit.Event) (bool, error) {
		if i >= len(events) {
			return false, nil
		}
		*e = events[i]
		i++
		return true, nil
	}
}

// SignedCheckpoint is a kept checkpoint as the controller has it: its
// signed note, and a name to call it by in errors (its file name).
type SignedCheckpoint struct {
	Name string
	Note []byte
}

// Report is what a verification that passed checked.
type Report struct {
	Events      int64  // events in the export, each recomputed and chained from the genesis (or the pruning record)
	Checkpoints int    // kept checkpoints that hold
	Size        uint64 // the largest checkpoint's size
	Root        []byte // the export's root (over all its events)

	// Pruned is the size of the pruning record the export starts after
	// (0: none, the export starts at the genesis).
	Pruned uint64
	// Covered names the kept checkpoints of a size up to Pruned that the
	// pruning record is shown consistent with: their root is computed
	// from its frontier. They count in Checkpoints.
	Covered []string
	// Unprovable names the kept checkpoints below Pruned whose root
	// cannot be computed from the record's frontier: whether the pruned
	// events were the ones they covered can be shown only with an export
	// of those events, kept before the pruning. They do not count in
	// Checkpoints.
	Unprovable []string
}

// TailError is a break in the chain after the largest checkpoint: the
// export is damaged, but no checkpoint the controller kept covers it.
type TailError struct {
	Largest uint64 // the largest checkpoint's size
	Err     *audit.BrokenError
}

func (e *TailError) Error() string {
	return fmt.Sprintf("%v (after the largest checkpoint, of size %d)", e.Err, e.Largest)
}

func (e *TailError) Unwrap() error { return e.Err }

// Verify checks a tenant's exported events against the checkpoints the
// controller kept, with nothing else: no database, key store or network.
//
// It checks, and fails on the first checkpoint (in order of size; for
// format and signature in the order given) that no longer holds, with a
// *CheckpointError:
//   - every checkpoint is a signed note by key v, of log origin (format,
//     signature, origin);
//   - no two checkpoints of the same size differ (fork);
//   - every event recomputes to its hash and chains to the one before it,
//     from tenant's genesis (chain: the checkpoint is the first that covers
//     the bad event; edits, deletions and reordering fail here);
//   - the root of the first N events is each checkpoint's root for its size
//     N (root: a log rewritten with recomputed hashes fails here);
//   - the export reaches the largest checkpoint (truncated);
//   - each checkpoint is consistent with the one before it, by a
//     consistency proof computed from the export (consistency).
//
// A read error of events (an *ExportError) is returned as it is, and a
// break in the chain after the largest checkpoint as a *TailError.
func Verify(tenantID, origin string, v note.Verifier, kept []SignedCheckpoint, events Events) (*Report, error) {
	return VerifyFrom(tenantID, origin, v, nil, kept, events)
}

// PrunedName is how a verification names the pruning record's own
// checkpoint in its errors.
const PrunedName = "(the pruning record's checkpoint)"

// VerifyFrom is Verify of an export that starts after a pruning record
// (pruned; nil: from the genesis), as the export of a log whose retention
// removed its oldest events carries it (AUD-2, ADT-1).
//
// The record and its checkpoint are checked first (a *PruningError): both
// signed by v, of origin, the frontier folding to the root, the checkpoint
// of the record's size and root. The events then chain from the record's
// last hash, at its size, and the tree resumes from its frontier, so that
// every checkpoint of the record's size or larger is checked as Verify
// checks it, the record's own checkpoint among them (a kept checkpoint of
// exactly that size that differs from it is a fork). A kept checkpoint
// smaller than the record is covered by it when its root can be computed
// from the frontier (its size ends one of the frontier's subtrees), and
// fails CheckPruning when that root differs; otherwise it cannot be
// checked without the pruned events, and the report says so (Unprovable).
func VerifyFrom(tenantID, origin string, v note.Verifier, pruned *Pruned, kept []SignedCheckpoint, events Events) (*Report, error) {
	type held struct {
		Checkpoint
		name string
	}
	var rec Pruning
	cps := make([]held, 0, len(kept)+1)
	if pruned != nil {
		p, c, err := ParsePruned(*pruned, origin, v)
		if err != nil {
			return nil, err
		}
		rec = p
		cps = append(cps, held{c, PrunedName}) // first: a kept one of its size is named in a fork
	}
	for _, k := range kept {
		c, err := Parse(k.Name, k.Note, origin, v)
		if err != nil {
			return nil, err
		}
		cps = append(cps, held{c, k.Name})
	}
	slices.SortStableFunc(cps, func(a, b held) int { return cmpSize(a.Size, b.Size) })
	fail := func(c held, check Check, reason string) error {
		return &CheckpointError{Name: c.name, Origin: c.Origin, Size: c.Size, Check: check, Reason: reason}
	}
	for i := 1; i < len(cps); i++ {
		if a, b := cps[i-1], cps[i]; a.Size == b.Size && !bytes.Equal(a.Root, b.Root) {
			return nil, fail(b, CheckFork, fmt.Sprintf("checkpoint %s has the same size and another root: the log was forked", a.name))
		}
	}
	var covered, unprovable []string
	if pruned != nil {
		// What the pruning removed is checked against the record alone.
		i := 0
		for ; i < len(cps) && cps[i].Size < rec.Size; i++ {
			root, ok := rootFromFrontier(rec.Size, rec.Frontier, cps[i].Size)
			switch {
			case !ok:
				unprovable = append(unprovable, cps[i].name)
			case !bytes.Equal(root, cps[i].Root):
				return nil, fail(cps[i], CheckPruning, fmt.Sprintf("the pruning record of size %d has another root for the first %d events: the log was rewritten before it was pruned", rec.Size, cps[i].Size))
			default:
				covered = append(covered, cps[i].name)
			}
		}
		cps = cps[i:]
		for _, c := range cps {
			if c.Size == rec.Size && c.name != PrunedName {
				covered = append(covered, c.name)
			}
		}
	}
	// The tree keeps only the nodes of the consistency proofs between
	// successive sizes, so that memory stays small for millions of events.
	var sizes []uint64
	for _, c := range cps {
		if len(sizes) == 0 || sizes[len(sizes)-1] != c.Size {
			sizes = append(sizes, c.Size)
		}
	}
	need := map[compact.NodeID]bool{}
	for i := 1; i < len(sizes); i++ {
		n, err := proof.Consistency(sizes[i-1], sizes[i])
		if err != nil {
			return nil, err
		}
		for _, id := range n.IDs {
			need[id] = true
		}
	}
	t := newSparseTree(need)
	chain := audit.NewVerifier(tenantID)
	if pruned != nil {
		if err := t.resume(rec.Size, rec.Frontier); err != nil {
			return nil, &PruningError{Size: rec.Size, Check: CheckPruning, Reason: err.Error()}
		}
		chain = audit.ResumeVerifier(tenantID, audit.Head{Seq: int64(rec.Size), Hash: rec.LastHash})
	}
	next := 0 // cps[next] is the smallest checkpoint not yet checked
	check := func() error {
		for ; next < len(cps) && cps[next].Size == t.Size(); next++ {
			if root := t.Root(); !bytes.Equal(root, cps[next].Root) {
				return fail(cps[next], CheckRoot, fmt.Sprintf("the first %d events of the export have another Merkle root: the log was rewritten", cps[next].Size))
			}
		}
		return nil
	}
	if err := check(); err != nil { // checkpoints of size 0
		return nil, err
	}
	// The chain is checked on this goroutine and the tree built on another,
	// in batches of event hashes: the two cost about the same, and the
	// machine a controller verifies on has more than one core. The tree
	// goroutine gets every event before the first break in the chain, so
	// the errors come in the order of a single walk.
	const batchLen = 4096 * HashSize
	full, free := make(chan []byte, 4), make(chan []byte, 6)
	for range cap(free) {
		free <- make([]byte, 0, batchLen)
	}
	var stop atomic.Bool // the tree found a checkpoint that no longer holds
	var treeErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range full {
			for off := 0; treeErr == nil && off < len(b); off += HashSize {
				if treeErr = t.appendLeafData(b[off : off+HashSize]); treeErr == nil {
					treeErr = check()
				}
			}
			if treeErr != nil {
				stop.Store(true)
			}
			free <- b[:0]
		}
	}()
	var readErr error
	var broken *audit.BrokenError
	var e audit.Event
	buf := <-free
	for !stop.Load() {
		ok, err := events(&e)
		if err != nil {
			readErr = err
			break
		}
		if !ok {
			break
		}
		if err := chain.Next(&e); err != nil {
			if !errors.As(err, &broken) {
				readErr = err
			}
			break
		}
		buf = append(buf, e.Hash...) // 32 bytes: chain.Next recomputed it
		if len(buf) == batchLen {
			full <- buf
			buf = <-free
		}
	}
	full <- buf
	close(full)
	<-done
	switch {
	case treeErr != nil:
		return nil, treeErr
	case readErr != nil:
		return nil, readErr
	case broken != nil && next == len(cps):
		if len(sizes) == 0 {
			return nil, &TailError{Err: broken}
		}
		return nil, &TailError{Largest: sizes[len(sizes)-1], Err: broken}
	case broken != nil:
		c := fail(cps[next], CheckChain, fmt.Sprintf("event %d: %s", broken.Seq, broken.Reason)).(*CheckpointError)
		c.Event = broken.Seq
		return nil, c
	}
	if next < len(cps) {
		return nil, fail(cps[next], CheckTruncated, fmt.Sprintf("the export ends at event %d", t.Size()))
	}
	for i := 1; i < len(cps); i++ {
		a, b := cps[i-1], cps[i]
		if a.Size == b.Size {
			continue
		}
		p, err := t.ConsistencyProof(a.Size, b.Size)
		if err == nil {
			err = VerifyConsistency(a.Size, b.Size, p, a.Root, b.Root)
		}
		if err != nil {
			return nil, fail(b, CheckConsistency, fmt.Sprintf("not consistent with checkpoint %s: %v", a.name, err))
		}
	}
	r := &Report{Events: chain.Count() - int64(rec.Size), Checkpoints: len(kept) - len(unprovable), Root: t.Root(),
		Pruned: rec.Size, Covered: covered, Unprovable: unprovable}
	if len(cps) > 0 {
		r.Size = cps[len(cps)-1].Size
	}
	return r, nil
}

func cmpSize(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
