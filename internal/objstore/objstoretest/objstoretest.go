// Package objstoretest is the behaviour every objstore.Store must show,
// run by each implementation's tests against the real thing (a directory,
// a real S3 server).
package objstoretest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/objstore"
)

// Run checks s; s must be empty under prefix "t/".
func Run(t *testing.T, s objstore.Store) {
	t.Helper()
	ctx := context.Background()
	body := bytes.Repeat([]byte("kluis "), 100_000) // 600 kB: more than one buffer
	if err := s.Put(ctx, "t/a/one.bin", bytes.NewReader(body), int64(len(body))); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := s.Put(ctx, "t/b.txt", strings.NewReader("hallo"), -1); err != nil {
		t.Fatalf("Put unknown size: %v", err)
	}
	rc, err := s.Get(ctx, "t/a/one.bin")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("Get read %d bytes (err %v), want %d equal bytes", len(got), err, len(body))
	}
	o, err := s.Stat(ctx, "t/a/one.bin")
	if err != nil || o.Size != int64(len(body)) || o.Key != "t/a/one.bin" {
		t.Fatalf("Stat = %+v, %v", o, err)
	}
	list, err := s.List(ctx, "t/")
	if err != nil || len(list) != 2 || list[0].Key != "t/a/one.bin" || list[1].Key != "t/b.txt" {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if list, _ := s.List(ctx, "t/a/"); len(list) != 1 {
		t.Fatalf("List by prefix = %+v", list)
	}
	if _, err := s.Get(ctx, "t/missing"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("Get missing: %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(ctx, "t/missing"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("Stat missing: %v, want ErrNotFound", err)
	}
	if err := s.Put(ctx, "t/b.txt", strings.NewReader("dag"), 3); err != nil {
		t.Fatalf("Put replace: %v", err)
	}
	rc, _ = s.Get(ctx, "t/b.txt")
	got, _ = io.ReadAll(rc)
	rc.Close()
	if string(got) != "dag" {
		t.Fatalf("replaced object reads %q", got)
	}
	// A reader shorter or longer than its announced size is refused and
	// leaves nothing under the key.
	for _, r := range []string{"ab", "abcd"} {
		if err := s.Put(ctx, "t/wrong-size", strings.NewReader(r), 3); err == nil {
			t.Fatalf("Put of %d bytes announced as 3 accepted", len(r))
		}
		if _, err := s.Stat(ctx, "t/wrong-size"); !errors.Is(err, objstore.ErrNotFound) {
			t.Fatalf("a wrong-size Put left an object: %v", err)
		}
	}
	for _, bad := range []string{"../x", "t//x", "/abs", "t/./x", "t/x y", ""} {
		if err := s.Put(ctx, bad, strings.NewReader("x"), 1); err == nil {
			t.Fatalf("Put %q accepted", bad)
		}
	}
	if err := s.Delete(ctx, "t/a/one.bin"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := s.Delete(ctx, "t/a/one.bin"); err != nil {
		t.Fatalf("Delete twice: %v", err)
	}
	if _, err := s.Get(ctx, "t/a/one.bin"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if s.Location() == "" {
		t.Fatal("empty Location")
	}
}
