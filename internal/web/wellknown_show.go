package web

import (
	"errors"
	"net/http"

	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
)

// Well-known addresses anyone may fetch without signing in (AUD-2,
// ADT-1): the platform's verification key, so that a controller (or its
// auditor) can compare the key on its audit page with the one the
// platform publishes to everybody, and each tenant's latest checkpoint.

// auditKeyShow answers the verification key on its first line and its
// fingerprint on the second, as `kluis audit key` prints them. An
// anonymous request never makes the key: until the signing job or an
// admin has made it, there is none to publish (404).
func (a *App) auditKeyShow(w http.ResponseWriter, r *http.Request) {
	if a.opts.Store == nil {
		a.notFound(w, r)
		return
	}
	key, err := a.opts.Store.CheckpointKey("")
	if errors.Is(err, seal.ErrNoCheckpointKey) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "checkpoint key", err)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	servePlain(w, "", []byte(key.VerifierKey+"\nfingerprint: "+key.Fingerprint+"\n"))
}

// auditCheckpointShow answers the tenant's latest signed checkpoint.
//
// Publishing it is acceptable: a checkpoint holds the log's origin (the
// tenant's id, not secret), its size and a Merkle root — no event, no
// personal data, and the root reveals nothing of the events (SHA-256
// over their hashes). What an outsider learns is how many events the log
// holds, at the granularity of the signing job (15 minutes): the volume
// of a municipality's activity, not who did what. In return anyone the
// controller trusts — its auditor, a second site — can fetch and keep
// checkpoints without an account, so that a supplier showing different
// logs to different parties (a fork) is caught. Reading it is not
// recorded: it is not a read of the log's events (AUD-1).
func (a *App) auditCheckpointShow(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	cp, err := a.opts.Store.LatestCheckpoint(r.Context(), t.ID)
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "latest checkpoint", err)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	servePlain(w, "", cp.Note)
}
