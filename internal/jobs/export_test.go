package jobs

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/export"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/pdftest"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/xuri/excelize/v2"
)

// exportSetup publishes the demo question form in a new tenant, stores
// three submissions (one with an attachment and a cell that a spreadsheet
// would run as a formula) and gives a new user a grant on the form.
func exportSetup(t testing.TB, env *storetest.Env) (tenant.Tenant, string, audit.Actor) {
	t.Helper()
	op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
	tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: "gent", LegalName: "Stad Gent", EnterpriseNumber: "0207451227",
		DPOName: "D", DPOEmail: "dpo@gent.be"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.SaveRegister(ctx, op, tn.ID, register.Demo()); err != nil {
		t.Fatal(err)
	}
	f := form.DemoForms()[0]
	d, err := env.DB.SaveFormDraft(ctx, op, tn.ID, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.DB.ApproveNotice(ctx, op, tn.ID, f.Key, d.Version, store.NoticeDigest(form.NoticeFor(f, register.Demo()).JSON())); err != nil {
		t.Fatal(err)
	}
	fv, err := env.DB.PublishForm(ctx, op, tn.ID, f.Key, d.Version)
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := env.DB.InviteUser(ctx, op, tn.ID, account.Invite{Email: "clerk@gent.be", Name: "Clerk", Role: account.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.DB.SetFormAccess(ctx, op, tn.ID, u.ID, []string{f.Key}); err != nil {
		t.Fatal(err)
	}
	citizen := audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}
	for i, msg := range []string{"MARKER-MSG-één", "=HYPERLINK(\"http://evil\")", "MARKER-MSG-drie"} {
		answers, _ := json.Marshal(form.Answers{"name": {Value: fmt.Sprintf("MARKER-Zoë-%d", i)},
			"email": {Value: fmt.Sprintf("marker%d@example.be", i)}, "topic": {Value: "waste"}, "message": {Value: msg}})
		in := store.NewFormSubmission{FormKey: f.Key, FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion, Answers: answers,
			Idempotency: fmt.Sprintf("tok-%d", i), Receipt: fmt.Sprintf("rc-%d", i)}
		if i == 0 {
			in.Attachments = []store.NewAttachment{{FieldKey: "photo", Name: "MARKER-foto.jpg", ContentType: "image/jpeg",
				Data: []byte("MARKER-BYTES"), Scanner: "test", ScannedAt: env.Clock.Now()}}
		}
		if _, _, err := env.DB.SubmitForm(ctx, citizen, tn.ID, in); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Minute)
	}
	return tn, u.ID, audit.Actor{Kind: audit.KindUser, ID: u.ID, Role: "user", RequestID: "r"}
}

// buildOne requests an export and runs the build job; it returns the
// export, the file's bytes at rest and the decrypted content.
func buildOne(t *testing.T, env *storetest.Env, dir string, tn tenant.Tenant, userID string, actor audit.Actor, req store.ExportRequest) (store.Export, []byte, []byte) {
	t.Helper()
	e, err := env.DB.CreateExport(ctx, actor, tn.ID, userID, req)
	if err != nil {
		t.Fatal(err)
	}
	r := runner(env, map[string]Handler{KindExportBuild: ExportBuildHandler(dir)})
	if did, err := r.RunOne(ctx); !did || err != nil {
		t.Fatalf("build job: %v %v", did, err)
	}
	got, err := env.DB.Export(ctx, tn.ID, userID, e.ID)
	if err != nil || got.Status != store.ExportReady || got.Done != 3 || got.Size == 0 {
		t.Fatalf("export after the job: %+v %v", got, err)
	}
	atRest, err := os.ReadFile(ExportPath(dir, tn.ID, e.ID))
	if err != nil {
		t.Fatal(err)
	}
	// Nothing else in clear under the export directory either: no
	// temporary file of a format writer, no part left behind.
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte("MARKER")) || strings.HasSuffix(p, ".part") {
			t.Errorf("%s: plaintext or a leftover under the export directory", p)
		}
		return nil
	})
	_, key, err := env.DB.DownloadExport(ctx, actor, tn.ID, userID, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := export.Decrypt(bytes.NewReader(atRest), key, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(pr)
	if err != nil {
		t.Fatal(err)
	}
	return got, atRest, plain
}

// TestClauseEND1_ExportFormats: each format read back by an independent
// reader — CSV parsed (BOM, ";", formula defused), XLSX opened with
// excelize, each PDF of the ZIP read by pdftotext — has the columns in the
// user's language and the values as the receipt shows them, attachments
// by name. The file at rest holds none of the values (SEC-2).
func TestClauseEND1_ExportFormats(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn, userID, actor := exportSetup(t, env)
		dir := t.TempDir()
		markers := []string{"MARKER", "Zo\u00eb", "example.be", "HYPERLINK", "Afval", "Waste", "Referentie", "Reference"}
		atRestClean := func(name string, b []byte) {
			for _, m := range markers {
				if bytes.Contains(b, []byte(m)) {
					t.Errorf("%s: %q found in the file at rest", name, m)
				}
			}
		}

		t.Run("csv", func(t *testing.T) {
			_, atRest, plain := buildOne(t, env, dir, tn, userID, actor, store.ExportRequest{FormKey: "vraag", Format: "csv", Reason: "test", Lang: "nl"})
			atRestClean("csv", atRest)
			if !bytes.HasPrefix(plain, []byte("\ufeff")) {
				t.Fatal("no byte order mark")
			}
			cr := csv.NewReader(bytes.NewReader(plain[3:]))
			cr.Comma = ';'
			recs, err := cr.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 4 {
				t.Fatalf("%d records, want header + 3", len(recs))
			}
			head := strings.Join(recs[0], "|")
			if !strings.HasPrefix(head, "Referentie|Ontvangen op|Status|Formulierversie|Uiterste datum|Taal|Naam en voornaam|E-mailadres|") ||
				!strings.Contains(head, "Onderwerp") || !strings.Contains(head, "Foto of document (niet verplicht)") {
				t.Fatalf("header %q", head)
			}
			row := strings.Join(recs[1], "|")
			// Received 09:30 UTC on 2 November 2026: 10:30 in Brussels.
			for _, want := range []string{"02.11.2026 10:30", "Nieuw", "MARKER-Zoë-0", "marker0@example.be", "Afval", "MARKER-MSG-één", "MARKER-foto.jpg"} {
				if !strings.Contains(row, want) {
					t.Errorf("row %q lacks %q", row, want)
				}
			}
			if strings.Contains(row, "MARKER-BYTES") {
				t.Error("attachment content in the export")
			}
			if got := recs[2][slicesIndex(recs[0], "Uw vraag of melding")]; got != `'=HYPERLINK("http://evil")` {
				t.Errorf("formula cell %q not defused", got)
			}
		})

		t.Run("xlsx", func(t *testing.T) {
			_, atRest, plain := buildOne(t, env, dir, tn, userID, actor, store.ExportRequest{FormKey: "vraag", Format: "xlsx", Reason: "test", Lang: "fr"})
			atRestClean("xlsx", atRest)
			f, err := excelize.OpenReader(bytes.NewReader(plain))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := f.GetRows("Sheet1")
			if err != nil || len(rows) != 4 {
				t.Fatalf("rows: %d %v", len(rows), err)
			}
			if rows[0][0] != "Référence" || rows[0][4] != "Date limite" || rows[0][6] != "Nom et prénom" {
				t.Fatalf("header %q", rows[0])
			}
			row := strings.Join(rows[3], "|")
			for _, want := range []string{"MARKER-Zoë-2", "Déchets", "Nouveau", "02.11.2026 10:32"} {
				if !strings.Contains(row, want) {
					t.Errorf("row %q lacks %q", row, want)
				}
			}
		})

		t.Run("pdf", func(t *testing.T) {
			_, atRest, plain := buildOne(t, env, dir, tn, userID, actor, store.ExportRequest{FormKey: "vraag", Format: "pdf", Reason: "test", Lang: "en"})
			atRestClean("pdf", atRest)
			z, err := zip.NewReader(bytes.NewReader(plain), int64(len(plain)))
			if err != nil {
				t.Fatal(err)
			}
			if len(z.File) != 3 {
				t.Fatalf("%d PDFs in the bundle, want 3", len(z.File))
			}
			for i, zf := range z.File {
				rc, _ := zf.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				text := strings.Join(pdftest.Text(t, b), "\n")
				for _, want := range []string{"Question or report", "Reference", "Full name", fmt.Sprintf("MARKER-Zoë-%d", i), "Waste"} {
					if !strings.Contains(text, want) {
						t.Errorf("PDF %s lacks %q:\n%s", zf.Name, want, text)
					}
				}
			}
		})
	})
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// TestExportDeletedAfter24Hours: the sweep leaves an export alone for 24
// hours by the store's clock, then removes its file and shreds its key,
// audited; the owner cannot download it any more.
func TestExportDeletedAfter24Hours(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn, userID, actor := exportSetup(t, env)
		dir := t.TempDir()
		e, _, _ := buildOne(t, env, dir, tn, userID, actor, store.ExportRequest{FormKey: "vraag", Format: "csv", Reason: "test", Lang: "nl"})
		path := ExportPath(dir, tn.ID, e.ID)
		sweep := ExportSweepHandler(dir)
		env.Clock.Advance(store.ExportTTL - time.Minute)
		if err := sweep(ctx, env.DB, store.Job{ID: "s1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("swept before 24 h: %v", err)
		}
		env.Clock.Advance(2 * time.Minute)
		if err := sweep(ctx, env.DB, store.Job{ID: "s2"}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("file still there after 24 h: %v", err)
		}
		if _, err := env.DB.Export(ctx, tn.ID, userID, e.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("export still listed: %v", err)
		}
		if _, _, err := env.DB.DownloadExport(ctx, actor, tn.ID, userID, e.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("download after expiry: %v", err)
		}
		n := 0
		env.DB.EachAuditEvent(ctx, tn.ID, func(ev *audit.Event) error {
			if ev.Action == "export.expire" && ev.ObjectID == e.ID && ev.Actor.Kind == audit.KindSystem {
				n++
			}
			return nil
		})
		if n != 1 {
			t.Fatalf("%d expiry events, want 1", n)
		}
		// Idempotent: a second sweep finds nothing to do.
		if err := sweep(ctx, env.DB, store.Job{ID: "s3"}); err != nil {
			t.Fatal(err)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, tn.ID, "*")); len(left) != 0 {
			t.Fatalf("files left: %v", left)
		}
	})
}
