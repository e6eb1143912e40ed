// Package objstore is where files that must outlive one node's disk go:
// backups and their manifests (END-2), the second site (SEC-6), export
// files and large attachments shared by several nodes. A Store is a flat
// namespace of keys ("backups/2026-12-05T0300Z/data.age") holding immutable
// objects; Put makes an object visible only once it is complete, so a
// reader never sees half a backup.
//
// Two implementations: a directory (Dir) and an S3-compatible bucket,
// chosen by the location string given to Open ("/var/backups",
// "file:/var/backups", "s3://…"). Implementations register themselves with
// Register so that this package needs no S3 client.
package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// ErrNotFound: no object under that key.
var ErrNotFound = errors.New("objstore: object not found")

// Object describes one stored object.
type Object struct {
	Key      string
	Size     int64
	Modified time.Time
}

// Store is a place for immutable objects.
type Store interface {
	// Put stores r under key, replacing an object already there; the
	// object is visible only once it is complete. size is the length of r
	// when known, -1 when not.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Get opens the object; ErrNotFound when there is none.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat describes the object; ErrNotFound when there is none.
	Stat(ctx context.Context, key string) (Object, error)
	// List returns the objects whose key starts with prefix, by key.
	List(ctx context.Context, prefix string) ([]Object, error)
	// Delete removes the object; removing a missing one is no error.
	Delete(ctx context.Context, key string) error
	// Location names the store for people and logs, without secrets
	// ("dir:/var/backups", "s3://eu-west/kluis-backups/site2").
	Location() string
}

// Opener opens a store from a location string of its scheme.
type Opener func(location string) (Store, error)

var (
	mu      sync.RWMutex
	openers = map[string]Opener{}
)

// Register makes Open understand locations starting with scheme + "://".
func Register(scheme string, open Opener) {
	mu.Lock()
	defer mu.Unlock()
	openers[scheme] = open
}

// Open opens the store a location names: a directory path (absolute, or
// "file:" + path), or "scheme://…" for a registered scheme.
func Open(location string) (Store, error) {
	location = strings.TrimSpace(location)
	if location == "" {
		return nil, errors.New("objstore: empty location")
	}
	if i := strings.Index(location, "://"); i > 0 {
		scheme := location[:i]
		mu.RLock()
		open := openers[scheme]
		mu.RUnlock()
		if open == nil {
			return nil, fmt.Errorf("objstore: unknown storage scheme %q (known: %s)", scheme, strings.Join(Schemes(), ", "))
		}
		return open(location)
	}
	return Dir(strings.TrimPrefix(location, "file:"))
}

// Schemes lists the registered schemes and "file".
func Schemes() []string {
	mu.RLock()
	defer mu.RUnlock()
	s := []string{"file"}
	for k := range openers {
		s = append(s, k)
	}
	sort.Strings(s[1:])
	return s
}

// ValidKey checks an object key: slash-separated names of letters, digits,
// '.', '-', '_' and '=', no empty, "." or ".." part, at most 512 bytes. Keys
// are made by Kluis, never by users, but a store must not be led outside
// itself by a bad one.
func ValidKey(key string) error {
	if key == "" || len(key) > 512 {
		return fmt.Errorf("objstore: bad key length %d", len(key))
	}
	for _, part := range strings.Split(key, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("objstore: bad key %q", key)
		}
		for _, r := range part {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
				r == '.' || r == '-' || r == '_' || r == '='
			if !ok {
				return fmt.Errorf("objstore: bad character in key %q", key)
			}
		}
	}
	return nil
}
