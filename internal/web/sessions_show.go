package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// A user's own sessions (ASVS 5.0 7.5.2): where they are signed in, with a
// coarse device label, and the means to end one or all others.

// sessionRow is one line of the sessions page.
type sessionRow struct {
	store.SessionInfo
	Device  string // localized: "Firefox op Linux"
	Current bool   // the session of this request
}

// sessionsPage is templates/sessions.html.
type sessionsPage struct {
	TenantName string
	Slug       string
	Sessions   []sessionRow
	Others     int    // sessions besides this one
	Done       string // message key of the action just done
	Error      string
}

// deviceLabel localizes a stored hint ("Firefox on Linux").
func (a *App) deviceLabel(r *http.Request, hint string) string {
	if hint == "" || strings.HasPrefix(hint, "Unknown browser") { // see browserHint
		return a.t(r, "sessions.device.unknown")
	}
	if browser, platform, ok := strings.Cut(hint, " on "); ok {
		return a.t(r, "sessions.device", browser, platform)
	}
	return hint
}

// sessionsShow lists the user's live sessions, "this session" marked.
func (a *App) sessionsShow(w http.ResponseWriter, r *http.Request, u account.User) {
	done := ""
	switch r.URL.Query().Get("done") {
	case "revoke":
		done = "sessions.done.revoke"
	case "others":
		done = "sessions.done.others"
	case "password":
		done = "sessions.done.password"
	}
	a.renderSessions(w, r, u, http.StatusOK, done, "")
}

func (a *App) renderSessions(w http.ResponseWriter, r *http.Request, u account.User, status int, done, errKey string) {
	t := tenantFrom(r.Context())
	list, err := a.opts.Store.UserSessions(r.Context(), userActor(u, RequestIDFrom(r.Context())), t.ID, u.ID)
	if err != nil {
		a.internalError(w, r, "list sessions", err)
		return
	}
	cur, _ := sessionFrom(r.Context())
	p := sessionsPage{TenantName: t.LegalName, Slug: t.Slug, Done: done}
	for _, s := range list {
		row := sessionRow{SessionInfo: s, Device: a.deviceLabel(r, s.UserAgentHint), Current: s.ID == cur.ID}
		if !row.Current {
			p.Others++
		}
		p.Sessions = append(p.Sessions, row)
	}
	if errKey != "" {
		p.Error = a.t(r, errKey)
	}
	a.render(w, r, status, "sessions", p)
}

// sessionRevoke ends one of the user's own sessions. Ending this very
// session signs the user out. An id that names no live session of theirs:
// 404 with the list.
func (a *App) sessionRevoke(w http.ResponseWriter, r *http.Request, u account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	id := r.PathValue("id")
	err := a.opts.Store.RevokeSessionByID(r.Context(), userActor(u, RequestIDFrom(r.Context())), t.ID, u.ID, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.renderSessions(w, r, u, http.StatusNotFound, "", "sessions.error.gone")
	case err != nil:
		a.internalError(w, r, "revoke session", err)
	default:
		if cur, _ := sessionFrom(r.Context()); cur.ID == id {
			clearSessionCookie(w)
			http.Redirect(w, r, "/"+t.Slug+"/login", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/"+t.Slug+"/account/sessions?done=revoke", http.StatusSeeOther)
	}
}

// sessionsRevokeOthers ends every session of the user but this one.
func (a *App) sessionsRevokeOthers(w http.ResponseWriter, r *http.Request, u account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	if _, err := a.opts.Store.RevokeUserSessions(r.Context(), userActor(u, RequestIDFrom(r.Context())), t.ID, u.ID,
		sessionToken(r)); err != nil {
		a.internalError(w, r, "revoke other sessions", err)
		return
	}
	http.Redirect(w, r, "/"+t.Slug+"/account/sessions?done=others", http.StatusSeeOther)
}
