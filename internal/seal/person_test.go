package seal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestClauseDSR1_PersonKeyDestroyedOthersStillOpen: destroying one person
// key's id leaves every other person key openable, also after reopening
// the keyring file, while the destroyed one no longer unwraps even from a
// wrapped copy kept from before.
func TestClauseDSR1_PersonKeyDestroyedOthersStillOpen(t *testing.T) {
	dir, m, k := newKeyring(t, "gent", "brugge")
	if _, _, err := k.NewPersonKey("gent"); !errors.Is(err, ErrNoPersonKeys) {
		t.Fatalf("NewPersonKey before EnablePersonKeys: %v, want ErrNoPersonKeys", err)
	}
	if err := k.EnablePersonKeys("gent"); err != nil {
		t.Fatal(err)
	}
	if err := k.EnablePersonKeys("gent"); err != nil {
		t.Fatalf("EnablePersonKeys twice: %v", err)
	}
	type person struct {
		id      uint64
		wrapped []byte
		ct      []byte
	}
	ad := AD{Tenant: "gent", Table: "submissions", Column: "data", Row: "1"}
	var people []person
	for i := 0; i < 40; i++ {
		pk, wrapped, err := k.NewPersonKey("gent")
		if err != nil {
			t.Fatal(err)
		}
		ct, err := pk.Seal(ad, []byte{byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		if id, ok := PersonKeyIDOf(ct); !ok || id != pk.ID() {
			t.Fatalf("PersonKeyIDOf = %d, %v; want %d", id, ok, pk.ID())
		}
		if _, err := k.Open("gent", ad, ct); err == nil {
			t.Fatal("the tenant key opened a person-sealed value")
		}
		people = append(people, person{pk.ID(), wrapped, ct})
	}
	// Destroy two, one of them twice.
	if err := k.DestroyPersonKeys("gent", people[3].id, people[17].id, people[3].id); err != nil {
		t.Fatal(err)
	}
	for _, kr := range []*Keyring{k, reopen(t, dir, m)} {
		for i, p := range people {
			pk, err := kr.OpenPersonKey("gent", p.id, p.wrapped)
			if i == 3 || i == 17 {
				if !errors.Is(err, ErrPersonKeyDestroyed) {
					t.Fatalf("person %d: OpenPersonKey after destroy: %v, want ErrPersonKeyDestroyed", i, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("person %d: %v", i, err)
			}
			pt, err := pk.Open(ad, p.ct)
			if err != nil || !bytes.Equal(pt, []byte{byte(i)}) {
				t.Fatalf("person %d: Open = %v, %v", i, pt, err)
			}
			if _, err := pk.Open(AD{Tenant: "gent", Table: "submissions", Column: "data", Row: "2"}, p.ct); !errors.Is(err, ErrOpen) {
				t.Fatalf("person %d: opened under another row: %v", i, err)
			}
		}
		if _, err := kr.OpenPersonKey("brugge", people[0].id, people[0].wrapped); !errors.Is(err, ErrNoPersonKeys) {
			t.Fatalf("other tenant: %v", err)
		}
	}
	// A new key after destruction works as before.
	pk, wrapped, err := k.NewPersonKey("gent")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := k.OpenPersonKey("gent", pk.ID(), wrapped); err != nil || again.ID() != pk.ID() {
		t.Fatalf("new key after destroy: %v", err)
	}
	// The keyring grows by at most 64 nodes per destroyed id.
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte(`"depth"`)); n > 1+2*64 {
		t.Fatalf("%d tree nodes after two destructions", n)
	}
}

func BenchmarkNewPersonKey(b *testing.B) {
	_, _, k := newKeyring(b, "gent")
	if err := k.EnablePersonKeys("gent"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := k.NewPersonKey("gent"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPersonTreePathMemo: the memo of the last path derived gives the same
// wrapping key as deriving all levels afresh, for ids in any order, ids
// sharing long prefixes, and after a puncture (a new tree, whose nodes sit
// at many depths).
func TestPersonTreePathMemo(t *testing.T) {
	root := bytes.Repeat([]byte{7}, keyLen)
	fresh := func(p *personTree, id uint64) []byte {
		for d := 0; d <= treeDepth; d++ {
			nid := nodeID{depth: uint8(d)}
			if d > 0 {
				nid.prefix = id >> (treeDepth - d)
			}
			if n, ok := p.nodes[nid]; ok {
				seed := append([]byte(nil), n.raw...)
				for l := d; l < treeDepth; l++ {
					seed = child(seed, bitAt(id, l))
				}
				return seed
			}
		}
		return nil
	}
	ids := []uint64{1 << 40, 1<<40 + 1, 1<<40 + 1, 5, 1<<62 | 3, 1<<40 + 1<<20, 6, 1 << 40}
	p := &personTree{nodes: map[nodeID]treeNode{{}: {raw: root}}}
	for _, id := range ids {
		got, ok := p.leaf(id)
		if !ok || !bytes.Equal(got, fresh(p, id)) {
			t.Fatalf("id %x: the memo derived another key", id)
		}
	}
	// Puncture 1<<40 by hand: its siblings along the path replace the root.
	q := &personTree{nodes: map[nodeID]treeNode{}}
	seed := append([]byte(nil), root...)
	for l := 0; l < treeDepth; l++ {
		bit := bitAt(1<<40, l)
		q.nodes[nodeID{depth: uint8(l + 1), prefix: (uint64(1<<40) >> (treeDepth - 1 - l)) ^ 1}] = treeNode{raw: child(seed, 1-bit)}
		seed = child(seed, bit)
	}
	if _, ok := q.leaf(1 << 40); ok {
		t.Fatal("a punctured id still derives")
	}
	for _, id := range ids {
		if id == 1<<40 {
			continue
		}
		got, ok := q.leaf(id)
		if !ok || !bytes.Equal(got, fresh(q, id)) || !bytes.Equal(got, fresh(p, id)) {
			t.Fatalf("id %x after the puncture: the memo derived another key", id)
		}
	}
}
