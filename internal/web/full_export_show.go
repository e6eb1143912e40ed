package web

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"filippo.io/age"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/export"
	"github.com/kluis/kluis/internal/store"
)

// "Beheer › Volledige export" (END-3): a tenant admin, behind the step-up,
// asks for the whole organisation's data with a reason and, optionally,
// the controller's age recipient; the store records the request in the
// audit log with its job, the worker writes the archive (tenantexport)
// into the export store, and the page lists every full export of the
// tenant with its status in words, size, contents and expiry. Only the
// admin who asked downloads (audited in the same transaction that hands
// out the key); any admin deletes. Ids only in URLs.

// fullExportPath is the page, also where the step-up comes back to.
func fullExportPath(r *http.Request) string {
	return "/" + tenantFrom(r.Context()).Slug + "/admin/full-export"
}

// fullExportRow is one full export as the page shows it.
type fullExportRow struct {
	store.FullExport
	AskedBy  string
	Mine     bool
	SizeText string
}

// fullExportPage is templates/full-export.html.
type fullExportPage struct {
	TenantName, Slug string
	Reason           string
	Recipient        string
	Errors           fieldErrors
	Exports          []fullExportRow
	// Latest is the newest ready export: its contents are shown.
	Latest  *fullExportRow
	Working bool // one is pending or running: the page offers to refresh
	Done    string
}

// fullExportLoad fills the list of the tenant's full exports into p.
func (a *App) fullExportLoad(w http.ResponseWriter, r *http.Request, u account.User, p *fullExportPage) bool {
	t := tenantFrom(r.Context())
	list, err := a.opts.Store.FullExports(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "list full exports", err)
		return false
	}
	var names map[string]string
	for _, e := range list {
		if e.UserID != u.ID && names == nil {
			users, err := a.opts.Store.Users(r.Context(), userActor(u, RequestIDFrom(r.Context())), t.ID)
			if err != nil {
				a.internalError(w, r, "list users", err)
				return false
			}
			names = map[string]string{}
			for _, x := range users {
				names[x.ID] = x.Name
			}
		}
	}
	p.TenantName, p.Slug = t.LegalName, t.Slug
	for _, e := range list {
		row := fullExportRow{FullExport: e, Mine: e.UserID == u.ID, SizeText: humanSize(e.Size), AskedBy: u.Name}
		if !row.Mine {
			row.AskedBy = names[e.UserID]
			if row.AskedBy == "" {
				row.AskedBy = a.t(r, "fullexport.unknown_user")
			}
		}
		if e.Status == store.ExportPending || e.Status == store.ExportRunning {
			p.Working = true
		}
		p.Exports = append(p.Exports, row)
	}
	for i := range p.Exports {
		if p.Exports[i].Status == store.ExportReady {
			p.Latest = &p.Exports[i] // the list is newest first
			break
		}
	}
	return true
}

// fullExportShow shows the page: the request form, the list and what the
// archive holds.
func (a *App) fullExportShow(w http.ResponseWriter, r *http.Request, u account.User) {
	var p fullExportPage
	if !a.fullExportLoad(w, r, u, &p) {
		return
	}
	switch r.URL.Query().Get("done") {
	case "queued":
		p.Done = "fullexport.queued"
	case "deleted":
		p.Done = "fullexport.deleted"
	}
	a.render(w, r, http.StatusOK, "full-export", p)
}

// checkRecipient says what is wrong with an age recipient as a message
// key, or "" when it parses (or is empty: none given).
func checkRecipient(s string) string {
	switch {
	case s == "":
		return ""
	case strings.HasPrefix(strings.ToUpper(s), "AGE-SECRET-KEY-"):
		return "fullexport.error.recipient_secret"
	case !strings.HasPrefix(s, "age1"):
		return "fullexport.error.recipient_prefix"
	case strings.ContainsAny(s, " \t\r\n,"):
		return "fullexport.error.recipient_one"
	}
	if _, err := age.ParseX25519Recipient(s); err != nil {
		return "fullexport.error.recipient"
	}
	return ""
}

// fullExportCreate records the request and queues the job. A missing or
// too long reason and a recipient that does not parse: 422 with a message
// at each field, nothing queued; another full export still being made:
// 409.
func (a *App) fullExportCreate(w http.ResponseWriter, r *http.Request, u account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	p := fullExportPage{Reason: strings.TrimSpace(r.PostForm.Get("reason")), Recipient: strings.TrimSpace(r.PostForm.Get("recipient"))}
	switch {
	case p.Reason == "":
		p.Errors = append(p.Errors, fieldError{"reason", a.t(r, "export.error.reason")})
	case len(p.Reason) > 500:
		p.Errors = append(p.Errors, fieldError{"reason", a.t(r, "export.error.reason_long")})
	}
	if key := checkRecipient(p.Recipient); key != "" {
		p.Errors = append(p.Errors, fieldError{"recipient", a.t(r, key)})
		if key == "fullexport.error.recipient_secret" {
			p.Recipient = "" // a secret is never sent back, not even to its owner
		}
	}
	if len(p.Errors) > 0 {
		if a.fullExportLoad(w, r, u, &p) {
			a.render(w, r, http.StatusUnprocessableEntity, "full-export", p)
		}
		return
	}
	_, err := a.opts.Store.CreateFullExport(r.Context(), userActor(u, RequestIDFrom(r.Context())), t.ID, u.ID, p.Reason, p.Recipient)
	var inv *store.ExportInvalidError
	if errors.As(err, &inv) {
		p.Errors = append(p.Errors, fieldError{"reason", a.t(r, "export.error."+inv.Key)})
		if a.fullExportLoad(w, r, u, &p) {
			a.render(w, r, http.StatusUnprocessableEntity, "full-export", p)
		}
		return
	}
	if errors.Is(err, store.ErrConflict) {
		p.Errors = append(p.Errors, fieldError{"reason", a.t(r, "fullexport.error.busy")})
		if a.fullExportLoad(w, r, u, &p) {
			a.render(w, r, http.StatusConflict, "full-export", p)
		}
		return
	}
	if err != nil {
		a.internalError(w, r, "create full export", err)
		return
	}
	http.Redirect(w, r, fullExportPath(r)+"?done=queued", http.StatusSeeOther)
}

// fullExportDownload streams the asker's ready archive, decrypting the
// export store's layer on the fly (a .tar.age stays encrypted to the
// controller's recipient). Anyone else, or not ready: 404.
func (a *App) fullExportDownload(w http.ResponseWriter, r *http.Request, u account.User) {
	t := tenantFrom(r.Context())
	e, key, err := a.opts.Store.DownloadFullExport(r.Context(), userActor(u, RequestIDFrom(r.Context())), t.ID, u.ID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "download full export", err)
		return
	}
	if a.opts.ExportStore == nil {
		a.internalError(w, r, "open full export", errors.New("no export store configured"))
		return
	}
	f, err := a.opts.ExportStore.Get(r.Context(), export.FullKey(t.ID, e.ID))
	if err != nil {
		a.internalError(w, r, "open full export", err)
		return
	}
	defer f.Close()
	plain, err := export.Decrypt(f, key, e.ID)
	if err != nil {
		a.internalError(w, r, "decrypt full export", err)
		return
	}
	ext, ctype := ".tar", "application/x-tar"
	if e.Recipient != "" {
		ext, ctype = ".tar.age", "application/octet-stream"
	}
	name := "kluis-" + t.Slug + "-" + e.CreatedAt.In(brussels).Format("2006-01-02") + ext
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if _, err := io.Copy(w, plain); err != nil {
		a.log.ErrorContext(r.Context(), "stream full export", "request_id", RequestIDFrom(r.Context()), "export", e.ID, "error", err.Error())
	}
}

// fullExportDelete deletes a full export of the tenant now: its key is
// shredded and its file removed. Unknown or already deleted: 404.
func (a *App) fullExportDelete(w http.ResponseWriter, r *http.Request, u account.User) {
	t := tenantFrom(r.Context())
	id := r.PathValue("id")
	err := a.opts.Store.DeleteFullExport(r.Context(), userActor(u, RequestIDFrom(r.Context())), t.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "delete full export", err)
		return
	}
	if st := a.opts.ExportStore; st != nil {
		if err := st.Delete(r.Context(), export.FullKey(t.ID, id)); err != nil {
			a.log.WarnContext(r.Context(), "remove full export file", "request_id", RequestIDFrom(r.Context()), "export", id, "error", err.Error())
		}
	}
	http.Redirect(w, r, fullExportPath(r)+"?done=deleted", http.StatusSeeOther)
}
