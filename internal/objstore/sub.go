package objstore

import (
	"context"
	"io"
	"strings"
)

// Sub is the part of s under prefix ("exports/"): its keys are the
// objects' keys without the prefix, so one bucket holds export files,
// attachments and backups apart.
func Sub(s Store, prefix string) Store {
	if prefix == "" {
		return s
	}
	return sub{s, strings.TrimSuffix(prefix, "/") + "/"}
}

type sub struct {
	s      Store
	prefix string
}

func (p sub) key(k string) (string, error) {
	if err := ValidKey(k); err != nil {
		return "", err
	}
	return p.prefix + k, nil
}

func (p sub) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	k, err := p.key(key)
	if err != nil {
		return err
	}
	return p.s.Put(ctx, k, r, size)
}

func (p sub) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	k, err := p.key(key)
	if err != nil {
		return nil, err
	}
	return p.s.Get(ctx, k)
}

func (p sub) Stat(ctx context.Context, key string) (Object, error) {
	k, err := p.key(key)
	if err != nil {
		return Object{}, err
	}
	o, err := p.s.Stat(ctx, k)
	o.Key = key
	return o, err
}

func (p sub) List(ctx context.Context, prefix string) ([]Object, error) {
	l, err := p.s.List(ctx, p.prefix+prefix)
	for i := range l {
		l[i].Key = strings.TrimPrefix(l[i].Key, p.prefix)
	}
	return l, err
}

func (p sub) Delete(ctx context.Context, key string) error {
	k, err := p.key(key)
	if err != nil {
		return err
	}
	return p.s.Delete(ctx, k)
}

func (p sub) Location() string { return p.s.Location() + ", under " + p.prefix }
