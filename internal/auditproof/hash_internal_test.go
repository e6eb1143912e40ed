package auditproof

import (
	"bytes"
	"crypto/sha256"
	"testing"
)

// The fast hashes are RFC 6962's, byte for byte.
func TestHashesAreRFC6962(t *testing.T) {
	l, r := sha256.Sum256([]byte("l")), sha256.Sum256([]byte("r"))
	if !bytes.Equal(hashChildren(l[:], r[:]), hasher.HashChildren(l[:], r[:])) {
		t.Fatal("hashChildren differs from RFC 6962")
	}
	if !bytes.Equal(hashLeaf(l[:]), hasher.HashLeaf(l[:])) {
		t.Fatal("hashLeaf differs from RFC 6962")
	}
	if !bytes.Equal(hashLeaf([]byte("x")), hasher.HashLeaf([]byte("x"))) {
		t.Fatal("hashLeaf of other lengths differs from RFC 6962")
	}
}
