// Package s3store is the objstore.Store of an S3-compatible bucket: the
// second site of the backups (SEC-6) and the storage several nodes share
// for export files. Importing it registers the "s3" scheme with objstore:
//
//	s3://ACCESS@host:port/bucket/prefix?region=eu-west-1&tls=false&secret_file=/run/secrets/s3
//
// The secret key is never part of a location (locations are shown in
// logs, `kluis config` and backup manifests): it comes from the file named
// by secret_file, else from KLUIS_S3_SECRET_KEY_FILE, else from
// KLUIS_S3_SECRET_KEY. The access key id is not a secret but is left out
// of Location() all the same.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/kluis/kluis/internal/objstore"
)

func init() { objstore.Register("s3", func(loc string) (objstore.Store, error) { return Open(loc) }) }

// PartSize is the size of one part of a multipart upload, and so the most
// memory one Put holds: objects stream through in parts of this size, and
// the upload becomes visible only when S3 completes it (atomic to readers).
const PartSize = 16 << 20

// Config says where a bucket is and how to sign in to it.
type Config struct {
	Endpoint  string // host:port
	TLS       bool   // https (default) or http (loopback tests)
	Region    string // e.g. eu-west-1; default us-east-1
	Bucket    string
	Prefix    string // "" or "a/b/": prepended to every key
	AccessKey string
	SecretKey string // secret: never in a location, an error or a log
}

// ParseLocation reads an s3:// location. A location that carries a secret
// (ACCESS:SECRET@, or a secret/secret_key/password parameter) is refused:
// locations end up in logs and manifests.
func ParseLocation(loc string) (Config, string, error) {
	u, err := url.Parse(loc)
	if err != nil || u.Scheme != "s3" {
		return Config{}, "", errors.New("objstore s3: a location is s3://ACCESS@host:port/bucket/prefix?region=…")
	}
	if _, has := u.User.Password(); has {
		return Config{}, "", errors.New("objstore s3: the location holds a secret key (ACCESS:SECRET@); put the secret in KLUIS_S3_SECRET_KEY or a file named by secret_file=")
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "region", "tls", "secret_file":
		default:
			if strings.Contains(strings.ToLower(k), "secret") || strings.Contains(strings.ToLower(k), "password") {
				return Config{}, "", fmt.Errorf("objstore s3: the location holds a secret (parameter %q); put the secret in KLUIS_S3_SECRET_KEY or a file named by secret_file=", k)
			}
			return Config{}, "", fmt.Errorf("objstore s3: unknown location parameter %q (known: region, tls, secret_file)", k)
		}
	}
	c := Config{Endpoint: u.Host, TLS: true, Region: q.Get("region")}
	if u.User != nil {
		c.AccessKey = u.User.Username()
	}
	switch q.Get("tls") {
	case "", "true":
	case "false":
		c.TLS = false
	default:
		return Config{}, "", fmt.Errorf("objstore s3: tls=%q is not true or false", q.Get("tls"))
	}
	if c.Endpoint == "" {
		return Config{}, "", errors.New("objstore s3: the location names no host")
	}
	path := strings.Trim(u.Path, "/")
	c.Bucket, c.Prefix, _ = strings.Cut(path, "/")
	if c.Bucket == "" {
		return Config{}, "", errors.New("objstore s3: the location names no bucket (s3://ACCESS@host/bucket/prefix)")
	}
	if c.Prefix != "" {
		if err := objstore.ValidKey(c.Prefix); err != nil {
			return Config{}, "", fmt.Errorf("objstore s3: bad prefix %q", c.Prefix)
		}
		c.Prefix += "/"
	}
	if c.AccessKey == "" {
		return Config{}, "", errors.New("objstore s3: the location names no access key (s3://ACCESS@host/bucket)")
	}
	return c, q.Get("secret_file"), nil
}

// Open opens the bucket of an s3:// location, reading the secret key as
// the package comment says, and checks that the bucket exists and the
// keys are accepted, so a misconfigured second site fails at start-up,
// not at the first backup.
func Open(loc string) (*Store, error) {
	c, secretFile, err := ParseLocation(loc)
	if err != nil {
		return nil, err
	}
	if secretFile == "" {
		secretFile = os.Getenv("KLUIS_S3_SECRET_KEY_FILE")
	}
	if secretFile != "" {
		b, err := os.ReadFile(secretFile)
		if err != nil {
			return nil, fmt.Errorf("objstore s3: read the secret key file: %w", err)
		}
		c.SecretKey = strings.TrimSpace(string(b))
	} else {
		c.SecretKey = os.Getenv("KLUIS_S3_SECRET_KEY")
	}
	if c.SecretKey == "" {
		return nil, errors.New("objstore s3: no secret key: set KLUIS_S3_SECRET_KEY, KLUIS_S3_SECRET_KEY_FILE or secret_file= in the location")
	}
	s, err := New(c)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Check(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Store is a bucket (under a prefix) holding objstore objects.
type Store struct {
	c       *minio.Client
	cfg     Config
	display string
}

// New makes a store without contacting the server (see Check).
func New(c Config) (*Store, error) {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	cl, err := minio.New(c.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure: c.TLS,
		Region: c.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("objstore s3: %s", scrub(err, c.SecretKey))
	}
	scheme := "s3"
	if !c.TLS {
		scheme = "s3+http"
	}
	d := scheme + "://" + c.Endpoint + "/" + c.Bucket + "/" + c.Prefix + " (region " + c.Region + ")"
	return &Store{c: cl, cfg: c, display: d}, nil
}

// Location names the store without any key.
func (s *Store) Location() string { return s.display }

// Check asks the server whether the bucket exists, which also proves the
// keys; its errors say which of the two is wrong.
func (s *Store) Check(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.cfg.Bucket)
	if err != nil {
		return s.wrap("check the bucket", err)
	}
	if !ok {
		return fmt.Errorf("objstore s3: %s: the bucket %q does not exist (create it, or fix the location)", s.display, s.cfg.Bucket)
	}
	return nil
}

func (s *Store) wrap(what string, err error) error {
	code := minio.ToErrorResponse(err).Code
	switch code {
	case "NoSuchKey":
		return objstore.ErrNotFound
	case "NoSuchBucket":
		return fmt.Errorf("objstore s3: %s: the bucket %q does not exist (create it, or fix the location)", s.display, s.cfg.Bucket)
	case "SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "InvalidClientTokenId":
		return fmt.Errorf("objstore s3: %s: %s: the server refused the access key %q or its secret key (%s); check KLUIS_S3_SECRET_KEY or the secret file",
			s.display, what, s.cfg.AccessKey, code)
	}
	return fmt.Errorf("objstore s3: %s: %s: %s", s.display, what, scrub(err, s.cfg.SecretKey))
}

// scrub makes sure an error from the client never carries the secret.
func scrub(err error, secret string) string {
	m := err.Error()
	if secret != "" {
		m = strings.ReplaceAll(m, secret, "xxxxx")
	}
	return m
}

func (s *Store) name(key string) (string, error) {
	if err := objstore.ValidKey(key); err != nil {
		return "", err
	}
	return s.cfg.Prefix + key, nil
}

// Put streams r to the bucket in parts of PartSize; S3 shows the object
// only once the PUT or the multipart upload completes, and aborts an
// upload that fails half-way.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	n, err := s.name(key)
	if err != nil {
		return err
	}
	cr := &countReader{r: r}
	info, err := s.c.PutObject(ctx, s.cfg.Bucket, n, cr, size, minio.PutObjectOptions{
		PartSize: PartSize, NumThreads: 1, ContentType: "application/octet-stream"})
	if err != nil {
		return s.wrap("put "+key, err)
	}
	if size >= 0 && cr.n == size {
		// The client reads exactly size bytes; a reader with more is as
		// wrong as one with fewer.
		var one [1]byte
		if n, _ := io.ReadFull(r, one[:]); n > 0 {
			cr.n++
		}
	}
	if size >= 0 && (info.Size != size || cr.n != size) {
		// A reader longer or shorter than announced: do not keep a
		// wrong object under the key.
		_ = s.c.RemoveObject(ctx, s.cfg.Bucket, n, minio.RemoveObjectOptions{})
		return fmt.Errorf("objstore: %s: wrote %d bytes, expected %d", key, cr.n, size)
	}
	return nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Get opens the object for streaming.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	n, err := s.name(key)
	if err != nil {
		return nil, err
	}
	o, err := s.c.GetObject(ctx, s.cfg.Bucket, n, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.notFound(key, s.wrap("get "+key, err))
	}
	// GetObject is lazy: Stat makes the request, so a missing object is
	// reported here and not at the first Read.
	if _, err := o.Stat(); err != nil {
		o.Close()
		return nil, s.notFound(key, s.wrap("get "+key, err))
	}
	return o, nil
}

func (s *Store) notFound(key string, err error) error {
	if errors.Is(err, objstore.ErrNotFound) {
		return fmt.Errorf("%w: %s", objstore.ErrNotFound, key)
	}
	return err
}

// Stat describes the object.
func (s *Store) Stat(ctx context.Context, key string) (objstore.Object, error) {
	n, err := s.name(key)
	if err != nil {
		return objstore.Object{}, err
	}
	oi, err := s.c.StatObject(ctx, s.cfg.Bucket, n, minio.StatObjectOptions{})
	if err != nil {
		return objstore.Object{}, s.notFound(key, s.wrap("stat "+key, err))
	}
	return objstore.Object{Key: key, Size: oi.Size, Modified: oi.LastModified.UTC()}, nil
}

// List returns the objects under prefix, by key.
func (s *Store) List(ctx context.Context, prefix string) ([]objstore.Object, error) {
	var out []objstore.Object
	for oi := range s.c.ListObjects(ctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: s.cfg.Prefix + prefix, Recursive: true}) {
		if oi.Err != nil {
			return nil, s.wrap("list "+prefix, oi.Err)
		}
		if strings.HasSuffix(oi.Key, "/") {
			continue // a directory marker some servers show
		}
		out = append(out, objstore.Object{Key: strings.TrimPrefix(oi.Key, s.cfg.Prefix), Size: oi.Size, Modified: oi.LastModified.UTC()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes the object; S3 reports no error for a missing one.
func (s *Store) Delete(ctx context.Context, key string) error {
	n, err := s.name(key)
	if err != nil {
		return err
	}
	if err := s.c.RemoveObject(ctx, s.cfg.Bucket, n, minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(s.wrap("delete", err), objstore.ErrNotFound) {
			return nil
		}
		return s.wrap("delete "+key, err)
	}
	return nil
}
