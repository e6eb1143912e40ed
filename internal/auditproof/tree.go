// Package auditproof owns what makes a tenant's audit log provable to its
// controller without trusting the supplier (AUD-2, AUD-3): an RFC 6962
// Merkle tree over the tenant's events, checkpoints of that tree signed in
// the C2SP signed-note format with a platform Ed25519 key, a JSON Lines
// export of the events, and an offline verifier that checks an export
// against every checkpoint the controller kept.
//
// The hash chain of internal/audit shows that no event was changed in
// place; it cannot show that the whole chain was not rewritten, because
// anyone with database access can recompute it. A checkpoint signed with a
// key that never lives in the database, kept by the controller, pins the
// log's size and root at a moment: any later rewrite of the first N events
// changes the root of size N and no longer matches.
//
// The package is pure Go and does no I/O of its own beyond the readers and
// writers it is given. It imports only the standard library,
// internal/audit, github.com/transparency-dev/merkle (tree, compact ranges,
// proofs), github.com/transparency-dev/formats/log (the checkpoint body)
// and golang.org/x/mod/sumdb/note (the signed note).
package auditproof

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/kluis/kluis/internal/audit"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// HashSize is the size of every hash in the tree and of a checkpoint's root.
const HashSize = 32

// hasher is RFC 6962's SHA-256 tree hasher: a leaf is SHA-256(0x00 ‖ data),
// an inner node SHA-256(0x01 ‖ left ‖ right).
var hasher = rfc6962.DefaultHasher

var factory = &compact.RangeFactory{Hash: hashChildren}

// hashChildren and hashLeaf are RFC 6962's node and leaf hashes, as
// hasher computes them (a test holds them equal), without its hash.Hash
// allocation per call: they are most of the cost of appending a leaf.
func hashChildren(l, r []byte) []byte {
	if len(l) != HashSize || len(r) != HashSize {
		return hasher.HashChildren(l, r)
	}
	var b [1 + 2*HashSize]byte
	b[0] = 1
	copy(b[1:], l)
	copy(b[1+HashSize:], r)
	s := sha256.Sum256(b[:])
	return s[:]
}

func hashLeaf(data []byte) []byte {
	if len(data) != HashSize {
		return hasher.HashLeaf(data)
	}
	var b [1 + HashSize]byte
	copy(b[1:], data)
	s := sha256.Sum256(b[:])
	return s[:]
}

// LeafData is the data of event e's leaf: its chain hash, e.Hash.
//
// Why the chain hash and not the event's fields: audit.Event.ComputeHash
// already is a canonical, length-prefixed encoding of every field of the
// event (tenant, sequence number, time, actor, action, object, subject,
// purpose, outcome) and of the previous event's hash, hashed with SHA-256.
// Using it as the leaf commits the tree to exactly what the chain commits
// to, costs no second encoding of the event, and lets one event's inclusion
// be proven from that event alone: recompute its hash from its fields, hash
// it as a leaf, and walk the proof. The verifier recomputes e.Hash before it
// trusts it (see Verify).
func LeafData(e *audit.Event) []byte { return e.Hash }

// LeafHash is the RFC 6962 leaf hash of event e: SHA-256(0x00 ‖ e.Hash).
func LeafHash(e *audit.Event) []byte { return hashLeaf(LeafData(e)) }

// EmptyRoot is the root of a tree without leaves (a tenant without events):
// SHA-256 of the empty string.
func EmptyRoot() []byte { return hasher.EmptyRoot() }

// Log is the running state of a tenant's tree: a compact range, the roots of
// at most log2(size)+1 perfect subtrees. Appending costs O(1) amortised
// hashes and the state is a few hundred bytes, so the store can keep it
// beside the chain's head and sign a checkpoint at any moment.
type Log struct {
	r *compact.Range
}

// NewLog starts an empty tree.
func NewLog() *Log { return &Log{r: factory.NewEmptyRange(0)} }

// ResumeLog restores a tree of size leaves from its Frontier, as saved
// after the last append.
func ResumeLog(size uint64, frontier [][]byte) (*Log, error) {
	for _, h := range frontier {
		if len(h) != HashSize {
			return nil, fmt.Errorf("auditproof: frontier hash of %d bytes, want %d", len(h), HashSize)
		}
	}
	r, err := factory.NewRange(0, size, frontier)
	if err != nil {
		return nil, fmt.Errorf("auditproof: frontier of a tree of %d leaves: %w", size, err)
	}
	return &Log{r: r}, nil
}

// AppendEvent appends e's leaf. The caller appends events in sequence
// order, e.Seq == Size()+1.
func (l *Log) AppendEvent(e *audit.Event) error { return l.appendEvent(e, nil) }

func (l *Log) appendEvent(e *audit.Event, visit compact.VisitFn) error {
	if uint64(e.Seq) != l.r.End()+1 {
		return fmt.Errorf("auditproof: event %d appended to a tree of %d leaves", e.Seq, l.r.End())
	}
	return l.r.Append(LeafHash(e), visit)
}

// AppendLeafHash appends a leaf by its RFC 6962 leaf hash.
func (l *Log) AppendLeafHash(h []byte) error { return l.r.Append(h, nil) }

// Size is the number of leaves.
func (l *Log) Size() uint64 { return l.r.End() }

// Root is the tree's root hash (EmptyRoot for an empty tree).
func (l *Log) Root() []byte {
	if l.r.End() == 0 {
		return EmptyRoot()
	}
	root, err := l.r.GetRootHash(nil)
	if err != nil { // only for a range not starting at 0, which a Log never is
		panic(err)
	}
	return root
}

// FrontierBytes is Frontier as one byte string (the hashes one after the
// other), for a column beside the chain's head.
func (l *Log) FrontierBytes() []byte {
	b := make([]byte, 0, len(l.r.Hashes())*HashSize)
	for _, h := range l.r.Hashes() {
		b = append(b, h...)
	}
	return b
}

// ResumeLogBytes is ResumeLog from FrontierBytes.
func ResumeLogBytes(size uint64, frontier []byte) (*Log, error) {
	if len(frontier)%HashSize != 0 {
		return nil, fmt.Errorf("auditproof: frontier of %d bytes is not whole hashes", len(frontier))
	}
	hashes := make([][]byte, 0, len(frontier)/HashSize)
	for i := 0; i < len(frontier); i += HashSize {
		hashes = append(hashes, bytes.Clone(frontier[i:i+HashSize]))
	}
	return ResumeLog(size, hashes)
}

// Frontier is the state to save for ResumeLog: the roots of the perfect
// subtrees covering the leaves, left to right. The slice is shared with the
// Log; copy it to keep it across appends.
func (l *Log) Frontier() [][]byte { return l.r.Hashes() }

// Tree is a tenant's tree held whole in memory, every perfect subtree's
// hash kept, so that it can produce inclusion and consistency proofs for
// any size up to its own: about 64 MB for 1,000,000 events. The verifier
// builds one that keeps only the nodes of the proofs it will ask for.
type Tree struct {
	l      Log
	levels [][]byte // levels[l] holds the hashes of level l's nodes, HashSize bytes each, by index
	// need, when not nil, limits the nodes kept to these (in sparse): a
	// verifier knows in advance which proofs it will ask for.
	need   map[compact.NodeID]bool
	sparse map[compact.NodeID][]byte
}

// NewTree starts an empty tree.
func NewTree() *Tree { return &Tree{l: *NewLog()} }

// AppendEvent appends e's leaf; e.Seq must be Size()+1.
func (t *Tree) AppendEvent(e *audit.Event) error { return t.l.appendEvent(e, t.keep) }

// appendLeafData appends a leaf by its data, an event's hash the caller
// has checked (and so in sequence order).
func (t *Tree) appendLeafData(data []byte) error { return t.l.r.Append(hashLeaf(data), t.keep) }

// Size is the number of leaves.
func (t *Tree) Size() uint64 { return t.l.Size() }

// Root is the root of the whole tree.
func (t *Tree) Root() []byte { return t.l.Root() }

// keep records every node the compact range computes. Each level's nodes
// are computed left to right, so each is appended at its index.
func (t *Tree) keep(id compact.NodeID, h []byte) {
	if t.need != nil {
		if t.need[id] {
			t.sparse[id] = h // the range never changes a hash it computed
		}
		return
	}
	for uint(len(t.levels)) <= id.Level {
		t.levels = append(t.levels, nil)
	}
	t.levels[id.Level] = append(t.levels[id.Level], h...)
}

// newSparseTree starts a tree that keeps only the nodes in need, and so can
// give only the proofs made of them.
func newSparseTree(need map[compact.NodeID]bool) *Tree {
	return &Tree{l: *NewLog(), need: need, sparse: map[compact.NodeID][]byte{}}
}

// resume starts an empty tree at size leaves from their frontier (a
// pruning record's), keeping the frontier's nodes that it needs: a proof
// between two sizes of at least size uses no node of the first size
// leaves other than the frontier's.
func (t *Tree) resume(size uint64, frontier [][]byte) error {
	l, err := ResumeLog(size, frontier)
	if err != nil {
		return err
	}
	t.l = *l
	for i, id := range compact.RangeNodes(0, size, nil) {
		if t.need == nil {
			return errors.New("auditproof: only a sparse tree resumes")
		}
		if t.need[id] {
			t.sparse[id] = frontier[i]
		}
	}
	return nil
}

// node returns the hash of a perfect subtree the tree holds.
func (t *Tree) node(id compact.NodeID) ([]byte, error) {
	if h, ok := t.sparse[id]; ok {
		return h, nil
	}
	if id.Level < uint(len(t.levels)) {
		lv := t.levels[id.Level]
		if off := id.Index * HashSize; off+HashSize <= uint64(len(lv)) {
			return lv[off : off+HashSize : off+HashSize], nil
		}
	}
	return nil, fmt.Errorf("auditproof: node %d/%d is not in a tree of %d leaves", id.Level, id.Index, t.l.Size())
}

// nodes returns the hashes of perfect subtrees the tree holds.
func (t *Tree) nodes(ids []compact.NodeID) ([][]byte, error) {
	hashes := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := t.node(id)
		if err != nil {
			return nil, err
		}
		hashes[i] = h
	}
	return hashes, nil
}

func (t *Tree) rehash(n proof.Nodes) ([][]byte, error) {
	hashes, err := t.nodes(n.IDs)
	if err != nil {
		return nil, err
	}
	return n.Rehash(hashes, hashChildren)
}

// RootAt is the root of the tree of its first size leaves.
func (t *Tree) RootAt(size uint64) ([]byte, error) {
	switch {
	case size > t.l.Size():
		return nil, fmt.Errorf("auditproof: root of size %d asked of a tree of %d leaves", size, t.l.Size())
	case size == 0:
		return EmptyRoot(), nil
	}
	// The root of size leaves is the fold of the perfect subtrees covering
	// [0, size), all of which the tree holds.
	hashes, err := t.nodes(compact.RangeNodes(0, size, nil))
	if err != nil {
		return nil, err
	}
	r, err := factory.NewRange(0, size, hashes)
	if err != nil {
		return nil, err
	}
	return r.GetRootHash(nil)
}

// InclusionProof proves that leaf index (event index+1) is in the tree of
// size leaves.
func (t *Tree) InclusionProof(index, size uint64) ([][]byte, error) {
	if size > t.l.Size() {
		return nil, fmt.Errorf("auditproof: inclusion proof for size %d asked of a tree of %d leaves", size, t.l.Size())
	}
	n, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return t.rehash(n)
}

// ConsistencyProof proves that the tree of size1 leaves is a prefix of the
// tree of size2 leaves.
func (t *Tree) ConsistencyProof(size1, size2 uint64) ([][]byte, error) {
	if size2 > t.l.Size() {
		return nil, fmt.Errorf("auditproof: consistency proof to size %d asked of a tree of %d leaves", size2, t.l.Size())
	}
	n, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return t.rehash(n)
}

// VerifyInclusion checks that event e, whose fields the caller holds, is
// leaf e.Seq-1 of the tree of size leaves with the given root. It
// recomputes e's hash from its fields first: an edited event does not
// verify even with the hash it claims.
func VerifyInclusion(e *audit.Event, size uint64, proofHashes [][]byte, root []byte) error {
	if e.Seq < 1 {
		return errors.New("auditproof: event without a sequence number")
	}
	h := e.ComputeHash()
	if string(h) != string(e.Hash) {
		return fmt.Errorf("auditproof: event %d does not match its hash (edited)", e.Seq)
	}
	return proof.VerifyInclusion(hasher, uint64(e.Seq-1), size, hashLeaf(h), proofHashes, root)
}

// VerifyConsistency checks a consistency proof between two roots.
func VerifyConsistency(size1, size2 uint64, proofHashes [][]byte, root1, root2 []byte) error {
	return proof.VerifyConsistency(hasher, size1, size2, proofHashes, root1, root2)
}
