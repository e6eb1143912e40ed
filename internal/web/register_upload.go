package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
)

// An uploaded register document goes through the same comparison as a
// change made in the forms (REG-1): the comparison page carries the
// document (as JSON, in a multipart form so that it is not inflated by
// URL encoding) and the version it was compared with; "Opslaan" checks it
// again with the same rules and saves it over that version.

// registerDocumentField is the comparison form's field with the document.
const registerDocumentField = "document"

// renderUploadPreview compares the uploaded register reg with the current
// version cur.
func (a *App) renderUploadPreview(w http.ResponseWriter, r *http.Request, cur store.RegisterVersion, reg register.Register) {
	doc, err := json.Marshal(reg)
	if err != nil {
		a.internalError(w, r, "encode register", err)
		return
	}
	im, err := a.impacts(r, cur.Register, reg)
	if err != nil {
		a.internalError(w, r, "register change impacts", err)
		return
	}
	t := tenantFrom(r.Context())
	a.render(w, r, http.StatusOK, "register-preview", regPreviewPage{Slug: t.Slug, TenantName: t.LegalName, Current: cur.Version,
		Changes: a.changeViews(r, cur.Register, reg), Impacts: im, Upload: true, Document: string(doc)})
}

// registerUploadSave saves an uploaded document from its comparison page
// (EditRegister): checked again with every rule, saved over the version it
// was compared with, audited by the store ("register.save"). A broken
// document answers 422 with its problems, a version saved in between 409;
// nothing is saved then. The language switch shows the comparison again.
func (a *App) registerUploadSave(w http.ResponseWriter, r *http.Request, me account.User) {
	if err := r.ParseMultipartForm(2 * register.MaxYAML); err != nil {
		if errors.Is(err, http.ErrNotMultipart) {
			a.error(w, r, http.StatusUnsupportedMediaType)
		} else {
			a.bodyError(w, r, err)
		}
		return
	}
	var reg register.Register
	dec := json.NewDecoder(bytes.NewReader([]byte(r.PostFormValue(registerDocumentField))))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&reg); err != nil {
		a.renderUploadProblems(w, r, me, []register.Problem{{Key: "document_empty"}})
		return
	}
	if ps := reg.Validate(); len(ps) > 0 {
		a.renderUploadProblems(w, r, me, ps)
		return
	}
	rv, ok := a.currentForEdit(w, r)
	if !ok {
		return
	}
	base, err := strconv.Atoi(r.PostFormValue("base"))
	if err != nil || base != rv.Version {
		msg := a.t(r, "regedit.error.conflict_upload", rv.Version)
		a.renderRegister(w, r, me, http.StatusConflict, 0, fieldErrors{{registerFileField, msg}}, msg)
		return
	}
	if r.PostFormValue("switch_lang") != "" || len(register.Diff(rv.Register, reg)) == 0 {
		a.renderUploadPreview(w, r, rv, reg)
		return
	}
	t := tenantFrom(r.Context())
	n, err := a.opts.Store.SaveRegisterOver(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, reg, base)
	var inv *store.RegisterInvalidError
	switch {
	case errors.Is(err, store.ErrConflict):
		msg := a.t(r, "regedit.error.conflict_upload", rv.Version+1)
		a.renderRegister(w, r, me, http.StatusConflict, 0, fieldErrors{{registerFileField, msg}}, msg)
	case errors.As(err, &inv):
		a.renderUploadProblems(w, r, me, inv.Problems)
	case err != nil:
		a.internalError(w, r, "save register", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/register?saved="+strconv.Itoa(n), http.StatusSeeOther)
	}
}
