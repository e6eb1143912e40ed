package web

import (
	"errors"
	"net/http"
	"slices"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// formGrantOptions lists the tenant's forms (one entry per form, titled
// by its newest version), checked where userID holds a grant.
func (a *App) formGrantOptions(r *http.Request, userID string) ([]inboxOption, error) {
	t := tenantFrom(r.Context())
	forms, err := a.opts.Store.Forms(r.Context(), t.ID)
	if err != nil {
		return nil, err
	}
	granted, err := a.opts.Store.FormAccess(r.Context(), t.ID, userID)
	if err != nil {
		return nil, err
	}
	lang := string(LangFrom(r.Context()))
	var out []inboxOption
	seen := map[string]bool{}
	for _, fv := range forms {
		if seen[fv.Key] {
			continue
		}
		seen[fv.Key] = true
		out = append(out, inboxOption{Value: fv.Key, Label: fv.Form.Title.In(lang), Selected: slices.Contains(granted, fv.Key)})
	}
	return out, nil
}

// userFormsUpdate sets which forms' submissions a user sees (ORG-6).
func (a *App) userFormsUpdate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	err := a.opts.Store.SetFormAccess(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, r.PathValue("id"), r.PostForm["form"])
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "set form access", err)
	default:
		http.Redirect(w, r, userPagePath(r)+"?done=forms", http.StatusSeeOther)
	}
}
