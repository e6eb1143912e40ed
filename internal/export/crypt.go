package export

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
)

// Key is the object key of the encrypted file of export id of tenantID in
// the export store (objstore: the data directory's "exports", or the
// storage several nodes share). Ids are the store's hex ids, so the key
// is a valid objstore key and never leaves the store.
func Key(tenantID, id string) string { return tenantID + "/" + id + ".kx" }

// Path is where that file lives when the export store is the directory
// dir.
func Path(dir, tenantID, id string) string {
	return filepath.Join(dir, filepath.FromSlash(Key(tenantID, id)))
}

// The file format of an export at rest: a magic header, then chunks of at
// most ChunkSize plaintext bytes, each [flag 1][length 4][AES-256-GCM
// ciphertext]. The nonce is the chunk's counter (the key is used for this
// one file only); the associated data binds the export id, the counter
// and the flag, and only the last chunk has the final flag, so chunks
// cannot be reordered, swapped between exports, dropped or cut off.

// ChunkSize is the plaintext size of a chunk.
const ChunkSize = 64 << 10

var magic = []byte("KLUISX1\n")

// ErrCorrupt: the file is not an export of this id and key, or was
// changed or cut off.
var ErrCorrupt = errors.New("export file is corrupt or truncated")

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("export key must be 32 bytes (AES-256)")
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func chunkAD(id string, n uint64, final bool) []byte {
	ad := make([]byte, 0, len(id)+9)
	ad = append(ad, id...)
	ad = binary.BigEndian.AppendUint64(ad, n)
	if final {
		return append(ad, 1)
	}
	return append(ad, 0)
}

func nonce(n uint64) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint64(b[4:], n)
	return b
}

type encWriter struct {
	w    io.Writer
	aead cipher.AEAD
	id   string
	n    uint64
	buf  []byte
	out  []byte
}

// Encrypt returns a writer that encrypts what is written to it for export
// id with key and writes it to w; Close writes the final chunk (it does
// not close w).
func Encrypt(w io.Writer, key []byte, id string) (io.WriteCloser, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(magic); err != nil {
		return nil, err
	}
	return &encWriter{w: w, aead: aead, id: id, buf: make([]byte, 0, ChunkSize)}, nil
}

func (e *encWriter) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		if len(e.buf) == ChunkSize {
			// Only now is it known that this chunk is not the last.
			if err := e.flush(false); err != nil {
				return total - len(p), err
			}
		}
		k := copy(e.buf[len(e.buf):ChunkSize], p)
		e.buf = e.buf[:len(e.buf)+k]
		p = p[k:]
	}
	return total, nil
}

func (e *encWriter) flush(final bool) error {
	e.out = e.aead.Seal(e.out[:0], nonce(e.n), e.buf, chunkAD(e.id, e.n, final))
	var hdr [5]byte
	if final {
		hdr[0] = 1
	}
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(e.out)))
	if _, err := e.w.Write(hdr[:]); err != nil {
		return err
	}
	if _, err := e.w.Write(e.out); err != nil {
		return err
	}
	e.n++
	e.buf = e.buf[:0]
	return nil
}

func (e *encWriter) Close() error { return e.flush(true) }

type decReader struct {
	r     *bufio.Reader
	aead  cipher.AEAD
	id    string
	n     uint64
	plain []byte
	done  bool
	ct    []byte
}

// Decrypt returns a reader of the plaintext of an export file read from r.
// A file changed, cut off or of another export fails with ErrCorrupt.
func Decrypt(r io.Reader, key []byte, id string) (io.Reader, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(r, ChunkSize+64)
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(br, head); err != nil || string(head) != string(magic) {
		return nil, ErrCorrupt
	}
	return &decReader{r: br, aead: aead, id: id}, nil
}

func (d *decReader) Read(p []byte) (int, error) {
	for len(d.plain) == 0 {
		if d.done {
			return 0, io.EOF
		}
		var hdr [5]byte
		if _, err := io.ReadFull(d.r, hdr[:]); err != nil {
			return 0, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		final := hdr[0] == 1
		size := binary.BigEndian.Uint32(hdr[1:])
		if hdr[0] > 1 || size > ChunkSize+uint32(d.aead.Overhead()) {
			return 0, ErrCorrupt
		}
		if cap(d.ct) < int(size) {
			d.ct = make([]byte, size)
		}
		d.ct = d.ct[:size]
		if _, err := io.ReadFull(d.r, d.ct); err != nil {
			return 0, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		plain, err := d.aead.Open(d.ct[:0], nonce(d.n), d.ct, chunkAD(d.id, d.n, final))
		if err != nil {
			return 0, ErrCorrupt
		}
		d.n++
		d.plain = plain
		if final {
			d.done = true
			if _, err := d.r.ReadByte(); err != io.EOF {
				return 0, ErrCorrupt // bytes after the final chunk
			}
		}
	}
	k := copy(p, d.plain)
	d.plain = d.plain[k:]
	return k, nil
}

// FullKey is the object key of the encrypted archive of full export id of
// tenantID (END-3) in the export store, apart from the per-form exports.
func FullKey(tenantID, id string) string { return tenantID + "/full-" + id + ".kx" }
