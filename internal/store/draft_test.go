package store_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseSEC2_DraftFilesSealedAndExpiring: a draft's attachment is
// stored sealed (neither its name nor its content in plaintext), comes
// back for its token and form only, replaces the field's earlier one, is
// gone after DraftTTL, and the sweep deletes it with an audit event in the
// tenant's log; every read and write is audited (AUD-1, SEC-1).
func TestClauseSEC2_DraftFilesSealedAndExpiring(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		citizen := audit.Actor{Kind: audit.KindCitizen, ID: "anonymous", RequestID: "r"}
		file := func(field, name, data string) store.NewAttachment {
			return store.NewAttachment{FieldKey: field, Name: name, ContentType: "application/pdf", Data: []byte(data),
				Scanner: "clamd", ScannedAt: env.Clock.Now()}
		}
		tok := "draft-token-0123456789-0123456789-012345678"
		if err := env.DB.SaveDraftFile(ctx, citizen, tn.ID, tok, "parkeerkaart", file("proof", "MARKER-NAME.pdf", "MARKER-DATA one")); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.SaveDraftFile(ctx, citizen, tn.ID, tok, "parkeerkaart", file("proof", "MARKER-NAME2.pdf", "MARKER-DATA two")); err != nil {
			t.Fatal(err)
		}
		raw := env.Raw(t)
		var name, data []byte
		var n int
		if err := raw.QueryRow(`SELECT count(*) FROM submission_drafts WHERE tenant_id = $1`, tn.ID).Scan(&n); err != nil || n != 1 {
			t.Fatalf("rows: %d %v (a new file replaces the field's earlier one)", n, err)
		}
		raw.QueryRow(`SELECT name, data FROM submission_drafts`).Scan(&name, &data)
		if bytes.Contains(name, []byte("MARKER")) || bytes.Contains(data, []byte("MARKER")) {
			t.Fatal("plaintext at rest")
		}
		got, err := env.DB.DraftFiles(ctx, citizen, tn.ID, tok, "parkeerkaart", true)
		if err != nil || len(got) != 1 || got[0].Name != "MARKER-NAME2.pdf" || string(got[0].Data) != "MARKER-DATA two" || got[0].Size != 15 {
			t.Fatalf("draft files: %+v %v", got, err)
		}
		if got, _ := env.DB.DraftFiles(ctx, citizen, tn.ID, tok, "parkeerkaart", false); len(got) != 1 || got[0].Data != nil {
			t.Fatalf("without data: %+v", got)
		}
		for name, c := range map[string]struct{ tenant, tok, form string }{
			"another token":  {tn.ID, tok + "x", "parkeerkaart"},
			"another form":   {tn.ID, tok, "vraag"},
			"another tenant": {newTenant(t, env, "brugge").ID, tok, "parkeerkaart"},
		} {
			if _, err := env.DB.DraftFiles(ctx, citizen, c.tenant, c.tok, c.form, true); !errors.Is(err, store.ErrDraftGone) {
				t.Fatalf("%s: %v, want ErrDraftGone", name, err)
			}
		}
		env.Clock.Advance(store.DraftTTL + 1)
		if _, err := env.DB.DraftFiles(ctx, citizen, tn.ID, tok, "parkeerkaart", true); !errors.Is(err, store.ErrDraftGone) {
			t.Fatalf("expired: %v", err)
		}
		swept, err := env.DB.SweepDrafts(ctx, audit.System("submission.draft.sweep"))
		if err != nil || swept != 1 {
			t.Fatalf("sweep: %d %v", swept, err)
		}
		if swept, _ := env.DB.SweepDrafts(ctx, audit.System("submission.draft.sweep")); swept != 0 {
			t.Fatalf("second sweep: %d", swept)
		}
		raw.QueryRow(`SELECT count(*) FROM submission_drafts`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d rows after the sweep", n)
		}
		actions := map[string]int{}
		env.DB.EachAuditEvent(ctx, tn.ID, func(e *audit.Event) error { actions[e.Action]++; return nil })
		if actions["submission.draft.save"] != 2 || actions["submission.draft.read"] != 2 || actions["submission.draft.sweep"] != 1 {
			t.Fatalf("audit: %v", actions)
		}

		// Deleting after the form was sent.
		env.DB.SaveDraftFile(ctx, citizen, tn.ID, tok, "parkeerkaart", file("proof", "a.pdf", "x"))
		if err := env.DB.DeleteDraft(ctx, citizen, tn.ID, tok, "parkeerkaart"); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.DraftFiles(ctx, citizen, tn.ID, tok, "parkeerkaart", false); !errors.Is(err, store.ErrDraftGone) {
			t.Fatalf("after delete: %v", err)
		}
	})
}
