package objstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Replicate copies to the second site every object under prefix that is
// missing there, or there with another size (a copy cut off by an earlier
// failure), and returns the keys it copied (SEC-6: encrypted copies in a
// second data centre). Objects are immutable, so one of the same key and
// size is taken as the same object. Each copy is verified before it
// counts: its size at the second site, and the SHA-256 of what was read
// from the source against that of the copy read back from the second site,
// so a copy that was damaged on the way is reported, not trusted. It goes
// on after a failing object and returns every failure together.
func Replicate(ctx context.Context, from, to Store, prefix string) (copied []string, err error) {
	src, err := from.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("replicate: list %s: %w", from.Location(), err)
	}
	dst, err := to.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("replicate: list %s: %w", to.Location(), err)
	}
	have := make(map[string]int64, len(dst))
	for _, o := range dst {
		have[o.Key] = o.Size
	}
	var errs []error
	for _, o := range src {
		if size, ok := have[o.Key]; ok && size == o.Size {
			continue
		}
		if err := ctx.Err(); err != nil {
			return copied, errors.Join(append(errs, err)...)
		}
		if err := copyVerified(ctx, from, to, o); err != nil {
			errs = append(errs, fmt.Errorf("replicate %s to %s: %w", o.Key, to.Location(), err))
			continue
		}
		copied = append(copied, o.Key)
	}
	return copied, errors.Join(errs...)
}

func copyVerified(ctx context.Context, from, to Store, o Object) error {
	rc, err := from.Get(ctx, o.Key)
	if err != nil {
		return err
	}
	sum := sha256.New()
	err = to.Put(ctx, o.Key, io.TeeReader(rc, sum), o.Size)
	rc.Close()
	if err != nil {
		return err
	}
	st, err := to.Stat(ctx, o.Key)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if st.Size != o.Size {
		return fmt.Errorf("verify: the copy has %d bytes, the original %d", st.Size, o.Size)
	}
	back, err := hashOf(ctx, to, o.Key)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if !bytes.Equal(back.Sum(nil), sum.Sum(nil)) {
		// Not left behind as if it were good: the next run copies again.
		_ = to.Delete(ctx, o.Key)
		return errors.New("verify: the copy reads back with another SHA-256 than the original")
	}
	return nil
}

func hashOf(ctx context.Context, s Store, key string) (hash.Hash, error) {
	rc, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, rc}); err != nil {
		return nil, err
	}
	return h, nil
}

// CopyVerified copies one object from one store to another, trusting the
// copy only when its size and SHA-256 read back equal the original's.
func CopyVerified(ctx context.Context, from, to Store, key string) error {
	o, err := from.Stat(ctx, key)
	if err != nil {
		return err
	}
	return copyVerified(ctx, from, to, o)
}
