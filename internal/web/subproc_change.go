package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// Changing and ending a sub-processor on the operators' realm (SUB-1…SUB-3):
// /operator/subprocessors/{id}/edit changes its details — a material
// change is announced to the organisations it applies to with an
// effective date, as a new one is — and the retire form on its page ends
// it: out of the current overview, in the history with its end date,
// routing to it refused.

type operatorSubprocEditPage struct {
	Slug      string
	Sub       store.SubProcessor
	Form      store.SubProcessorInput
	Effective string
	Errors    fieldErrors
}

// subprocEditOrder is the edit form's fields in the error summary's order.
var subprocEditOrder = append(append([]string{}, subprocFormFields...), "effective")

// operatorSubprocEditShow is the edit form, filled with the entry's
// details. An ended entry is not changed: 404.
func (a *App) operatorSubprocEditShow(w http.ResponseWriter, r *http.Request, me account.User) {
	s, ok := a.currentSubproc(w, r)
	if !ok {
		return
	}
	eea := "no"
	if s.EEA {
		eea = "yes"
	}
	a.render(w, r, http.StatusOK, "operator-subprocessor-edit", operatorSubprocEditPage{Slug: tenantFrom(r.Context()).Slug, Sub: s,
		Form: store.SubProcessorInput{Name: s.Name, HeadOffice: s.HeadOffice, Location: s.Location, EEA: eea, TransferMechanism: s.TransferMechanism,
			Measures: s.Measures, Services: s.Services, AgreementRef: s.AgreementRef, AgreementDate: s.AgreementDay(), Hosts: strings.Join(s.Hosts, "\n")}})
}

// currentSubproc reads the entry in the path; a missing or ended one is a
// 404 (written).
func (a *App) currentSubproc(w http.ResponseWriter, r *http.Request) (store.SubProcessor, bool) {
	s, err := a.opts.Store.SubProcessor(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && s.Retired()):
		a.notFound(w, r)
		return s, false
	case err != nil:
		a.internalError(w, r, "sub-processor", err)
		return s, false
	}
	return s, true
}

// operatorSubprocEdit saves the changed details (SUB-2 for a material
// change).
func (a *App) operatorSubprocEdit(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	s, ok := a.currentSubproc(w, r)
	if !ok {
		return
	}
	p := operatorSubprocEditPage{Slug: tenantFrom(r.Context()).Slug, Sub: s, Form: subprocInput(r), Effective: strings.TrimSpace(r.PostForm.Get("effective"))}
	c := store.SubChange{SubProcessorInput: p.Form}
	bad := map[string]string{}
	if p.Effective != "" {
		if d, ok := parseDay(p.Effective); ok {
			c.EffectiveAt = d
		} else {
			bad["effective"] = "subproc.error.effective_invalid"
		}
	}
	changed, err := a.opts.Store.EditSubProcessor(r.Context(), operatorActor(r, me), s.ID, c, a.subprocAnnounceMail)
	if a.subprocFailed(w, r, err, bad, "edit sub-processor") {
		return
	}
	if err == nil {
		// Saved: a date it could not read did not matter, the change
		// needed none.
		done := "edited"
		if len(changed) > 0 {
			done = "changed"
		}
		http.Redirect(w, r, "/"+p.Slug+"/subprocessors/"+s.ID+"?done="+done, http.StatusSeeOther)
		return
	}
	p.Form.AgreementDate = r.PostForm.Get("agreement_date")
	p.Errors = a.subprocErrors(r, bad, subprocEditOrder)
	a.render(w, r, http.StatusUnprocessableEntity, "operator-subprocessor-edit", p)
}

// operatorSubprocRetire ends the entry on the date given, for the reason
// given (SUB-1, SUB-3).
func (a *App) operatorSubprocRetire(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	var p operatorSubprocPage
	p.Retire.Ended, p.Retire.Reason = strings.TrimSpace(r.PostForm.Get("ended")), r.PostForm.Get("reason")
	bad := map[string]string{}
	ended, ok := parseOptionalDay(p.Retire.Ended)
	if !ok {
		bad["ended"] = "gaps.subproc.error.ended_invalid"
	}
	err := a.opts.Store.RetireSubProcessor(r.Context(), operatorActor(r, me), r.PathValue("id"), ended, p.Retire.Reason, a.subprocRetireMail)
	if a.subprocFailed(w, r, err, bad, "retire sub-processor") {
		return
	}
	if len(bad) == 0 {
		http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/subprocessors?done=retired", http.StatusSeeOther)
		return
	}
	p.Errors = a.subprocErrors(r, bad, []string{"ended", "reason"})
	a.renderOperatorSubproc(w, r, http.StatusUnprocessableEntity, p)
}

// subprocFailed sorts the store's answer to a sub-processor form: a
// missing (or ended) entry is a 404, an unexpected error a 500 — both
// written, true returned; refused fields join bad, where the page's own
// messages (an unreadable date) come first.
func (a *App) subprocFailed(w http.ResponseWriter, r *http.Request, err error, bad map[string]string, what string) bool {
	var ve *store.SubValidationError
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
		return true
	case errors.As(err, &ve):
		for k, v := range ve.Fields {
			if _, ok := bad[k]; !ok {
				bad[k] = v
			}
		}
	case err != nil:
		a.internalError(w, r, what, err)
		return true
	}
	return false
}

// subprocRetireMail tells the controller that a sub-processor it used has
// ended, in the tenant's language.
func (a *App) subprocRetireMail(t tenant.Tenant, s store.SubProcessor) store.OutgoingMail {
	l, ok := locale.Parse(t.DefaultLang)
	if !ok {
		l = locale.NL
	}
	link := a.tenantLink(t, "/admin/subprocessors")
	return store.OutgoingMail{Lang: string(l), Subject: locale.T(l, "gaps.subproc.mail.retire.subject", s.Name),
		Body: locale.T(l, "gaps.subproc.mail.retire.body", t.LegalName, s.Name, s.EndDay(), link)}
}
