package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// KindCheckpointDigest mails each controller's DPO, once a day, the
// checkpoints of its log signed since the last digest (AUD-2, ADT-1): a
// copy the supplier cannot take back once it left the platform.
const KindCheckpointDigest = "checkpoint.digest"

// brussels is the time zone a digest's day is counted in.
var brussels = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Brussels"); err == nil {
		return l
	}
	return time.UTC
}()

// Markers around each checkpoint in a digest. The outgoing mail is one
// text/plain part without attachments, so a checkpoint travels inline:
// the lines between the markers, each ending in a line feed, are the
// signed note as the audit page's download gives it.
const (
	digestBegin = "-----BEGIN KLUIS CHECKPOINT %s-----"
	digestEnd   = "-----END KLUIS CHECKPOINT-----"
)

// checkpointDigest queues the day's digest for every active controller
// with a checkpoint. The day (in Brussels) dedupes: a second run on the
// same day, after a crash or on another node, queues nothing.
func checkpointDigest(ctx context.Context, db *store.DB, j store.Job) error {
	key, err := db.CheckpointKey("") // never made here: no key, no checkpoint to send
	if errors.Is(err, seal.ErrNoCheckpointKey) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checkpoint key: %w", err)
	}
	ts, err := db.Tenants(ctx)
	if err != nil {
		return err
	}
	day := db.Now().In(brussels).Format(time.DateOnly)
	var errs []error
	for _, t := range ts {
		if t.Status != tenant.StatusActive {
			continue
		}
		compose := func(t tenant.Tenant, cps []store.Checkpoint) store.OutgoingMail {
			return digestMail(t, cps, key)
		}
		if _, err := db.QueueCheckpointDigest(ctx, t.ID, day, compose); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t.ID, err))
		}
	}
	return errors.Join(errs...)
}

// digestMail is the digest in the tenant's language.
func digestMail(t tenant.Tenant, cps []store.Checkpoint, key store.CheckpointKey) store.OutgoingMail {
	l, ok := locale.Parse(t.DefaultLang)
	if !ok {
		l = locale.NL
	}
	var b strings.Builder
	b.WriteString(locale.T(l, "deliver.digest.body", t.DPOName, t.LegalName, len(cps), key.VerifierKey, key.Fingerprint))
	b.WriteString("\n")
	for _, c := range cps {
		fmt.Fprintf(&b, "\n"+digestBegin+"\n", DigestFileName(t.Slug, c.Size))
		b.Write(c.Note)
		b.WriteString(digestEnd + "\n")
	}
	latest := cps[len(cps)-1]
	return store.OutgoingMail{To: t.DPOEmail, Lang: string(l), Kind: "checkpoint.digest", Body: b.String(),
		Subject: locale.T(l, "deliver.digest.subject", t.LegalName, latest.Size)}
}

// DigestFileName is the name a digest gives a checkpoint, the audit page's.
func DigestFileName(slug string, size int64) string {
	return fmt.Sprintf("%s-audit-%d.note", slug, size)
}
