package s3store_test

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/objstore/s3test"
)

// SEC-6: backups made in a directory are copied to a second site, a real
// S3 server; what is already there is not copied again, a copy cut off
// earlier is replaced, and every copy reads back as the original.
func TestClauseSEC6_BackupsReplicateToASecondS3Site(t *testing.T) {
	ctx := t.Context()
	primary, err := objstore.Dir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	site2 := s3test.Start(t).Open(t, "site2")
	objects := map[string][]byte{
		"backups/2026-12-01T0300Z/data.age":      bytes.Repeat([]byte{1, 2, 3}, 400_000),
		"backups/2026-12-01T0300Z/manifest.json": []byte(`{"v":1}`),
		"backups/2026-12-02T0300Z/data.age":      bytes.Repeat([]byte{4}, 70_000),
		"other/not-a-backup":                     []byte("x"),
	}
	for k, v := range objects {
		if err := primary.Put(ctx, k, bytes.NewReader(v), int64(len(v))); err != nil {
			t.Fatal(err)
		}
	}
	// A copy cut off by an earlier failed run is at the second site.
	if err := site2.Put(ctx, "backups/2026-12-02T0300Z/data.age", strings.NewReader("cut"), 3); err != nil {
		t.Fatal(err)
	}
	copied, err := objstore.Replicate(ctx, primary, site2, "backups/")
	if err != nil {
		t.Fatalf("Replicate: %v", err)
	}
	want := []string{"backups/2026-12-01T0300Z/data.age", "backups/2026-12-01T0300Z/manifest.json", "backups/2026-12-02T0300Z/data.age"}
	if !slices.Equal(copied, want) {
		t.Fatalf("copied %v, want %v", copied, want)
	}
	for _, k := range want {
		rc, err := site2.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, objects[k]) {
			t.Fatalf("%s at the second site differs from the original", k)
		}
	}
	if _, err := site2.Stat(ctx, "other/not-a-backup"); err == nil {
		t.Fatal("an object outside the prefix was copied")
	}
	// A second run finds everything there.
	if copied, err := objstore.Replicate(ctx, primary, site2, "backups/"); err != nil || len(copied) != 0 {
		t.Fatalf("second run copied %v, %v", copied, err)
	}
	// A new backup: only it goes.
	if err := primary.Put(ctx, "backups/2026-12-03T0300Z/data.age", strings.NewReader("new"), 3); err != nil {
		t.Fatal(err)
	}
	if copied, err := objstore.Replicate(ctx, primary, site2, "backups/"); err != nil || !slices.Equal(copied, []string{"backups/2026-12-03T0300Z/data.age"}) {
		t.Fatalf("third run copied %v, %v", copied, err)
	}
}
