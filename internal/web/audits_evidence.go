package web

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/export"
	"github.com/kluis/kluis/internal/locale"
)

// The evidence pack (ADT-1): on demand, one ZIP with what the controller
// needs to show compliance — the register as it stands, annex 1, the signed
// audit checkpoints with the public key to verify them, the supplier's
// staff with access and the grants given, the retention runs, the breach
// register — and a README in Dutch, French and English with a manifest
// (the SHA-256 of every file). The parts come from the same handlers and
// store reads as their own downloads, so each is audited as it is there;
// the pack itself is recorded with its manifest's SHA-256.

type packFile struct {
	name string
	body []byte
}

// evidenceMissing: why a part is not in the pack, for the README.
type evidenceMissing struct{ name, key string }

// captured runs a download handler for the pack and returns its body when
// it answered 200.
func captured(r *http.Request, me account.User, h signedIn) ([]byte, bool) {
	rec := httptest.NewRecorder()
	h(rec, r, me)
	return rec.Body.Bytes(), rec.Code == http.StatusOK
}

func (a *App) evidencePack(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	ctx := r.Context()
	actor := userActor(me, RequestIDFrom(ctx))
	now := a.opts.Store.Now()
	var files []packFile
	var missing []evidenceMissing
	// Each part in the request's language; the handlers read only GET
	// query values, so they get a clean request without any.
	q := r.Clone(ctx)
	q.URL.RawQuery = ""
	if body, ok := captured(q, me, a.registerDownload); ok {
		files = append(files, packFile{"register.yaml", body})
		pdf, _ := captured(q, me, a.annexPDF)
		files = append(files, packFile{"annex-1.pdf", pdf})
	} else {
		missing = append(missing, evidenceMissing{"register.yaml, annex-1.pdf", "audits.pack.no_register"})
	}
	cps, err := a.opts.Store.Checkpoints(ctx, t.ID, time.Time{}, 1000)
	if err != nil {
		a.internalError(w, r, "checkpoints", err)
		return
	}
	for _, cp := range cps {
		files = append(files, packFile{"checkpoints/" + checkpointFileName(t.Slug, cp.Size), cp.Note})
	}
	if len(cps) == 0 {
		missing = append(missing, evidenceMissing{"checkpoints/", "audits.pack.no_checkpoints"})
	}
	if key, ok := captured(q, me, a.checkpointKeyDownload); ok {
		files = append(files, packFile{"checkpoints/verification-key.txt", key})
	}
	staff, err := a.opts.Store.OperatorStaff(ctx, actor, t.ID)
	if err != nil {
		a.internalError(w, r, "operator staff", err)
		return
	}
	rows := [][]string{}
	for _, s := range staff {
		name := s.Name
		if s.Unreadable {
			name = a.t(r, "robust.unreadable")
		}
		rows = append(rows, []string{s.ID, name, s.Department, a.t(r, "audits.pack.status."+s.Status), yesNo(a, r, s.MFA), datetime(s.Since)})
	}
	staffCSV, err := packCSV([]string{"id", a.t(r, "audits.pack.col.name"), a.t(r, "audits.pack.col.department"), a.t(r, "audits.pack.col.status"),
		a.t(r, "audits.pack.col.mfa"), a.t(r, "audits.pack.col.since")}, rows)
	if err != nil {
		a.internalError(w, r, "staff csv", err)
		return
	}
	files = append(files, packFile{"staff-with-access.csv", staffCSV})
	grants, err := a.opts.Store.OperatorGrants(ctx, actor, t.ID)
	if err != nil {
		a.internalError(w, r, "grants", err)
		return
	}
	rows = nil
	for _, g := range grants {
		ended := ""
		if g.RevokedAt != nil {
			ended = datetime(*g.RevokedAt)
		}
		rows = append(rows, []string{g.ID, g.OperatorID, g.Label, g.Reason, g.GrantedBy, datetime(g.CreatedAt), datetime(g.ExpiresAt), ended})
	}
	grantsCSV, err := packCSV([]string{"id", a.t(r, "audits.pack.col.operator"), a.t(r, "audits.pack.col.label"), a.t(r, "audits.pack.col.reason"),
		a.t(r, "audits.pack.col.granted_by"), a.t(r, "audits.pack.col.granted_at"), a.t(r, "audits.pack.col.expires"),
		a.t(r, "audits.pack.col.revoked")}, rows)
	if err != nil {
		a.internalError(w, r, "grants csv", err)
		return
	}
	files = append(files, packFile{"grants.csv", grantsCSV})
	runs, err := a.opts.Store.RetentionRuns(ctx, t.ID, 1000)
	if err != nil {
		a.internalError(w, r, "retention runs", err)
		return
	}
	rows = nil
	for _, run := range runs {
		finished := ""
		if run.FinishedAt != nil {
			finished = datetime(*run.FinishedAt)
		}
		var counts []string
		for _, c := range run.Counts {
			what := c.Category
			if what == "" {
				what = c.Table
			}
			counts = append(counts, fmt.Sprintf("%s %s %d", what, c.Action, c.Count))
		}
		rows = append(rows, []string{run.ID, datetime(run.StartedAt), finished, run.Status, run.StartedBy, strings.Join(counts, "; ")})
	}
	runsCSV, err := packCSV([]string{"id", a.t(r, "audits.pack.col.started"), a.t(r, "audits.pack.col.finished"), a.t(r, "audits.pack.col.status"),
		a.t(r, "audits.pack.col.started_by"), a.t(r, "audits.pack.col.counts")}, rows)
	if err != nil {
		a.internalError(w, r, "retention csv", err)
		return
	}
	files = append(files, packFile{"retention-runs.csv", runsCSV})
	breaches, ok := captured(q, me, a.breachesRegister("csv"))
	if !ok {
		a.internalError(w, r, "breach register", fmt.Errorf("breach register for the evidence pack failed"))
		return
	}
	files = append(files, packFile{"breach-register.csv", breaches})
	// The sub-processors with their agreements' references (SUB-3), as the
	// Beheer page downloads them.
	subs, ok := captured(q, me, a.subprocDownload("csv"))
	if !ok {
		a.internalError(w, r, "sub-processors", fmt.Errorf("sub-processor overview for the evidence pack failed"))
		return
	}
	files = append(files, packFile{"sub-processors.csv", subs})
	// The platform's backups and restore tests (SEC-4, SEC-5): when the
	// latest passed, and from which site.
	backups, err := a.opts.Store.BackupRuns(ctx, 500)
	if err != nil {
		a.internalError(w, r, "backup runs", err)
		return
	}
	rows = nil
	for _, b := range backups {
		rows = append(rows, []string{a.t(r, "backup.pack.kind."+b.Kind), b.BackupID, b.Location, datetime(b.StartedAt),
			datetime(b.FinishedAt), a.t(r, map[bool]string{true: "backup.pack.ok", false: "backup.pack.failed"}[b.OK])})
	}
	backupsCSV, err := packCSV([]string{a.t(r, "backup.pack.col.kind"), a.t(r, "backup.pack.col.backup"), a.t(r, "backup.pack.col.location"),
		a.t(r, "audits.pack.col.started"), a.t(r, "audits.pack.col.finished"), a.t(r, "audits.pack.col.status")}, rows)
	if err != nil {
		a.internalError(w, r, "backups csv", err)
		return
	}
	files = append(files, packFile{"backups.csv", backupsCSV})

	var manifest strings.Builder
	for _, f := range files {
		sum := sha256.Sum256(f.body)
		fmt.Fprintf(&manifest, "%s  %s\n", hex.EncodeToString(sum[:]), f.name)
	}
	manifestSum := sha256.Sum256([]byte(manifest.String()))
	var readme strings.Builder
	for _, l := range []locale.Lang{locale.NL, locale.FR, locale.EN} {
		fmt.Fprintf(&readme, "%s\n\n%s\n%s\n\n", locale.T(l, "audits.pack.readme.title", t.LegalName, datetime(now)), locale.T(l, "audits.pack.readme.body"),
			locale.T(l, "backup.pack.readme"))
		if len(missing) > 0 {
			fmt.Fprintf(&readme, "%s\n\n", locale.T(l, "audits.pack.readme.missing"))
		}
		for _, m := range missing {
			fmt.Fprintf(&readme, "- %s: %s\n", m.name, locale.T(l, m.key))
		}
		readme.WriteString("\n")
	}
	readme.WriteString("SHA-256 (MANIFEST.sha256, sha256sum -c):\n\n" + manifest.String())

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	all := append([]packFile{{"README.txt", []byte(readme.String())}, {"MANIFEST.sha256", []byte(manifest.String())}}, files...)
	for _, f := range all {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: now})
		if err == nil {
			_, err = fw.Write(f.body)
		}
		if err != nil {
			a.internalError(w, r, "evidence zip", err)
			return
		}
	}
	if err := zw.Close(); err != nil {
		a.internalError(w, r, "evidence zip", err)
		return
	}
	if err := a.opts.Store.RecordEvidencePack(ctx, actor, t.ID, len(files), hex.EncodeToString(manifestSum[:])); err != nil {
		a.internalError(w, r, "record evidence pack", err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": fmt.Sprintf("evidence-%s-%s.zip", t.Slug, now.In(brussels).Format("2006-01-02"))}))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

func yesNo(a *App, r *http.Request, b bool) string {
	if b {
		return a.t(r, "audits.pack.yes")
	}
	return a.t(r, "audits.pack.no")
}

// packCSV writes a CSV the way the other downloads do.
func packCSV(head []string, rows [][]string) ([]byte, error) {
	var buf bytes.Buffer
	out, err := export.NewCSV(&buf, head)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		if err := out.Write(row); err != nil {
			return nil, err
		}
	}
	if err := out.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
