package export

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestEncryptRoundTripAndTamper(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	for _, size := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 17} {
		plain := bytes.Repeat([]byte("MARKER-PLAIN "), size/13+1)[:size]
		var file bytes.Buffer
		w, err := Encrypt(&file, key, "exp-1")
		if err != nil {
			t.Fatal(err)
		}
		// Odd write sizes cross chunk borders.
		for p := plain; len(p) > 0; {
			n := min(len(p), 1000)
			w.Write(p[:n])
			p = p[n:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if size > 0 && bytes.Contains(file.Bytes(), []byte("MARKER")) {
			t.Fatalf("size %d: plaintext in the file", size)
		}
		r, err := Decrypt(bytes.NewReader(file.Bytes()), key, "exp-1")
		if err != nil {
			t.Fatal(err)
		}
		back, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(back, plain) {
			t.Fatalf("size %d: round trip: %v", size, err)
		}
		bad := map[string]func() ([]byte, []byte, string){
			"truncated": func() ([]byte, []byte, string) { return file.Bytes()[:file.Len()-1], key, "exp-1" },
			"flipped": func() ([]byte, []byte, string) {
				b := bytes.Clone(file.Bytes())
				b[len(b)-3] ^= 1
				return b, key, "exp-1"
			},
			"other id":    func() ([]byte, []byte, string) { return file.Bytes(), key, "exp-2" },
			"other key":   func() ([]byte, []byte, string) { return file.Bytes(), bytes.Repeat([]byte{8}, 32), "exp-1" },
			"appended":    func() ([]byte, []byte, string) { return append(bytes.Clone(file.Bytes()), 0), key, "exp-1" },
			"cut a chunk": func() ([]byte, []byte, string) { return file.Bytes()[:len(magic)], key, "exp-1" },
		}
		for name, mk := range bad {
			b, k, id := mk()
			r, err := Decrypt(bytes.NewReader(b), k, id)
			if err == nil {
				_, err = io.ReadAll(r)
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("size %d, %s: %v, want ErrCorrupt", size, name, err)
			}
		}
	}
}

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{
		"=SUM(A1)": "'=SUM(A1)", "+32 470": "'+32 470", "-1": "'-1", "@cmd": "'@cmd", "\tx": "'\tx", "\rx": "'\rx",
		"plain": "plain", "": "", "a=b": "a=b",
	} {
		if got := CSVSafe(in); got != want {
			t.Errorf("CSVSafe(%q) = %q, want %q", in, got, want)
		}
	}
	var b bytes.Buffer
	w, _ := NewCSV(&b, []string{"a", "b"})
	w.Write([]string{"=1+1", "x;y"})
	w.Close()
	if got := b.String(); got != "\ufeffa;b\r\n'=1+1;\"x;y\"\r\n" {
		t.Fatalf("csv: %q", got)
	}
	if !strings.HasPrefix(b.String(), "\ufeff") {
		t.Fatal("no BOM")
	}
}
