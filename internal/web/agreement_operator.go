package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/agreement"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// The supplier's side of the agreement, in the operators' realm at
// /operator/agreements: every controller's newest version the supplier
// has not accepted yet, its PDF, and the acceptance — recorded in that
// controller's log with the SHA-256, as the operator's own act.

type operatorAgreementsPage struct {
	Slug   string
	Rows   []operatorAgreementRow
	Errors fieldErrors
	Done   bool
}

type operatorAgreementRow struct {
	store.PendingAgreement
	Kind, Date string
}

func (a *App) operatorAgreementsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderOperatorAgreements(w, r, http.StatusOK, nil)
}

func (a *App) renderOperatorAgreements(w http.ResponseWriter, r *http.Request, status int, errs fieldErrors) {
	list, err := a.opts.Store.PendingAgreements(r.Context())
	if err != nil {
		a.internalError(w, r, "pending agreements", err)
		return
	}
	p := operatorAgreementsPage{Slug: tenantFrom(r.Context()).Slug, Errors: errs, Done: r.URL.Query().Get("done") == "accepted"}
	for _, x := range list {
		p.Rows = append(p.Rows, operatorAgreementRow{PendingAgreement: x, Kind: a.t(r, "agree.kind."+x.Kind), Date: datetime(x.CreatedAt)})
	}
	a.render(w, r, status, "operator-agreements", p)
}

// operatorAgreementPDF sends a controller's version to the supplier,
// recorded in the controller's log.
func (a *App) operatorAgreementPDF(w http.ResponseWriter, r *http.Request, me account.User) {
	if t, n, ok := a.operatorAgreementTarget(w, r); ok {
		a.sendAgreementPDF(w, r, breachOperatorActor(me, r), t, n)
	}
}

// operatorAgreementTarget is the controller {slug} and version {n} the
// request names; ok false when it has answered 404.
func (a *App) operatorAgreementTarget(w http.ResponseWriter, r *http.Request) (tenant.Tenant, int, bool) {
	t, ok := a.realmTenantOr404(w, r)
	if !ok {
		return t, 0, false
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		a.notFound(w, r)
		return t, 0, false
	}
	return t, n, true
}

// operatorAgreementAccept records the supplier's acceptance of the version
// whose SHA-256 the form carries.
func (a *App) operatorAgreementAccept(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t, n, ok := a.operatorAgreementTarget(w, r)
	if !ok {
		return
	}
	if r.PostForm.Get("confirm") != "1" {
		a.renderOperatorAgreements(w, r, http.StatusUnprocessableEntity, fieldErrors{{"confirm-" + t.Slug, a.t(r, "agree.error.confirm")}})
		return
	}
	method := "password"
	if info, ok := sessionFrom(r.Context()); ok && info.LoginMethod != "" {
		method = info.LoginMethod
	}
	err := a.opts.Store.AcceptAgreement(r.Context(), breachOperatorActor(me, r), t.ID, n, store.AgreementAcceptance{
		Party: agreement.Supplier, Name: me.Name, Capacity: "operator", Method: method, SHA256: r.PostForm.Get("sha256")})
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case errors.Is(err, store.ErrAgreementState):
		a.renderOperatorAgreements(w, r, http.StatusConflict, fieldErrors{{"confirm-" + t.Slug, a.t(r, "agree.error.state")}})
	case err != nil:
		a.internalError(w, r, "accept agreement", err)
	default:
		http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/agreements?done=accepted", http.StatusSeeOther)
	}
}
