package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
	"github.com/kluis/kluis/internal/store"
)

// prunedExport writes the export of events after a pruning at size, with
// the pruning record signed by k and the checkpoint of size signed by
// cpKey, as `kluis audit export` writes it for a pruned log.
func prunedExport(t *testing.T, path, name string, k, cpKey offlineKey, events []audit.Event, size int) {
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
	rec, err := auditproof.SignPruning(auditproof.Pruning{Origin: auditproof.Origin(name+"/", offlineTenant), Size: uint64(size),
		Root: tree.Root(), LastHash: events[size-1].Hash, Frontier: tree.Frontier()}, s)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := auditproof.NewPrunedExportWriter(f, offlineTenant, &auditproof.Pruned{Record: rec, Checkpoint: cpKey.sign(t, name, events, size)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range events[size:] {
		if err := w.Write(&events[size+i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// AUD-2, ADT-1: the offline verifier checks a pruned log's export from the
// pruning record its header carries: what remains verifies against the
// kept checkpoints, the kept checkpoints the record speaks for are named
// covered and the one it cannot speak for is named as not provable; a
// record signed by another key fails (exit 1), a malformed one is refused
// as unreadable (exit 2).
func TestClauseAUD2_OfflineVerifierUsesThePruningRecord(t *testing.T) {
	s := newSandbox(t)
	const name = "kluis.example/audit"
	k, other := newOfflineKey(t, name), newOfflineKey(t, name)
	events := offlineLog(12)
	file := func(base string, data []byte) string {
		p := filepath.Join(s.dir, base)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cp3 := file("cp3.note", k.sign(t, name, events, 3))
	cp4 := file("cp4.note", k.sign(t, name, events, 4))
	cp9 := file("cp9.note", k.sign(t, name, events, 9))
	good := filepath.Join(s.dir, "pruned.jsonl")
	prunedExport(t, good, name, k, k, events, 6)
	out := s.ok("audit", "verify", "--export", good, "--checkpoint", cp3, "--checkpoint", cp4, "--checkpoint", cp9, "--key", k.vkey)
	for _, want := range []string{"intact: 6 events, 2 checkpoints hold (the largest covers 9 events)",
		"pruned: events 1-6 were removed", "covered by the pruning record: " + cp4,
		"not provable without the pruned events: " + cp3} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	forged := filepath.Join(s.dir, "forged.jsonl")
	prunedExport(t, forged, name, other, k, events, 6)
	code, _, errs := s.run(t.Context(), "audit", "verify", "--export", forged, "--checkpoint", cp9, "--key", k.vkey)
	if code != 1 || !strings.Contains(errs, "pruning record (size 6) does not hold: signature") {
		t.Fatalf("forged record: exit %d, %s", code, errs)
	}

	b, _ := os.ReadFile(good)
	_, rest, _ := strings.Cut(string(b), "\n")
	broken := file("broken.jsonl", []byte(`{"format":"kluis-audit-export","version":1,"tenant":"t-gent","pruned":{"record":"not a note","checkpoint":"nor this"}}`+"\n"+rest))
	code, _, errs = s.run(t.Context(), "audit", "verify", "--export", broken, "--checkpoint", cp9, "--key", k.vkey)
	if code != 2 || !strings.Contains(errs, "is not a readable export") {
		t.Fatalf("malformed record: exit %d, %s", code, errs)
	}
}

// AUD-2, ADT-1: after the daily pruning (here run three years on), the
// live log still verifies — its hash chain, and against the checkpoint
// the controller kept, from the record the database keeps — and its
// export carries the record and verifies offline the same way.
func TestClauseAUD2_PrunedLiveLogVerifiesOnlineAndThroughItsExport(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	cp := filepath.Join(s.dir, "cp.note")
	s.ok("audit", "checkpoint", "--tenant", "gent", "--out", cp)
	vkey := strings.SplitN(s.ok("audit", "key"), "\n", 2)[0]

	ctx := t.Context()
	env := &Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string { return s.env[k] }}
	cfg, _, err := load(env, flags(env, "test"), nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := openKeys(cfg)
	if err != nil {
		t.Fatal(err)
	}
	later := func() time.Time { return time.Now().AddDate(3, 0, 0) }
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Keys: keys, Now: later})
	if err != nil {
		t.Fatal(err)
	}
	tn, err := db.Tenant(ctx, "gent")
	if err != nil {
		t.Fatal(err)
	}
	key, err := db.CheckpointKey(cfg.CheckpointKeyName())
	if err != nil {
		t.Fatal(err)
	}
	rec, err := db.PruneAudit(ctx, tn.ID, key.Signer)
	db.Close()
	cpNote, _ := os.ReadFile(cp)
	size := strings.Split(string(cpNote), "\n")[1]
	if err != nil || fmt.Sprint(rec.Size) != size {
		t.Fatalf("prune: size %d (want the kept checkpoint's, %s), %v", rec.Size, size, err)
	}

	// Left: the pruning's own event.
	if out := s.ok("audit", "verify", "--tenant", "gent"); !strings.Contains(out, "gent: 1 events verified, chain intact") {
		t.Fatalf("chain after pruning: %s", out)
	}
	out := s.ok("audit", "verify", "--tenant", "gent", "--checkpoint", cp, "--key", vkey)
	for _, want := range []string{"intact: 1 events, 1 checkpoints hold (the largest covers " + size + " events)",
		"pruned: events 1-" + size + " were removed", "covered by the pruning record: " + cp} {
		if !strings.Contains(out, want) {
			t.Errorf("live verification lacks %q:\n%s", want, out)
		}
	}
	export := filepath.Join(s.dir, "gent.jsonl")
	s.ok("audit", "export", "--tenant", "gent", "--grant", s.grant("gent"), "--out", export)
	out = s.ok("audit", "verify", "--export", export, "--checkpoint", cp, "--key", vkey)
	if !strings.Contains(out, "intact: ") || // the grant's events and the export's own after the record
		!strings.Contains(out, "covered by the pruning record: "+cp) {
		t.Fatalf("offline verification of the pruned export:\n%s", out)
	}
}
