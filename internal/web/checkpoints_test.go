package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseAUD2_ControllerSignsAndDownloadsCheckpoint: the DPO opens the
// checkpoints page (the verification key and its fingerprint shown), signs
// a checkpoint now — recorded as audit.checkpoint and covered by it, the
// page saying so — and downloads it and the key as files that verify
// against each other, without the supplier (AUD-2, ADT-1).
func TestClauseAUD2_ControllerSignsAndDownloadsCheckpoint(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		key, err := env.DB.CheckpointKey("kluis.example/audit")
		if err != nil {
			t.Fatal(err)
		}

		resp, body := fe.get(t, "/gent/admin/audit/checkpoints", fe.dpo)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("page: %d", resp.StatusCode)
		}
		for _, want := range []string{`>` + escPlus(key.VerifierKey) + `</textarea>`, escPlus(key.Fingerprint), "Er is nog geen controlepunt ondertekend",
			"kluis audit verify --export gent-audit.jsonl", `href="/gent/admin/audit/checkpoints/key"`, `aria-current="page"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}

		resp, _ = fe.submit(t, "/gent/admin/audit/checkpoints", fe.dpo, url.Values{})
		loc := resp.Header.Get("Location")
		m := regexp.MustCompile(`\?signed=(\d+)#checkpoints$`).FindStringSubmatch(loc)
		if resp.StatusCode != http.StatusSeeOther || m == nil {
			t.Fatalf("sign now: %d %q", resp.StatusCode, loc)
		}
		size, _ := strconv.ParseInt(m[1], 10, 64)
		latest, err := env.DB.LatestCheckpoint(ctx, fe.gent.ID)
		if err != nil || latest.Size != size {
			t.Fatalf("the kept checkpoint: %+v, %v; the page says %d", latest, err, size)
		}
		// The request is in the log, and the checkpoint covers it: it is
		// the last event.
		page, err := env.DB.AuditLog(ctx, audit.System("test"), fe.gent.ID, store.AuditQuery{Actions: []string{"audit.checkpoint"}})
		if err != nil || len(page.Events) != 1 || page.Events[0].Seq != size || page.Events[0].Actor.Role != "dpo" {
			t.Fatalf("audit.checkpoint: %+v, %v", page.Events, err)
		}

		_, body = fe.get(t, strings.TrimSuffix(loc, "#checkpoints"), fe.dpo)
		for _, want := range []string{"Het controlepunt van " + m[1] + " gebeurtenissen is ondertekend", `href="/gent/admin/audit/checkpoints/` + m[1] + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("after signing, the page lacks %q", want)
			}
		}

		resp, note := fe.get(t, "/gent/admin/audit/checkpoints/"+m[1], fe.dpo)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
			resp.Header.Get("Content-Disposition") != `attachment; filename="gent-audit-`+m[1]+`.note"` {
			t.Fatalf("checkpoint download: %d %v", resp.StatusCode, resp.Header)
		}
		resp, pub := fe.get(t, "/gent/admin/audit/checkpoints/key", fe.dpo)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Disposition") != `attachment; filename="kluis.example-audit.pub"` {
			t.Fatalf("key download: %d %v", resp.StatusCode, resp.Header)
		}
		v, err := auditproof.ParseVerifierKey(strings.TrimSpace(pub))
		if err != nil {
			t.Fatal(err)
		}
		cp, err := auditproof.Parse("download", []byte(note), auditproof.Origin("kluis.example/audit/", fe.gent.ID), v)
		if err != nil || int64(cp.Size) != size || string(cp.Root) != string(latest.Root) {
			t.Fatalf("the downloaded checkpoint does not verify with the downloaded key: %+v %v", cp, err)
		}

		// The whole log, as the controller downloads it, verifies against
		// the downloaded checkpoint and key, and holds its own download.
		resp, export := fe.get(t, "/gent/admin/audit/checkpoints/export", fe.dpo)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Disposition") != `attachment; filename="gent-audit.jsonl"` {
			t.Fatalf("export download: %d %v", resp.StatusCode, resp.Header)
		}
		x, err := auditproof.NewExportReader(strings.NewReader(export))
		if err != nil || x.Tenant() != fe.gent.ID {
			t.Fatalf("export: %v (tenant %q)", err, x.Tenant())
		}
		report, err := auditproof.Verify(fe.gent.ID, auditproof.Origin("kluis.example/audit/", fe.gent.ID), v,
			[]auditproof.SignedCheckpoint{{Name: "download", Note: []byte(note)}}, x.Next)
		if err != nil || report.Checkpoints != 1 || report.Events <= size {
			t.Fatalf("the downloaded export against the downloaded checkpoint: %+v %v", report, err)
		}
		page, err = env.DB.AuditLog(ctx, audit.System("test"), fe.gent.ID, store.AuditQuery{Actions: []string{"audit.export"}})
		if err != nil || len(page.Events) != 1 || page.Events[0].Actor.Role != "dpo" || !strings.Contains(export, `"action":"audit.export"`) {
			t.Fatalf("the export's own event: %+v, %v", page.Events, err)
		}

		// An unknown size, or no number: not found.
		for _, p := range []string{"/gent/admin/audit/checkpoints/12345", "/gent/admin/audit/checkpoints/-1", "/gent/admin/audit/checkpoints/x"} {
			if resp, _ := fe.get(t, p, fe.admin); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d", p, resp.StatusCode)
			}
		}
	})
}

// escPlus is s as html/template writes it: '+' as "&#43;".
func escPlus(s string) string { return strings.ReplaceAll(s, "+", "&#43;") }

// TestClauseAUD2_WellKnownKeyAndCheckpoint: without signing in, anyone
// fetches the platform's verification key with its fingerprint, and a
// tenant's latest checkpoint; neither exists before it is made, and an
// anonymous request does not make the key.
func TestClauseAUD2_WellKnownKeyAndCheckpoint(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		for _, p := range []string{"/.well-known/kluis-audit-key", "/gent/.well-known/audit-checkpoint", "/gent/.well-known/audit-checkpoint"} {
			if resp, _ := fe.get(t, p, ""); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s before any key or checkpoint: %d", p, resp.StatusCode)
			}
		}
		if _, err := env.DB.CheckpointKey(""); err == nil {
			t.Fatal("an anonymous request made the checkpoint key")
		}
		key, err := env.DB.CheckpointKey("loket.gent.be/audit")
		if err != nil {
			t.Fatal(err)
		}
		actor := audit.System("test")
		cp, _, err := env.DB.SignCheckpoint(ctx, fe.gent.ID, key.Signer, &actor)
		if err != nil {
			t.Fatal(err)
		}

		resp, body := fe.get(t, "/.well-known/kluis-audit-key", "")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") ||
			body != key.VerifierKey+"\nfingerprint: "+key.Fingerprint+"\n" {
			t.Fatalf("key: %d %q", resp.StatusCode, body)
		}
		v, err := auditproof.ParseVerifierKey(strings.SplitN(body, "\n", 2)[0])
		if err != nil {
			t.Fatal(err)
		}
		resp, body = fe.get(t, "/gent/.well-known/audit-checkpoint", "")
		if resp.StatusCode != http.StatusOK || body != string(cp.Note) {
			t.Fatalf("checkpoint: %d %q", resp.StatusCode, body)
		}
		if _, err := auditproof.Parse("well-known", []byte(body), auditproof.Origin("loket.gent.be/audit/", fe.gent.ID), v); err != nil {
			t.Fatal(err)
		}
		// Another tenant's is its own (none yet); an unknown tenant has none.
		for _, p := range []string{"/brugge/.well-known/audit-checkpoint", "/nope/.well-known/audit-checkpoint"} {
			if resp, _ := fe.get(t, p, ""); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d", p, resp.StatusCode)
			}
		}
	})
}

// TestClauseAUD2_AdminSetsCheckpointWebhook: an admin sets the checkpoint
// webhook on the checkpoints page (the secret shown once), a refused
// address comes back on its field with nothing saved, the DPO sees the
// hook but cannot change it, and the admin removes it; both recorded.
func TestClauseAUD2_AdminSetsCheckpointWebhook(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		resp, body := fe.submit(t, "/gent/admin/audit/checkpoints/webhook", fe.admin, url.Values{"url": {"http://archief.gent.be/cp"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `<a href="#hook-url">Geef een volledig adres`) ||
			!strings.Contains(body, `aria-describedby="hook-url-hint hook-url-error"`) {
			t.Fatalf("http address: %d\n%s", resp.StatusCode, body)
		}
		if _, err := env.DB.CheckpointHookOf(ctx, fe.gent.ID); err == nil {
			t.Fatal("a refused address was saved")
		}
		resp, body = fe.submit(t, "/gent/admin/audit/checkpoints/webhook", fe.admin, url.Values{"url": {"https://archief.gent.be/cp"}})
		m := regexp.MustCompile(`id="hook-secret" class="secret-value" value="([^"]+)"`).FindStringSubmatch(body)
		if resp.StatusCode != http.StatusCreated || m == nil || !strings.Contains(body, "https://archief.gent.be/cp") {
			t.Fatalf("set: %d\n%s", resp.StatusCode, body)
		}
		if resp, _ := fe.submit(t, "/gent/admin/audit/checkpoints/webhook/delete", fe.dpo, url.Values{}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("the DPO removed the hook: %d", resp.StatusCode)
		}
		_, body = fe.get(t, "/gent/admin/audit/checkpoints", fe.dpo)
		if !strings.Contains(body, "https://archief.gent.be/cp") || !strings.Contains(body, "<dd>nog geen</dd>") || strings.Contains(body, m[1]) ||
			strings.Contains(body, `id="hook-url"`) {
			t.Error("the DPO's page: the hook missing, the secret shown again, or the form offered")
		}
		// Once a push is delivered, the page says which and when.
		if err := env.DB.CheckpointPushed(ctx, fe.gent.ID, 7, http.StatusNoContent); err != nil {
			t.Fatal(err)
		}
		if _, body = fe.get(t, "/gent/admin/audit/checkpoints", fe.dpo); !strings.Contains(body, "<dd>het controlepunt van 7 gebeurtenissen, op ") {
			t.Error("the delivered push is not shown")
		}
		resp, _ = fe.submit(t, "/gent/admin/audit/checkpoints/webhook/delete", fe.admin, url.Values{})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete: %d", resp.StatusCode)
		}
		if _, err := env.DB.CheckpointHookOf(ctx, fe.gent.ID); err == nil {
			t.Fatal("the hook is still there")
		}
		page, err := env.DB.AuditLog(ctx, audit.System("test"), fe.gent.ID, store.AuditQuery{Actions: []string{"checkpoint.hook.set", "checkpoint.hook.delete"}})
		if err != nil || len(page.Events) != 2 {
			t.Fatalf("recorded: %+v %v", page.Events, err)
		}
	})
}
