package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// API keys (issue 5): a tenant's admins create keys for the JSON API —
// named, scoped, limited to chosen forms (ORG-6), optionally expiring —
// and revoke them; whoever reads the settings sees the list. A new key's
// token is on the page that answers its creation and nowhere else: it is
// not in a URL, a cookie or the database, and no later page shows it.

// apiKeysPath is where the page lives, for the step-up to come back to.
func apiKeysPath(r *http.Request) string {
	return "/" + tenantFrom(r.Context()).Slug + "/admin/api-keys"
}

// apiKeyRow is one key on the page.
type apiKeyRow struct {
	store.APIKey
	Status    string // active, revoked, expired
	FormNames []string
}

type apiKeysPage struct {
	Slug, TenantName string
	Keys             []apiKeyRow
	CanManage        bool
	Scopes           []inboxOption
	Forms            []inboxOption
	Form             struct{ Name, Expires string }
	Errors           fieldErrors
	Done             string
	// Created and Token: the key just created, shown this once.
	Created string
	Token   string
}

// apiKeysShow lists the tenant's keys.
func (a *App) apiKeysShow(w http.ResponseWriter, r *http.Request, me account.User) {
	p := apiKeysPage{}
	if r.URL.Query().Get("done") == "revoked" {
		p.Done = "apikeys.done.revoked"
	}
	a.renderAPIKeys(w, r, me, http.StatusOK, p, nil, nil)
}

func (a *App) renderAPIKeys(w http.ResponseWriter, r *http.Request, me account.User, status int, p apiKeysPage, scopes, forms []string) {
	t := tenantFrom(r.Context())
	keys, err := a.opts.Store.APIKeys(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "list API keys", err)
		return
	}
	all, err := a.opts.Store.Forms(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "list forms", err)
		return
	}
	lang := string(LangFrom(r.Context()))
	titles := map[string]string{}
	for _, fv := range all {
		if _, seen := titles[fv.Key]; seen {
			continue
		}
		titles[fv.Key] = fv.Form.Title.In(lang)
		p.Forms = append(p.Forms, inboxOption{Value: fv.Key, Label: titles[fv.Key], Selected: slices.Contains(forms, fv.Key)})
	}
	now := a.opts.Store.Now()
	for _, k := range keys {
		row := apiKeyRow{APIKey: k, Status: "active"}
		switch {
		case !k.RevokedAt.IsZero():
			row.Status = "revoked"
		case !k.ActiveAt(now):
			row.Status = "expired"
		}
		for _, f := range k.Forms {
			name := titles[f]
			if name == "" {
				name = f
			}
			row.FormNames = append(row.FormNames, name)
		}
		p.Keys = append(p.Keys, row)
	}
	for _, s := range store.APIScopes {
		p.Scopes = append(p.Scopes, inboxOption{Value: s, Label: a.t(r, "apikeys.scope."+s), Selected: slices.Contains(scopes, s)})
	}
	p.Slug, p.TenantName, p.CanManage = t.Slug, t.LegalName, account.Can(me.Role, account.EditSettings)
	a.render(w, r, status, "apikeys", p)
}

// apiKeyCreate creates a key and shows its token, once.
func (a *App) apiKeyCreate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	var p apiKeysPage
	p.Form.Name, p.Form.Expires = r.PostForm.Get("name"), strings.TrimSpace(r.PostForm.Get("expires"))
	scopes, forms := r.PostForm["scope"], r.PostForm["form"]
	in := store.NewAPIKey{Name: p.Form.Name, Scopes: scopes, Forms: forms}
	if p.Form.Expires != "" {
		// Valid through the day given: until the next day starts in Brussels.
		var day time.Time
		for _, layout := range []string{"02.01.2006", "2.1.2006", time.DateOnly} {
			if d, err := time.ParseInLocation(layout, p.Form.Expires, brussels); err == nil {
				day = d
				break
			}
		}
		if day.IsZero() {
			p.Errors = fieldErrors{{"expires", a.t(r, "apikeys.error.expires_date")}}
			a.renderAPIKeys(w, r, me, http.StatusUnprocessableEntity, p, scopes, forms)
			return
		}
		in.ExpiresAt = day.AddDate(0, 0, 1)
	}
	k, token, err := a.opts.Store.CreateAPIKey(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, in)
	var ve *store.APIKeyValidationError
	switch {
	case errors.As(err, &ve):
		for _, f := range []string{"name", "scopes", "forms", "expires_at"} {
			if key, bad := ve.Fields[f]; bad {
				field := map[string]string{"name": "name", "scopes": "scope-0", "forms": "form-0", "expires_at": "expires"}[f]
				p.Errors = append(p.Errors, fieldError{field, a.t(r, key)})
			}
		}
		a.renderAPIKeys(w, r, me, http.StatusUnprocessableEntity, p, scopes, forms)
	case err != nil:
		a.internalError(w, r, "create API key", err)
	default:
		// Answered with the page itself, not a redirect: the token must
		// not travel through a URL or be stored to survive one.
		p.Form.Name, p.Form.Expires = "", ""
		p.Created, p.Token = k.Name, token
		a.renderAPIKeys(w, r, me, http.StatusOK, p, nil, nil)
	}
}

// apiKeyRevoke ends a key at once.
func (a *App) apiKeyRevoke(w http.ResponseWriter, r *http.Request, me account.User) {
	err := a.opts.Store.RevokeAPIKey(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID, r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "revoke API key", err)
	default:
		http.Redirect(w, r, apiKeysPath(r)+"?done=revoked", http.StatusSeeOther)
	}
}
