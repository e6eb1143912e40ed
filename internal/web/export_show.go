package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/export"
	"github.com/kluis/kluis/internal/store"
)

// Exports of a form's submissions (issue 5, END-1): behind the step-up and
// a grant on the form (ORG-6), with a stated reason; the store records the
// request before anything is read, a background job writes the encrypted
// file, the progress page refreshes itself without JavaScript, and only
// the user who made an export sees, downloads or deletes it.

// exportFormPage is templates/export-new.html.
type exportFormPage struct {
	TenantName, Slug string
	FormKey          string
	FormTitle        string
	IDs              []string // the selected submissions; none: all
	Format, Reason   string
	Formats          []string
	Errors           fieldErrors
}

// exportPath is where the export form resumes after a step-up (the
// selection is lost: it is chosen again from the inbox).
func exportPath(r *http.Request) string {
	return "/" + tenantFrom(r.Context()).Slug + "/inbox/forms/" + r.PathValue("form") + "/export"
}

// exportForm loads the form the export is of, refusing (404, the same as
// an unknown form) one the user has no grant on.
func (a *App) exportForm(w http.ResponseWriter, r *http.Request, u account.User) (exportFormPage, bool) {
	t := tenantFrom(r.Context())
	key := r.PathValue("form")
	ok, err := a.opts.Store.CanSeeForm(r.Context(), t.ID, u.ID, key)
	if err != nil {
		a.internalError(w, r, "can see form", err)
		return exportFormPage{}, false
	}
	if !ok {
		a.notFound(w, r)
		return exportFormPage{}, false
	}
	p := exportFormPage{TenantName: t.LegalName, Slug: t.Slug, FormKey: key, Formats: []string{store.ExportXLSX, store.ExportCSV, store.ExportPDF}}
	if vs, err := a.opts.Store.FormVersions(r.Context(), t.ID, key); err == nil && len(vs) > 0 {
		p.FormTitle = vs[0].Form.Title.In(string(LangFrom(r.Context())))
	} else {
		p.FormTitle = key
	}
	return p, true
}

// exportNew shows the choice of format and the reason.
func (a *App) exportNew(w http.ResponseWriter, r *http.Request, u account.User) {
	p, ok := a.exportForm(w, r, u)
	if !ok {
		return
	}
	p.IDs = r.URL.Query()["id"]
	p.Format = store.ExportXLSX
	a.render(w, r, http.StatusOK, "export-new", p)
}

// exportCreate records the export and queues its job, then shows its
// progress. Problems: 422 with a message per field (the format, the
// reason, the selection); a form without a grant: 404.
func (a *App) exportCreate(w http.ResponseWriter, r *http.Request, u account.User) {
	if !a.parseForm(w, r) {
		return
	}
	p, ok := a.exportForm(w, r, u)
	if !ok {
		return
	}
	t := tenantFrom(r.Context())
	p.IDs = r.PostForm["id"]
	p.Format = r.PostForm.Get("format")
	p.Reason = strings.TrimSpace(r.PostForm.Get("reason"))
	if !store.ValidExportFormat(p.Format) {
		p.Errors = append(p.Errors, fieldError{"format-" + store.ExportXLSX, a.t(r, "export.error.format")})
	}
	switch {
	case p.Reason == "":
		p.Errors = append(p.Errors, fieldError{"reason", a.t(r, "export.error.reason")})
	case len(p.Reason) > 500:
		p.Errors = append(p.Errors, fieldError{"reason", a.t(r, "export.error.reason_long")})
	}
	if len(p.IDs) > store.MaxExportSelection {
		p.Errors = append(p.Errors, fieldError{"selection", a.t(r, "export.error.too_many", store.MaxExportSelection)})
	}
	if len(p.Errors) > 0 {
		a.render(w, r, http.StatusUnprocessableEntity, "export-new", p)
		return
	}
	e, err := a.opts.Store.CreateExport(r.Context(), userActor(u, RequestIDFrom(r.Context())), t.ID, u.ID, store.ExportRequest{
		FormKey: p.FormKey, Format: p.Format, Reason: p.Reason, Lang: string(LangFrom(r.Context())), IDs: p.IDs})
	var inv *store.ExportInvalidError
	switch {
	case errors.As(err, &inv):
		field := map[string]string{"format": "format-" + store.ExportXLSX, "reason": "reason", "ids": "selection"}[inv.Field]
		msg := a.t(r, "export.error."+inv.Key)
		if inv.Key == "too_many" {
			msg = a.t(r, "export.error.too_many", store.MaxExportSelection)
		}
		p.Errors = append(p.Errors, fieldError{field, msg})
		a.render(w, r, http.StatusUnprocessableEntity, "export-new", p)
		return
	case errors.Is(err, store.ErrNoFormAccess):
		a.notFound(w, r)
		return
	case err != nil:
		a.internalError(w, r, "create export", err)
		return
	}
	to := "/" + t.Slug + "/inbox/exports/" + e.ID
	if e.Withheld > 0 {
		to += "?withheld=" + strconv.Itoa(e.Withheld)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// exportRow is one export as the pages show it.
type exportRow struct {
	store.Export
	FormTitle string
	Percent   int
	SizeText  string
}

// exportsPage is templates/exports.html.
type exportsPage struct {
	TenantName, Slug string
	Exports          []exportRow
	Done             string
}

func (a *App) exportRowOf(r *http.Request, e store.Export) exportRow {
	row := exportRow{Export: e, FormTitle: a.formTitle(r, e.TenantID, e.FormKey), SizeText: fmt.Sprintf("%.1f kB", float64(e.Size)/1000)}
	switch {
	case e.Status == store.ExportReady:
		row.Percent = 100
	case e.Total > 0:
		row.Percent = int(e.Done * 100 / e.Total)
	}
	return row
}

// exportsShow lists the user's own exports.
func (a *App) exportsShow(w http.ResponseWriter, r *http.Request, u account.User) {
	t := tenantFrom(r.Context())
	list, err := a.opts.Store.Exports(r.Context(), t.ID, u.ID)
	if err != nil {
		a.internalError(w, r, "list exports", err)
		return
	}
	p := exportsPage{TenantName: t.LegalName, Slug: t.Slug}
	if r.URL.Query().Get("done") == "deleted" {
		p.Done = "exports.deleted"
	}
	for _, e := range list {
		p.Exports = append(p.Exports, a.exportRowOf(r, e))
	}
	a.render(w, r, http.StatusOK, "exports", p)
}

// exportPage is templates/export-show.html.
type exportPage struct {
	TenantName, Slug string
	Export           exportRow
	Working          bool // pending or running: export.js follows the progress
	RequestID        string
	// Withheld: how many submissions the export left out because their
	// person restricted processing (art. 18 GDPR), said once after creation.
	Withheld int
}

// exportShow shows an export's progress, or the download when ready. An
// export of someone else (of this or another tenant) is 404.
func (a *App) exportShow(w http.ResponseWriter, r *http.Request, u account.User) {
	t := tenantFrom(r.Context())
	withheld, _ := strconv.Atoi(r.URL.Query().Get("withheld"))
	withheld = max(0, withheld)
	e, err := a.opts.Store.Export(r.Context(), t.ID, u.ID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "read export", err)
		return
	}
	a.render(w, r, http.StatusOK, "export-show", exportPage{TenantName: t.LegalName, Slug: t.Slug, Export: a.exportRowOf(r, e),
		Working: e.Status == store.ExportPending || e.Status == store.ExportRunning, RequestID: RequestIDFrom(r.Context()), Withheld: withheld})
}

// exportDownload streams the owner's ready export, decrypting it on the
// fly; the store records the download before it gives the key. Anyone
// else: 404.
func (a *App) exportDownload(w http.ResponseWriter, r *http.Request, u account.User) {
	t := tenantFrom(r.Context())
	e, key, err := a.opts.Store.DownloadExport(r.Context(), userActor(u, RequestIDFrom(r.Context())), t.ID, u.ID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "download export", err)
		return
	}
	if a.opts.ExportStore == nil {
		a.internalError(w, r, "open export file", errors.New("no export store configured"))
		return
	}
	f, err := a.opts.ExportStore.Get(r.Context(), export.Key(t.ID, e.ID))
	if err != nil {
		a.internalError(w, r, "open export file", err)
		return
	}
	defer f.Close()
	plain, err := export.Decrypt(f, key, e.ID)
	if err != nil {
		a.internalError(w, r, "decrypt export file", err)
		return
	}
	name := a.t(r, "export.file_name", e.FormKey, e.CreatedAt.In(brussels).Format("2006-01-02"), export.Extension(e.Format))
	h := w.Header()
	h.Set("Content-Type", export.ContentType(e.Format))
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if _, err := io.Copy(w, plain); err != nil {
		// The headers are gone: the client sees a cut-off download.
		a.log.ErrorContext(r.Context(), "stream export", "request_id", RequestIDFrom(r.Context()), "export", e.ID, "error", err.Error())
	}
}

// exportDelete deletes the owner's export now: its key is shredded and its
// file removed. Anyone else: 404.
func (a *App) exportDelete(w http.ResponseWriter, r *http.Request, u account.User) {
	t := tenantFrom(r.Context())
	id := r.PathValue("id")
	err := a.opts.Store.DeleteExport(r.Context(), userActor(u, RequestIDFrom(r.Context())), t.ID, u.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "delete export", err)
		return
	}
	// The key is gone, so a file left behind cannot be opened; the sweep
	// does not look for it again.
	if st := a.opts.ExportStore; st != nil {
		if err := st.Delete(r.Context(), export.Key(t.ID, id)); err != nil {
			a.log.WarnContext(r.Context(), "remove export file", "request_id", RequestIDFrom(r.Context()), "export", id, "error", err.Error())
		}
	}
	http.Redirect(w, r, "/"+t.Slug+"/inbox/exports?done=deleted", http.StatusSeeOther)
}
