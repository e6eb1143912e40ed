package auditproof

import (
	"testing"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
)

// A tree resumed from the frontier of size n (a pruning record's) can give
// every consistency proof between sizes a < b with n <= a: the nodes of
// such a proof that lie within the first n leaves are all frontier nodes.
func TestResumedTreeHoldsTheNodesOfLaterProofs(t *testing.T) {
	for n := uint64(1); n <= 40; n++ {
		front := map[compact.NodeID]bool{}
		for _, id := range compact.RangeNodes(0, n, nil) {
			front[id] = true
		}
		for a := n; a <= 48; a++ {
			for b := a + 1; b <= 50; b++ {
				p, err := proof.Consistency(a, b)
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range p.IDs {
					if end := (id.Index + 1) << id.Level; end <= n && !front[id] {
						t.Fatalf("n=%d a=%d b=%d: node %d/%d is within the pruned leaves and not on the frontier", n, a, b, id.Level, id.Index)
					}
				}
			}
		}
	}
}
