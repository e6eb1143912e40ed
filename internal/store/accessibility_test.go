package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/accessibility"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

var a11yComplaint = map[string]string{"nl": "Bent u niet tevreden met ons antwoord? Neem contact op met de Vlaamse Ombudsdienst."}

// TestAccessibilityStatement_HistoryKeptExceptionMakesPartial: the
// statement cannot be published without a contact; a bad contact or
// exception is refused field by field with nothing saved or audited; with a
// clean audit and no exception it is fully compliant; an exception makes
// the next version partially compliant; both versions stay readable as
// they were published; every write is audited; another tenant sees none
// of it.
func TestAccessibilityStatement_HistoryKeptExceptionMakesPartial(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "zonnedal")
		other := newTenant(t, env, "bergdal")
		_, err := env.DB.PublishAccessibilityStatement(ctx, clerk("ed1"), tn.ID, "Zonnedal")
		var verr *store.AccessibilityValidationError
		if !errors.As(err, &verr) || verr.Fields["email"].Key != "a11y.err.publish_no_contact" {
			t.Fatalf("publish without contact: %v", err)
		}
		err = env.DB.SetAccessibilitySettings(ctx, clerk("ed1"), tn.ID, accessibility.Contact{Email: "niet-een-adres", Phone: "abc"}, map[string]string{"fr": "x"})
		if !errors.As(err, &verr) || verr.Fields["email"].Key != "a11y.err.email" || verr.Fields["phone"].Key != "a11y.err.phone" ||
			verr.Fields["complaint.nl"].Key != "a11y.err.complaint_required" {
			t.Fatalf("bad contact: %v", err)
		}
		_, err = env.DB.AddAccessibilityException(ctx, clerk("ed1"), tn.ID, accessibility.Exception{Ground: "because", PlannedFix: "2020-01-01"})
		if !errors.As(err, &verr) || verr.Fields["description.nl"].Key != "a11y.err.description_required" ||
			verr.Fields["ground"].Key != "a11y.err.ground" || verr.Fields["planned_fix"].Key != "a11y.err.date_past" {
			t.Fatalf("bad exception: %v", err)
		}
		if s, _ := env.DB.AccessibilitySettings(ctx, tn.ID); s.Set {
			t.Fatal("a refused contact was saved")
		}
		if es, _ := env.DB.AccessibilityExceptions(ctx, tn.ID); len(es) != 0 {
			t.Fatal("a refused exception was saved")
		}
		if _, actions := auditActions(t, env, tn.ID); strings.Contains(actions, "accessibility") {
			t.Fatalf("a refused write was audited: %s", actions)
		}

		if err := env.DB.RecordAccessibilityAudit(ctx, operator, accessibility.Audit{At: env.Clock.Now().Add(-time.Hour),
			PagesChecked: 40, Violations: 0, Tool: "axe-core 4.10"}); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.SetAccessibilitySettings(ctx, clerk("ed1"), tn.ID, accessibility.Contact{Email: "toegankelijkheid@zonnedal.be", Phone: "+32 9 123 45 67"}, a11yComplaint); err != nil {
			t.Fatal(err)
		}
		v1, err := env.DB.PublishAccessibilityStatement(ctx, clerk("ed1"), tn.ID, "Zonnedal")
		if err != nil || v1.Version != 1 || v1.Status != accessibility.Full || v1.Facts.Audit == nil || v1.Facts.Audit.PagesChecked != 40 {
			t.Fatalf("v1: %+v %v", v1, err)
		}
		id, err := env.DB.AddAccessibilityException(ctx, clerk("ed1"), tn.ID, accessibility.Exception{
			Description: map[string]string{"nl": "Oude pdf-documenten van voor 2018 zijn niet toegankelijk."}, Ground: accessibility.GroundScope})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DeleteAccessibilityException(ctx, clerk("ed2"), other.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant deleted the exception: %v", err)
		}
		v2, err := env.DB.PublishAccessibilityStatement(ctx, clerk("ed1"), tn.ID, "Zonnedal")
		if err != nil || v2.Version != 2 || v2.Status != accessibility.Partial || len(v2.Facts.Exceptions) != 1 {
			t.Fatalf("v2: %+v %v", v2, err)
		}
		if err := env.DB.DeleteAccessibilityException(ctx, clerk("ed1"), tn.ID, id); err != nil {
			t.Fatal(err)
		}
		sts, by, err := env.DB.AccessibilityStatements(ctx, tn.ID)
		if err != nil || len(sts) != 2 || sts[0].Version != 2 || sts[1].Version != 1 || by[0] != "ed1" {
			t.Fatalf("history: %+v %v %v", sts, by, err)
		}
		old, err := env.DB.AccessibilityStatement(ctx, tn.ID, 1)
		if err != nil || old.Status != accessibility.Full || len(old.Facts.Exceptions) != 0 {
			t.Fatalf("version 1 as published: %+v %v", old, err)
		}
		latest, err := env.DB.AccessibilityStatement(ctx, tn.ID, 0)
		if err != nil || latest.Version != 2 || len(latest.Facts.Exceptions) != 1 || latest.Facts.Exceptions[0].Ground != accessibility.GroundScope {
			t.Fatalf("latest keeps the exception deleted since: %+v %v", latest, err)
		}
		if _, err := env.DB.AccessibilityStatement(ctx, other.ID, 0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant's statement: %v", err)
		}
		_, actions := auditActions(t, env, tn.ID)
		for _, want := range []string{"accessibility.settings.update", "accessibility.publish", "accessibility.exception.add", "accessibility.exception.delete"} {
			if !strings.Contains(actions, want) {
				t.Errorf("audit log lacks %s: %s", want, actions)
			}
		}
	})
}

// TestAccessibilityStatement_AuditRecordRefusesImpossibleSummary: a summary
// with no pages or more failed pages than checked is refused with nothing
// recorded; a good one is the latest, in the platform log.
func TestAccessibilityStatement_AuditRecordRefusesImpossibleSummary(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		at := env.Clock.Now().Add(-time.Hour)
		for _, a := range []accessibility.Audit{
			{At: at, Tool: "axe"},
			{At: at, PagesChecked: 2, PagesFailed: 3, Violations: 3, Tool: "axe"},
			{PagesChecked: 2, Tool: "axe"},
		} {
			if err := env.DB.RecordAccessibilityAudit(ctx, operator, a); err == nil {
				t.Errorf("recorded %+v", a)
			}
		}
		if _, err := env.DB.LatestAccessibilityAudit(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a refused summary was recorded: %v", err)
		}
		if err := env.DB.RecordAccessibilityAudit(ctx, operator, accessibility.Audit{At: at, PagesChecked: 10, PagesFailed: 1, Violations: 2, Tool: "axe"}); err != nil {
			t.Fatal(err)
		}
		a, err := env.DB.LatestAccessibilityAudit(ctx)
		if err != nil || a.PagesChecked != 10 || a.PagesFailed != 1 || !a.At.Equal(at.Truncate(time.Microsecond)) {
			t.Fatalf("latest: %+v %v", a, err)
		}
	})
}
