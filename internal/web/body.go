package web

import (
	"errors"
	"net/http"
)

// IsBodyTooLarge reports whether err comes from reading a request body past
// the App's body limit.
func IsBodyTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// bodyError renders the page for a failure to read or parse the request
// body: 413 when it was too large, else 400. Handlers call it, then return.
func (a *App) bodyError(w http.ResponseWriter, r *http.Request, err error) {
	if IsBodyTooLarge(err) {
		a.error(w, r, http.StatusRequestEntityTooLarge)
		return
	}
	a.error(w, r, http.StatusBadRequest)
}

// parseForm parses the request's form. When that fails it renders the error
// page and returns false; the handler should then return.
//
//	if !a.parseForm(w, r) {
//		return
//	}
func (a *App) parseForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		a.bodyError(w, r, err)
		return false
	}
	return true
}
