package store_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// publishDemo saves the demo register and publishes a demo form (approving
// its notice), returning the published version.
func publishDemo(t testing.TB, env *storetest.Env, tenantID string, f form.Form) store.FormVersion {
	t.Helper()
	admin := clerk("admin")
	if _, err := env.DB.CurrentRegister(ctx, tenantID); errors.Is(err, store.ErrNotFound) {
		if _, err := env.DB.SaveRegister(ctx, admin, tenantID, register.Demo()); err != nil {
			t.Fatal(err)
		}
	}
	d, err := env.DB.SaveFormDraft(ctx, admin, tenantID, f)
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := env.DB.CurrentRegister(ctx, tenantID)
	if err := env.DB.ApproveNotice(ctx, admin, tenantID, f.Key, d.Version, store.NoticeDigest(form.NoticeFor(f, reg.Register).JSON())); err != nil {
		t.Fatal(err)
	}
	fv, err := env.DB.PublishForm(ctx, admin, tenantID, f.Key, d.Version)
	if err != nil {
		t.Fatal(err)
	}
	return fv
}

// TestClauseREG4_FormPublishedOnlyWithRegisterAndApprovedNotice: a form
// whose field names nothing the register allows cannot be published
// (REG-1, REG-4); one whose art. 13 notice was not approved — or was
// approved before the register changed — cannot either (DSR-3); published
// versions are frozen and an edit makes a new draft.
func TestClauseREG4_FormPublishedOnlyWithRegisterAndApprovedNotice(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		admin := clerk("admin")
		if _, err := env.DB.SaveRegister(ctx, admin, tn.ID, register.Demo()); err != nil {
			t.Fatal(err)
		}
		f := form.DemoForms()[1]
		f.Pages[0].Fields[1].Category = "" // the name field names no category
		d, err := env.DB.SaveFormDraft(ctx, admin, tn.ID, f)
		if err != nil || d.Version != 1 || d.Status != store.FormDraft {
			t.Fatalf("draft: %+v %v", d, err)
		}
		var inv *store.FormInvalidError
		if _, err := env.DB.PublishForm(ctx, admin, tn.ID, f.Key, 1); !errors.As(err, &inv) || inv.Problems[0].Path != "pages[0].fields[1].category" {
			t.Fatalf("publish with an unregistered field: %v", err)
		}
		f = form.DemoForms()[1]
		if _, err := env.DB.SaveFormDraft(ctx, admin, tn.ID, f); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.PublishForm(ctx, admin, tn.ID, f.Key, 1); !errors.Is(err, store.ErrNoticeNotApproved) {
			t.Fatalf("publish without approved notice: %v", err)
		}
		reg, _ := env.DB.CurrentRegister(ctx, tn.ID)
		shown := store.NoticeDigest(form.NoticeFor(f, reg.Register).JSON())
		// The register changes between showing and approving: refused.
		r2 := register.Demo()
		r2.Categories[7].RetentionDays = 365
		if _, err := env.DB.SaveRegister(ctx, admin, tn.ID, r2); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ApproveNotice(ctx, admin, tn.ID, f.Key, 1, shown); !errors.Is(err, store.ErrNoticeNotApproved) {
			t.Fatalf("stale approval: %v", err)
		}
		if err := env.DB.ApproveNotice(ctx, admin, tn.ID, f.Key, 1, store.NoticeDigest(form.NoticeFor(f, r2).JSON())); err != nil {
			t.Fatal(err)
		}
		// ...and after approval the register changes again: publish refused.
		if _, err := env.DB.SaveRegister(ctx, admin, tn.ID, register.Demo()); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.PublishForm(ctx, admin, tn.ID, f.Key, 1); !errors.Is(err, store.ErrNoticeNotApproved) {
			t.Fatalf("publish after a register change: %v", err)
		}
		reg, _ = env.DB.CurrentRegister(ctx, tn.ID)
		if err := env.DB.ApproveNotice(ctx, admin, tn.ID, f.Key, 1, store.NoticeDigest(form.NoticeFor(f, reg.Register).JSON())); err != nil {
			t.Fatal(err)
		}
		pub, err := env.DB.PublishForm(ctx, admin, tn.ID, f.Key, 1)
		if err != nil || pub.Status != store.FormPublished || pub.RegisterVersion != reg.Version || pub.Notice == nil {
			t.Fatalf("publish: %+v %v", pub, err)
		}
		// Editing makes a new draft; the published version stays as it was.
		f.Title = register.Text{"nl": "Nieuwe titel"}
		d2, err := env.DB.SaveFormDraft(ctx, admin, tn.ID, f)
		if err != nil || d2.Version != 2 {
			t.Fatalf("new draft: %+v %v", d2, err)
		}
		live, err := env.DB.FormByStatus(ctx, tn.ID, f.Key, store.FormPublished)
		if err != nil || live.Version != 1 || live.Form.Title["nl"] == "Nieuwe titel" {
			t.Fatalf("published version changed: %+v %v", live, err)
		}
		if _, err := env.DB.FormByStatus(ctx, newTenant(t, env, "brugge").ID, f.Key, store.FormPublished); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant's form: %v", err)
		}
		if err := env.DB.RetireForm(ctx, admin, tn.ID, f.Key); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.FormByStatus(ctx, tn.ID, f.Key, store.FormPublished); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("retired form still published: %v", err)
		}
		if vs, _ := env.DB.FormVersions(ctx, tn.ID, f.Key); len(vs) != 2 || vs[1].Status != store.FormRetired {
			t.Fatalf("versions: %+v", vs)
		}
	})
}

// TestClauseSEC2_SubmissionSealedIdempotentWithReceipt: a submission and
// its attachment are sealed (no marker in plaintext anywhere at rest), the
// same page posted twice stores one submission, a changed form refuses the
// old page, and the receipt opens only with its capability and only for
// an hour, audited as the citizen's read.
func TestClauseSEC2_SubmissionSealedIdempotentWithReceipt(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		f := form.DemoForms()[1]
		pub := publishDemo(t, env, tn.ID, f)
		citizen := audit.Actor{Kind: audit.KindCitizen, ID: "anonymous", RequestID: "r1"}
		answers, _ := json.Marshal(form.Answers{"insz": {Value: "85071512397"}, "name": {Value: "MARKER-NAME-4c1"}, "iban": {Value: "BE68539007547034"}})
		in := store.NewFormSubmission{FormKey: f.Key, FormVersion: pub.Version, RegisterVersion: pub.RegisterVersion, Answers: answers,
			Subject: "85071512397", Idempotency: "page-token-1", Receipt: "receipt-capability-1",
			Attachments: []store.NewAttachment{{FieldKey: "certificate", Name: "MARKER-FILE-4c1.pdf", ContentType: "application/pdf",
				Data: []byte("%PDF-1.4 MARKER-CONTENT-4c1"), Scanner: "clamd test", ScannedAt: env.Clock.Now()}}}
		ref, created, err := env.DB.SubmitForm(ctx, citizen, tn.ID, in)
		if err != nil || !created || len(ref) != 11 {
			t.Fatalf("submit: %q %v %v", ref, created, err)
		}
		ref2, created, err := env.DB.SubmitForm(ctx, citizen, tn.ID, in)
		if err != nil || created || ref2 != ref {
			t.Fatalf("double submit: %q %v %v", ref2, created, err)
		}
		if found := storetest.FindPlaintext(t, env, "Gemeente gent", "MARKER-NAME-4c1", "MARKER-FILE-4c1", "MARKER-CONTENT-4c1",
			"85071512397", "BE68539007547034"); len(found) > 0 {
			t.Fatalf("plaintext at rest: %v", found)
		}
		rc, err := env.DB.OpenReceipt(ctx, citizen, tn.ID, ref, "receipt-capability-1")
		if err != nil || rc.Reference != ref || len(rc.Attachments) != 1 || rc.Attachments[0].Name != "MARKER-FILE-4c1.pdf" {
			t.Fatalf("receipt: %+v %v", rc, err)
		}
		var back form.Answers
		if json.Unmarshal(rc.Answers, &back) != nil || back["name"].Value != "MARKER-NAME-4c1" {
			t.Fatalf("receipt answers: %s", rc.Answers)
		}
		if _, err := env.DB.OpenReceipt(ctx, citizen, tn.ID, ref, "wrong"); !errors.Is(err, store.ErrReceiptGone) {
			t.Fatalf("wrong capability: %v", err)
		}
		if _, err := env.DB.OpenReceipt(ctx, citizen, newTenant(t, env, "brugge").ID, ref, "receipt-capability-1"); !errors.Is(err, store.ErrReceiptGone) {
			t.Fatalf("another tenant: %v", err)
		}
		env.Clock.Advance(store.ReceiptTTL + time.Second)
		if _, err := env.DB.OpenReceipt(ctx, citizen, tn.ID, ref, "receipt-capability-1"); !errors.Is(err, store.ErrReceiptGone) {
			t.Fatalf("expired receipt: %v", err)
		}
		// The form changes while a citizen is filling in the old page.
		f.Title = register.Text{"nl": "Versie 2"}
		publishDemo(t, env, tn.ID, f)
		in.Idempotency, in.Receipt = "page-token-2", "receipt-2"
		if _, _, err := env.DB.SubmitForm(ctx, citizen, tn.ID, in); !errors.Is(err, store.ErrFormChanged) {
			t.Fatalf("submit on an old version: %v", err)
		}
		var creates, reads int
		env.DB.EachAuditEvent(ctx, tn.ID, func(e *audit.Event) error {
			switch {
			case e.Action == "submission.create" && e.Actor.Kind == audit.KindCitizen && e.Subject != "":
				creates++
			case e.Action == "submission.read" && e.Purpose == "receipt":
				reads++
			}
			return nil
		})
		if creates != 1 || reads != 1 {
			t.Fatalf("audit: %d creates, %d receipt reads", creates, reads)
		}
	})
}

// TestClauseREG4_PrefillOutsideRegisterIsRefused: publishing refuses a
// form that prefills a field from the national register with data its
// register category does not cover (a national register number into
// contact details), naming the field; the same form with the category
// that covers it is published.
func TestClauseREG4_PrefillOutsideRegisterIsRefused(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		admin := clerk("admin")
		if _, err := env.DB.SaveRegister(ctx, admin, tn.ID, register.Demo()); err != nil {
			t.Fatal(err)
		}
		f := form.DemoForm("toelage")
		f.Pages[0].Fields[0].Prefill = &form.Prefill{Source: form.PrefillSource, Data: form.PrefillINSZ, ReadOnly: true}
		f.Pages[0].Fields[0].Category = "contact" // class 3.00: no national register numbers
		if _, err := env.DB.SaveFormDraft(ctx, admin, tn.ID, f); err != nil {
			t.Fatal(err)
		}
		reg, _ := env.DB.CurrentRegister(ctx, tn.ID)
		if err := env.DB.ApproveNotice(ctx, admin, tn.ID, f.Key, 1, store.NoticeDigest(form.NoticeFor(f, reg.Register).JSON())); err != nil {
			t.Fatal(err)
		}
		var inv *store.FormInvalidError
		_, err := env.DB.PublishForm(ctx, admin, tn.ID, f.Key, 1)
		if !errors.As(err, &inv) || !slices.ContainsFunc(inv.Problems, func(p form.Problem) bool {
			return p.Path == "pages[0].fields[0].prefill.data" && p.Key == "prefill_category_insz" && p.Args[0] == "insz"
		}) {
			t.Fatalf("publish with a national register number prefilled into contact details: %v", err)
		}
		if _, err := env.DB.FormByStatus(ctx, tn.ID, f.Key, store.FormPublished); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("refused form published: %v", err)
		}
		f.Pages[0].Fields[0].Category = "national-number"
		if _, err := env.DB.SaveFormDraft(ctx, admin, tn.ID, f); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ApproveNotice(ctx, admin, tn.ID, f.Key, 1, store.NoticeDigest(form.NoticeFor(f, reg.Register).JSON())); err != nil {
			t.Fatal(err)
		}
		pub, err := env.DB.PublishForm(ctx, admin, tn.ID, f.Key, 1)
		if err != nil || pub.Form.Pages[0].Fields[0].Prefill == nil {
			t.Fatalf("publish within the register: %+v %v", pub, err)
		}
	})
}
