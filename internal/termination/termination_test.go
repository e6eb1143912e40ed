package termination_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/backup"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/termination"
)

var ctx = context.Background()

var op = audit.Actor{Kind: audit.KindOperator, ID: "op-1", Role: "operator", RequestID: "req-1"}

func admin(id string) audit.Actor { return audit.Actor{Kind: audit.KindUser, ID: id, Role: "admin"} }

func newTenant(t *testing.T, env *storetest.Env, slug, lang string) tenant.Tenant {
	t.Helper()
	tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: slug, LegalName: "Gemeente " + slug,
		EnterpriseNumber: "0207.451.227", DPOName: "DPO " + slug, DPOEmail: "dpo@" + slug + ".example", DefaultLang: lang})
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

func submit(t *testing.T, env *storetest.Env, tn tenant.Tenant, data string) store.Submission {
	t.Helper()
	s, err := env.DB.CreateSubmission(ctx, admin("u1"), tn.ID, store.NewSubmission{FormKey: "f", Data: []byte(data)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// populate gives the tenant what a live one has beside submissions: a
// register, a published form and a user invited, whose rows reference
// each other, so that the delete step must find the order.
func populate(t *testing.T, env *storetest.Env, tn tenant.Tenant) {
	t.Helper()
	reg := register.Demo()
	if _, err := env.DB.SaveRegister(ctx, op, tn.ID, reg); err != nil {
		t.Fatal(err)
	}
	f := form.DemoForms()[0]
	d, err := env.DB.SaveFormDraft(ctx, op, tn.ID, f)
	if err == nil {
		err = env.DB.ApproveNotice(ctx, op, tn.ID, f.Key, d.Version, store.NoticeDigest(form.NoticeFor(f, reg).JSON()))
	}
	if err == nil {
		_, err = env.DB.PublishForm(ctx, op, tn.ID, f.Key, d.Version)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.DB.InviteUser(ctx, op, tn.ID, account.Invite{Email: "clerk@" + tn.Slug + ".example", Name: "Clerk", Role: account.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
}

// dirExporter is a FinalExporter that writes a small manifest into a
// directory, as the full export does, and returns its SHA-256.
type dirExporter struct{}

func (dirExporter) ExportTenant(_ context.Context, tenantID, to string) (string, int, error) {
	if err := os.MkdirAll(to, 0o700); err != nil {
		return "", 0, err
	}
	m := []byte(`{"tenant":"` + tenantID + `","files":[]}`)
	if err := os.WriteFile(filepath.Join(to, "manifest.json"), m, 0o600); err != nil {
		return "", 0, err
	}
	sum := sha256.Sum256(m)
	return hex.EncodeToString(sum[:]), 1, nil
}

// taken is a real backup (internal/backup) made before the procedure: two
// targets, the second standing for the second site, and the age identity
// that opens it.
type taken struct {
	backups termination.Backups
	id      string
	ident   *age.X25519Identity
}

func backups(t *testing.T, env *storetest.Env) taken {
	t.Helper()
	var stores []objstore.Store
	for range 2 {
		st, err := objstore.Dir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, st)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	m, err := backup.Make(ctx, backup.Options{DB: env.DB, DatabaseURL: env.URL, Keys: env.Keys, Stores: stores,
		Recipients: []string{id.Recipient().String()}, KeyName: "kluis.test/backup", TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(time.Minute) // the freeze comes after the backup
	return taken{backups: termination.Backups{Stores: stores}, id: m.ID, ident: id}
}

func step(t *testing.T, p *termination.Procedure, actor audit.Actor, tenantID, name string, in termination.Input) store.TerminationStep {
	t.Helper()
	s, err := p.Step(ctx, actor, tenantID, name, in)
	if err != nil {
		t.Fatalf("step %s: %v", name, err)
	}
	return s
}

// runAll runs every step, the operator recording receipt after the deadline.
func runAll(t *testing.T, env *storetest.Env, p *termination.Procedure, tenantID string) {
	t.Helper()
	step(t, p, op, tenantID, store.TermFreeze, termination.Input{ReceiptDays: 10})
	in := termination.Input{ReceivedBy: "Algemeen directeur, Gemeente", ExportTo: t.TempDir() + "/final", Files: 3,
		ManifestSHA256: strings.Repeat("ab", 32)}
	step(t, p, op, tenantID, store.TermExport, in)
	env.Clock.Advance(10 * 24 * time.Hour)
	for _, s := range store.TerminationSteps[2:] {
		step(t, p, op, tenantID, s, termination.Input{})
	}
}

// TestClauseEND4_TerminationDestroysEveryCopyButWhatLawKeeps: after the
// procedure the tenant's rows are gone except the tables kept by legal
// obligation, its keys are gone from the keyring and from the keyring
// backup, a data backup from before no longer opens for it — and the other
// tenant is untouched everywhere: its submission still opens, its keys are
// still in the backup.
func TestClauseEND4_TerminationDestroysEveryCopyButWhatLawKeeps(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		a, b := newTenant(t, env, "aalst", "nl"), newTenant(t, env, "bever", "nl")
		populate(t, env, a)
		submit(t, env, a, "Jan Peeters, Kerkstraat 1")
		s2 := submit(t, env, a, "An Claes, Markt 2")
		hold, err := env.DB.SetLegalHold(ctx, admin("u1"), a.ID, store.NewLegalHold{SubmissionID: s2.ID,
			Reason: "Bezwaar", Until: env.Clock.Now().Add(24 * time.Hour)})
		if err == nil {
			err = env.DB.LiftLegalHold(ctx, admin("u1"), a.ID, hold)
		}
		if err != nil {
			t.Fatal(err)
		}
		sb := submit(t, env, b, "secret B")
		tk := backups(t, env)
		bk := tk.backups
		p := &termination.Procedure{DB: env.DB, Exporter: dirExporter{}, Backups: bk, KeyName: "kluis.test/audit"}

		if frozen, _ := env.DB.TenantFrozen(ctx, a.ID); frozen {
			t.Fatal("frozen before the freeze")
		}
		runAll(t, env, p, a.ID)

		if frozen, _ := env.DB.TenantFrozen(ctx, a.ID); !frozen {
			t.Fatal("not frozen")
		}
		got, err := env.DB.Tenant(ctx, a.ID)
		if err != nil || got.Status != tenant.StatusSuspended {
			t.Fatalf("processing not stopped: %v %q", err, got.Status)
		}
		raw := env.Raw(t)
		for _, tb := range []string{"submissions", "registers", "forms", "users", "invitations", "legal_holds", "mail_outbox"} {
			var n int
			if err := raw.QueryRow(`SELECT count(*) FROM `+tb+` WHERE tenant_id = $1`, a.ID).Scan(&n); err != nil || n != 0 {
				t.Fatalf("%s of A after delete: %d %v", tb, n, err)
			}
		}
		var kept int
		if err := raw.QueryRow(`SELECT count(*) FROM audit_events WHERE tenant_id = $1`, a.ID).Scan(&kept); err != nil || kept == 0 {
			t.Fatalf("the audit log, kept by law, is gone: %d %v", kept, err)
		}
		if env.Keys.HasTenant(a.ID) || !env.Keys.HasTenant(b.ID) {
			t.Fatal("keyring: A must be gone and B kept")
		}
		if opens, err := bk.CanOpen(ctx, tk.id, a.ID); err != nil || opens {
			t.Fatalf("the old data backup still opens for A: %v %v", opens, err)
		}
		if opens, err := bk.CanOpen(ctx, tk.id, b.ID); err != nil || !opens {
			t.Fatalf("the old data backup no longer opens for B: %v %v", opens, err)
		}
		if s, err := env.DB.Submission(ctx, admin("u1"), b.ID, sb.ID, "test"); err != nil || string(s.Data) != "secret B" {
			t.Fatalf("B's data: %v %q", err, s.Data)
		}
		term, _ := env.DB.Termination(ctx, a.ID)
		file, err := termination.SignedCertificate(term)
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := termination.Verify(file, "")
		if err != nil {
			t.Fatal(err)
		}
		if c.Rows["submissions"] != 2 || c.Rows["forms"] < 1 || c.Rows["users"] != 1 || c.Rows["legal_holds"] != 1 || c.Rows["registers"] != 1 || c.Keys.Keyring != "destroyed" ||
			len(c.Keys.Backups) != 2 || !strings.HasSuffix(c.Keys.Backups[0], "keyring/tenants/"+a.ID+".age") ||
			len(c.Check.Backups) != 1 || c.Check.Backups[0] != tk.id || c.Check.LiveValueOpens {
			t.Fatalf("certificate does not say what was destroyed: %+v", c)
		}
		for _, s := range store.TerminationSteps {
			if len(env.Events(t, a.ID, "termination."+s)) != 1 {
				t.Errorf("step %s not audited once", s)
			}
		}
		// Terminating twice is refused with nothing changed.
		for _, s := range []string{store.TermFreeze, store.TermCertificate} {
			if _, err := p.Step(ctx, op, a.ID, s, termination.Input{}); !errors.Is(err, store.ErrTerminated) {
				t.Fatalf("second %s: %v", s, err)
			}
			if _, err := env.DB.RecordTerminationStep(ctx, op, a.ID, s, nil); !errors.Is(err, store.ErrTerminated) {
				t.Fatalf("second %s in the store: %v", s, err)
			}
		}
	})
}

// TestClauseEND4_TerminationRefusalsChangeNothing: an active legal hold,
// the operators' realm, a step out of order and bad input are refused, and
// no step, audit event or status change is left behind.
func TestClauseEND4_TerminationRefusalsChangeNothing(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		a := newTenant(t, env, "aalst", "nl")
		s := submit(t, env, a, "Jan Peeters")
		p := &termination.Procedure{DB: env.DB, KeyName: "kluis.test/audit"}
		holdID, err := env.DB.SetLegalHold(ctx, admin("u1"), a.ID, store.NewLegalHold{SubmissionID: s.ID,
			Reason: "Lopende rechtszaak", Until: env.Clock.Now().Add(30 * 24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		nothing := func(what string) {
			t.Helper()
			term, err := env.DB.Termination(ctx, a.ID)
			if err != nil || term.Started() {
				t.Fatalf("%s left a step: %+v %v", what, term, err)
			}
			for _, st := range store.TerminationSteps {
				if n := len(env.Events(t, a.ID, "termination."+st)); n != 0 {
					t.Fatalf("%s left an audit event %s", what, st)
				}
			}
			if got, _ := env.DB.Tenant(ctx, a.ID); got.Status != tenant.StatusActive {
				t.Fatalf("%s changed the status", what)
			}
		}
		if _, err := p.Step(ctx, op, a.ID, store.TermFreeze, termination.Input{}); !errors.Is(err, store.ErrTerminationHold) {
			t.Fatalf("freeze under a legal hold: %v", err)
		}
		nothing("a legal hold")
		if _, err := env.DB.RecordTerminationStep(ctx, op, a.ID, store.TermFreeze, nil); !errors.Is(err, store.ErrTerminationHold) {
			t.Fatalf("store freeze under a legal hold: %v", err)
		}
		if err := env.DB.LiftLegalHold(ctx, admin("u1"), a.ID, holdID); err != nil {
			t.Fatal(err)
		}
		for _, st := range []string{store.TermStop, store.TermDelete, store.TermKeys, store.TermCertificate} {
			if _, err := p.Step(ctx, op, a.ID, st, termination.Input{}); !errors.Is(err, store.ErrTerminationOrder) {
				t.Fatalf("%s first: %v", st, err)
			}
		}
		if _, err := p.Step(ctx, op, a.ID, "explode", termination.Input{}); !errors.Is(err, store.ErrTerminationOrder) {
			t.Fatalf("unknown step: %v", err)
		}
		if !env.Keys.HasTenant(a.ID) {
			t.Fatal("keys destroyed out of order")
		}
		if _, err := p.Step(ctx, op, a.ID, store.TermFreeze, termination.Input{ReceiptDays: 400}); err == nil {
			t.Fatal("a receipt deadline of 400 days accepted")
		}
		nothing("steps out of order")
		realm, err := env.DB.OperatorRealm(ctx, op)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Step(ctx, op, realm.ID, store.TermFreeze, termination.Input{}); !errors.Is(err, store.ErrTerminationRealm) {
			t.Fatalf("the operators' realm: %v", err)
		}
		if _, err := env.DB.RecordTerminationStep(ctx, op, realm.ID, store.TermFreeze, nil); !errors.Is(err, store.ErrTerminationRealm) {
			t.Fatalf("the operators' realm in the store: %v", err)
		}
		// Bad input at the hand-over: nothing recorded beyond the freeze.
		step(t, p, op, a.ID, store.TermFreeze, termination.Input{})
		_, err = p.Step(ctx, op, a.ID, store.TermExport, termination.Input{ManifestSHA256: "not-a-hash"})
		var ve *termination.ValidationError
		if !errors.As(err, &ve) || ve.Fields["received_by"] == "" || ve.Fields["manifest"] == "" {
			t.Fatalf("bad hand-over: %v", err)
		}
		if term, _ := env.DB.Termination(ctx, a.ID); term.Next() != store.TermExport {
			t.Fatalf("bad hand-over recorded: %+v", term)
		}
	})
}

// TestClauseEND3_FinalExportHandedOverThenReceiptOrDeadline: the hand-over
// records the export's manifest hash and who received it; the controller
// confirms receipt in the application at any time, while the supplier may
// go on without it only once the deadline (set at the freeze) has passed.
func TestClauseEND3_FinalExportHandedOverThenReceiptOrDeadline(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		a, b := newTenant(t, env, "aalst", "nl"), newTenant(t, env, "bever", "fr")
		p := &termination.Procedure{DB: env.DB, Exporter: dirExporter{}, KeyName: "kluis.test/audit"}
		for _, tn := range []tenant.Tenant{a, b} {
			step(t, p, op, tn.ID, store.TermFreeze, termination.Input{})
			to := filepath.Join(t.TempDir(), "export")
			s := step(t, p, op, tn.ID, store.TermExport, termination.Input{ExportTo: to, ReceivedBy: "DPO, Gemeente"})
			var d struct {
				Manifest string `json:"manifest_sha256"`
				By       string `json:"received_by"`
			}
			m, _ := os.ReadFile(filepath.Join(to, "manifest.json"))
			sum := sha256.Sum256(m)
			if err := json.Unmarshal(s.Detail, &d); err != nil || d.Manifest != hex.EncodeToString(sum[:]) || d.By != "DPO, Gemeente" {
				t.Fatalf("hand-over detail %s: %v", s.Detail, err)
			}
		}
		// The controller confirms at once.
		if _, err := p.ConfirmReceipt(ctx, op, a.ID); !errors.Is(err, store.ErrControllerOnly) {
			t.Fatalf("the supplier confirmed for the controller: %v", err)
		}
		s, err := p.ConfirmReceipt(ctx, admin("adm-a"), a.ID)
		if err != nil || s.ActorID != "adm-a" || !strings.Contains(string(s.Detail), `"controller"`) {
			t.Fatalf("controller's receipt: %+v %v", s, err)
		}
		// Without it, the supplier waits the default 30 days.
		env.Clock.Advance(30*24*time.Hour - time.Minute)
		if _, err := p.Step(ctx, op, b.ID, store.TermReceipt, termination.Input{}); !errors.Is(err, store.ErrReceiptNotDue) {
			t.Fatalf("receipt before the deadline: %v", err)
		}
		if n := len(env.Events(t, b.ID, "termination.receipt")); n != 0 {
			t.Fatal("refused receipt audited as done")
		}
		env.Clock.Advance(time.Minute)
		s = step(t, p, op, b.ID, store.TermReceipt, termination.Input{})
		if !strings.Contains(string(s.Detail), `"deadline"`) {
			t.Fatalf("receipt after the deadline: %s", s.Detail)
		}
		if term, _ := env.DB.Termination(ctx, b.ID); term.Next() != store.TermStop {
			t.Fatalf("next after receipt: %q", term.Next())
		}
	})
}

// TestClauseEND5_CertificateSignedAndCheckedOffline: the certificate is
// signed with the platform key and verifies offline; a changed count, a
// changed signature or another key is invalid; re-indenting the file is
// not a change. Without backups configured it says so.
func TestClauseEND5_CertificateSignedAndCheckedOffline(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		a := newTenant(t, env, "aalst", "fr")
		submit(t, env, a, "Jean Dupont")
		p := &termination.Procedure{DB: env.DB, KeyName: "kluis.test/audit"}
		runAll(t, env, p, a.ID)
		term, _ := env.DB.Termination(ctx, a.ID)
		file, err := termination.SignedCertificate(term)
		if err != nil {
			t.Fatal(err)
		}
		key, err := env.DB.CheckpointKey("")
		if err != nil {
			t.Fatal(err)
		}
		c, vkey, err := termination.Verify(file, key.VerifierKey)
		if err != nil || vkey != key.VerifierKey {
			t.Fatalf("valid certificate refused: %v", err)
		}
		if _, _, err := termination.Verify(file, key.Fingerprint); err != nil {
			t.Fatalf("pinned by fingerprint: %v", err)
		}
		if c.Keys.BackupsConfigured || c.Check.BackupsConfigured || c.Export.Exporter != "manual" || c.Receipt.By != "deadline" || c.Receipt.Days != 10 {
			t.Fatalf("certificate not honest about what was configured: %+v", c)
		}
		latest, err := env.DB.LatestCheckpoint(ctx, a.ID)
		if err != nil || c.AuditLog.Size != latest.Size || c.AuditLog.Checkpoint != string(latest.Note) || c.AuditLog.Size == 0 {
			t.Fatalf("the certificate does not pin the kept audit log: %+v (latest %d, %v)", c.AuditLog, latest.Size, err)
		}
		if len(c.Kept) != len(store.TerminationKept) || c.Tenant.Lang != "fr" || len(c.Steps) != len(store.TerminationSteps)-1 {
			t.Fatalf("certificate: %+v", c)
		}
		var compact bytes.Buffer
		_ = json.Compact(&compact, file)
		if _, _, err := termination.Verify(compact.Bytes(), ""); err != nil {
			t.Fatalf("re-indented certificate refused: %v", err)
		}
		tampered := map[string][]byte{
			"row count": bytes.Replace(file, []byte(`"submissions": 1`), []byte(`"submissions": 0`), 1),
			"kept list": bytes.Replace(file, []byte(`"audit_events"`), []byte(`"audit_eventz"`), 1),
			"signature": []byte(strings.Replace(string(file), `"signature": "`, `"signature": "AAAA`, 1)),
			"not json":  file[:len(file)/2],
		}
		for what, f := range tampered {
			if bytes.Equal(f, file) {
				t.Fatalf("%s: tampering did not change the file", what)
			}
			if _, _, err := termination.Verify(f, ""); !errors.Is(err, termination.ErrCertificateInvalid) {
				t.Errorf("%s tampered: %v", what, err)
			}
		}
		other := storetest.SQLite(t)
		otherKey, err := other.DB.CheckpointKey("other.test/audit")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := termination.Verify(file, otherKey.VerifierKey); !errors.Is(err, termination.ErrCertificateInvalid) {
			t.Errorf("another pinned key: %v", err)
		}
		pdf, err := termination.PDF(c, vkey)
		if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
			t.Fatalf("PDF: %v", err)
		}
	})
}

// TestClauseEND4_FreezeStopsIntakeAndNewForms: once frozen, the published
// form takes no new submission and no form is drafted or published, in the
// store's own transactions; staff still read what is there. The other
// tenant is not affected.
func TestClauseEND4_FreezeStopsIntakeAndNewForms(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		a, b := newTenant(t, env, "aalst", "nl"), newTenant(t, env, "bever", "nl")
		populate(t, env, a)
		populate(t, env, b)
		s := submit(t, env, a, "Jan Peeters")
		p := &termination.Procedure{DB: env.DB}
		step(t, p, op, a.ID, store.TermFreeze, termination.Input{})
		citizen := audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}
		f := form.DemoForms()[0]
		for _, tn := range []tenant.Tenant{a, b} {
			fv, err := env.DB.FormByStatus(ctx, tn.ID, f.Key, store.FormPublished)
			if err != nil {
				t.Fatal(err)
			}
			answers, _ := json.Marshal(form.Answers{"name": {Value: "Jan"}, "email": {Value: "jan@example.be"},
				"topic": {Value: "waste"}, "message": {Value: "Vraag"}})
			_, _, err = env.DB.SubmitForm(ctx, citizen, tn.ID, store.NewFormSubmission{FormKey: fv.Key, FormVersion: fv.Version,
				RegisterVersion: fv.RegisterVersion, Answers: answers, Idempotency: "tok-" + tn.Slug, Receipt: "rc"})
			_, derr := env.DB.SaveFormDraft(ctx, admin("u1"), tn.ID, f)
			if tn.ID == a.ID {
				if !errors.Is(err, store.ErrTenantFrozen) || !errors.Is(derr, store.ErrTenantFrozen) {
					t.Fatalf("frozen tenant took a submission (%v) or a form (%v)", err, derr)
				}
			} else if err != nil || derr != nil {
				t.Fatalf("the other tenant is frozen too: %v %v", err, derr)
			}
		}
		if got, err := env.DB.Submission(ctx, admin("u1"), a.ID, s.ID, "test"); err != nil || string(got.Data) != "Jan Peeters" {
			t.Fatalf("staff cannot read after the freeze: %v", err)
		}
	})
}

// TestClauseEND4_BackupTakenBeforeTerminationNoLongerOpensForTheTenant is
// crypto-shredding end to end: a real backup is taken, tenant A is
// terminated with the real final export and the real backup targets, and
// the backup is then restored elsewhere with the keyring objects that
// survive: A's values cannot be opened, tenant B's can, and the
// certificate lists that backup and the final export's manifest.
func TestClauseEND4_BackupTakenBeforeTerminationNoLongerOpensForTheTenant(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		a, b := newTenant(t, env, "aalst", "nl"), newTenant(t, env, "bever", "fr")
		populate(t, env, a)
		sa := submit(t, env, a, "Jan Peeters, Kerkstraat 1")
		sb := submit(t, env, b, "Anne Dupont, Rue Haute 2")
		tk := backups(t, env)
		p := &termination.Procedure{DB: env.DB, Exporter: termination.Exporter{DB: env.DB, Actor: op}, Backups: tk.backups,
			KeyName: "kluis.test/audit"}
		final := filepath.Join(t.TempDir(), "final")
		step(t, p, op, a.ID, store.TermFreeze, termination.Input{ReceiptDays: 10})
		step(t, p, op, a.ID, store.TermExport, termination.Input{ReceivedBy: "Algemeen directeur, Stad Aalst", ExportTo: final})
		env.Clock.Advance(10 * 24 * time.Hour)
		for _, s := range store.TerminationSteps[2:] {
			step(t, p, op, a.ID, s, termination.Input{})
		}

		// The certificate names the backup, the keyring objects removed at
		// both sites and the export's manifest, byte for byte.
		term, _ := env.DB.Termination(ctx, a.ID)
		file, err := termination.SignedCertificate(term)
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := termination.Verify(file, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Check.Backups) != 1 || c.Check.Backups[0] != tk.id || len(c.Keys.Backups) != 2 {
			t.Fatalf("certificate: backups checked %v, keyring objects removed %v", c.Check.Backups, c.Keys.Backups)
		}
		man, err := os.ReadFile(filepath.Join(final, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(man)
		if c.Export.ManifestSHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("certificate's manifest %s, the export's %x", c.Export.ManifestSHA256, sum)
		}

		// Restore the backup taken before the termination, elsewhere, from
		// the second site, with what survives there.
		dir := t.TempDir()
		o := backup.RestoreOptions{Store: tk.backups.Stores[1], ID: tk.id, Identities: []age.Identity{tk.ident}, Master: env.Master,
			KeysDir: filepath.Join(dir, "keys"), DataDir: filepath.Join(dir, "data"), TempDir: t.TempDir()}
		if env.Dialect == store.Postgres {
			o.DatabaseURL = storetest.NewPostgresDatabase(t)
		}
		got, err := backup.Restore(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.MissingKeys) != 1 || got.MissingKeys[0] != a.ID {
			t.Fatalf("restore says keys are missing for %v, want A only", got.MissingKeys)
		}
		keys, err := seal.OpenKeyring(o.KeysDir, o.Master)
		if err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(ctx, got.DatabaseURL, store.Options{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if s, err := db.Submission(ctx, admin("u1"), a.ID, sa.ID, "restore check"); err == nil && strings.Contains(string(s.Data), "Peeters") {
			t.Fatal("A's submission opens in the restored backup")
		}
		if s, err := db.Submission(ctx, admin("u1"), b.ID, sb.ID, "restore check"); err != nil || string(s.Data) != "Anne Dupont, Rue Haute 2" {
			t.Fatalf("B's submission in the restored backup: %v %q", err, s.Data)
		}
	})
}
