package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
	"github.com/kluis/kluis/internal/seal"
)

const offlineTenant = "t-gent"

// offlineKey is a platform checkpoint key made for a test.
type offlineKey struct {
	priv ed25519.PrivateKey
	vkey string
}

func newOfflineKey(t *testing.T, name string) offlineKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := auditproof.VerifierKey(name, pub)
	if err != nil {
		t.Fatal(err)
	}
	return offlineKey{priv, vkey}
}

// sign returns the signed checkpoint of the first size events.
func (k offlineKey) sign(t *testing.T, name string, events []audit.Event, size int) []byte {
	t.Helper()
	s, err := auditproof.NewSigner(name, k.priv)
	if err != nil {
		t.Fatal(err)
	}
	tree := auditproof.NewLog()
	for i := range events[:size] {
		if err := tree.AppendEvent(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	note, err := auditproof.Sign(auditproof.Checkpoint{Origin: auditproof.Origin(name+"/", offlineTenant), Size: uint64(size), Root: tree.Root()}, s)
	if err != nil {
		t.Fatal(err)
	}
	return note
}

// offlineLog returns n chained events, every fifth a failed login.
func offlineLog(n int) []audit.Event {
	start := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	events := make([]audit.Event, n)
	for i := range events {
		events[i] = audit.Event{TenantID: offlineTenant, Time: start.Add(time.Duration(i) * time.Minute),
			Actor:  audit.Actor{Kind: audit.KindUser, ID: fmt.Sprintf("u-%d", i%3), Role: "caseworker"},
			Action: "submission.read", ObjectType: "submission", ObjectID: fmt.Sprint(i), Outcome: audit.OutcomeSuccess}
		if i%5 == 2 {
			events[i].Action, events[i].Outcome = "login.failure", audit.OutcomeFailure
		}
	}
	return rechainEvents(events)
}

// rechainEvents renumbers and recomputes every hash, as an operator with
// database access can.
func rechainEvents(events []audit.Event) []audit.Event {
	prev := audit.Genesis(offlineTenant)
	for i := range events {
		events[i].Seq, events[i].PrevHash = int64(i+1), prev
		events[i].Hash = events[i].ComputeHash()
		prev = events[i].Hash
	}
	return events
}

func writeExport(t *testing.T, path string, events []audit.Event) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := auditproof.NewExportWriter(f, offlineTenant)
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		if err := w.Write(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// The offline verifier needs no database, keyring or master key: the
// sandbox has none. Exit 0 intact, 1 tampered (naming the checkpoint), 2
// for input it cannot read (ADT-1, AUD-3).
func TestClauseADT1_OfflineVerifyExitCodes(t *testing.T) {
	s := newSandbox(t)
	dir := s.dir
	const name = "kluis.example/audit"
	k := newOfflineKey(t, name)
	other := newOfflineKey(t, name)
	events := offlineLog(20)
	file := func(base string, data []byte) string {
		p := filepath.Join(dir, base)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cp10 := file("cp10.note", k.sign(t, name, events, 10))
	cp15 := file("cp15.note", k.sign(t, name, events, 15))
	foreign := file("foreign.note", other.sign(t, name, events, 15))
	keyFile := file("audit.pub", []byte(k.vkey+"\n"))
	wellKnownFile := file("well-known.pub", []byte(k.vkey+"\nfingerprint: SHA256:whatever\n")) // as /.well-known/kluis-audit-key answers
	good := filepath.Join(dir, "good.jsonl")
	writeExport(t, good, events)

	edited := append([]audit.Event(nil), events...)
	edited[2].Outcome, edited[2].Action = audit.OutcomeSuccess, "login.success"
	edited[2].Hash = edited[2].ComputeHash() // its own hash redone: the link to event 4 breaks
	editedPath := filepath.Join(dir, "edited.jsonl")
	writeExport(t, editedPath, edited)
	rehashed := rechainEvents(append(append([]audit.Event(nil), edited[:5]...), edited[6:]...))
	rehashedPath := filepath.Join(dir, "rehashed.jsonl")
	writeExport(t, rehashedPath, rehashed)
	truncatedPath := filepath.Join(dir, "truncated.jsonl")
	writeExport(t, truncatedPath, events[:8])
	b, _ := os.ReadFile(good)
	cutPath := file("cut.jsonl", b[:len(b)-40])
	notExport := file("not.jsonl", []byte("{\"format\":\"csv\"}\n"))
	badNote := file("bad.note", []byte("kluis.example/audit/t-gent\n10\nnot base64!\n\n— kluis.example/audit AAAA\n"))

	verify := func(args ...string) []string { return append([]string{"audit", "verify"}, args...) }
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"intact", verify("--export", good, "--checkpoint", cp10, "--checkpoint", cp15, "--key", k.vkey), 0, "intact: 20 events, 2 checkpoints hold"},
		{"key from a file", verify("--export", good, "--checkpoint", cp15, "--key", keyFile), 0, "intact: 20 events, 1 checkpoints hold"},
		{"key file with its fingerprint", verify("--export", good, "--checkpoint", cp15, "--key", wellKnownFile), 0, "intact: 20 events, 1 checkpoints hold"},
		{"edited in place", verify("--export", editedPath, "--checkpoint", cp10, "--checkpoint", cp15, "--key", k.vkey), 1, "checkpoint " + cp10 + " (kluis.example/audit/t-gent, size 10) no longer holds: chain: event 4: previous-hash does not match"},
		{"rewritten with recomputed hashes", verify("--export", rehashedPath, "--checkpoint", cp10, "--checkpoint", cp15, "--key", k.vkey), 1, "checkpoint " + cp10 + " (kluis.example/audit/t-gent, size 10) no longer holds: root"},
		{"truncated log", verify("--export", truncatedPath, "--checkpoint", cp10, "--key", k.vkey), 1, "size 10) no longer holds: truncated"},
		{"signed by another key", verify("--export", good, "--checkpoint", foreign, "--key", k.vkey), 1, "checkpoint " + foreign + " (kluis.example/audit/t-gent, size 15) no longer holds: signature"},
		{"cut-off export", verify("--export", cutPath, "--checkpoint", cp10, "--key", k.vkey), 2, "is not a readable export: export line 21: the last line is cut off"},
		{"not an export", verify("--export", notExport, "--checkpoint", cp10, "--key", k.vkey), 2, "is not a readable export: export line 1"},
		{"no such export", verify("--export", filepath.Join(dir, "nope.jsonl"), "--checkpoint", cp10, "--key", k.vkey), 2, "nope.jsonl: cannot read it: no such file"},
		{"malformed checkpoint", verify("--export", good, "--checkpoint", badNote, "--key", k.vkey), 2, "--checkpoint " + badNote + " is not a signed checkpoint"},
		{"no such checkpoint", verify("--export", good, "--checkpoint", filepath.Join(dir, "nope.note"), "--key", k.vkey), 2, "nope.note: cannot read it"},
		{"key in the wrong format", verify("--export", good, "--checkpoint", cp10, "--key", "kluis.example/audit+zz+abc"), 2, "--key: verification key: the key hash is not 8 hexadecimal digits"},
		{"private key", verify("--export", good, "--checkpoint", cp10, "--key", "PRIVATE+KEY+kluis.example/audit+01234567+AAAA"), 2, "this is a private key"},
		{"key neither file nor key", verify("--export", good, "--checkpoint", cp10, "--key", filepath.Join(dir, "nope.pub")), 2, "no such file, and not a verification key"},
		{"missing flags", verify("--export", good), 2, "offline verification needs --checkpoint FILE (at least one), --key KEY"},
		{"live log without a key", verify("--tenant", "gent", "--checkpoint", cp10), 2, "verifying the live log against kept checkpoints needs --key KEY"},
		{"checkpoints with --all", verify("--all", "--checkpoint", cp10, "--key", k.vkey), 2, "give --tenant or --export, not --all"},
		{"export with --tenant", verify("--tenant", "gent", "--export", good, "--checkpoint", cp10, "--key", k.vkey), 2, "give --export (offline) or --tenant (the live log), not both"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := s.run(context.Background(), c.args...)
			got := out
			if c.code != 0 {
				got = errs
				if strings.Count(strings.TrimSpace(errs), "\n") > 0 {
					t.Errorf("stderr is more than one line:\n%s", errs)
				}
			}
			if code != c.code || !strings.Contains(got, c.want) {
				t.Fatalf("exit %d, want %d with %q\nstdout: %sstderr: %s", code, c.code, c.want, out, errs)
			}
		})
	}
}

// The checkpoint key is made in the keyring on first use, printed as a
// verification key with its fingerprint, the same on every call, and never
// written to the database (AUD-3).
func TestClauseAUD3_AuditKeyFromKeyring(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	s.env["KLUIS_BASE_URL"] = "https://loket.gent.example:8443/"
	out := s.ok("audit", "key")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "loket.gent.example/audit+") || !strings.HasPrefix(lines[1], "fingerprint: SHA256:") {
		t.Fatalf("audit key:\n%s", out)
	}
	fp, err := auditproof.Fingerprint(lines[0])
	if err != nil || lines[1] != "fingerprint: "+fp {
		t.Fatalf("fingerprint %q, want %q (%v)", lines[1], fp, err)
	}
	s.env["KLUIS_BASE_URL"] = "https://elsewhere.example/"
	if again := s.ok("audit", "key"); again != out {
		t.Fatalf("second call gave another key:\n%s\nwant\n%s", again, out)
	}
	m, err := os.ReadFile(s.env["KLUIS_MASTER_KEY_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	master, err := seal.ParseMasterKey(string(m))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := seal.OpenKeyring(s.env["KLUIS_KEYS_DIR"], master)
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _, err := keys.CheckpointKey("")
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(filepath.Join(s.dir, "data", "kluis.db"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(db, priv.Seed()) || bytes.Contains(db, []byte(base64.StdEncoding.EncodeToString(priv.Seed()))) {
		t.Fatal("the checkpoint key is in the database")
	}
}

// The export holds the tenant's whole log, chained from the genesis, with
// the export's own event last, recorded as the operator's CLI action
// (AUD-3, ADT-1).
func TestClauseADT1_AuditExportWritesWholeLog(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	for range 3 {
		s.ok("tenant", "show", "--grant", s.grant("gent"), "gent")
	}
	path := filepath.Join(s.dir, "gent.jsonl")
	out := s.ok("audit", "export", "--tenant", "gent", "--grant", s.grant("gent"), "--out", path)
	// create, the operator added and activated (2 × staff change and its
	// mail), the grant, 3 × (command and contact read), the command and
	// the export = 14 events.
	if !strings.Contains(out, "gent: 14 events exported to "+path) {
		t.Fatalf("export: %s", out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tenantID, events, err := auditproof.ReadExport(f)
	if err != nil {
		t.Fatal(err)
	}
	v := audit.NewVerifier(tenantID)
	for i := range events {
		if err := v.Next(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	last := events[len(events)-1]
	if len(events) != 14 || last.Action != "audit.export" || last.Actor.OnBehalfOf != s.grant("gent") || last.Actor.Kind != audit.KindOperator || last.ObjectID != "1-14" {
		t.Fatalf("%d events, last %+v", len(events), last)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("export mode %v", fi.Mode())
	}
	s.fails("--out FILE", "audit", "export", "--tenant", "gent", "--grant", s.grant("gent"))
	s.fails(`no tenant "nowhere"`, "audit", "export", "--tenant", "nowhere", "--out", path)
	s.fails("export to", "audit", "export", "--tenant", "gent", "--grant", s.grant("gent"), "--out", filepath.Join(s.dir, "no", "such", "dir.jsonl"))
}

// A checkpoint signed by `kluis audit checkpoint` verifies an export made
// later with the key `kluis audit key` prints, and the signing is in the
// tenant's log (ADT-1, AUD-3).
func TestClauseADT1_CheckpointThenExportVerifies(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	s.ok("tenant", "show", "--grant", s.grant("gent"), "gent")
	cp := filepath.Join(s.dir, "cp.note")
	if out := s.ok("audit", "checkpoint", "--tenant", "gent", "--out", cp); !strings.Contains(out, "gent: checkpoint of 9 events written to "+cp) {
		t.Fatalf("checkpoint: %s", out)
	}
	vkey := strings.SplitN(s.ok("audit", "key"), "\n", 2)[0]
	keyName, _, _ := strings.Cut(vkey, "+")                    // "localhost/audit": from the default base URL
	printed := s.ok("audit", "checkpoint", "--tenant", "gent") // covers its own event too
	if lines := strings.Split(printed, "\n"); len(lines) < 5 || !strings.HasPrefix(lines[0], keyName+"/") || lines[1] != "10" || !strings.HasPrefix(lines[4], "— "+keyName+" ") {
		t.Fatalf("printed checkpoint:\n%s", printed)
	}
	cp2 := filepath.Join(s.dir, "cp2.note")
	os.WriteFile(cp2, []byte(printed), 0o600)
	export := filepath.Join(s.dir, "gent.jsonl")
	s.ok("audit", "export", "--tenant", "gent", "--grant", s.grant("gent"), "--out", export)
	if out := s.ok("audit", "verify", "--export", export, "--checkpoint", cp, "--checkpoint", cp2, "--key", vkey); !strings.Contains(out, "intact: 12 events, 2 checkpoints hold") {
		t.Fatalf("verify: %s", out)
	}
	f, _ := os.Open(export)
	defer f.Close()
	_, events, err := auditproof.ReadExport(f)
	if err != nil {
		t.Fatal(err)
	}
	if e := events[8]; e.Action != "audit.checkpoint" || e.ObjectID != "9" || e.Actor.ID != "cli:"+testOperator || e.Actor.OnBehalfOf != "" {
		t.Fatalf("event 9: %+v", e)
	}
	s.fails(`no tenant "nowhere"`, "audit", "checkpoint", "--tenant", "nowhere")
}
