package storetest

import (
	"context"
	"testing"

	"github.com/kluis/kluis/internal/audit"
)

// Events returns the tenant's audit events of action, oldest first: what
// a test reads to prove a step was recorded (AUD-1).
func (e *Env) Events(t testing.TB, tenantID, action string) []audit.Event {
	t.Helper()
	var out []audit.Event
	err := e.DB.EachAuditEvent(context.Background(), tenantID, func(ev *audit.Event) error {
		if ev.Action == action {
			out = append(out, *ev)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
