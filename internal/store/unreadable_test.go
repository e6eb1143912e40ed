package store_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseSEC3_UnreadableMailFailsAloneAndAlerts: of two queued mails,
// the one whose sealed body was damaged is failed and audited on its own,
// the other is still sent, and the operator is alerted with ids only.
func TestClauseSEC3_UnreadableMailFailsAloneAndAlerts(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		var log bytes.Buffer
		env.DB.SetLogger(slog.New(slog.NewJSONHandler(&log, nil)))
		tn := newTenant(t, env, "gent")
		good, err := env.DB.QueueMail(ctx, clerk("u1"), tn.ID, invite("nl"))
		if err != nil {
			t.Fatal(err)
		}
		broken, err := env.DB.QueueMail(ctx, clerk("u1"), tn.ID, invite("fr"))
		if err != nil {
			t.Fatal(err)
		}
		raw := env.Raw(t)
		var body []byte
		if err := raw.QueryRow(`SELECT body FROM mail_outbox WHERE id = $1`, broken).Scan(&body); err != nil {
			t.Fatal(err)
		}
		body[len(body)-1] ^= 0xff
		if _, err := raw.Exec(`UPDATE mail_outbox SET body = $1 WHERE id = $2`, body, broken); err != nil {
			t.Fatal(err)
		}
		ms, err := env.DB.ClaimMail(ctx, 10)
		if err != nil || len(ms) != 1 || ms[0].ID != good {
			t.Fatalf("claimed %d mails (%v), want only the readable one", len(ms), err)
		}
		failed := false
		env.DB.EachAuditEvent(ctx, tn.ID, func(e *audit.Event) error {
			failed = failed || e.Action == "mail.read" && e.ObjectID == broken && e.Outcome == audit.OutcomeFailure
			return nil
		})
		if !failed {
			t.Error("the unreadable mail's failed read is not in the audit log")
		}
		out := log.String()
		if !strings.Contains(out, `"alert":"unreadable"`) || !strings.Contains(out, `"object_id":"`+broken+`"`) ||
			!strings.Contains(out, `"tenant_id":"`+tn.ID+`"`) || strings.Contains(out, mailTo) {
			t.Errorf("alert:\n%s", out)
		}
		if env.DB.UnreadableSeen() != 1 {
			t.Errorf("counted %d unreadable values, want 1", env.DB.UnreadableSeen())
		}
	})
}
