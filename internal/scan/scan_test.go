package scan_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/scan"
	"github.com/kluis/kluis/internal/scan/scantest"
)

// TestScanWithRealClamd: a clean file passes, the EICAR file is found also
// inside a larger file and across a chunk boundary, a stream beyond
// clamd's limit gets no verdict, and a daemon that is down is an error —
// never a clean result.
func TestScanWithRealClamd(t *testing.T) {
	c := scantest.Start(t)
	ctx := context.Background()

	res, err := c.Scan(ctx, strings.NewReader("Beste, in bijlage mijn attest. Met vriendelijke groet."))
	if err != nil || !res.Clean {
		t.Fatalf("clean file: %+v, %v", res, err)
	}
	res, err = c.Scan(ctx, bytes.NewReader(scan.EICAR))
	if err != nil || res.Clean || !strings.HasPrefix(res.Signature, scantest.Signature) {
		t.Fatalf("EICAR: %+v, %v", res, err)
	}
	// The test string straddling the 64 KiB chunk boundary.
	big := append(bytes.Repeat([]byte("a"), 64<<10-20), scan.EICAR...)
	big = append(big, bytes.Repeat([]byte("b"), 1000)...)
	if res, err := c.Scan(ctx, bytes.NewReader(big)); err != nil || res.Clean {
		t.Fatalf("EICAR across chunks: %+v, %v", res, err)
	}
	// StreamMaxLength is 2 MiB in the test daemon: no verdict for 3 MiB.
	if res, err := c.Scan(ctx, io.LimitReader(zeros{}, 3<<20)); !errors.Is(err, scan.ErrUnavailable) || res.Clean {
		t.Fatalf("over the limit: %+v, %v", res, err)
	}
	// A daemon that is not there.
	down := &scan.Client{Network: "unix", Address: t.TempDir() + "/none.sock", Timeout: time.Second}
	if res, err := down.Scan(ctx, strings.NewReader("x")); !errors.Is(err, scan.ErrUnavailable) || res.Clean {
		t.Fatalf("clamd down: %+v, %v", res, err)
	}
	if err := down.Ping(ctx); !errors.Is(err, scan.ErrUnavailable) {
		t.Fatalf("ping clamd down: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
