package web

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// The controller keeps the proof of its own log (AUD-2, AUD-3, ADT-1): the
// checkpoints page shows the platform's verification key with its
// fingerprint, lists the tenant's latest signed checkpoints, offers each
// as a file and lets the admins and the DPO sign one now. Checkpoints and
// the key are no personal data and hold no event of the log — a size, a
// Merkle root, a signature — so showing and downloading them is not a
// read of the log and is not recorded (AUD-1 records reads of events;
// the latest checkpoint is public at /{tenant}/.well-known/audit-checkpoint
// anyway). Signing one is recorded: SignCheckpoint writes audit.checkpoint
// and the new checkpoint covers it.

// checkpointsShown is how many of the latest checkpoints the page lists.
const checkpointsShown = 20

type checkpointRow struct {
	Size     int64
	SignedAt string
	Root     string // abbreviated base64
	RootFull string
	Href     string
}

type checkpointsPage struct {
	Slug, TenantName string
	VerifierKey      string
	Fingerprint      string
	KeyHref, KeyFile string
	// The whole log in the export format, to check against checkpoints.
	ExportHref, ExportFile string
	Rows                   []checkpointRow
	Signed                 int64 // the size of the checkpoint just signed, 0: none
	Verify                 string
	// The checkpoint webhook: admins set and remove it.
	CanEdit bool
	Hook    *store.CheckpointHook
	HookURL string // the address as typed, when refused
	Secret  string // the new hook's signing secret, shown this once
	Done    string
	Errors  fieldErrors
}

// checkpointKey is the platform's checkpoint key, made on first use under
// the configured name (like the signing job does).
func (a *App) checkpointKey() (store.CheckpointKey, error) {
	return a.opts.Store.CheckpointKey(a.checkpointKeyName())
}

func (a *App) checkpointKeyName() string {
	if a.opts.CheckpointKeyName != "" {
		return a.opts.CheckpointKeyName
	}
	return "kluis.example/audit"
}

// keyFileName is the verification key's download name: "<host>-audit.pub"
// after the key's name ("loket.gent.be/audit").
func keyFileName(vkey string) string {
	name, _, _ := strings.Cut(vkey, "+")
	host, _, _ := strings.Cut(name, "/")
	if host == "" {
		host = "kluis"
	}
	return fileSafe(host) + "-audit.pub"
}

// fileSafe keeps a file name to letters, digits, '.', '-' and '_'.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, s)
}

func (a *App) checkpointsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	var p checkpointsPage
	if s, err := strconv.ParseInt(r.URL.Query().Get("signed"), 10, 64); err == nil && s > 0 {
		p.Signed = s
	}
	if r.URL.Query().Get("done") == "hook-deleted" {
		p.Done = "deliver.hook.deleted"
	}
	a.renderCheckpoints(w, r, me, http.StatusOK, p)
}

// checkpointHookSet sets the checkpoint webhook; the secret is shown once,
// without a redirect that would have to carry it.
func (a *App) checkpointHookSet(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	var p checkpointsPage
	p.HookURL = strings.TrimSpace(r.PostForm.Get("url"))
	_, secret, err := a.opts.Store.SetCheckpointHook(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, p.HookURL)
	switch {
	case errors.Is(err, store.ErrBadHookURL):
		p.Errors = fieldErrors{{"hook-url", a.t(r, "deliver.hook.error.url")}}
		a.renderCheckpoints(w, r, me, http.StatusUnprocessableEntity, p)
	case err != nil:
		a.internalError(w, r, "set checkpoint hook", err)
	default:
		p.HookURL, p.Secret = "", secret
		w.Header().Set("Cache-Control", "no-store")
		a.renderCheckpoints(w, r, me, http.StatusCreated, p)
	}
}

// checkpointHookDelete removes the checkpoint webhook.
func (a *App) checkpointHookDelete(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	err := a.opts.Store.DeleteCheckpointHook(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "delete checkpoint hook", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/audit/checkpoints?done=hook-deleted#hook-heading", http.StatusSeeOther)
	}
}

func (a *App) renderCheckpoints(w http.ResponseWriter, r *http.Request, me account.User, status int, p checkpointsPage) {
	t := tenantFrom(r.Context())
	key, err := a.checkpointKey()
	if err != nil {
		a.internalError(w, r, "checkpoint key", err)
		return
	}
	base := "/" + t.Slug + "/admin/audit/checkpoints"
	p.Slug, p.TenantName, p.VerifierKey, p.Fingerprint = t.Slug, t.LegalName, key.VerifierKey, key.Fingerprint
	p.KeyHref, p.KeyFile, p.CanEdit = base+"/key", keyFileName(key.VerifierKey), account.Can(me.Role, account.EditSettings)
	if h, err := a.opts.Store.CheckpointHookOf(r.Context(), t.ID); err == nil {
		p.Hook = &h
	} else if !errors.Is(err, store.ErrNotFound) {
		a.internalError(w, r, "checkpoint hook", err)
		return
	}
	cps, err := a.opts.Store.Checkpoints(r.Context(), t.ID, time.Time{}, checkpointsShown)
	if err != nil {
		a.internalError(w, r, "checkpoints", err)
		return
	}
	for _, c := range cps {
		root := base64.StdEncoding.EncodeToString(c.Root)
		p.Rows = append(p.Rows, checkpointRow{Size: c.Size, SignedAt: datetime(c.SignedAt), Root: root[:12] + "…", RootFull: root,
			Href: base + "/" + strconv.FormatInt(c.Size, 10)})
	}
	file := t.Slug + "-audit-N.note"
	if len(cps) > 0 {
		file = checkpointFileName(t.Slug, cps[0].Size)
	}
	p.Verify = "kluis audit verify --export " + fileSafe(t.Slug) + "-audit.jsonl --checkpoint " + file + " --key " + p.KeyFile
	p.ExportHref, p.ExportFile = base+"/export", fileSafe(t.Slug)+"-audit.jsonl"
	a.render(w, r, status, "checkpoints", p)
}

func checkpointFileName(slug string, size int64) string {
	return fileSafe(slug) + "-audit-" + strconv.FormatInt(size, 10) + ".note"
}

// checkpointSign signs a checkpoint of the log as it stands now, the
// request recorded first (audit.checkpoint) so that it is covered; it is
// never a no-op: with a person as actor the log grows by that event.
func (a *App) checkpointSign(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	key, err := a.checkpointKey()
	if err != nil {
		a.internalError(w, r, "checkpoint key", err)
		return
	}
	actor := userActor(me, RequestIDFrom(r.Context()))
	cp, _, err := a.opts.Store.SignCheckpoint(r.Context(), t.ID, key.Signer, &actor)
	if err != nil {
		a.internalError(w, r, "sign checkpoint", err)
		return
	}
	http.Redirect(w, r, "/"+t.Slug+"/admin/audit/checkpoints?signed="+strconv.FormatInt(cp.Size, 10)+"#checkpoints", http.StatusSeeOther)
}

// checkpointDownload hands out one kept checkpoint as the signed note.
func (a *App) checkpointDownload(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	size, err := strconv.ParseInt(r.PathValue("size"), 10, 64)
	if err != nil || size < 0 {
		a.notFound(w, r)
		return
	}
	cp, err := a.opts.Store.CheckpointOfSize(r.Context(), t.ID, size)
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "checkpoint", err)
		return
	}
	servePlain(w, checkpointFileName(t.Slug, cp.Size), cp.Note)
}

// checkpointKeyDownload hands out the verification key, one line.
func (a *App) checkpointKeyDownload(w http.ResponseWriter, r *http.Request, me account.User) {
	key, err := a.checkpointKey()
	if err != nil {
		a.internalError(w, r, "checkpoint key", err)
		return
	}
	servePlain(w, keyFileName(key.VerifierKey), []byte(key.VerifierKey+"\n"))
}

// auditLogExport hands the controller its whole log in the export format
// (JSON Lines), to verify against the checkpoints it kept without the
// supplier (AUD-2, ADT-1). The download is itself recorded first
// (audit.export, by the reader), so the file holds its own event. Streamed:
// a failure half-way leaves a last line without its line end, which every
// reader of the format refuses as cut off.
func (a *App) auditLogExport(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	w.Header().Set("Content-Type", "application/x-ndjson; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+fileSafe(t.Slug)+`-audit.jsonl"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	cw := &countingWriter{w: w}
	if _, err := a.opts.Store.ExportAuditLog(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, cw); err != nil {
		if cw.n == 0 { // nothing sent yet: an honest error page
			w.Header().Del("Content-Disposition")
			a.internalError(w, r, "audit log export", err)
			return
		}
		a.log.Error("audit log export cut off", "tenant", t.ID, "err", err)
	}
}

// countingWriter counts what went out, to know whether a status can still
// be chosen.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// servePlain answers body as a text file to save under name.
func servePlain(w http.ResponseWriter, name string, body []byte) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if name != "" {
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(body)
}
