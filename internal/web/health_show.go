package web

import (
	"io"
	"net/http"
)

// healthShow answers liveness probes: the process is up and serving. It
// runs no checks; see readyShow for those.
func (a *App) healthShow(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok")
}
