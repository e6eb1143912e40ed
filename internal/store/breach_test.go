package store_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

func breachMail(t tenant.Tenant, b store.Breach) store.OutgoingMail {
	return store.OutgoingMail{Lang: "nl", Subject: "Datalek gemeld bij " + t.LegalName,
		Body: fmt.Sprintf("Versie %d van datalek %s, ontdekt op %s.", b.Version, b.ID, b.DiscoveredAt.Format(time.RFC3339))}
}

func escalationMail(t tenant.Tenant, b store.Breach, stage int) store.OutgoingMail {
	return store.OutgoingMail{Lang: "nl", Subject: fmt.Sprintf("Datalek niet gemeld na %d uur", stage), Body: "Datalek " + b.ID + " bij " + t.LegalName}
}

// setClock moves the test clock forward to at.
func setClock(t *testing.T, env *storetest.Env, at time.Time) {
	t.Helper()
	d := at.Sub(env.Clock.Now())
	if d < 0 {
		t.Fatalf("clock cannot go back to %s", at)
	}
	env.Clock.Advance(d)
}

func brusselsAt(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, workdays.Brussels)
}

func ints(n int) *int { return &n }

// TestClauseBRE1_DiscoveredFridayOverdueSaturday: supplier staff open a
// breach discovered on Friday 17:00 with only its description, as a draft.
// Its clock to the controller warns from Saturday 11:00 and is overdue at
// Saturday 17:00, not a minute earlier (calendar hours, not working days).
// The escalation job warns the security officer once at 18 hours and once
// when overdue, never twice; the notification then stops the clock, late.
func TestClauseBRE1_DiscoveredFridayOverdueSaturday(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, fastHasher())
		claimAll(t, env)
		friday := brusselsAt(2026, 12, 4, 17, 0)
		setClock(t, env, friday.Add(30*time.Minute))
		b, err := env.DB.OpenBreach(ctx, operator, gent.ID, breach.Report{Description: "Map met dossiers gedeeld met verkeerde ontvanger",
			DiscoveredAt: friday}, nil)
		if err != nil {
			t.Fatal(err)
		}
		clockAt := func(at time.Time) breach.Clock { return b.ControllerClock(at) }
		if c := clockAt(brusselsAt(2026, 12, 5, 16, 59)); c.Late || !c.Warn || c.Left != time.Minute {
			t.Fatalf("Saturday 16:59: %+v", c)
		}
		if c := clockAt(brusselsAt(2026, 12, 5, 17, 0)); !c.Late || c.Left != 0 {
			t.Fatalf("Saturday 17:00 is not overdue: %+v", c)
		}
		if c := clockAt(brusselsAt(2026, 12, 5, 10, 59)); c.Warn || c.Late {
			t.Fatalf("Saturday 10:59 warns already: %+v", c)
		}
		escalate := func(want int) {
			t.Helper()
			for run := 0; run < 2; run++ {
				n, err := env.DB.EscalateBreaches(ctx, audit.System("breach.clock"), gent.ID, "security@supplier.example", escalationMail)
				if err != nil {
					t.Fatal(err)
				}
				if run == 1 {
					want = 0 // each stage once
				}
				if n != want {
					t.Fatalf("run %d: %d warnings, want %d", run, n, want)
				}
			}
		}
		escalate(0)
		setClock(t, env, brusselsAt(2026, 12, 5, 11, 0))
		escalate(1)
		setClock(t, env, brusselsAt(2026, 12, 5, 17, 0))
		escalate(1)
		lines, ms := claimAll(t, env)
		if want := []string{"breach.escalate nl security@supplier.example", "breach.escalate nl security@supplier.example"}; !reflect.DeepEqual(lines, want) {
			t.Fatalf("mails %v, want %v", lines, want)
		}
		if !strings.Contains(ms[0].Subject, "18 uur") || !strings.Contains(ms[1].Subject, "24 uur") {
			t.Fatalf("subjects %q, %q", ms[0].Subject, ms[1].Subject)
		}
		if got := auditCount(t, env, gent.ID, "breach.escalate", ""); got != 2 {
			t.Fatalf("%d escalations recorded", got)
		}
		// The report goes out, late: the clock stops and no warning follows.
		setClock(t, env, brusselsAt(2026, 12, 5, 18, 0))
		b2, err := env.DB.UpdateBreach(ctx, operator, gent.ID, b.ID, b.Report, breachMail)
		if err != nil {
			t.Fatal(err)
		}
		if c := b2.ControllerClock(brusselsAt(2026, 12, 6, 9, 0)); !c.Done || !c.Late {
			t.Fatalf("after the late report: %+v", c)
		}
		setClock(t, env, brusselsAt(2026, 12, 7, 9, 0))
		escalate(0)
	})
}

// TestClauseBRE1_NotifiedWithProof: a breach opened with its notification
// is mailed at once to the controller's DPO and every active admin; the
// version keeps the proof (when, to whom, the SHA-256 of the mail as
// delivered) and each update is a new version with its own proof and the
// SHA-256 of its form.
func TestClauseBRE1_NotifiedWithProof(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		h := fastHasher()
		activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, h)
		activeUser(t, env, gent, "clerk@gent.be", account.RoleUser, h)
		claimAll(t, env)
		disc := env.Clock.Now().Add(-2 * time.Hour)
		b, err := env.DB.OpenBreach(ctx, operator, gent.ID, breach.Report{Description: "Verkeerde bijlage verstuurd", DiscoveredAt: disc}, breachMail)
		if err != nil {
			t.Fatal(err)
		}
		if b.NotifiedAt == nil || !b.ControllerClock(env.Clock.Now()).Done || b.ControllerClock(env.Clock.Now()).Late {
			t.Fatalf("not notified in time: %+v", b)
		}
		lines, ms := claimAll(t, env)
		if want := []string{"breach.notify nl admin@gent.be", "breach.notify nl dpo@gent.example"}; !reflect.DeepEqual(lines, want) {
			t.Fatalf("mails %v, want %v", lines, want)
		}
		env.Clock.Advance(time.Hour)
		r := b.Report
		r.Measures = "Ontvanger gevraagd de bijlage te wissen"
		if _, err := env.DB.UpdateBreach(ctx, dsrAdmin, gent.ID, b.ID, r, breachMail); err != nil {
			t.Fatal(err)
		}
		_, ms2 := claimAll(t, env)
		got, err := env.DB.BreachByID(ctx, dsrAdmin, gent.ID, b.ID, "page")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Versions) != 2 || got.Version != 2 || got.Report.Measures != r.Measures {
			t.Fatalf("versions %+v", got.Versions)
		}
		for i, v := range got.Versions {
			m := [][]store.QueuedMail{ms, ms2}[i][0]
			sum := sha256.Sum256([]byte(m.Subject + "\n\n" + m.Body))
			if v.MailSHA256 != hex.EncodeToString(sum[:]) || v.NotifiedAt == nil ||
				!reflect.DeepEqual(v.NotifiedTo, []string{"dpo@gent.example", "admin@gent.be"}) {
				t.Fatalf("version %d proof %+v", v.Version, v)
			}
			plain, _ := json.Marshal(v.Report)
			if sum := sha256.Sum256(plain); v.ContentSHA256 != hex.EncodeToString(sum[:]) {
				t.Fatalf("version %d content sha256 %s", v.Version, v.ContentSHA256)
			}
		}
		if got.Versions[0].AuthorKind != "operator" || got.Versions[1].Author != dsrAdmin.ID || *got.NotifiedAt != *got.Versions[0].NotifiedAt {
			t.Fatalf("authors %+v", got.Versions)
		}
		if n := auditCount(t, env, gent.ID, "breach.notify", ""); n != 2 {
			t.Fatalf("%d notifications recorded", n)
		}
		// Supplier staff do not reach a breach the controller recorded.
		own, err := env.DB.OpenBreach(ctx, dsrAdmin, gent.ID, breach.Report{Description: "Eigen lek", DiscoveredAt: disc}, breachMail)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.BreachByID(ctx, operator, gent.ID, own.ID, "page"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("an operator read the controller's own breach: %v", err)
		}
		if _, err := env.DB.UpdateBreach(ctx, operator, gent.ID, own.ID, own.Report, nil); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("an operator updated the controller's own breach: %v", err)
		}
		// Another tenant sees none of it.
		brugge := newTenant(t, env, "brugge")
		if _, err := env.DB.BreachByID(ctx, dsrAdmin, brugge.ID, b.ID, "page"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("across tenants: %v", err)
		}
	})
}

// fullReport is an annex-2 form with every field filled in.
func fullReport(disc time.Time) breach.Report {
	return breach.Report{ContactName: "Ilse Intern-MARKER", ContactEmail: "ilse@leverancier.example", ContactPhone: "+32 9 123 45 67",
		CompanyName: "Leverancier NV", CompanyAddress: "Kerkstraat 1, 9000 Gent", CompanyVAT: "BE0123.456.789",
		DiscovererName: "Dirk Ontdekker-MARKER", DiscovererTitle: "Systeembeheerder", DiscoveredAt: disc,
		Description: "Back-up met formulierantwoorden-MARKER onbeveiligd bereikbaar", Occurred: breach.OccurredBetween,
		OccurredFrom: disc.Add(-48 * time.Hour), OccurredUntil: disc.Add(-time.Hour), Classes: []string{"G", "B", "Q"}, ClassOther: "Kenteken",
		People: breach.PeopleRange, PeopleMin: ints(10), PeopleMax: ints(40), Group: "Aanvragers van een parkeerkaart",
		Circumstances: []string{"A", "B"}, Encrypted: breach.EncryptedPartly, EncryptedHow: "Bijlagen versleuteld, metadata niet",
		Measures: "Toegang afgesloten, sleutels vernieuwd"}
}

// TestClauseBRE5_AnnexFieldsSealedAndVersioned: every annex-2 field is
// kept and read back as entered (letters sorted), nothing of it in plain
// text at rest, and each version is kept.
func TestClauseBRE5_AnnexFieldsSealedAndVersioned(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		in := fullReport(env.Clock.Now().Add(-3 * time.Hour))
		b, err := env.DB.OpenBreach(ctx, dsrAdmin, gent.ID, in, breachMail)
		if err != nil {
			t.Fatal(err)
		}
		got, err := env.DB.BreachByID(ctx, dsrAdmin, gent.ID, b.ID, "page")
		if err != nil {
			t.Fatal(err)
		}
		want := in
		want.Normalize()
		if !reflect.DeepEqual(got.Report, want) || strings.Join(got.Report.Classes, "") != "BGQ" {
			t.Fatalf("read back\n%+v\nwant\n%+v", got.Report, want)
		}
		list, err := env.DB.Breaches(ctx, dsrAdmin, gent.ID)
		if err != nil || len(list) != 1 || list[0].Report.Description != in.Description {
			t.Fatalf("list %+v %v", list, err)
		}
		if found := storetest.FindPlaintext(t, env, gent.LegalName, "Ilse Intern-MARKER", "Dirk Ontdekker-MARKER",
			"formulierantwoorden-MARKER"); len(found) > 0 {
			t.Fatalf("plaintext at rest: %v", found)
		}
	})
}

// TestClauseBRE5_BadInputRefusedFieldByField: an end before its start, a
// count "at least 10, at most 3", an unknown class letter, a missing
// description: each is refused on its own field, and nothing is saved or
// mailed.
func TestClauseBRE5_BadInputRefusedFieldByField(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		claimAll(t, env)
		disc := env.Clock.Now().Add(-time.Hour)
		bad := fullReport(disc)
		bad.OccurredUntil = bad.OccurredFrom.Add(-time.Minute)
		bad.PeopleMin, bad.PeopleMax = ints(10), ints(3)
		bad.Classes = []string{"B", "R"}
		bad.Description = "  "
		_, err := env.DB.OpenBreach(ctx, operator, gent.ID, bad, breachMail)
		var ve *store.BreachValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("refused with %v", err)
		}
		want := map[string]string{"occurred_until": "breach.error.end_before_start", "people_max": "breach.error.max_below_min",
			"classes": "breach.error.class_unknown", "description": "breach.error.description_required"}
		if !reflect.DeepEqual(ve.Fields, want) {
			t.Fatalf("fields %v, want %v", ve.Fields, want)
		}
		if _, err := env.DB.OpenBreach(ctx, operator, gent.ID, breach.Report{Description: "x"}, nil); !errors.As(err, &ve) ||
			ve.Fields["discovered_at"] != "breach.error.discovered_required" {
			t.Fatalf("without a discovery time: %v", err)
		}
		if n := auditCount(t, env, gent.ID, "breach.open", ""); n != 0 {
			t.Fatalf("%d breaches recorded", n)
		}
		if list, _ := env.DB.Breaches(ctx, dsrAdmin, gent.ID); len(list) != 0 {
			t.Fatalf("saved: %+v", list)
		}
		claimNone(t, env)
		// An update that is refused leaves the breach as it was.
		b, err := env.DB.OpenBreach(ctx, operator, gent.ID, breach.Report{Description: "Lek", DiscoveredAt: disc}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.UpdateBreach(ctx, operator, gent.ID, b.ID, bad, breachMail); !errors.As(err, &ve) {
			t.Fatalf("update: %v", err)
		}
		if got, _ := env.DB.BreachByID(ctx, dsrAdmin, gent.ID, b.ID, "page"); got.Version != 1 || len(got.Versions) != 1 {
			t.Fatalf("after a refused update: %+v", got)
		}
	})
}

// TestClauseBRE3_OnlyControllerRecordsNotices: Kluis never notifies the
// GBA or the people affected; the controller's own users record when they
// did (the 72-hour clock stops), supplier staff may not, and a moment
// before the discovery or in the future is refused.
func TestClauseBRE3_OnlyControllerRecordsNotices(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		claimAll(t, env)
		disc := env.Clock.Now().Add(-5 * time.Hour)
		b, err := env.DB.OpenBreach(ctx, operator, gent.ID, breach.Report{Description: "Lek", DiscoveredAt: disc}, breachMail)
		if err != nil {
			t.Fatal(err)
		}
		if c := b.AuthorityClock(env.Clock.Now()); c.Done || c.Left != 67*time.Hour {
			t.Fatalf("GBA clock %+v", c)
		}
		if err := env.DB.RecordBreachNotice(ctx, operator, gent.ID, b.ID, store.NoticeGBA, env.Clock.Now()); !errors.Is(err, store.ErrControllerOnly) {
			t.Fatalf("an operator recorded the GBA notice: %v", err)
		}
		var ve *store.BreachValidationError
		if err := env.DB.RecordBreachNotice(ctx, dsrAdmin, gent.ID, b.ID, store.NoticeGBA, disc.Add(-time.Minute)); !errors.As(err, &ve) ||
			ve.Fields["gba_at"] != "breach.error.before_discovery" {
			t.Fatalf("before discovery: %v", err)
		}
		if err := env.DB.RecordBreachNotice(ctx, dsrAdmin, gent.ID, b.ID, store.NoticeSubjects, env.Clock.Now().Add(time.Hour)); !errors.As(err, &ve) {
			t.Fatalf("in the future: %v", err)
		}
		at := env.Clock.Now().Add(-time.Hour)
		if err := env.DB.RecordBreachNotice(ctx, dsrAdmin, gent.ID, b.ID, store.NoticeGBA, at); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.RecordBreachNotice(ctx, dsrDPO, gent.ID, b.ID, store.NoticeSubjects, at); err != nil {
			t.Fatal(err)
		}
		got, err := env.DB.BreachByID(ctx, dsrAdmin, gent.ID, b.ID, "page")
		if err != nil {
			t.Fatal(err)
		}
		if got.GBANotifiedAt == nil || !got.GBANotifiedAt.Equal(at) || got.SubjectsInformedAt == nil || !got.AuthorityClock(env.Clock.Now()).Done {
			t.Fatalf("notices %+v", got)
		}
		// The only mails Kluis sent are to the controller.
		lines, _ := claimAll(t, env)
		for _, l := range lines {
			if !strings.HasPrefix(l, "breach.notify ") {
				t.Fatalf("mail %q", l)
			}
		}
		if auditCount(t, env, gent.ID, "breach.gba", "") != 1 || auditCount(t, env, gent.ID, "breach.subjects", "") != 1 {
			t.Fatal("notices not audited")
		}
	})
}
