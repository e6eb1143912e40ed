package auditproof

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"
)

// A pruning record stands for the events a tenant's retention removed
// (AUD-2, ADT-1): events 1…Size are gone, and what remains is verified
// from where they ended. It is a C2SP signed note, signed with the same
// platform key as the checkpoints, whose text is
//
//	<origin>
//	pruned
//	<size, decimal>
//	<root of the first size events, standard base64>
//	<chain hash of event size, standard base64>
//	<frontier hash, standard base64>      (one line per hash, left to right)
//
// The frontier is the roots of the perfect subtrees covering leaves
// 0…size-1, largest first (one per 1-bit of size): from it the tree
// resumes, so that the root of every later checkpoint can still be
// computed, and it must fold to the root. The second line, "pruned", is
// not a number: a pruning record is never mistaken for a checkpoint.
//
// The record travels with the signed checkpoint of the same size that the
// pruning stopped at (Pruned): a pruning happens only at a checkpoint the
// controller could have kept.

// Pruning is a pruning record's content.
type Pruning struct {
	Origin   string
	Size     uint64
	Root     []byte
	LastHash []byte   // the chain hash of event Size: event Size+1's prev_hash
	Frontier [][]byte // the tree's frontier at Size
}

// Pruned is a pruning record as it is handed out: its signed note and the
// signed checkpoint of the same size.
type Pruned struct {
	Record     []byte
	Checkpoint []byte
}

// prunedWord is the second line of a pruning record.
const prunedWord = "pruned"

// SignPruning returns the signed note of pruning record p, after checking
// that its frontier folds to its root.
func SignPruning(p Pruning, signer note.Signer) ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n%d\n%s\n%s\n", p.Origin, prunedWord, p.Size,
		base64.StdEncoding.EncodeToString(p.Root), base64.StdEncoding.EncodeToString(p.LastHash))
	for _, h := range p.Frontier {
		b.WriteString(base64.StdEncoding.EncodeToString(h))
		b.WriteByte('\n')
	}
	return note.Sign(&note.Note{Text: b.String()}, signer)
}

// check holds a record to what makes it usable: a size, hashes of the
// right length, a frontier of that size folding to the root, and — when
// the size is odd, so that the last frontier hash is a single leaf — that
// leaf being the last chain hash's.
func (p Pruning) check() error {
	switch {
	case p.Origin == "" || strings.ContainsAny(p.Origin, "\n\r"):
		return errors.New("origin empty or not one line")
	case p.Size == 0:
		return errors.New("a pruning of no events")
	case len(p.Root) != HashSize || len(p.LastHash) != HashSize:
		return fmt.Errorf("root or last hash not of %d bytes", HashSize)
	case len(p.Frontier) != bits.OnesCount64(p.Size):
		return fmt.Errorf("a frontier of %d hashes, a tree of %d leaves has %d", len(p.Frontier), p.Size, bits.OnesCount64(p.Size))
	}
	l, err := ResumeLog(p.Size, p.Frontier)
	if err != nil {
		return err
	}
	if !bytes.Equal(l.Root(), p.Root) {
		return errors.New("the frontier does not fold to the root")
	}
	if p.Size%2 == 1 && !bytes.Equal(p.Frontier[len(p.Frontier)-1], hashLeaf(p.LastHash)) {
		return errors.New("the last chain hash is not the tree's last leaf")
	}
	return nil
}

// PruningError says why a pruning record does not hold. Check is
// CheckFormat (not a pruning record at all), CheckSignature, CheckOrigin or
// CheckPruning (its content or its checkpoint does not agree).
type PruningError struct {
	Size   uint64
	Check  Check
	Reason string
}

func (e *PruningError) Error() string {
	if e.Size == 0 {
		return fmt.Sprintf("the pruning record does not hold: %s: %s", e.Check, e.Reason)
	}
	return fmt.Sprintf("the pruning record (size %d) does not hold: %s: %s", e.Size, e.Check, e.Reason)
}

// CheckPruning: a pruning record whose frontier, root, last hash or
// checkpoint do not agree; or a kept checkpoint the record contradicts.
const CheckPruning Check = "pruning"

// ParsePruned reads a pruning record and its checkpoint and checks them:
// both signed by key v, of log origin, the record internally consistent
// (see Pruning.check), and the checkpoint of the record's size and root.
func ParsePruned(pr Pruned, origin string, v note.Verifier) (Pruning, Checkpoint, error) {
	fail := func(size uint64, check Check, reason string) (Pruning, Checkpoint, error) {
		return Pruning{}, Checkpoint{}, &PruningError{Size: size, Check: check, Reason: reason}
	}
	n, err := note.Open(pr.Record, note.VerifierList(v))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		p, _ := parsePruningBody(unverified.Note.Text)
		return fail(p.Size, CheckSignature, fmt.Sprintf("not signed by the key %s+%08x (signed by %s)", v.Name(), v.KeyHash(), signers(unverified.Note.UnverifiedSigs)))
	case errors.As(err, &invalid):
		return fail(0, CheckSignature, "the signature does not match the text (altered after signing)")
	case err != nil:
		return fail(0, CheckFormat, "not a signed note: "+err.Error())
	}
	p, err := parsePruningBody(n.Text)
	if err != nil {
		return fail(p.Size, CheckFormat, err.Error())
	}
	if p.Origin != origin {
		return fail(p.Size, CheckOrigin, fmt.Sprintf("it is the pruning record of %q, not of %q", p.Origin, origin))
	}
	if err := p.check(); err != nil {
		return fail(p.Size, CheckPruning, err.Error())
	}
	c, err := Parse("of the pruning record", pr.Checkpoint, origin, v)
	if err != nil {
		var ce *CheckpointError
		if errors.As(err, &ce) {
			return fail(p.Size, ce.Check, "its checkpoint: "+ce.Reason)
		}
		return fail(p.Size, CheckFormat, "its checkpoint: "+err.Error())
	}
	if c.Size != p.Size || !bytes.Equal(c.Root, p.Root) {
		return fail(p.Size, CheckPruning, fmt.Sprintf("its checkpoint (size %d) is not of the size and root it records", c.Size))
	}
	return p, c, nil
}

// parsePruningBody reads a pruning record's text; on error it returns what
// it read.
func parsePruningBody(text string) (Pruning, error) {
	var p Pruning
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 5 {
		return p, errors.New("fewer than five lines")
	}
	p.Origin = lines[0]
	if lines[1] != prunedWord {
		return p, fmt.Errorf("second line is %q, want %q", lines[1], prunedWord)
	}
	size, err := strconv.ParseUint(lines[2], 10, 64)
	if err != nil || lines[2] != strconv.FormatUint(size, 10) {
		return p, fmt.Errorf("size %q is not a decimal number", lines[2])
	}
	p.Size = size
	hash := func(s string) ([]byte, error) {
		h, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(h) != HashSize {
			return nil, fmt.Errorf("%q is not a %d-byte hash in standard base64", s, HashSize)
		}
		return h, nil
	}
	if p.Root, err = hash(lines[3]); err != nil {
		return p, fmt.Errorf("root: %w", err)
	}
	if p.LastHash, err = hash(lines[4]); err != nil {
		return p, fmt.Errorf("last hash: %w", err)
	}
	for i, s := range lines[5:] {
		h, err := hash(s)
		if err != nil {
			return p, fmt.Errorf("frontier hash %d: %w", i+1, err)
		}
		p.Frontier = append(p.Frontier, h)
	}
	return p, nil
}

// rootFromFrontier is the root of the first m leaves when they are exactly
// covered by the first perfect subtrees of the frontier of size leaves (m
// is a sum of its largest subtrees' sizes); ok is false otherwise: then
// that root cannot be computed without the leaves.
func rootFromFrontier(size uint64, frontier [][]byte, m uint64) (root []byte, ok bool) {
	if m == 0 {
		return EmptyRoot(), true
	}
	var end uint64
	for i, id := range compact.RangeNodes(0, size, nil) {
		end += 1 << id.Level
		if end == m {
			r, err := factory.NewRange(0, m, frontier[:i+1])
			if err != nil {
				return nil, false
			}
			h, err := r.GetRootHash(nil)
			return h, err == nil
		}
		if end > m {
			break
		}
	}
	return nil, false
}
