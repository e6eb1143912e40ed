package seal

// Per-person keys (DSR-1, SEC-1, SEC-2): a data subject's values may be
// sealed with a data key of their own, so that erasing the person destroys
// that key and with it every copy of their values made before, backups of
// the database included.
//
// A person key is a random AES-256 key that the database stores wrapped
// (AES-GCM) under a wrapping key derived for the person key's id from the
// tenant's person-key tree in this keyring. The tree is a puncturable key
// derivation (a GGM tree): the keyring holds a set of node seeds that
// together derive the wrapping key of every id not yet destroyed;
// destroying an id replaces the node that covers it by the siblings along
// its path, at most 64 new nodes, so the keyring can no longer derive that
// one id while it still derives all others. A copy of the database taken
// before an erasure keeps the wrapped person key, but the current keyring
// cannot unwrap it; everyone else's wrapped keys in the same copy still
// unwrap. (A copy of the keyring file itself taken before the erasure can:
// keyring backups must be kept apart and short-lived, as for
// DestroyTenant.)
//
// A value sealed with a person key is
//
//	0x02 || person key id (8 bytes, big-endian) || nonce (12 bytes) || AES-256-GCM ciphertext and tag
//
// with the same associated data as Seal's.

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"sync"
	"time"
)

const (
	personVersion   byte = 0x02
	personHeaderLen      = 1 + 8
	// PersonOverhead is how many bytes PersonKey.Seal adds to a plaintext.
	PersonOverhead = personHeaderLen + nonceLen + tagLen

	treeDepth      = 64
	purposeNode    = "person-node"
	purposeWrapped = "person-key"
	treeInfo       = "kluis/seal/v1/person-tree"
)

var (
	// ErrNoPersonKeys: the tenant has no person-key tree in the keyring
	// (per-person keys were never enabled for it).
	ErrNoPersonKeys = errors.New("seal: tenant has no person keys")
	// ErrPersonKeyDestroyed: the person key's id was destroyed (erasure);
	// what it sealed can no longer be opened with this keyring.
	ErrPersonKeyDestroyed = errors.New("seal: person key was destroyed")
)

// nodeID names a node of the tree: the first depth bits of the ids under it.
type nodeID struct {
	depth  uint8
	prefix uint64
}

func (n nodeID) covers(id uint64) bool {
	return n.depth == 0 || id>>(treeDepth-uint(n.depth)) == n.prefix
}

type treeNode struct {
	raw, wrapped []byte
}

// personTree is immutable once built: a change builds a new one (so the
// memo of a tree that was punctured goes with it).
type personTree struct {
	created time.Time
	nodes   map[nodeID]treeNode
	memo    pathMemo
}

// pathMemo keeps the seeds along the last path derived: ids made one
// after another share their leading (time) bits, so the next new person
// key derives only the levels below where the two ids part, not all 64
// (intake throughput with per-person keys, DSR-1). The seeds are derived
// from a node this keyring holds in memory anyway; they are wiped with it.
type pathMemo struct {
	mu    sync.Mutex
	valid bool
	id    uint64
	from  int // depth of the node the path starts at
	seeds [treeDepth + 1][keyLen]byte
}

type personTreeDoc struct {
	Created string        `json:"created"`
	Nodes   []treeNodeDoc `json:"nodes"`
}

type treeNodeDoc struct {
	Depth   uint8  `json:"depth"`
	Prefix  string `json:"prefix"` // hexadecimal
	Wrapped string `json:"wrapped"`
}

func (p *personTree) doc() *personTreeDoc {
	if p == nil {
		return nil
	}
	d := &personTreeDoc{Created: p.created.UTC().Format(time.RFC3339), Nodes: make([]treeNodeDoc, 0, len(p.nodes))}
	for id, n := range p.nodes {
		d.Nodes = append(d.Nodes, treeNodeDoc{Depth: id.depth, Prefix: strconv.FormatUint(id.prefix, 16),
			Wrapped: base64.StdEncoding.EncodeToString(n.wrapped)})
	}
	return d
}

func (p *personTree) wipe() {
	if p == nil {
		return
	}
	for _, n := range p.nodes {
		clear(n.raw)
	}
	p.memo.mu.Lock()
	p.memo.valid = false
	clear(p.memo.seeds[:])
	p.memo.mu.Unlock()
}

func nodeAD(tenant string, id nodeID) []byte {
	b := append([]byte(nil), wrapPrefix...)
	b = lengthPrefixed(b, tenant)
	b = lengthPrefixed(b, purposeNode)
	b = append(b, id.depth)
	return binary.BigEndian.AppendUint64(b, id.prefix)
}

func personWrapAD(tenant string, id uint64) []byte {
	b := append([]byte(nil), wrapPrefix...)
	b = lengthPrefixed(b, tenant)
	b = lengthPrefixed(b, purposeWrapped)
	return binary.BigEndian.AppendUint64(b, id)
}

// child derives the seed of a node's child on the given side:
// SHA-256(seed || tag || side), a PRF keyed by the seed over a fixed-length
// input (the GGM construction's step). Computed on the stack: intake
// derives 64 levels for every new person, and allocating there showed as
// garbage-collection time.
func child(seed []byte, bit byte) []byte {
	var out [keyLen]byte
	childInto(&out, seed, bit)
	return out[:]
}

// childInto is child writing into out, which may hold seed itself.
func childInto(out *[keyLen]byte, seed []byte, bit byte) {
	var in [keyLen + len(treeInfo) + 1]byte
	copy(in[:], seed)
	copy(in[keyLen:], treeInfo)
	in[len(in)-1] = bit
	*out = sha256.Sum256(in[:])
	clear(in[:keyLen])
}

func bitAt(id uint64, depth int) byte { return byte(id >> (treeDepth - 1 - depth) & 1) }

// leaf derives the wrapping key of id, or reports that no node covers it.
func (p *personTree) leaf(id uint64) ([]byte, bool) {
	for d := 0; d <= treeDepth; d++ {
		nid := nodeID{depth: uint8(d)}
		if d > 0 {
			nid.prefix = id >> (treeDepth - d)
		}
		n, ok := p.nodes[nid]
		if !ok {
			continue
		}
		m := &p.memo
		m.mu.Lock()
		start := d
		if c := bits.LeadingZeros64(m.id ^ id); m.valid && m.from == d && c >= d {
			// The same covering node: the seeds down to where the two ids
			// part are the same.
			start = c
		} else {
			copy(m.seeds[d][:], n.raw)
		}
		for l := start; l < treeDepth; l++ {
			childInto(&m.seeds[l+1], m.seeds[l][:], bitAt(id, l))
		}
		m.valid, m.id, m.from = true, id, d
		seed := append([]byte(nil), m.seeds[treeDepth][:]...)
		m.mu.Unlock()
		return seed, true
	}
	return nil, false
}

func (k *Keyring) wrapNode(tenant string, id nodeID, raw []byte) (treeNode, error) {
	w, err := wrap(k.kek, raw, nodeAD(tenant, id))
	if err != nil {
		return treeNode{}, err
	}
	return treeNode{raw: raw, wrapped: w}, nil
}

func (k *Keyring) parsePersonTree(tenant string, d *personTreeDoc) (*personTree, error) {
	if d == nil {
		return nil, nil
	}
	created, err := time.Parse(time.RFC3339, d.Created)
	if err != nil {
		return nil, k.corrupt("tenant %q: person-key tree has a bad creation time", tenant)
	}
	p := &personTree{created: created, nodes: make(map[nodeID]treeNode, len(d.Nodes))}
	for _, nd := range d.Nodes {
		prefix, perr := strconv.ParseUint(nd.Prefix, 16, 64)
		wrapped, werr := base64.StdEncoding.DecodeString(nd.Wrapped)
		if perr != nil || werr != nil || nd.Depth > treeDepth || len(wrapped) != wrappedLen ||
			(nd.Depth < treeDepth && prefix>>nd.Depth != 0) {
			p.wipe()
			return nil, k.corrupt("tenant %q: malformed person-key tree node", tenant)
		}
		id := nodeID{depth: nd.Depth, prefix: prefix}
		raw, err := unwrap(k.kek, wrapped, nodeAD(tenant, id))
		if err != nil {
			p.wipe()
			return nil, k.corrupt("tenant %q: a person-key tree node does not unwrap: it was tampered with or moved from elsewhere", tenant)
		}
		p.nodes[id] = treeNode{raw: raw, wrapped: wrapped}
	}
	return p, nil
}

// EnablePersonKeys gives the tenant a person-key tree, if it has none, and
// saves it to the keyring file. It is idempotent.
func (k *Keyring) EnablePersonKeys(tenant string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	t, err := k.lockedTenant(tenant)
	if err != nil {
		return err
	}
	if t.person != nil {
		return nil
	}
	raw := make([]byte, keyLen)
	if _, err := rand.Read(raw); err != nil {
		return fmt.Errorf("seal: reading random key: %w", err)
	}
	root, err := k.wrapNode(tenant, nodeID{}, raw)
	if err != nil {
		return err
	}
	p := &personTree{created: time.Now().UTC().Truncate(time.Second), nodes: map[nodeID]treeNode{{}: root}}
	doc := k.doc()
	doc.Tenants[tenant].Persons = p.doc()
	if err := k.save(doc); err != nil {
		p.wipe()
		return err
	}
	t.person = p
	return nil
}

// PersonKey is one data subject's data key, unwrapped.
type PersonKey struct {
	tenant string
	id     uint64
	aead   cipher.AEAD
}

// ID returns the person key's id, which the database stores with the
// wrapped key and every value sealed with it names.
func (p *PersonKey) ID() uint64 { return p.id }

// NewPersonKey makes a new person key for tenant with a random id and
// returns it with its wrapped form, for the database. ErrNoPersonKeys when
// the tenant has no person-key tree (see EnablePersonKeys).
func (k *Keyring) NewPersonKey(tenant string) (*PersonKey, []byte, error) {
	id, err := newPersonKeyID(time.Now())
	if err != nil {
		return nil, nil, err
	}
	raw := make([]byte, keyLen)
	defer clear(raw)
	if _, err := rand.Read(raw); err != nil {
		return nil, nil, fmt.Errorf("seal: reading random key: %w", err)
	}
	var wrapped []byte
	err = k.withPersonLeaf(tenant, id, func(wk cipher.AEAD) error {
		var err error
		wrapped, err = wrap(wk, raw, personWrapAD(tenant, id))
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	aead, err := newGCM(raw)
	if err != nil {
		return nil, nil, err
	}
	return &PersonKey{tenant: tenant, id: id, aead: aead}, wrapped, nil
}

// personEpoch is where person key ids start counting milliseconds.
var personEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// newPersonKeyID is 63 bits, never 0, so it fits a signed 64-bit database
// column: milliseconds since personEpoch (43 bits, nearly 280 years) then
// 20 random bits. Ids made later sort later, so the database's index of
// them grows at its end instead of at random places (intake throughput);
// two keys made in the same millisecond with the same random bits collide
// on the primary key and the intake tries again.
func newPersonKeyID(now time.Time) (uint64, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("seal: reading random id: %w", err)
	}
	ms := uint64(max(0, now.Sub(personEpoch).Milliseconds()))
	return max(1, (ms<<20|uint64(binary.BigEndian.Uint32(b[:])>>12))&(1<<63-1)), nil
}

// OpenPersonKey unwraps a person key stored by the database.
// ErrPersonKeyDestroyed when its id was destroyed, ErrOpen when the wrapped
// key does not unwrap.
func (k *Keyring) OpenPersonKey(tenant string, id uint64, wrapped []byte) (*PersonKey, error) {
	var raw []byte
	err := k.withPersonLeaf(tenant, id, func(wk cipher.AEAD) error {
		var err error
		if raw, err = unwrap(wk, wrapped, personWrapAD(tenant, id)); err != nil {
			return fmt.Errorf("%w: person key %d does not unwrap", ErrOpen, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	aead, err := newGCM(raw)
	if err != nil {
		return nil, err
	}
	return &PersonKey{tenant: tenant, id: id, aead: aead}, nil
}

func (k *Keyring) withPersonLeaf(tenant string, id uint64, fn func(cipher.AEAD) error) error {
	return k.withTenant(tenant, func(t *tenantKeys) error {
		if t.person == nil {
			return fmt.Errorf("%w: tenant %q", ErrNoPersonKeys, tenant)
		}
		leaf, ok := t.person.leaf(id)
		if !ok {
			return fmt.Errorf("%w: tenant %q, person key %d", ErrPersonKeyDestroyed, tenant, id)
		}
		defer clear(leaf)
		wk, err := newGCM(leaf)
		if err != nil {
			return err
		}
		return fn(wk)
	})
}

// DestroyPersonKeys punctures the tenant's person-key tree at each id and
// saves the keyring file (durably), so that the wrapped person keys of
// those ids never unwrap again with this keyring, wherever a copy of them
// is. Ids already destroyed are skipped.
func (k *Keyring) DestroyPersonKeys(tenant string, ids ...uint64) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	t, err := k.lockedTenant(tenant)
	if err != nil {
		return err
	}
	if t.person == nil {
		return fmt.Errorf("%w: tenant %q", ErrNoPersonKeys, tenant)
	}
	next := &personTree{created: t.person.created, nodes: make(map[nodeID]treeNode, len(t.person.nodes)+treeDepth)}
	for id, n := range t.person.nodes {
		next.nodes[id] = treeNode{raw: append([]byte(nil), n.raw...), wrapped: n.wrapped}
	}
	changed := false
	for _, id := range ids {
		var cover nodeID
		var found bool
		for nid := range next.nodes {
			if nid.covers(id) {
				cover, found = nid, true
				break
			}
		}
		if !found {
			continue
		}
		changed = true
		seed := next.nodes[cover].raw
		delete(next.nodes, cover)
		for l := int(cover.depth); l < treeDepth; l++ {
			bit := bitAt(id, l)
			sib := nodeID{depth: uint8(l + 1), prefix: (id >> (treeDepth - 1 - l)) ^ 1}
			n, err := k.wrapNode(tenant, sib, child(seed, 1-bit))
			if err != nil {
				next.wipe()
				return err
			}
			next.nodes[sib] = n
			down := child(seed, bit)
			clear(seed)
			seed = down
		}
		clear(seed)
	}
	if !changed {
		next.wipe()
		return nil
	}
	doc := k.doc()
	doc.Tenants[tenant].Persons = next.doc()
	if err := k.save(doc); err != nil {
		next.wipe()
		return err
	}
	old := t.person
	t.person = next
	old.wipe()
	return nil
}

// PersonKeyIDOf returns the id of the person key a value was sealed with,
// and false for a value sealed with the tenant's key (or not sealed).
func PersonKeyIDOf(ciphertext []byte) (uint64, bool) {
	if len(ciphertext) < PersonOverhead || ciphertext[0] != personVersion {
		return 0, false
	}
	return binary.BigEndian.Uint64(ciphertext[1:personHeaderLen]), true
}

// Seal encrypts plaintext under the person key, bound to ad, whose tenant
// must be the key's.
func (p *PersonKey) Seal(ad AD, plaintext []byte) ([]byte, error) {
	if ad.Tenant != p.tenant {
		return nil, ErrADMismatch
	}
	out := make([]byte, personHeaderLen+nonceLen, len(plaintext)+PersonOverhead)
	out[0] = personVersion
	binary.BigEndian.PutUint64(out[1:personHeaderLen], p.id)
	if _, err := rand.Read(out[personHeaderLen:]); err != nil {
		return nil, fmt.Errorf("seal: reading random nonce: %w", err)
	}
	adb := getAD(ad)
	out = p.aead.Seal(out, out[personHeaderLen:], plaintext, *adb)
	putAD(adb)
	return out, nil
}

// Open decrypts a value made by Seal with the same key and ad.
func (p *PersonKey) Open(ad AD, ciphertext []byte) ([]byte, error) {
	if ad.Tenant != p.tenant {
		return nil, ErrADMismatch
	}
	id, ok := PersonKeyIDOf(ciphertext)
	if !ok || id != p.id {
		return nil, fmt.Errorf("%w: not sealed with this person key", ErrOpen)
	}
	adb := getAD(ad)
	pt, err := p.aead.Open(nil, ciphertext[personHeaderLen:personHeaderLen+nonceLen], ciphertext[personHeaderLen+nonceLen:], *adb)
	putAD(adb)
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrOpen)
	}
	if pt == nil {
		pt = []byte{}
	}
	return pt, nil
}
