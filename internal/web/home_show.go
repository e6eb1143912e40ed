package web

import "net/http"

// homeShow shows the platform home page: what Kluis is.
func (a *App) homeShow(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "home", nil)
}
