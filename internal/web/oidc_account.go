package web

import (
	"errors"
	"net/http"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// anySignedIn runs h for a signed-in user of the tenant whose session may use
// the tenant's pages (not pending its second factor, not forced to enrol):
// require with the permission every tenant user has on their own account.
func (a *App) anySignedIn(h signedIn) http.HandlerFunc { return a.require(account.ManageOwnAccount, h) }

// oidcAccountPage lists the identities the user linked, with a button to
// unlink each, and a button per provider to link one.
type oidcAccountPage struct {
	TenantName string
	Slug       string
	Identities []store.LinkedIdentity
	Buttons    []oidcButton
	Done       string // "linked" or "unlinked" after the action
}

// oidcAccountShow is the user's page of sign-in methods.
func (a *App) oidcAccountShow(w http.ResponseWriter, r *http.Request, u account.User) {
	t := tenantFrom(r.Context())
	ids, err := a.opts.Store.OIDCIdentities(r.Context(), t.ID, u.ID)
	if err != nil {
		a.internalError(w, r, "oidc identities", err)
		return
	}
	buttons, err := a.oidcButtons(r, "link", func(name string) string { return "/" + t.Slug + "/account/oidc/link/" + name })
	if err != nil {
		a.internalError(w, r, "oidc providers", err)
		return
	}
	done := r.URL.Query().Get("done")
	if done != "linked" && done != "unlinked" {
		done = ""
	}
	a.render(w, r, http.StatusOK, "account-oidc", oidcAccountPage{TenantName: t.LegalName, Slug: t.Slug, Identities: ids,
		Buttons: buttons, Done: done})
}

// oidcAccountPath is the page of sign-in methods, where a step-up for an
// unlink comes back to.
func oidcAccountPath(r *http.Request) string {
	return "/" + tenantFrom(r.Context()).Slug + "/account/oidc"
}

// oidcLinkStart sends a signed-in user to the provider to link an
// identity to their account.
func (a *App) oidcLinkStart(w http.ResponseWriter, r *http.Request, u account.User) {
	t := tenantFrom(r.Context())
	a.oidcBegin(w, r, store.OIDCFlowStart{Purpose: store.OIDCPurposeLink, UserID: u.ID}, "/"+t.Slug+"/account/oidc")
}

// oidcUnlink removes one of the user's linked identities. Another user's
// identity, or none, is a 404 and changes nothing.
func (a *App) oidcUnlink(w http.ResponseWriter, r *http.Request, u account.User) {
	t := tenantFrom(r.Context())
	err := a.opts.Store.UnlinkOIDCIdentity(r.Context(), userActor(u, RequestIDFrom(r.Context())), t.ID, u.ID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "unlink identity", err)
		return
	}
	http.Redirect(w, r, "/"+t.Slug+"/account/oidc?done=unlinked", http.StatusSeeOther)
}
