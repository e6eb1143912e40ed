package tenantexport_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/password"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/tenantexport"
)

var (
	ctx      = context.Background()
	operator = audit.Actor{Kind: audit.KindOperator, ID: "op-test", Role: "operator", RequestID: "req-export"}
	admin    = audit.Actor{Kind: audit.KindUser, ID: "admin", Role: "admin", RequestID: "req-admin"}
)

// Markers that must come out of the export in plaintext (they are sealed
// in the database) and come back sealed after an import.
const (
	markerName   = "MARKER-NAAM-e3x9"
	markerNote   = "MARKER-NOTA-e3x9"
	markerFile   = "%PDF-1.4 MARKER-BIJLAGE-e3x9"
	markerDPO    = "MARKER-DPO-e3x9"
	markerHold   = "MARKER-HOLD-e3x9"
	markerBreach = "MARKER-LEK-e3x9"
)

// attachmentPad makes each seeded file this many bytes longer (the
// benchmark's files are of a realistic size).
var attachmentPad = 0

// seed gives tn demo-like content: the demo register and forms, two
// staff members with a grant, n submissions (every other one with a file),
// notes and status changes, a legal hold, a breach, a retention run and a
// signed checkpoint.
func seed(t testing.TB, env *storetest.Env, slug string, n int) tenant.Tenant {
	t.Helper()
	db := env.DB
	tn, err := db.CreateTenant(ctx, operator, tenant.New{Slug: slug, LegalName: "Gemeente " + slug,
		EnterpriseNumber: "0207.451.227", DPOName: markerDPO, DPOEmail: "dpo@" + slug + ".example", DefaultLang: "nl"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveRegister(ctx, admin, tn.ID, register.Demo()); err != nil {
		t.Fatal(err)
	}
	// Per-person keys (DSR-1): the citizens' values are sealed with keys
	// of their own, which the export must open too.
	if err := db.SetPersonKeys(ctx, admin, tn.ID, true); err != nil {
		t.Fatal(err)
	}
	forms := map[string]store.FormVersion{}
	for _, f := range form.DemoForms() {
		d, err := db.SaveFormDraft(ctx, admin, tn.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		reg, _ := db.CurrentRegister(ctx, tn.ID)
		if err := db.ApproveNotice(ctx, admin, tn.ID, f.Key, d.Version, store.NoticeDigest(form.NoticeFor(f, reg.Register).JSON())); err != nil {
			t.Fatal(err)
		}
		if forms[f.Key], err = db.PublishForm(ctx, admin, tn.ID, f.Key, d.Version); err != nil {
			t.Fatal(err)
		}
	}
	h := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 4)
	var users []account.User
	for _, email := range []string{"clerk@" + slug + ".be", "chef@" + slug + ".be"} {
		_, tok, err := db.InviteUser(ctx, operator, tn.ID, account.Invite{Email: email, Name: "Naam " + email, Role: account.RoleUser})
		if err != nil {
			t.Fatal(err)
		}
		hash, _ := h.Hash(ctx, "paardenbloem kastanjeboom vijver")
		u, err := db.ActivateUser(ctx, tn.ID, tok.Plain, hash, "req-activate")
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	if err := db.SetFormAccess(ctx, admin, tn.ID, users[0].ID, []string{"toelage", "vraag"}); err != nil {
		t.Fatal(err)
	}
	clerk := audit.Actor{Kind: audit.KindUser, ID: users[0].ID, Role: "user", RequestID: "req-clerk"}
	var first string
	raw := env.Raw(t)
	for i := range n {
		key := "toelage"
		if i%2 == 1 {
			key = "vraag"
		}
		pub := forms[key]
		// As the e-loket does: the subject is the form's national number,
		// else its e-mail address (form.SubjectOf), so that an import can
		// derive it again from the answers.
		given := form.Answers{"name": {Value: fmt.Sprintf("%s %d", markerName, i)}, "email": {Value: fmt.Sprintf("Burger%d@example.be", i)}}
		if key == "toelage" {
			given["insz"] = form.Answer{Value: fmt.Sprintf("850731003%02d", i%100)}
		}
		answers, _ := json.Marshal(given)
		in := store.NewFormSubmission{FormKey: key, FormVersion: pub.Version, RegisterVersion: pub.RegisterVersion,
			Answers: answers, Subject: form.SubjectOf(pub.Form, given), Idempotency: fmt.Sprintf("tok-%s-%d", slug, i),
			Receipt: fmt.Sprintf("rc-%d", i), Contact: fmt.Sprintf("burger%d@example.be", i), Lang: "nl"}
		if key == "toelage" {
			in.Attachments = []store.NewAttachment{{FieldKey: "certificate", Name: fmt.Sprintf("attest-%d.pdf", i),
				ContentType: "application/pdf", Data: append([]byte(fmt.Sprintf("%s %d", markerFile, i)), make([]byte, attachmentPad)...), Scanner: "clamd test", ScannedAt: env.Clock.Now()}}
		}
		ref, _, err := db.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, tn.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		var id string
		if err := raw.QueryRow(`SELECT id FROM submissions WHERE tenant_id = $1 AND reference = $2`, tn.ID, ref).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if first == "" {
			first = id
		}
		env.Clock.Advance(time.Minute)
		if i%3 == 0 {
			for _, ch := range []store.SubmissionChange{{Note: fmt.Sprintf("%s %d", markerNote, i)},
				{Status: store.StatusInProgress, Reason: "behandeling gestart"}, {Assignee: users[0].ID}} {
				if err := db.ChangeSubmission(ctx, clerk, tn.ID, store.UserViewer(users[0].ID), id, ch); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if _, err := db.SetLegalHold(ctx, admin, tn.ID, store.NewLegalHold{SubmissionID: first, Reason: markerHold,
		Until: env.Clock.Now().Add(30 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OpenBreach(ctx, admin, tn.ID, breach.Report{Description: markerBreach, DiscoveredAt: env.Clock.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RunRetention(ctx, admin, tn.ID, store.RetentionOptions{}); err != nil {
		t.Fatal(err)
	}
	// A site page with two versions, the first published.
	page, _, err := db.SaveSitePage(ctx, admin, tn.ID, "", store.SiteDraft{Slug: "contact", Position: 1,
		Text: map[string]store.SiteText{"nl": {Title: "Contact", Body: "## Loket\n\nOpen van 9 tot 12."}}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PublishSitePage(ctx, admin, tn.ID, page, 1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SaveSitePage(ctx, admin, tn.ID, page, store.SiteDraft{Slug: "contact", Position: 1,
		Text: map[string]store.SiteText{"nl": {Title: "Contact", Body: "## Loket\n\nOok op zaterdag."}}}, 1); err != nil {
		t.Fatal(err)
	}
	// A site image: bytes that are not text go through the export too.
	if _, err := db.SaveSiteImage(ctx, admin, tn.ID, []byte("\x89PNG\r\n\x1a\n\x00\xff\xfe"), map[string]string{"nl": "Het loket"}); err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := auditproof.NewSigner("test.example/audit", priv)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SignCheckpoint(ctx, tn.ID, signer, nil); err != nil {
		t.Fatal(err)
	}
	return tn
}

// reindexed are the keyed indexes an import recomputes (END-3).
var reindexed = map[string][]string{
	"submissions":      {"subject_index", "contact_index"},
	"mail_outbox":      {"recipient_index"},
	"subject_requests": {"subject_index", "email_index"},
	"access_reports":   {"person_index"},
	"oidc_identities":  {"subject_index"},
}

// withoutIndexes returns the lines of both exports without cols, after
// checking that every non-empty index changed.
func withoutIndexes(t *testing.T, entity string, cols []string, a, b []string) ([]string, []string) {
	t.Helper()
	strip := func(lines []string) ([]string, []map[string]any) {
		var out []string
		var vals []map[string]any
		for _, l := range lines {
			if l == "" {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatal(err)
			}
			v := map[string]any{}
			for _, c := range cols {
				v[c] = m[c]
				delete(m, c)
			}
			s, _ := json.Marshal(m)
			out, vals = append(out, string(s)), append(vals, v)
		}
		return out, vals
	}
	sa, va := strip(a)
	sb, vb := strip(b)
	for i := range min(len(va), len(vb)) {
		for _, c := range cols {
			if va[i][c] != nil && va[i][c] == vb[i][c] {
				t.Errorf("%s.%s was not recomputed under the new key: %v", entity, c, va[i][c])
			}
		}
	}
	return sa, sb
}

func subRows(t *testing.T, env *storetest.Env, tenantID, id, name, agreement, status string) {
	t.Helper()
	raw := env.Raw(t)
	now := env.Clock.Now().UnixMicro()
	if _, err := raw.Exec(`INSERT INTO subprocessors (id, name, head_office, location, eea, transfer_mechanism, measures, agreement_ref,
		agreement_date, services, hosts, created_at, updated_at) VALUES ($1, $2, 'Gent', 'Brussel', 1, '', 'ISO 27001', $3, '2025-01-01', 'mail', '', $4, $4)`,
		id, name, agreement, now); err != nil {
		t.Fatal(err)
	}
	if tenantID == "" {
		return
	}
	if _, err := raw.Exec(`INSERT INTO subprocessor_tenants (tenant_id, subprocessor_id, kind, effective_at, announced_at, status, decided_at, decided_by)
		VALUES ($1, $2, 'agreed', $3, $3, $4, $3, 'admin')`, tenantID, id, now, status); err != nil {
		t.Fatal(err)
	}
}

func readJSONL(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// TestClauseEND3_RoundTripReproducesTheTenant: a seeded tenant exported,
// imported into an empty instance (its own database and keyring) and
// exported again gives identical entity files, but for what the README
// says must differ: the audit log grows by the import's and the second
// export's events, and identities at sign-in providers are not imported.
// The personal data is plaintext in the export and sealed again (not
// readable in the second database's raw bytes) after the import.
func TestClauseEND3_RoundTripReproducesTheTenant(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := seed(t, env, "gent", 12)
		seed(t, env, "brugge", 2) // another tenant, which must stay out
		// The organisation's decisions on two sub-processors of the old
		// platform; the new one lists only the first (same name and
		// agreement reference, another id).
		subRows(t, env, tn.ID, "sp-old-mail", "Mailbox NV", "VWO-2025-01", "accepted")
		subRows(t, env, tn.ID, "sp-old-host", "Oud Hosting BV", "VWO-2019-07", "objected")
		var personSealed int
		if err := env.Raw(t).QueryRow(`SELECT count(*) FROM submissions WHERE tenant_id = $1 AND person_key_id IS NOT NULL`, tn.ID).Scan(&personSealed); err != nil || personSealed == 0 {
			t.Fatalf("no submission sealed with a person key (%v): the test would not cover them", err)
		}
		out1 := filepath.Join(t.TempDir(), "export1")
		m1, err := tenantexport.Export(ctx, env.DB, tn.ID, out1, tenantexport.Options{Actor: operator, Batch: 5})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(env.Events(t, tn.ID, "tenant.export")); n != 1 {
			t.Fatalf("%d tenant.export events, want 1 (reads go with their audit record)", n)
		}
		rows := map[string]int64{}
		for _, f := range m1.Files {
			if strings.HasPrefix(f.Path, "entities/") {
				rows[f.Entity] = f.Rows
			}
		}
		for entity, min := range map[string]int64{"tenant": 1, "users": 2, "submissions": 12, "attachments": 6, "forms": 2,
			"submission_events": 4, "legal_holds": 1, "breaches": 1, "breach_versions": 1, "retention_runs": 1,
			"audit_events": 20, "audit_checkpoints": 1, "registers": 1, "site_pages": 1, "site_page_versions": 2, "site_images": 1} {
			if rows[entity] < min {
				t.Errorf("%s: %d rows, want at least %d", entity, rows[entity], min)
			}
		}
		all := ""
		for _, e := range store.TenantEntities {
			b, err := os.ReadFile(filepath.Join(out1, "entities", e.Name+".jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			all += string(b)
		}
		for _, marker := range []string{markerName, markerNote, markerDPO, markerHold, markerBreach, "burger3@example.be"} {
			if !strings.Contains(all, marker) {
				t.Errorf("the export lacks %q in plaintext", marker)
			}
		}
		if strings.Contains(all, "brugge") || strings.Contains(all, "$argon2") {
			t.Error("the export holds another tenant's data or a password hash")
		}
		files, _ := filepath.Glob(filepath.Join(out1, "files", "*"))
		if len(files) != 6 {
			t.Fatalf("%d files, want 6", len(files))
		}
		if b, _ := os.ReadFile(files[0]); !bytes.HasPrefix(b, []byte(markerFile)) {
			t.Fatalf("a file is not as uploaded: %q", b)
		}

		env2 := env.Another(t)
		subRows(t, env2, "", "sp-new-mail", "Mailbox NV", "VWO-2025-01", "")
		rep, err := tenantexport.ImportTenant(ctx, env2.DB, out1, tenantexport.Options{Actor: operator})
		if err != nil {
			t.Fatal(err)
		}
		id := rep.TenantID
		// The report: every entity with its rows, what was skipped and why.
		byName := map[string]store.ImportedEntity{}
		for _, e := range rep.Entities {
			byName[e.Name] = e
		}
		for _, e := range store.TenantEntities {
			got, ok := byName[e.Name]
			if !ok {
				t.Errorf("the import's report lacks %s", e.Name)
			}
			if e.NoImport != "" && (got.Imported != 0 || got.Reason != e.NoImport) {
				t.Errorf("report of %s (not imported): %+v", e.Name, got)
			}
			if e.NoImport == "" && got.Imported != rows[e.Name]-got.Skipped {
				t.Errorf("report of %s: %+v, the export holds %d rows", e.Name, got, rows[e.Name])
			}
		}
		if sp := byName["subprocessor_tenants"]; sp.Imported != 1 || sp.Skipped != 1 || sp.Reason == "" {
			t.Errorf("subprocessor_tenants: %+v, want 1 carried over and 1 kept as history", sp)
		}
		if len(rep.Subprocessors) != 2 || !rep.Subprocessors[0].Matched && !rep.Subprocessors[1].Matched {
			t.Errorf("sub-processors in the report: %+v", rep.Subprocessors)
		}
		var spStatus string
		if err := env2.Raw(t).QueryRow(`SELECT status FROM subprocessor_tenants WHERE tenant_id = $1 AND subprocessor_id = 'sp-new-mail'`, tn.ID).Scan(&spStatus); err != nil || spStatus != "accepted" {
			t.Errorf("the decision on the same sub-processor was not carried over: %q %v", spStatus, err)
		}
		if id != tn.ID {
			t.Fatalf("imported tenant %s, want %s (ids are kept)", id, tn.ID)
		}
		if found := storetest.FindPlaintext(t, env2, "Gemeente gent", markerName, markerNote, markerDPO, markerHold, markerBreach); len(found) > 0 {
			t.Fatalf("the import stored plaintext: %v", found)
		}
		// The imported log verifies and goes on.
		if _, err := env2.DB.VerifyAudit(ctx, tn.ID); err != nil {
			t.Fatalf("the imported audit chain does not verify: %v", err)
		}
		out2 := filepath.Join(t.TempDir(), "export2")
		if _, err := tenantexport.Export(ctx, env2.DB, tn.ID, out2, tenantexport.Options{Actor: operator, Batch: 7}); err != nil {
			t.Fatal(err)
		}
		for _, e := range store.TenantEntities {
			a := readJSONL(t, filepath.Join(out1, "entities", e.Name+".jsonl"))
			b := readJSONL(t, filepath.Join(out2, "entities", e.Name+".jsonl"))
			if e.NoImport != "" { // not imported (README)
				continue
			}
			// The citizens' keyed indexes are recomputed under the new
			// key: each differs, the rest of the line is the same.
			if cols := reindexed[e.Name]; cols != nil {
				a, b = withoutIndexes(t, e.Name, cols, a, b)
			}
			switch e.Name {
			case "subprocessor_tenants": // only the decision on a sub-processor the new instance lists, under its id
				if len(b) != 1 || !strings.Contains(b[0], `"sp-new-mail"`) {
					t.Errorf("subprocessor_tenants after the round trip: %v", b)
				}
				continue
			case "audit_events", "audit_list_objects": // the log grows: the first export's lines come first
				if e.Name == "audit_events" && len(b) != len(a)+2+rep.Pseudonyms {
					t.Errorf("audit_events: %d lines after the round trip, want %d + the import, %d pseudonym mappings and the export", len(b), len(a), rep.Pseudonyms)
				}
				if e.Name == "audit_events" {
					b = b[:len(a)]
				} else {
					b = slices.DeleteFunc(b, func(s string) bool { return !slices.Contains(a, s) })
				}
			case "audit_heads": // moves with the log
				continue
			}
			if !slices.Equal(a, b) {
				t.Errorf("%s differs after the round trip:\n first: %.300s\nsecond: %.300s", e.Name, strings.Join(a, "\n"), strings.Join(b, "\n"))
			}
		}
		f1, _ := os.ReadFile(files[0])
		f2, _ := os.ReadFile(filepath.Join(out2, "files", filepath.Base(files[0])))
		if !bytes.Equal(f1, f2) {
			t.Error("a file differs after the round trip")
		}
		// An import into an instance that has the tenant is refused.
		if _, err := tenantexport.Import(ctx, env2.DB, out1, tenantexport.Options{Actor: operator}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("a second import: %v, want ErrConflict", err)
		}
	})
}

// TestClauseEND3_EveryTenantTableIsExportedOrExcluded reads the migrated
// schema: every table with a tenant_id column (and the tenants table) is
// exported or excluded with a reason, and no entry names a table that
// does not exist.
func TestClauseEND3_EveryTenantTableIsExportedOrExcluded(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		q := `SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'tenant_id'`
		if env.Dialect == store.Postgres {
			q = `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id'`
		}
		rows, err := env.Raw(t).Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		tables := map[string]bool{"tenants": true}
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			tables[name] = true
		}
		if len(tables) < 50 {
			t.Fatalf("only %d tenant tables found: the scan does not see the schema", len(tables))
		}
		exported := map[string]bool{}
		for _, e := range store.TenantEntities {
			exported[e.TableName()] = true
			// An entity with a selection of its own (the tenant, the
			// sub-processors its decisions name) need not have the column.
			if !tables[e.TableName()] && e.Where == "" {
				t.Errorf("TenantEntities names %s, which has no tenant_id column", e.TableName())
			}
			if e.About == "" || len(e.Key) == 0 {
				t.Errorf("entity %s lacks a description or key", e.Name)
			}
		}
		for table, why := range store.TenantExportExcluded {
			if !tables[table] {
				t.Errorf("TenantExportExcluded names %s, which has no tenant_id column", table)
			}
			if why == "" || exported[table] {
				t.Errorf("%s: excluded without a reason, or both exported and excluded", table)
			}
		}
		for table := range tables {
			if !exported[table] && store.TenantExportExcluded[table] == "" {
				t.Errorf("table %s holds tenant data but is neither in store.TenantEntities nor in store.TenantExportExcluded (with why)", table)
			}
		}
	})
}

// TestClauseEND3_SecretsAreNeverExported: no password hash, TOTP secret,
// recovery code, passkey or session leaves with the data; sealed secrets
// (webhook and provider secrets) are left out by column.
func TestClauseEND3_SecretsAreNeverExported(t *testing.T) {
	for _, table := range []string{"mfa_totp", "mfa_recovery_codes", "passkeys", "passkey_users", "sessions", "invitations", "password_resets"} {
		if store.TenantExportExcluded[table] == "" {
			t.Errorf("%s is exported", table)
		}
	}
	omitted := map[string]string{"users": "password_hash", "api_keys": "secret_hash", "webhooks": "secret",
		"oidc_providers": "client_secret", "audit_checkpoint_hooks": "secret"}
	for _, e := range store.TenantEntities {
		if col, ok := omitted[e.Name]; ok && e.Omit[col] == "" {
			t.Errorf("%s.%s is exported", e.Name, col)
		}
	}
}

// TestClauseEND3_ResumesAfterInterruption: an export cut off after some
// entities resumes in the same directory, rewriting only what was not
// complete, and ends with the same files as an uninterrupted one.
func TestClauseEND3_ResumesAfterInterruption(t *testing.T) {
	env := storetest.SQLite(t)
	tn := seed(t, env, "gent", 4)
	dir := filepath.Join(t.TempDir(), "export")
	// The run stops after the submissions, as a crash would.
	crash := errors.New("crash")
	var seen []string
	_, err := tenantexport.Export(ctx, env.DB, tn.ID, dir, tenantexport.Options{Actor: operator, AfterEntity: func(name string) error {
		seen = append(seen, name)
		if name == "submissions" {
			return crash
		}
		return nil
	}})
	if !errors.Is(err, crash) {
		t.Fatalf("an interrupted export: %v", err)
	}
	sub, _ := os.Stat(filepath.Join(dir, "entities", "submissions.jsonl"))
	st := map[string]any{}
	b, err := os.ReadFile(filepath.Join(dir, "export-state.json"))
	if err != nil {
		t.Fatalf("no state after an interruption: %v", err)
	}
	json.Unmarshal(b, &st)
	if st["finished"] == true {
		t.Fatal("an interrupted export is marked finished")
	}
	// Resuming it encrypted would mix plaintext and encrypted files: refused.
	id, _ := age.GenerateX25519Identity()
	if _, err := tenantexport.Export(ctx, env.DB, tn.ID, dir, tenantexport.Options{Actor: operator,
		Recipients: []age.Recipient{id.Recipient()}}); !errors.Is(err, tenantexport.ErrExists) {
		t.Fatalf("resume encrypted: %v, want ErrExists", err)
	}
	// Resume: it completes, from the entity after the submissions.
	var again []string
	m, err := tenantexport.Export(ctx, env.DB, tn.ID, dir, tenantexport.Options{Actor: operator, AfterEntity: func(name string) error {
		again = append(again, name)
		return nil
	}})
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if slices.Contains(again, "submissions") || !slices.Contains(again, "attachments") || len(seen)+len(again) != len(store.TenantEntities) {
		t.Fatalf("the resumed run did %v after %v", again, seen)
	}
	if sub2, _ := os.Stat(filepath.Join(dir, "entities", "submissions.jsonl")); !sub2.ModTime().Equal(sub.ModTime()) {
		t.Fatal("a complete entity file was written again")
	}
	if n := len(env.Events(t, tn.ID, "tenant.export")); n != 2 {
		t.Fatalf("%d tenant.export events, want one per run", n)
	}
	if len(m.Files) < 3*len(store.TenantEntities) {
		t.Fatalf("%d files after the resume", len(m.Files))
	}
	// A finished export is not resumed: the path exists.
	if _, err := tenantexport.Export(ctx, env.DB, tn.ID, dir, tenantexport.Options{Actor: operator}); !errors.Is(err, tenantexport.ErrExists) {
		t.Fatalf("export into a finished export: %v, want ErrExists", err)
	}
}

// TestClauseEND3_ExportToAPathThatExistsIsRefused: a directory that is not
// an unfinished export of this tenant, or a file, is refused with nothing
// changed and nothing recorded.
func TestClauseEND3_ExportToAPathThatExistsIsRefused(t *testing.T) {
	env := storetest.SQLite(t)
	tn := seed(t, env, "gent", 1)
	other := seed(t, env, "brugge", 1)
	base := t.TempDir()
	full := filepath.Join(base, "full")
	os.Mkdir(full, 0o700)
	os.WriteFile(filepath.Join(full, "keep.txt"), []byte("keep"), 0o600)
	file := filepath.Join(base, "export.tar")
	os.WriteFile(file, []byte("keep"), 0o600)
	otherDir := filepath.Join(base, "other")
	if _, err := tenantexport.Export(ctx, env.DB, other.ID, otherDir, tenantexport.Options{Actor: operator}); err != nil {
		t.Fatal(err)
	}
	before := len(env.Events(t, tn.ID, "tenant.export"))
	for _, to := range []string{full, file, otherDir} {
		if _, err := tenantexport.Export(ctx, env.DB, tn.ID, to, tenantexport.Options{Actor: operator}); !errors.Is(err, tenantexport.ErrExists) {
			t.Errorf("export to %s: %v, want ErrExists", filepath.Base(to), err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(full, "keep.txt")); string(b) != "keep" {
		t.Error("the existing directory changed")
	}
	if entries, _ := os.ReadDir(full); len(entries) != 1 {
		t.Errorf("the existing directory got %d entries", len(entries))
	}
	if b, _ := os.ReadFile(file); string(b) != "keep" {
		t.Error("the existing file changed")
	}
	if after := len(env.Events(t, tn.ID, "tenant.export")); after != before {
		t.Error("a refused export was recorded as made")
	}
}

// TestClauseEND3_EncryptedToTheControllersRecipient: a .tar.age export
// opens only with the controller's identity and imports with it; an
// export into a directory encrypts every file; a recipient that does not
// parse is refused.
func TestClauseEND3_EncryptedToTheControllersRecipient(t *testing.T) {
	env := storetest.SQLite(t)
	tn := seed(t, env, "gent", 3)
	id, _ := age.GenerateX25519Identity()
	stranger, _ := age.GenerateX25519Identity()
	if _, err := tenantexport.ParseRecipients([]string{"age1notarecipient"}); err == nil {
		t.Fatal("a bad recipient parsed")
	}
	rs, err := tenantexport.ParseRecipients([]string{id.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	file := filepath.Join(base, "gent.tar.age")
	if _, err := tenantexport.Export(ctx, env.DB, tn.ID, file, tenantexport.Options{Actor: operator, Recipients: rs}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(file)
	if bytes.Contains(raw, []byte(markerName)) || !bytes.HasPrefix(raw, []byte("age-encryption.org/v1")) {
		t.Fatal("the archive is not age-encrypted")
	}
	if left, _ := filepath.Glob(filepath.Join(base, ".kluis-export-*")); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	dir := filepath.Join(base, "dir")
	if _, err := tenantexport.Export(ctx, env.DB, tn.ID, dir, tenantexport.Options{Actor: operator, Recipients: rs}); err != nil {
		t.Fatal(err)
	}
	plain := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if !d.IsDir() && !strings.HasSuffix(p, ".age") && filepath.Base(p) != "export-state.json" {
			plain++
		}
		return nil
	})
	if plain > 0 {
		t.Fatalf("%d files not encrypted in the directory export", plain)
	}
	if _, err := tenantexport.Import(ctx, env.Another(t).DB, file, tenantexport.Options{Actor: operator, Identities: []age.Identity{stranger}}); err == nil {
		t.Fatal("an import with a stranger's identity succeeded")
	}
	env2 := env.Another(t)
	if _, err := tenantexport.Import(ctx, env2.DB, file, tenantexport.Options{Actor: operator, Identities: []age.Identity{id}}); err != nil {
		t.Fatal(err)
	}
	env3 := env.Another(t)
	if _, err := tenantexport.Import(ctx, env3.DB, dir, tenantexport.Options{Actor: operator, Identities: []age.Identity{id}}); err != nil {
		t.Fatal(err)
	}
}

// TestClauseEND3_DamagedExportIsRefused: a changed entity file does not
// match the manifest and nothing is imported.
func TestClauseEND3_DamagedExportIsRefused(t *testing.T) {
	env := storetest.SQLite(t)
	tn := seed(t, env, "gent", 2)
	dir := filepath.Join(t.TempDir(), "export")
	if _, err := tenantexport.Export(ctx, env.DB, tn.ID, dir, tenantexport.Options{Actor: operator}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "entities", "submissions.jsonl")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(b, []byte(markerName), []byte("MARKER-XXXX-e3x9"), 1), 0o600)
	env2 := env.Another(t)
	_, err := tenantexport.Import(ctx, env2.DB, dir, tenantexport.Options{Actor: operator})
	if err == nil || !strings.Contains(err.Error(), "does not match the manifest") {
		t.Fatalf("damaged export: %v", err)
	}
	if _, err := env2.DB.Tenant(ctx, tn.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("a damaged export left a tenant behind")
	}
	os.WriteFile(p, b, 0o600)

	// A changed file is found only when its row is imported, after the
	// rows before it: the import then removes what it wrote and the keys
	// it made, and the repaired export imports into the same instance.
	files, _ := filepath.Glob(filepath.Join(dir, "files", "*"))
	good, _ := os.ReadFile(files[0])
	os.WriteFile(files[0], append([]byte("changed "), good...), 0o600)
	_, err = tenantexport.Import(ctx, env2.DB, dir, tenantexport.Options{Actor: operator})
	if err == nil || !strings.Contains(err.Error(), "does not match its SHA-256") {
		t.Fatalf("changed file: %v", err)
	}
	if _, err := env2.DB.Tenant(ctx, tn.ID); !errors.Is(err, store.ErrNotFound) || env2.Keys.HasTenant(tn.ID) {
		t.Fatal("a failed import left the tenant or its keys behind")
	}
	var left int
	env2.Raw(t).QueryRow(`SELECT count(*) FROM submissions`).Scan(&left)
	if left != 0 {
		t.Fatalf("a failed import left %d submissions", left)
	}
	os.WriteFile(files[0], good, 0o600)
	if _, err := tenantexport.Import(ctx, env2.DB, dir, tenantexport.Options{Actor: operator}); err != nil {
		t.Fatalf("the repaired export: %v", err)
	}
}

// TestClauseEND3_EveryLineMatchesItsSchema: each line of each entity file
// has exactly the properties its JSON Schema lists, each of the declared
// type; the CSV twin has a header and as many records as the manifest
// says; the README exists in the three languages and names every entity.
func TestClauseEND3_EveryLineMatchesItsSchema(t *testing.T) {
	env := storetest.SQLite(t)
	tn := seed(t, env, "gent", 6)
	dir := filepath.Join(t.TempDir(), "export")
	m, err := tenantexport.Export(ctx, env.DB, tn.ID, dir, tenantexport.Options{Actor: operator})
	if err != nil {
		t.Fatal(err)
	}
	csvRows := map[string]int64{}
	for _, f := range m.Files {
		if strings.HasPrefix(f.Path, "csv/") {
			csvRows[f.Entity] = f.Rows
		}
	}
	for _, e := range store.TenantEntities {
		var schema struct {
			Schema     string                     `json:"$schema"`
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		}
		b, err := os.ReadFile(filepath.Join(dir, "schemas", e.Name+".schema.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &schema); err != nil || schema.Schema != "https://json-schema.org/draft/2020-12/schema" {
			t.Fatalf("%s: schema %v", e.Name, err)
		}
		types := map[string][]string{}
		for name, raw := range schema.Properties {
			var p struct{ Type any }
			json.Unmarshal(raw, &p)
			switch x := p.Type.(type) {
			case string:
				types[name] = []string{x}
			case []any:
				for _, v := range x {
					types[name] = append(types[name], v.(string))
				}
			}
		}
		body, _ := os.ReadFile(filepath.Join(dir, "entities", e.Name+".jsonl"))
		lines := 0
		for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
			if line == "" {
				continue
			}
			lines++
			dec := json.NewDecoder(strings.NewReader(line))
			dec.UseNumber()
			var row map[string]any
			if err := dec.Decode(&row); err != nil {
				t.Fatalf("%s: %v", e.Name, err)
			}
			if len(row) != len(schema.Required) {
				t.Fatalf("%s: a line has %d properties, the schema %d", e.Name, len(row), len(schema.Required))
			}
			for name, v := range row {
				var got string
				switch v.(type) {
				case nil:
					got = "null"
				case json.Number:
					got = "integer"
				case string:
					got = "string"
				default:
					got = fmt.Sprintf("%T", v)
				}
				if !slices.Contains(types[name], got) {
					t.Errorf("%s.%s: a %s, the schema says %v", e.Name, name, got, types[name])
				}
			}
		}
		if int64(lines) != csvRows[e.Name] {
			t.Errorf("%s: %d lines, the CSV twin %d records", e.Name, lines, csvRows[e.Name])
		}
	}
	for _, lang := range []string{"nl", "fr", "en"} {
		b, err := os.ReadFile(filepath.Join(dir, "README."+lang+".md"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range store.TenantEntities {
			if !strings.Contains(string(b), "`"+e.Name+"`: ") || strings.Contains(string(b), "`"+e.Name+"`: .") {
				t.Errorf("README.%s.md does not describe %s", lang, e.Name)
			}
		}
		if lang != "en" && strings.Contains(string(b), store.TenantEntities[0].About) {
			t.Errorf("README.%s.md describes in English", lang)
		}
	}
}

// TestClauseEND3_AnUnreadableValueFailsAlone: a sealed value that does not
// open (here damaged in the database) is exported as null and counted in
// the manifest, recorded in the tenant's log as a failed part of the
// export (SEC-3), and the rest of the hand-over goes on.
func TestClauseEND3_AnUnreadableValueFailsAlone(t *testing.T) {
	env := storetest.SQLite(t)
	tn := seed(t, env, "gent", 2)
	var id string
	var name []byte
	raw := env.Raw(t)
	if err := raw.QueryRow(`SELECT id, name FROM users WHERE tenant_id = $1 ORDER BY id LIMIT 1`, tn.ID).Scan(&id, &name); err != nil {
		t.Fatal(err)
	}
	name[len(name)-1] ^= 1
	if _, err := raw.Exec(`UPDATE users SET name = $1 WHERE id = $2`, name, id); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "export")
	m, err := tenantexport.Export(ctx, env.DB, tn.ID, dir, tenantexport.Options{Actor: operator})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		want := int64(0)
		if f.Path == "entities/users.jsonl" {
			want = 1
		}
		if f.Unreadable != want {
			t.Errorf("%s: %d unreadable, want %d", f.Path, f.Unreadable, want)
		}
	}
	lines := readJSONL(t, filepath.Join(dir, "entities", "users.jsonl"))
	if !strings.Contains(lines[0], `"name":null`) || !strings.Contains(lines[0], `"email":"`) {
		t.Fatalf("the damaged value: %s", lines[0])
	}
	failed := 0
	for _, ev := range env.Events(t, tn.ID, "tenant.export") {
		if ev.Outcome == audit.OutcomeFailure {
			failed++
		}
	}
	if failed != 1 {
		t.Fatalf("%d failed export events, want 1", failed)
	}
}
