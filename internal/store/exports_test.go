package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// exportFixture is a tenant with the demo question form published, n
// submissions carrying marker values, and a user with a grant on it.
type exportFixture struct {
	tn   tenant.Tenant
	user account.User
	ids  []string
	fv   store.FormVersion
}

func newExportFixture(t *testing.T, env *storetest.Env, slug string, n int) exportFixture {
	t.Helper()
	tn := newTenant(t, env, slug)
	fv := publishDemo(t, env, tn.ID, form.DemoForms()[0])
	u := activeUser(t, env, tn, "clerk@"+slug+".be", account.RoleUser, fastHasher())
	if err := env.DB.SetFormAccess(ctx, clerk("admin"), tn.ID, u.ID, []string{fv.Key}); err != nil {
		t.Fatal(err)
	}
	citizen := audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}
	for i := range n {
		answers, _ := json.Marshal(form.Answers{"name": {Value: fmt.Sprintf("MARKER-NAME-%d", i)},
			"email": {Value: fmt.Sprintf("marker%d@example.be", i)}, "topic": {Value: "waste"},
			"message": {Value: "MARKER-MESSAGE"}})
		if _, _, err := env.DB.SubmitForm(ctx, citizen, tn.ID, store.NewFormSubmission{FormKey: fv.Key, FormVersion: fv.Version,
			RegisterVersion: fv.RegisterVersion, Answers: answers, Idempotency: fmt.Sprintf("tok-%d", i),
			Receipt: fmt.Sprintf("rc-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := env.Raw(t).Query(`SELECT id FROM submissions WHERE tenant_id = $1 ORDER BY created_at, id`, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	return exportFixture{tn: tn, user: u, ids: ids, fv: fv}
}

func (f exportFixture) actor() audit.Actor {
	return audit.Actor{Kind: audit.KindUser, ID: f.user.ID, Role: string(account.RoleUser), RequestID: "r-export"}
}

// exportEvents returns the tenant's events whose action starts with
// "export.".
func exportEvents(t *testing.T, env *storetest.Env, tenantID string) []audit.Event {
	t.Helper()
	var out []audit.Event
	if err := env.DB.EachAuditEvent(ctx, tenantID, func(e *audit.Event) error {
		if strings.HasPrefix(e.Action, "export.") {
			out = append(out, *e)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestClauseAUD1_ExportIsAudited: an export request is recorded — form,
// format, count, reason and the ids (a digest when there are many), never
// content — before any row can be read; the rows read are exactly those.
func TestClauseAUD1_ExportIsAudited(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newExportFixture(t, env, "gent", 3)
		sel := []string{fx.ids[2], fx.ids[0]}
		e, err := env.DB.CreateExport(ctx, fx.actor(), fx.tn.ID, fx.user.ID, store.ExportRequest{FormKey: fx.fv.Key,
			Format: store.ExportCSV, Reason: "dossier 2026/17 doorsturen", Lang: "nl", IDs: sel})
		if err != nil || e.Total != 2 || e.Status != store.ExportPending {
			t.Fatalf("create: %+v %v", e, err)
		}
		evs := exportEvents(t, env, fx.tn.ID)
		if len(evs) != 1 || evs[0].Action != "export.create" || evs[0].ObjectID != e.ID || evs[0].Actor.ID != fx.user.ID {
			t.Fatalf("events: %+v", evs)
		}
		p := evs[0].Purpose
		for _, want := range []string{"form vraag", "format csv", "count 2", "reason: dossier 2026/17 doorsturen", fx.ids[0], fx.ids[2]} {
			if !strings.Contains(p, want) {
				t.Errorf("audit purpose %q lacks %q", p, want)
			}
		}
		if strings.Contains(p, fx.ids[1]) || strings.Contains(p, "MARKER") || strings.Contains(p, "example.be") {
			t.Errorf("audit purpose %q names an unselected id or content", p)
		}
		var got []string
		if err := env.DB.ExportSubmissions(ctx, fx.actor(), fx.tn.ID, fx.user.ID, e.ID, func(r store.ExportRow) error {
			got = append(got, r.ID)
			if !strings.Contains(string(r.Answers), "MARKER-NAME") || r.Reference == "" || r.FormVersion != fx.fv.Version {
				t.Errorf("row: %+v", r)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != fx.ids[0]+","+fx.ids[2] {
			t.Fatalf("exported %v, want %v", got, sel)
		}

		// All of them: more than 50 ids are recorded as their digest.
		many := newExportFixture(t, env, "brugge", 51)
		all, err := env.DB.CreateExport(ctx, many.actor(), many.tn.ID, many.user.ID, store.ExportRequest{FormKey: many.fv.Key,
			Format: store.ExportXLSX, Reason: "jaarverslag", Lang: "fr"})
		if err != nil || all.Total != 51 {
			t.Fatalf("create all: %+v %v", all, err)
		}
		evs = exportEvents(t, env, many.tn.ID)
		if !strings.Contains(evs[0].Purpose, "ids sha256:"+store.ExportIDsDigest(many.ids)) || strings.Contains(evs[0].Purpose, many.ids[0]) {
			t.Fatalf("audit purpose %q: want the digest of the ids", evs[0].Purpose)
		}
		n := 0
		env.DB.ExportSubmissions(ctx, many.actor(), many.tn.ID, many.user.ID, all.ID, func(store.ExportRow) error { n++; return nil })
		if n != 51 {
			t.Fatalf("exported %d rows, want 51", n)
		}
	})
}

// TestClauseAUD1_ExportFailsClosed: without a recorded export nothing is
// read; an export of another user or tenant reads nothing either.
func TestClauseAUD1_ExportFailsClosed(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newExportFixture(t, env, "gent", 2)
		read := func(tenantID, userID, id string) error {
			return env.DB.ExportSubmissions(ctx, fx.actor(), tenantID, userID, id, func(store.ExportRow) error {
				t.Fatal("a row was read")
				return nil
			})
		}
		if err := read(fx.tn.ID, fx.user.ID, "no-such-export"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unrecorded export: %v", err)
		}
		// The audit log cannot be written (its head is gone): the export
		// is not created, and so nothing can be read.
		raw := env.Raw(t)
		if _, err := raw.Exec(`DELETE FROM audit_heads WHERE tenant_id = $1`, fx.tn.ID); err != nil {
			t.Fatal(err)
		}
		fresh, err := store.Open(ctx, env.URL, store.Options{Keys: env.Keys, Now: env.Clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		if _, err := fresh.CreateExport(ctx, fx.actor(), fx.tn.ID, fx.user.ID, store.ExportRequest{FormKey: fx.fv.Key,
			Format: store.ExportCSV, Reason: "x"}); err == nil {
			t.Fatal("export created without its audit event")
		}
		var n int
		raw.QueryRow(`SELECT count(*) FROM exports`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d exports stored without an audit event", n)
		}
	})
}

// TestClauseORG6_ExportNeedsGrant: no grant on the form, no export (and
// the refusal is audited); bad input is refused field by field; a grant
// revoked after the request stops the read.
func TestClauseORG6_ExportNeedsGrant(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newExportFixture(t, env, "gent", 2)
		other := newExportFixture(t, env, "brugge", 1)
		req := store.ExportRequest{FormKey: fx.fv.Key, Format: store.ExportCSV, Reason: "controle", Lang: "nl"}
		nogrant := activeUser(t, env, fx.tn, "nogrant@gent.be", account.RoleUser, fastHasher())
		if _, err := env.DB.CreateExport(ctx, fx.actor(), fx.tn.ID, nogrant.ID, req); !errors.Is(err, store.ErrNoFormAccess) {
			t.Fatalf("no grant: %v", err)
		}
		evs := exportEvents(t, env, fx.tn.ID)
		if len(evs) != 1 || evs[0].Outcome != audit.OutcomeDenied {
			t.Fatalf("refusal not audited: %+v", evs)
		}
		for _, c := range []struct {
			name  string
			mod   func(*store.ExportRequest)
			field string
		}{
			{"unknown format", func(r *store.ExportRequest) { r.Format = "docx" }, "format"},
			{"empty reason", func(r *store.ExportRequest) { r.Reason = "  " }, "reason"},
			{"another tenant's id", func(r *store.ExportRequest) { r.IDs = []string{fx.ids[0], other.ids[0]} }, "ids"},
			{"unknown id", func(r *store.ExportRequest) { r.IDs = []string{"nope"} }, "ids"},
		} {
			r := req
			c.mod(&r)
			var inv *store.ExportInvalidError
			if _, err := env.DB.CreateExport(ctx, fx.actor(), fx.tn.ID, fx.user.ID, r); !errors.As(err, &inv) || inv.Field != c.field {
				t.Errorf("%s: %v, want a problem with %s", c.name, err, c.field)
			}
		}
		e, err := env.DB.CreateExport(ctx, fx.actor(), fx.tn.ID, fx.user.ID, req)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.SetFormAccess(ctx, clerk("admin"), fx.tn.ID, fx.user.ID, nil); err != nil {
			t.Fatal(err)
		}
		err = env.DB.ExportSubmissions(ctx, fx.actor(), fx.tn.ID, fx.user.ID, e.ID, func(store.ExportRow) error {
			t.Fatal("read after the grant was revoked")
			return nil
		})
		if !errors.Is(err, store.ErrNoFormAccess) {
			t.Fatalf("revoked grant: %v", err)
		}
	})
}

// TestExportOwnerOnly: only the owner sees, downloads and deletes an
// export; another user of the tenant and another tenant get ErrNotFound
// (audited as denied); a deleted export's key is shredded.
func TestExportOwnerOnly(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newExportFixture(t, env, "gent", 1)
		other := newExportFixture(t, env, "brugge", 1)
		colleague := activeUser(t, env, fx.tn, "colleague@gent.be", account.RoleUser, fastHasher())
		e, err := env.DB.CreateExport(ctx, fx.actor(), fx.tn.ID, fx.user.ID, store.ExportRequest{FormKey: fx.fv.Key,
			Format: store.ExportCSV, Reason: "controle", Lang: "nl"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.DB.DownloadExport(ctx, fx.actor(), fx.tn.ID, fx.user.ID, e.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("download before ready: %v", err)
		}
		if err := env.DB.FinishExport(ctx, audit.System("test"), fx.tn.ID, e.ID, 1, 10, nil); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ name, tenantID, userID string }{
			{"colleague", fx.tn.ID, colleague.ID},
			{"other tenant", other.tn.ID, other.user.ID},
		} {
			if _, err := env.DB.Export(ctx, c.tenantID, c.userID, e.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s sees it: %v", c.name, err)
			}
			if _, _, err := env.DB.DownloadExport(ctx, fx.actor(), c.tenantID, c.userID, e.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s downloads it: %v", c.name, err)
			}
			if err := env.DB.DeleteExport(ctx, fx.actor(), c.tenantID, c.userID, e.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s deletes it: %v", c.name, err)
			}
			if l, _ := env.DB.Exports(ctx, c.tenantID, c.userID); len(l) != 0 {
				t.Errorf("%s lists it", c.name)
			}
		}
		got, key, err := env.DB.DownloadExport(ctx, fx.actor(), fx.tn.ID, fx.user.ID, e.ID)
		if err != nil || len(key) != 32 || got.ID != e.ID {
			t.Fatalf("owner's download: %v", err)
		}
		var downloads, denied int
		for _, ev := range exportEvents(t, env, fx.tn.ID) {
			if ev.Action == "export.download" {
				if ev.Outcome == audit.OutcomeDenied {
					denied++
				} else {
					downloads++
				}
			}
		}
		if downloads != 1 || denied != 2 {
			t.Fatalf("download events: %d, denied %d", downloads, denied)
		}
		if err := env.DB.DeleteExport(ctx, fx.actor(), fx.tn.ID, fx.user.ID, e.ID); err != nil {
			t.Fatal(err)
		}
		var keyLen int
		env.Raw(t).QueryRow(`SELECT length(data_key) FROM exports WHERE id = $1`, e.ID).Scan(&keyLen)
		if keyLen != 0 {
			t.Fatalf("deleted export keeps a key of %d bytes", keyLen)
		}
		if _, _, err := env.DB.DownloadExport(ctx, fx.actor(), fx.tn.ID, fx.user.ID, e.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("download after delete: %v", err)
		}
	})
}
