package web

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/export"
	"github.com/kluis/kluis/internal/jobs"
	"github.com/kluis/kluis/internal/mfa"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenantexport"
)

// fullExportAdmin signs in an admin of gent with a second factor and
// returns the session header and the TOTP secret (for the step-up).
func fullExportAdmin(t *testing.T, le *loginEnv, email string) (map[string]string, []byte) {
	t.Helper()
	u := le.addRoleUser(t, le.gent, email, account.RoleAdmin)
	h, _ := le.login(t, email, "")
	secret, _ := enrolTOTP(t, le.env, le.gent.ID, u.ID)
	tok, err := le.env.DB.MarkSessionMFA(context.Background(), le.gent.ID, strings.TrimPrefix(h["Cookie"], sessionCookie+"="))
	if err != nil {
		t.Fatal(err)
	}
	h["Cookie"] = sessionCookie + "=" + string(tok)
	return h, secret
}

// verifyArchive reads a full export's tar, checks every file the manifest
// lists against its bytes and SHA-256 and returns the manifest and the
// files' contents.
func verifyArchive(t *testing.T, r io.Reader) (tenantexport.Manifest, map[string][]byte) {
	t.Helper()
	files := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("tar: %v", err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = b
	}
	var m tenantexport.Manifest
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if m.Format != tenantexport.Format || len(m.Files) == 0 {
		t.Fatalf("manifest: %+v", m)
	}
	for _, f := range m.Files {
		if strings.HasSuffix(f.Path, "/") {
			continue // the attachments' folder, summed up
		}
		b, ok := files[f.Path]
		sum := sha256.Sum256(b)
		if !ok || int64(len(b)) != f.Bytes || hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Fatalf("%s does not match the manifest (present %v, %d bytes)", f.Path, ok, len(b))
		}
	}
	return m, files
}

// TestClauseEND3_FullExportThroughThePages: a tenant admin asks for the
// full export on "Beheer › Volledige export": the step-up first; a reason
// and a recipient that parses required, refused field by field (422) in
// the user's language with nothing queued; the job writes the archive and
// the page shows it ready with its contents; only the asker downloads it
// (audited), as a tar whose manifest verifies — or a .tar.age only the
// controller's identity opens; any admin deletes it; a failed job shows a
// sentence, not an error; the sweep removes it after 24 hours.
func TestClauseEND3_FullExportThroughThePages(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		dir := t.TempDir()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000, ExportDir: dir})
		publishForms(t, env, le.gent)
		submitDemo(t, env, le.gent, "MARKER-Eerste")
		admin, secret := fullExportAdmin(t, le, "admin@gent.be")
		_, clerk := le.signIn(t, "clerk@gent.be", account.RoleUser)
		_, dpo := le.signIn(t, "dpo@gent.be", account.RoleDPO)
		page := "/gent/admin/full-export"
		queued := func() int {
			var n, j int
			env.Raw(t).QueryRow(`SELECT count(*) FROM full_exports`).Scan(&n)
			env.Raw(t).QueryRow(`SELECT count(*) FROM jobs WHERE kind = 'tenant.export'`).Scan(&j)
			return n + j
		}
		st, err := objstore.Dir(dir)
		if err != nil {
			t.Fatal(err)
		}
		runJob := func(h jobs.Handler) {
			t.Helper()
			r := &jobs.Runner{DB: env.DB, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Node: "n1",
				Handlers: map[string]jobs.Handler{jobs.KindFullExportBuild: h}}
			if did, _ := r.RunOne(ctx); !did {
				t.Fatal("no job ran")
			}
		}

		// Only tenant admins: a clerk and the DPO are refused.
		for _, c := range []string{clerk, dpo} {
			if resp, _ := le.get(t, page, map[string]string{"Cookie": c}); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("non-admin: %d", resp.StatusCode)
			}
		}
		// A stale proof of credentials: the confirmation first, nothing queued.
		env.Clock.Advance(StepUpMaxAge + time.Minute)
		resp, _ := le.get(t, page, admin)
		wantRedirect(t, "stale get", resp, "/gent/account/confirm?next="+url.QueryEscape(page))
		resp, body := le.postForm(t, page, admin, url.Values{"reason": {"einde contract"}})
		pendingOn(t, "stale post", resp, body)
		if n := queued(); n != 0 {
			t.Fatalf("%d rows queued without the step-up", n)
		}
		resp, _ = le.postForm(t, "/gent/account/confirm", admin, url.Values{"next": {page}, "password": {loginPassword},
			"code": {mfa.CodeAt(secret, env.Clock.Now())}})
		wantRedirect(t, "confirm", resp, page)
		colleague, _ := fullExportAdmin(t, le, "colleague@gent.be")

		// Bad input, field by field, in the user's language; nothing queued.
		id, _ := age.GenerateX25519Identity()
		bad := []struct {
			lang, reason, recipient string
			want                    []string
		}{
			{"", "", id.String(), []string{"Geef de reden van de export.", "Dit is een geheime sleutel", `href="#reason"`, `href="#recipient"`}},
			{"", "einde contract", "ssh-ed25519 AAAA", []string{"Een age-ontvanger begint met age1."}},
			{"", "einde contract", id.Recipient().String() + " " + id.Recipient().String(), []string{"precies één age-ontvanger"}},
			{"", "einde contract", id.Recipient().String()[:40], []string{"Deze age-ontvanger is niet geldig."}},
			{"fr", "fin du contrat", "age1abc", []string{"Ce destinataire age n’est pas valide."}},
		}
		for _, b := range bad {
			target := page
			if b.lang != "" {
				target += "?lang=" + b.lang
			}
			resp, body := le.postForm(t, target, admin, url.Values{"reason": {b.reason}, "recipient": {b.recipient}})
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("%q: %d", b.recipient, resp.StatusCode)
			}
			for _, w := range b.want {
				if !strings.Contains(body, w) {
					t.Errorf("%q: the page lacks %q", b.recipient, w)
				}
			}
			if strings.Contains(body, id.String()) {
				t.Error("the secret key is echoed back")
			}
		}
		if n := queued(); n != 0 {
			t.Fatalf("%d rows queued from refused requests", n)
		}

		// Asked for: queued, then made by the job.
		resp, _ = le.postForm(t, page, admin, url.Values{"reason": {"einde contract"}})
		wantRedirect(t, "create", resp, page+"?done=queued")
		if _, body := le.get(t, page+"?done=queued", admin); !strings.Contains(body, "In de wachtrij") || !strings.Contains(body, "wordt op de achtergrond gemaakt") {
			t.Fatalf("queued page:\n%s", body)
		}
		// One at a time: a second request while the first waits is 409.
		resp, body = le.postForm(t, page, admin, url.Values{"reason": {"nog een"}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Er wordt al een volledige export gemaakt.") {
			t.Fatalf("second while busy: %d", resp.StatusCode)
		}
		runJob(jobs.FullExportBuildIn(st))
		_, body = le.get(t, page, admin)
		var exportID string
		if i := strings.Index(body, page+"/"); i >= 0 {
			exportID, _, _ = strings.Cut(body[i+len(page)+1:], "/")
		}
		dl := page + "/" + exportID + "/download"
		if !strings.Contains(body, "Klaar om te downloaden") || !strings.Contains(body, `href="`+dl+`"`) ||
			!strings.Contains(body, "<code>entities/submissions.jsonl</code>") || !strings.Contains(body, "README.nl.md") {
			t.Fatalf("ready page:\n%s", body)
		}
		// A colleague sees it but does not download it.
		resp, body = le.get(t, page, colleague)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Klaar om te downloaden") || strings.Contains(body, `href="`+dl+`"`) ||
			!strings.Contains(body, "Alleen wie de export aanvroeg") {
			t.Fatalf("colleague's page: %d\n%s", resp.StatusCode, body)
		}
		if resp, _ := le.get(t, dl, colleague); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("colleague's download: %d", resp.StatusCode)
		}
		resp, body = le.get(t, dl, admin)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-tar" ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), ".tar\"") {
			t.Fatalf("download: %d %v", resp.StatusCode, resp.Header)
		}
		m, files := verifyArchive(t, strings.NewReader(body))
		if m.Tenant != le.gent.ID || m.Encrypted || !bytes.Contains(files["entities/submissions.jsonl"], []byte("MARKER-MESSAGE")) {
			t.Fatalf("archive of %s, encrypted %v: the submission is missing", m.Tenant, m.Encrypted)
		}
		got := auditActions(t, env, le.gent.ID)
		if got["fullexport.create"] != 1 || got["fullexport.ready"] != 1 || got["tenant.export"] != 1 || got["fullexport.download"] != 2 {
			t.Fatalf("audit: %v", got)
		}

		// Encrypted to the controller's recipient: a .tar.age that only
		// its identity opens.
		env.Clock.Advance(time.Minute)
		resp, _ = le.postForm(t, page, admin, url.Values{"reason": {"overdracht"}, "recipient": {id.Recipient().String()}})
		wantRedirect(t, "create age", resp, page+"?done=queued")
		runJob(jobs.FullExportBuildIn(st))
		list, err := env.DB.FullExports(ctx, le.gent.ID)
		if err != nil || len(list) != 2 || list[0].Status != "ready" || list[0].Recipient == "" || list[0].Rows() == 0 {
			t.Fatalf("list: %d exports, %v", len(list), err)
		}
		resp, body = le.get(t, page+"/"+list[0].ID+"/download", admin)
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), ".tar.age\"") {
			t.Fatalf("age download: %d %v", resp.StatusCode, resp.Header)
		}
		plain, err := age.Decrypt(strings.NewReader(body), id)
		if err != nil {
			t.Fatalf("age: %v", err)
		}
		if m, _ := verifyArchive(t, plain); !m.Encrypted {
			t.Fatal("the manifest does not say it was encrypted")
		}
		if strings.Contains(dl, "MARKER") {
			t.Fatal("personal data in a URL")
		}

		// Any admin deletes: the file is gone, the download 404.
		resp, _ = le.postForm(t, page+"/"+exportID+"/delete", colleague, url.Values{"x": {"1"}})
		wantRedirect(t, "delete", resp, page+"?done=deleted")
		if _, err := os.Stat(dir + "/" + export.FullKey(le.gent.ID, exportID)); !os.IsNotExist(err) {
			t.Fatalf("file left after delete: %v", err)
		}
		if resp, _ := le.get(t, dl, admin); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("download after delete: %d", resp.StatusCode)
		}

		// A job that fails: a sentence on the page, no raw error.
		resp, _ = le.postForm(t, page, admin, url.Values{"reason": {"nog eens"}})
		wantRedirect(t, "create 3", resp, page+"?done=queued")
		runJob(jobs.FullExportBuildIn(nil))
		_, body = le.get(t, page, admin)
		if !strings.Contains(body, "Mislukt") || !strings.Contains(body, "De export kon niet gemaakt worden.") || strings.Contains(body, "no export store") {
			t.Fatalf("failed page:\n%s", body)
		}
		if got := auditActions(t, env, le.gent.ID); got["fullexport.fail"] != 1 {
			t.Fatalf("audit: %v", got)
		}

		// After 24 hours the sweep removes what is left.
		env.Clock.Advance(25 * time.Hour)
		if err := jobs.ExportSweepIn(st)(ctx, env.DB, store.Job{ID: "sweep"}); err != nil {
			t.Fatalf("sweep: %v", err)
		}
		if list, _ := env.DB.FullExports(ctx, le.gent.ID); len(list) != 0 {
			t.Fatalf("left after the sweep: %+v", list)
		}
		if _, err := os.Stat(dir + "/" + export.FullKey(le.gent.ID, list[0].ID)); !os.IsNotExist(err) {
			t.Fatalf("file left after the sweep: %v", err)
		}
		if got := auditActions(t, env, le.gent.ID); got["fullexport.expire"] != 2 {
			t.Fatalf("audit: %v", got)
		}
	})
}
