package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// newID returns a time-ordered random identifier (UUIDv7 layout, as 32 hex
// characters) generated before the insert, so that the row id can be bound
// into the sealed values' associated data.
func newID(now time.Time) string {
	var b [16]byte
	rand.Read(b[:])
	ms := uint64(now.UnixMilli())
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], ms)
	copy(b[:6], t[2:])
	b[6] = (b[6] & 0x0f) | 0x70
	b[8] = (b[8] & 0x3f) | 0x80
	return hex.EncodeToString(b[:])
}
