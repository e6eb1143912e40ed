package jobs

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// brokenStore is an object store that fails: at once (a bucket gone), or
// after reading some bytes (the connection drops mid-upload).
type brokenStore struct {
	objstore.Store
	after int64
}

func (b brokenStore) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if b.after > 0 {
		io.CopyN(io.Discard, r, b.after)
	}
	return errors.New("storage unavailable")
}

// An export whose storage fails is recorded as failed (audited by
// FinishExport), leaves no object behind, and never blocks the worker.
func TestExportIntoAFailingStoreFailsCleanly(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn, userID, actor := exportSetup(t, env)
		dir, err := objstore.Dir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		for _, after := range []int64{0, 10} {
			e, err := env.DB.CreateExport(ctx, actor, tn.ID, userID, store.ExportRequest{FormKey: "vraag", Format: "csv", Reason: "test", Lang: "nl"})
			if err != nil {
				t.Fatal(err)
			}
			r := runner(env, map[string]Handler{KindExportBuild: ExportBuildIn(brokenStore{dir, after})})
			if did, err := r.RunOne(ctx); !did || err != nil {
				t.Fatalf("build into a failing store (after %d bytes): %v %v", after, did, err)
			}
			got, err := env.DB.Export(ctx, tn.ID, userID, e.ID)
			if err != nil || got.Status != store.ExportFailed {
				t.Fatalf("export after a failed build: %+v %v", got, err)
			}
			if l, _ := dir.List(ctx, ""); len(l) != 0 {
				t.Fatalf("objects left: %+v", l)
			}
		}
	})
}
