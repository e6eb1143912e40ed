package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/export"
	"github.com/kluis/kluis/internal/jobs"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/objstore/s3test"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// Several nodes share only the database and an S3 bucket (KLUIS_STORAGE):
// an export built by node 1's worker is downloaded through node 2, which
// has never seen node 1's disk, and deleted through node 2 from the
// bucket. At rest in the bucket the file is the encrypted export format,
// no plaintext.
func TestSharedStorageExportBuiltOnOneNodeIsServedByAnother(t *testing.T) {
	srv := s3test.Start(t)
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		prefix := "kluis-" + string(env.Dialect)
		node1Store := objstore.Sub(srv.Open(t, prefix), "exports")
		node2Store := objstore.Sub(srv.Open(t, prefix), "exports")
		node1 := newLoginEnv(t, env, Options{LoginRateLimit: 1000, ExportStore: node1Store})
		publishForms(t, env, node1.gent)
		submitDemo(t, env, node1.gent, "MARKER-Gedeeld")
		clerk, cookie := node1.signIn(t, "clerk@gent.be", account.RoleUser)
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		if err := env.DB.SetFormAccess(ctx, op, node1.gent.ID, clerk.ID, []string{"vraag"}); err != nil {
			t.Fatal(err)
		}
		e, err := env.DB.CreateExport(ctx, audit.Actor{Kind: audit.KindUser, ID: clerk.ID}, node1.gent.ID, clerk.ID,
			store.ExportRequest{FormKey: "vraag", Format: "csv", Reason: "dossier 18", Lang: "nl"})
		if err != nil {
			t.Fatal(err)
		}
		// Node 1's worker builds the file into the bucket.
		r := &jobs.Runner{DB: env.DB, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Node: "node-1",
			Handlers: map[string]jobs.Handler{jobs.KindExportBuild: jobs.ExportBuildIn(node1Store)}}
		if did, err := r.RunOne(ctx); !did || err != nil {
			t.Fatalf("build job on node 1: %v %v", did, err)
		}
		key := export.Key(node1.gent.ID, e.ID)
		rc, err := node2Store.Get(ctx, key)
		if err != nil {
			t.Fatalf("the file is not in the bucket: %v", err)
		}
		atRest, _ := io.ReadAll(rc)
		rc.Close()
		if strings.Contains(string(atRest), "MARKER") || len(atRest) == 0 {
			t.Fatal("plaintext in the bucket")
		}
		var onDisk []string
		filepath.WalkDir(srv.Root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, _ := os.ReadFile(p); strings.Contains(string(b), "MARKER") {
					onDisk = append(onDisk, p)
				}
			}
			return nil
		})
		if len(onDisk) > 0 {
			t.Fatalf("plaintext behind the S3 server: %v", onDisk)
		}

		// Node 2: another App over the same database and bucket.
		node2, _ := newTestApp(t, Options{Store: env.DB, Hasher: node1.hasher, LoginRateLimit: 1000, ExportStore: node2Store})
		h := map[string]string{"Cookie": cookie}
		loc := "/gent/inbox/exports/" + e.ID
		resp := request{target: loc + "/download", header: h}.do(t, node2.Handler())
		body := bodyOf(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "MARKER-Gedeeld") {
			t.Fatalf("download through node 2: %d\n%s", resp.StatusCode, body)
		}
		resp = request{method: http.MethodPost, target: loc + "/delete", body: "x=1",
			header: map[string]string{"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}}.do(t, node2.Handler())
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete through node 2: %d %s", resp.StatusCode, bodyOf(t, resp))
		}
		if _, err := node1Store.Stat(ctx, key); !errors.Is(err, objstore.ErrNotFound) {
			t.Fatalf("file left in the bucket after delete: %v", err)
		}
	})
}
