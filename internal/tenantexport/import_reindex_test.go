package tenantexport_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/oidc"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenantexport"
)

// The seeded citizens the tests look for: submission 2 (toelage, found by
// national number) and 3 (vraag, found by e-mail address), and 4, erased.
const (
	inszOf2  = "85073100302"
	emailOf3 = "burger3@example.be"
	inszOf4  = "85073100304"
)

// TestClauseEND3_ImportReindexesCitizens: after export → import into an
// instance with a new keyring, a data-subject search by national number
// and by e-mail address finds the imported submissions (the inbox search,
// the access package of a request) and the person's audit events from
// before the import (through the tenant.reindex mapping, the chain
// unchanged and verifying); an erasure by person after the import destroys
// the person key the import made, and the values it sealed no longer open.
func TestClauseEND3_ImportReindexesCitizens(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := seed(t, env, "gent", 12)
		// A staff member's link to a sign-in provider (eID), which the
		// import carries over with its index recomputed.
		var clerkID string
		if err := env.Raw(t).QueryRow(`SELECT user_id FROM form_access WHERE tenant_id = $1 LIMIT 1`, tn.ID).Scan(&clerkID); err != nil {
			t.Fatal(err)
		}
		prov, err := env.DB.AddOIDCProvider(ctx, operator, tn.ID, oidc.Settings{Preset: oidc.FASeID, Issuer: "https://idp.iamfas.int.belgium.be/fas/oauth2",
			ClientID: "kluis-gent", ClientSecret: "geheim-client-secret"})
		if err != nil {
			t.Fatal(err)
		}
		eid := oidc.Identity{Issuer: prov.Issuer, Subject: "85073003328-fas-subject", ACR: "urn:be:fedict:iam:fas:Level500", MFA: true}
		clerk := audit.Actor{Kind: audit.KindUser, ID: clerkID, Role: "user", RequestID: "req-clerk"}
		if err := env.DB.LinkOIDCIdentity(ctx, clerk, tn.ID, clerkID, prov, eid); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "export")
		if _, err := tenantexport.Export(ctx, env.DB, tn.ID, out, tenantexport.Options{Actor: operator}); err != nil {
			t.Fatal(err)
		}

		env2 := env.Another(t)
		rep, err := tenantexport.ImportTenant(ctx, env2.DB, out, tenantexport.Options{Actor: operator})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Reindexed < 24 || rep.PersonKeys < 12 || rep.Pseudonyms < 12 {
			t.Fatalf("report: %d indexes, %d person keys, %d pseudonyms re-made; want at least 24, 12, 12", rep.Reindexed, rep.PersonKeys, rep.Pseudonyms)
		}
		if _, err := env2.DB.VerifyAudit(ctx, tn.ID); err != nil {
			t.Fatalf("the chain does not verify after the re-index: %v", err)
		}
		// The staff member signs in with eID in the new instance.
		prov2, err := env2.DB.OIDCProvider(ctx, tn.ID, prov.Name)
		if err != nil {
			t.Fatal(err)
		}
		if u, _, err := env2.DB.OIDCLogin(ctx, tn.ID, prov2, eid, "req-eid"); err != nil || u.ID != clerkID {
			t.Fatalf("eID sign-in after the import: %+v %v", u, err)
		}

		// The inbox search by national number and by address.
		for subject, form := range map[string]string{inszOf2: "toelage", emailOf3: "vraag"} {
			found, err := env2.DB.SearchSubject(ctx, clerk, tn.ID, store.UserViewer(clerkID), subject)
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != 1 || found[0].FormKey != form {
				t.Fatalf("search by %s after the import: %+v, want the one %s submission", form, found, form)
			}
		}

		// The access package of a request by national number, and by address.
		for _, p := range []store.SubjectPerson{{Name: "Burger twee", INSZ: inszOf2}, {Name: "Burger drie", Email: emailOf3}} {
			r := executeRequest(t, env2, tn.ID, dsr.Access, p)
			pkg, err := env2.DB.SubjectAccessPackage(ctx, admin, tn.ID, r.ID, "Gemeente gent")
			if err != nil {
				t.Fatal(err)
			}
			if len(pkg.Submissions) != 1 || !strings.Contains(string(pkg.Submissions[0].Answers), markerName) {
				t.Fatalf("access package for %+v after the import: %d submissions", p, len(pkg.Submissions))
			}
		}

		// The audit log by person: the events from before the import,
		// under the old pseudonym, and the mapping event.
		for _, subject := range []string{inszOf2, emailOf3} {
			page, err := env2.DB.AuditLog(ctx, admin, tn.ID, store.AuditQuery{Subject: subject, Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, e := range page.Events {
				actions = append(actions, e.Action)
			}
			if !slices.Contains(actions, "submission.create") || !slices.Contains(actions, "tenant.reindex") {
				t.Fatalf("the log searched by %s after the import: %v, want the submission.create from before and the tenant.reindex", subject, actions)
			}
		}

		// The report is in the tenant.import event.
		imports := env2.Events(t, tn.ID, "tenant.import")
		if len(imports) != 1 || !strings.Contains(imports[0].Purpose, "oidc_identities 1") ||
			!strings.Contains(imports[0].Purpose, "submissions 12") || !strings.Contains(imports[0].Purpose, "re-indexed") {
			t.Fatalf("tenant.import event: %+v", imports)
		}

		// Erasure by person after the import: the key the import made is
		// destroyed and what it sealed no longer opens.
		raw := env2.Raw(t)
		type sealed struct {
			id      string
			keyID   int64
			data    []byte
			wrapped []byte
		}
		index, err := env2.Keys.BlindIndex(tn.ID, "subject", []byte(inszOf4))
		if err != nil {
			t.Fatal(err)
		}
		var mine []sealed
		rows, err := raw.Query(`SELECT s.id, s.person_key_id, s.data, k.wrapped FROM submissions s JOIN person_keys k
			ON k.tenant_id = s.tenant_id AND k.id = s.person_key_id WHERE s.tenant_id = $1 AND s.subject_index = $2`, tn.ID, index)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s sealed
			if err := rows.Scan(&s.id, &s.keyID, &s.data, &s.wrapped); err != nil {
				t.Fatal(err)
			}
			mine = append(mine, s)
		}
		rows.Close()
		if len(mine) != 1 {
			t.Fatalf("%d imported submissions of the person sealed with a person key, want 1", len(mine))
		}
		executeRequest(t, env2, tn.ID, dsr.Erasure, store.SubjectPerson{Name: "Burger vier", INSZ: inszOf4, Lang: "nl",
			Grounds: "niet langer nodig (art. 17.1(a))"})
		var left []byte
		raw.QueryRow(`SELECT wrapped FROM person_keys WHERE tenant_id = $1 AND id = $2`, tn.ID, mine[0].keyID).Scan(&left)
		if left != nil {
			t.Fatal("the person key the import made survived the erasure")
		}
		if _, err := env2.Keys.OpenPersonKey(tn.ID, uint64(mine[0].keyID), mine[0].wrapped); !errors.Is(err, seal.ErrPersonKeyDestroyed) {
			t.Fatalf("a copy of the erased person's key still unwraps: %v", err)
		}
		if _, err := env2.Keys.Open(tn.ID, seal.AD{Tenant: tn.ID, Table: "submissions", Column: "data", Row: mine[0].id}, mine[0].data); err == nil {
			t.Fatal("a copy of the erased person's submission opens with the tenant key")
		}
		if _, err := env2.DB.VerifyAudit(ctx, tn.ID); err != nil {
			t.Fatalf("the chain does not verify after the erasure: %v", err)
		}
	})
}

// executeRequest files a data-subject request for p, approves and executes it.
func executeRequest(t *testing.T, env *storetest.Env, tenantID string, kind dsr.Kind, p store.SubjectPerson) store.SubjectRequest {
	t.Helper()
	r, err := env.DB.FileSubjectRequest(ctx, admin, tenantID, store.NewSubjectRequest{Kind: kind, Person: p})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.DB.DecideSubjectRequest(ctx, admin, tenantID, r.ID, true, "Identiteit gecontroleerd"); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.ExecuteSubjectRequest(ctx, admin, tenantID, r.ID); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestClauseEND3_AnOlderExportStillImports: an export made before the
// sub-processors entity and the citizens' index columns were exported
// imports, the indexes computed from the plaintext.
func TestClauseEND3_AnOlderExportStillImports(t *testing.T) {
	env := storetest.SQLite(t)
	tn := seed(t, env, "gent", 4)
	dir := filepath.Join(t.TempDir(), "export")
	if _, err := tenantexport.Export(ctx, env.DB, tn.ID, dir, tenantexport.Options{Actor: operator}); err != nil {
		t.Fatal(err)
	}
	// As the older format: no subprocessors file, no contact_index.
	var m tenantexport.Manifest
	b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "entities", "subprocessors.jsonl"))
	m.Files = slices.DeleteFunc(m.Files, func(f tenantexport.FileEntry) bool { return f.Path == "entities/subprocessors.jsonl" })
	subs := filepath.Join(dir, "entities", "submissions.jsonl")
	var lines []string
	for _, l := range readJSONL(t, subs) {
		var row map[string]any
		dec := json.NewDecoder(strings.NewReader(l))
		dec.UseNumber() // the times are larger than a float holds exactly
		if err := dec.Decode(&row); err != nil {
			t.Fatal(err)
		}
		delete(row, "contact_index")
		nb, _ := json.Marshal(row)
		lines = append(lines, string(nb))
	}
	data := []byte(strings.Join(lines, "\n") + "\n")
	os.WriteFile(subs, data, 0o600)
	for i, f := range m.Files {
		if f.Path == "entities/submissions.jsonl" {
			sum := sha256.Sum256(data)
			m.Files[i].Bytes, m.Files[i].SHA256 = int64(len(data)), hex.EncodeToString(sum[:])
		}
	}
	b, _ = json.Marshal(m)
	os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o600)

	env2 := env.Another(t)
	rep, err := tenantexport.ImportTenant(ctx, env2.DB, dir, tenantexport.Options{Actor: operator})
	if err != nil {
		t.Fatal(err)
	}
	var missing int
	env2.Raw(t).QueryRow(`SELECT count(*) FROM submissions WHERE tenant_id = $1 AND contact_index IS NULL`, tn.ID).Scan(&missing)
	if missing != 0 || rep.Reindexed == 0 {
		t.Fatalf("%d submissions without a contact index after importing an older export (%d re-indexed)", missing, rep.Reindexed)
	}
}
