package objstore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/objstore"
)

// damaging is a second site whose disk changes a byte of what it stores
// (the S3 run of Replicate is TestClauseSEC6_… in s3store).
type damaging struct{ objstore.Store }

func (d damaging) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	b[len(b)/2] ^= 0xff
	return d.Store.Put(ctx, key, bytes.NewReader(b), size)
}

func TestClauseSEC6_ReplicateRefusesADamagedCopy(t *testing.T) {
	ctx := t.Context()
	from, _ := objstore.Dir(t.TempDir())
	inner, _ := objstore.Dir(t.TempDir())
	if err := from.Put(ctx, "backups/b1/data.age", strings.NewReader("sealed backup bytes"), -1); err != nil {
		t.Fatal(err)
	}
	copied, err := objstore.Replicate(ctx, from, damaging{inner}, "backups/")
	if len(copied) != 0 || err == nil || !strings.Contains(err.Error(), "SHA-256") || !strings.Contains(err.Error(), "backups/b1/data.age") {
		t.Fatalf("Replicate = %v, %v", copied, err)
	}
	if _, err := inner.Stat(ctx, "backups/b1/data.age"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("damaged copy left at the second site: %v", err)
	}
}
