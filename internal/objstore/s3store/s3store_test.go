package s3store_test

import (
	"crypto/sha256"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/objstore/objstoretest"
	"github.com/kluis/kluis/internal/objstore/s3store"
	"github.com/kluis/kluis/internal/objstore/s3test"
)

func TestS3StoreBehavesAsAStore(t *testing.T) {
	srv := s3test.Start(t)
	objstoretest.Run(t, srv.Open(t, ""))
	// Under a prefix, keys are the store's own: nothing leaks out of it.
	s := srv.Open(t, "site2/kluis")
	objstoretest.Run(t, s)
	if l, _ := srv.Open(t, "site2").List(t.Context(), "kluis/t/b.txt"); len(l) != 1 {
		t.Fatalf("prefixed object not under its prefix: %+v", l)
	}
}

func TestS3LocationNeverShowsTheSecret(t *testing.T) {
	srv := s3test.Start(t)
	s := srv.Open(t, "p")
	if loc := s.Location(); strings.Contains(loc, srv.Secret) || strings.Contains(loc, srv.Access) ||
		!strings.Contains(loc, srv.Endpoint+"/"+srv.Bucket+"/p/") {
		t.Fatalf("Location = %q", loc)
	}
}

func TestS3WrongSecretIsAClearErrorWithoutTheSecret(t *testing.T) {
	srv := s3test.Start(t)
	wrong := "not-the-secret-4711"
	t.Setenv("KLUIS_S3_SECRET_KEY", wrong)
	loc := "s3://" + srv.Access + "@" + srv.Endpoint + "/" + srv.Bucket + "?tls=false"
	_, err := objstore.Open(loc)
	if err == nil {
		t.Fatal("wrong secret accepted")
	}
	if m := err.Error(); strings.Contains(m, wrong) || strings.Contains(m, srv.Secret) ||
		!strings.Contains(m, "refused the access key") || !strings.Contains(m, "KLUIS_S3_SECRET_KEY") {
		t.Fatalf("error = %q", m)
	}
}

func TestS3MissingBucketIsAClearError(t *testing.T) {
	srv := s3test.Start(t)
	_, err := objstore.Open(strings.Replace(srv.Location(""), "/"+srv.Bucket, "/no-such-bucket", 1))
	if err == nil || !strings.Contains(err.Error(), `bucket "no-such-bucket" does not exist`) {
		t.Fatalf("Open missing bucket = %v", err)
	}
}

func TestS3LocationsWithASecretAreRefused(t *testing.T) {
	for _, loc := range []string{
		"s3://AK:Hunter2x@s3.example.eu/b",
		"s3://AK@s3.example.eu/b?secret_key=Hunter2x",
		"s3://AK@s3.example.eu/b?password=Hunter2x",
	} {
		_, _, err := s3store.ParseLocation(loc)
		if err == nil || strings.Contains(err.Error(), "Hunter2x") || !strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseLocation(%q) = %v", loc, err)
		}
	}
	for _, loc := range []string{"s3://s3.example.eu/b", "s3://AK@/b", "s3://AK@h", "s3://AK@h/b?tls=maybe", "s3://AK@h/b?x=1", "s3://AK@h/b/../c"} {
		if _, _, err := s3store.ParseLocation(loc); err == nil {
			t.Errorf("ParseLocation(%q) accepted", loc)
		}
	}
	c, file, err := s3store.ParseLocation("s3://AK@s3.example.eu:9000/bucket/a/b?region=eu-west-1&secret_file=/run/s")
	if err != nil || c.Endpoint != "s3.example.eu:9000" || c.Bucket != "bucket" || c.Prefix != "a/b/" || c.Region != "eu-west-1" ||
		!c.TLS || c.AccessKey != "AK" || c.SecretKey != "" || file != "/run/s" {
		t.Fatalf("ParseLocation = %+v %q %v", c, file, err)
	}
}

// patterned is an endless reader of a repeating pattern: a large object
// made without holding it in memory.
type patterned struct{ i int }

func (p *patterned) Read(b []byte) (int, error) {
	for k := range b {
		b[k] = byte(p.i*7 + p.i/4096)
		p.i++
	}
	return len(b), nil
}

func TestS3LargeObjectStreamsInParts(t *testing.T) {
	srv := s3test.Start(t)
	s := srv.Open(t, "")
	const size = s3store.PartSize + 4<<20 + 123 // more than one part
	for _, known := range []bool{true, false} {
		want := sha256.New()
		r := io.TeeReader(io.LimitReader(&patterned{}, size), want)
		n := int64(size)
		if !known {
			n = -1
		}
		if err := s.Put(t.Context(), "big/obj", r, n); err != nil {
			t.Fatalf("Put (size known %v): %v", known, err)
		}
		info, err := srv.Client(t).StatObject(t.Context(), srv.Bucket, "big/obj", minio.StatObjectOptions{})
		if err != nil || info.Size != size || !strings.Contains(info.ETag, "-") {
			t.Fatalf("stored %+v (ETag %q: a multipart upload has a -N ETag), %v", info.Size, info.ETag, err)
		}
		rc, err := s.Get(t.Context(), "big/obj")
		if err != nil {
			t.Fatal(err)
		}
		got := sha256.New()
		if _, err := io.Copy(got, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		if string(got.Sum(nil)) != string(want.Sum(nil)) {
			t.Fatal("large object reads back different")
		}
	}
}

func TestS3ShortReaderLeavesNoObject(t *testing.T) {
	srv := s3test.Start(t)
	s := srv.Open(t, "")
	if err := s.Put(t.Context(), "x/y", strings.NewReader("abc"), 10); err == nil {
		t.Fatal("short write accepted")
	}
	if _, err := s.Stat(t.Context(), "x/y"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("half object visible: %v", err)
	}
}
