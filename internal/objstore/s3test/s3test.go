// Package s3test starts a real S3 server for tests: versitygw (Apache-2.0),
// an S3 gateway over a directory, on a loopback port with a bucket made
// for the test, stopped when the test ends. No fake: the S3 store is
// tested against the protocol as a server speaks it.
//
// The binary is KLUIS_TEST_VERSITYGW, else versitygw on PATH, else
// $GOPATH/bin/versitygw (`make tools` installs the pinned version). When
// it is missing the test is skipped with a loud message, or fails when
// KLUIS_TEST_REQUIRE_S3=1 (CI sets it).
package s3test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/kluis/kluis/internal/objstore"
	_ "github.com/kluis/kluis/internal/objstore/s3store" // registers the "s3" scheme
	"github.com/kluis/kluis/internal/testtool"
)

// Version is the versitygw release the project pins (Makefile, .ci/run).
const Version = "v1.8.0"

// Server is one running versitygw with one bucket.
type Server struct {
	Endpoint   string // 127.0.0.1:port
	Access     string
	Secret     string
	SecretFile string // holds Secret, for locations
	Bucket     string
	Root       string // the directory behind the gateway
}

// Binary finds versitygw, or returns "".
func Binary() string { return testtool.Find("KLUIS_TEST_VERSITYGW", "versitygw") }

// Start runs versitygw for t, with a bucket named "kluis-test".
func Start(t testing.TB) *Server {
	t.Helper()
	bin := testtool.Need(t, testtool.Tool{Name: "versitygw", Env: "KLUIS_TEST_VERSITYGW", Require: "KLUIS_TEST_REQUIRE_S3",
		What: "the S3 server of the tests", Tests: "S3 tests", Install: "github.com/versity/versitygw/cmd/versitygw@" + Version})
	tmp := t.TempDir()
	root := filepath.Join(tmp, "gw")
	if err := os.MkdirAll(root, 0o700); err != nil {
		t.Fatal(err)
	}
	s := &Server{Access: "kluistest", Secret: "kluis-test-secret-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		Bucket: "kluis-test", Root: root, SecretFile: filepath.Join(tmp, "s3-secret")}
	if err := os.WriteFile(s.SecretFile, []byte(s.Secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	s.Endpoint = "127.0.0.1:" + strconv.Itoa(port)
	var out bytes.Buffer
	cmd := exec.Command(bin, "--quiet", "--port", s.Endpoint, "posix", root)
	// The keys go through the environment, not the command line, where
	// other users of the machine could read them.
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.Access, "ROOT_SECRET_KEY="+s.Secret)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	cl, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.Access, s.Secret, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	// Wait (a bounded poll, not a sleep) until the gateway answers.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = cl.MakeBucket(ctx, s.Bucket, minio.MakeBucketOptions{})
		cancel()
		if err == nil {
			break
		}
		select {
		case werr := <-exited:
			t.Fatalf("versitygw exited (%v):\n%s", werr, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not answer on %s: %v\n%s", s.Endpoint, err, out.String())
		}
	}
	return s
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Location is an s3:// location of the bucket under prefix ("" for
// none), with the secret in a file.
func (s *Server) Location(prefix string) string {
	p := s.Bucket
	if prefix != "" {
		p += "/" + prefix
	}
	return fmt.Sprintf("s3://%s@%s/%s?tls=false&region=us-east-1&secret_file=%s", s.Access, s.Endpoint, p, s.SecretFile)
}

// Open opens the bucket under prefix through objstore.Open, as Kluis does.
func (s *Server) Open(t testing.TB, prefix string) objstore.Store {
	t.Helper()
	st, err := objstore.Open(s.Location(prefix))
	if err != nil {
		t.Fatalf("open %s: %v", s.Location(prefix), err)
	}
	return st
}

// Client is a plain S3 client of the server, for what a test checks
// beside the store (a multipart ETag, a second bucket).
func (s *Server) Client(t testing.TB) *minio.Client {
	cl, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.Access, s.Secret, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}
