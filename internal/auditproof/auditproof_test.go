package auditproof_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
	"golang.org/x/mod/sumdb/note"
)

const (
	tenant  = "t-gent"
	keyName = "kluis.example/audit"
)

var origin = auditproof.Origin(auditproof.OriginPrefix, tenant)

// key is a platform key; the tests that need another make their own.
type key struct {
	signer note.Signer
	vkey   string
	v      note.Verifier
}

func newKey(t testing.TB) key {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := auditproof.NewSigner(keyName, priv)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := auditproof.VerifierKey(keyName, priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	v, err := auditproof.ParseVerifierKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return key{s, vkey, v}
}

// makeLog returns n events of tenant, chained from its genesis as the store
// writes them: every seventh a failed login.
func makeLog(n int) []audit.Event {
	start := time.Date(2026, 12, 4, 9, 0, 0, 123456000, time.UTC)
	events := make([]audit.Event, n)
	for i := range events {
		e := audit.Event{TenantID: tenant, Seq: int64(i + 1), Time: start.Add(time.Duration(i) * time.Second),
			Actor:  audit.Actor{Kind: audit.KindUser, ID: fmt.Sprintf("u-%d", i%5), Role: "caseworker", RequestID: fmt.Sprintf("r-%d", i)},
			Action: "submission.read", ObjectType: "submission", ObjectID: fmt.Sprintf("s-%d", i%11),
			Subject: "9f2c0aa1", Purpose: "handling the request", Outcome: audit.OutcomeSuccess}
		if i%7 == 3 {
			e.Action, e.ObjectType, e.ObjectID, e.Subject, e.Purpose, e.Outcome = "login.failure", "user", "u-4", "", "", audit.OutcomeFailure
		}
		events[i] = e
	}
	return rechain(events)
}

// rechain numbers the events from 1 and recomputes every hash and link, as
// an operator with database access can: the attack that passes the chain.
func rechain(events []audit.Event) []audit.Event {
	prev := audit.Genesis(tenant)
	for i := range events {
		events[i].Seq = int64(i + 1)
		events[i].PrevHash = prev
		events[i].Hash = events[i].ComputeHash()
		prev = events[i].Hash
	}
	return events
}

// checkpoint signs the checkpoint of the first size events.
func checkpoint(t testing.TB, k key, events []audit.Event, size int) auditproof.SignedCheckpoint {
	t.Helper()
	tr := auditproof.NewTree()
	for i := range events[:size] {
		if err := tr.AppendEvent(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	n, err := auditproof.Sign(auditproof.Checkpoint{Origin: origin, Size: uint64(size), Root: tr.Root()}, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	return auditproof.SignedCheckpoint{Name: fmt.Sprintf("checkpoint-%d.txt", size), Note: n}
}

// kept are the checkpoints a controller keeps of the clean log: sizes 10,
// 25, 40 and 50.
func kept(t testing.TB, k key, events []audit.Event) []auditproof.SignedCheckpoint {
	var out []auditproof.SignedCheckpoint
	for _, n := range []int{10, 25, 40, 50} {
		out = append(out, checkpoint(t, k, events, n))
	}
	return out
}

func clone(events []audit.Event) []audit.Event { return append([]audit.Event(nil), events...) }

// wantCheckpointError asserts that err names checkpoint name, failing check.
func wantCheckpointError(t *testing.T, err error, name string, size uint64, check auditproof.Check) *auditproof.CheckpointError {
	t.Helper()
	var ce *auditproof.CheckpointError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *CheckpointError", err)
	}
	if ce.Name != name || ce.Check != check || ce.Size != size || ce.Origin != origin {
		t.Fatalf("err names %s (%s, size %d) failing %q, want %s (%s, size %d) failing %q: %v",
			ce.Name, ce.Origin, ce.Size, ce.Check, name, origin, size, check, err)
	}
	if !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), fmt.Sprintf("size %d", size)) {
		t.Fatalf("message does not name the checkpoint: %v", err)
	}
	return ce
}

func verify(k key, cps []auditproof.SignedCheckpoint, events []audit.Event) (*auditproof.Report, error) {
	return auditproof.Verify(tenant, origin, k.v, cps, auditproof.SliceEvents(events))
}

func TestClauseADT1_CleanLogHoldsEveryCheckpoint(t *testing.T) {
	k := newKey(t)
	events := makeLog(57) // events after the last checkpoint are fine
	cps := kept(t, k, events)
	cps = append(cps, cps[1]) // the same checkpoint kept twice is no fork
	r, err := verify(k, cps, events)
	if err != nil {
		t.Fatal(err)
	}
	if r.Events != 57 || r.Checkpoints != 5 || r.Size != 50 {
		t.Fatalf("report %+v, want 57 events, 5 checkpoints, size 50", r)
	}
	// The same through the export, written and read back.
	var buf bytes.Buffer
	w, err := auditproof.NewExportWriter(&buf, tenant)
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
	x, err := auditproof.NewExportReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if x.Tenant() != tenant {
		t.Fatalf("tenant %q", x.Tenant())
	}
	if _, err := auditproof.Verify(x.Tenant(), origin, k.v, cps, x.Next); err != nil {
		t.Fatalf("through the export: %v", err)
	}
	// An empty log against a checkpoint of size 0.
	empty, err := auditproof.Sign(auditproof.Checkpoint{Origin: origin, Size: 0, Root: auditproof.EmptyRoot()}, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verify(k, []auditproof.SignedCheckpoint{{Name: "empty", Note: empty}}, nil); err != nil {
		t.Fatalf("empty log: %v", err)
	}
}

// The tamper classes. Each starts from the clean log of 50 events and the
// checkpoints of sizes 10, 25, 40 and 50 kept before the tampering.

func TestClauseADT1_EditFailsNamingCheckpoint(t *testing.T) {
	k := newKey(t)
	events := makeLog(50)
	cps := kept(t, k, events)
	// Event 18 is a failed login; it becomes a success, and its own hash is
	// recomputed (the link from event 19 is not).
	e := &events[17]
	if e.Action != "login.failure" {
		t.Fatalf("event 18 is %s", e.Action)
	}
	e.Action, e.Outcome = "login.success", audit.OutcomeSuccess
	e.Hash = e.ComputeHash()
	_, err := verify(k, cps, events)
	ce := wantCheckpointError(t, err, "checkpoint-25.txt", 25, auditproof.CheckChain)
	if ce.Event != 19 {
		t.Fatalf("first bad event %d, want 19 (whose previous-hash no longer matches)", ce.Event)
	}
}

func TestClauseADT1_DeleteFailsNamingCheckpoint(t *testing.T) {
	k := newKey(t)
	events := makeLog(50)
	cps := kept(t, k, events)
	events = append(clone(events[:30]), events[31:]...) // event 31 goes
	_, err := verify(k, cps, events)
	ce := wantCheckpointError(t, err, "checkpoint-40.txt", 40, auditproof.CheckChain)
	if ce.Event != 31 || !strings.Contains(ce.Reason, "missing") {
		t.Fatalf("event %d, reason %q; want event 31 missing", ce.Event, ce.Reason)
	}
}

func TestClauseADT1_ReorderFailsNamingCheckpoint(t *testing.T) {
	k := newKey(t)
	events := makeLog(50)
	cps := kept(t, k, events)
	events[4], events[5] = events[5], events[4]
	events[4].Seq, events[5].Seq = 5, 6 // renumbered, hashes left
	_, err := verify(k, cps, events)
	ce := wantCheckpointError(t, err, "checkpoint-10.txt", 10, auditproof.CheckChain)
	if ce.Event != 5 {
		t.Fatalf("first bad event %d, want 5", ce.Event)
	}
}

func TestClauseADT1_TruncateFailsNamingCheckpoint(t *testing.T) {
	k := newKey(t)
	events := makeLog(50)
	cps := kept(t, k, events)
	// The last 15 events go, and the rest is intact: the chain alone (with
	// its head moved) cannot tell.
	_, err := verify(k, cps, events[:35])
	ce := wantCheckpointError(t, err, "checkpoint-40.txt", 40, auditproof.CheckTruncated)
	if !strings.Contains(ce.Reason, "ends at event 35") {
		t.Fatalf("reason %q", ce.Reason)
	}
	// Everything deleted and the head reset to the genesis.
	_, err = verify(k, cps, nil)
	wantCheckpointError(t, err, "checkpoint-10.txt", 10, auditproof.CheckTruncated)
}

func TestClauseADT1_ForkFailsNamingCheckpoint(t *testing.T) {
	k := newKey(t)
	events := makeLog(50)
	cps := kept(t, k, events)
	// The supplier signs, for the same size 40, a rewritten log: the
	// controller who kept both holds proof of a fork.
	other := rechain(clone(events))
	other[2].Purpose = "another purpose"
	other = rechain(other)
	fork := checkpoint(t, k, other, 40)
	fork.Name = "checkpoint-40-b.txt"
	_, err := verify(k, append(cps, fork), events)
	ce := wantCheckpointError(t, err, "checkpoint-40-b.txt", 40, auditproof.CheckFork)
	if !strings.Contains(ce.Reason, "checkpoint-40.txt") {
		t.Fatalf("reason %q does not name the other checkpoint", ce.Reason)
	}
}

func TestClauseADT1_FullRehashFailsNamingCheckpoint(t *testing.T) {
	k := newKey(t)
	events := makeLog(50)
	cps := kept(t, k, events)
	// The 20-line script: a failed login becomes a success, another event
	// is deleted, the rest renumbered and every hash recomputed. The chain
	// verifies (as `kluis audit verify` says today)…
	events = clone(events)
	events[17].Action, events[17].Outcome = "login.success", audit.OutcomeSuccess
	events = rechain(append(events[:20], events[21:]...))
	chain := audit.NewVerifier(tenant)
	for i := range events {
		if err := chain.Next(&events[i]); err != nil {
			t.Fatalf("the rehashed chain should verify: %v", err)
		}
	}
	// …but the first checkpoint that covers event 18 no longer holds.
	_, err := verify(k, cps, events)
	wantCheckpointError(t, err, "checkpoint-25.txt", 25, auditproof.CheckRoot)
}

func TestClauseADT1_ForeignKeyFailsNamingCheckpoint(t *testing.T) {
	k, other := newKey(t), newKey(t) // same name, another key
	events := makeLog(50)
	cps := kept(t, k, events)
	forged := checkpoint(t, other, events, 25)
	forged.Name = "checkpoint-25-forged.txt"
	_, err := verify(k, []auditproof.SignedCheckpoint{cps[0], forged, cps[3]}, events)
	ce := wantCheckpointError(t, err, "checkpoint-25-forged.txt", 25, auditproof.CheckSignature)
	if !strings.Contains(ce.Reason, "not signed by the key") {
		t.Fatalf("reason %q", ce.Reason)
	}
	// A note whose text was changed after signing.
	altered := auditproof.SignedCheckpoint{Name: "altered.txt",
		Note: bytes.Replace(cps[1].Note, []byte("\n25\n"), []byte("\n24\n"), 1)}
	_, err = verify(k, []auditproof.SignedCheckpoint{altered}, events)
	wantCheckpointError(t, err, "altered.txt", 24, auditproof.CheckSignature)
}

func TestClauseADT1_OtherTenantsCheckpointRefused(t *testing.T) {
	k := newKey(t)
	events := makeLog(10)
	n, err := auditproof.Sign(auditproof.Checkpoint{Origin: auditproof.Origin(auditproof.OriginPrefix, "t-brugge"), Size: 10,
		Root: auditproof.EmptyRoot()}, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	_, err = verify(k, []auditproof.SignedCheckpoint{{Name: "brugge.txt", Note: n}}, events)
	var ce *auditproof.CheckpointError
	if !errors.As(err, &ce) || ce.Check != auditproof.CheckOrigin || ce.Name != "brugge.txt" {
		t.Fatalf("err = %v, want the origin check failing on brugge.txt", err)
	}
}

func TestClauseADT1_BreakAfterLastCheckpointIsATailError(t *testing.T) {
	k := newKey(t)
	events := makeLog(50)
	cps := kept(t, k, events)[:2] // up to 25
	events[40].Purpose = "edited"
	_, err := verify(k, cps, events)
	var te *auditproof.TailError
	if !errors.As(err, &te) || te.Largest != 25 || te.Err.Seq != 41 {
		t.Fatalf("err = %v, want a tail error at event 41 after size 25", err)
	}
}

func TestClauseADT1_InclusionOfOneEvent(t *testing.T) {
	k := newKey(t)
	events := makeLog(50)
	tr := auditproof.NewTree()
	for i := range events {
		if err := tr.AppendEvent(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	cp := checkpoint(t, k, events, 40)
	c, err := auditproof.Parse(cp.Name, cp.Note, origin, k.v)
	if err != nil {
		t.Fatal(err)
	}
	e := events[17] // the failed login
	p, err := tr.InclusionProof(uint64(e.Seq-1), c.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := auditproof.VerifyInclusion(&e, c.Size, p, c.Root); err != nil {
		t.Fatalf("inclusion of event 18 in checkpoint of size 40: %v", err)
	}
	// Turned into a success, with its hash recomputed, it is not included.
	e.Action, e.Outcome = "login.success", audit.OutcomeSuccess
	e.Hash = e.ComputeHash()
	if err := auditproof.VerifyInclusion(&e, c.Size, p, c.Root); err == nil {
		t.Fatal("the edited event verified as included")
	}
	// Nor when it keeps its old hash.
	e.Hash = events[17].Hash
	if err := auditproof.VerifyInclusion(&e, c.Size, p, c.Root); err == nil || !strings.Contains(err.Error(), "edited") {
		t.Fatalf("err = %v, want the edit named", err)
	}
	// The tree's roots and consistency proofs agree with the checkpoints.
	root25, _ := tr.RootAt(25)
	cp25 := checkpoint(t, k, events, 25)
	c25, _ := auditproof.Parse(cp25.Name, cp25.Note, origin, k.v)
	if !bytes.Equal(root25, c25.Root) {
		t.Fatal("RootAt(25) differs from the checkpoint of 25")
	}
	cons, err := tr.ConsistencyProof(25, 40)
	if err != nil {
		t.Fatal(err)
	}
	if err := auditproof.VerifyConsistency(25, 40, cons, c25.Root, c.Root); err != nil {
		t.Fatal(err)
	}
}

func TestLogMatchesTreeAndResumes(t *testing.T) {
	events := makeLog(100)
	l, tr := auditproof.NewLog(), auditproof.NewTree()
	if !bytes.Equal(l.Root(), auditproof.EmptyRoot()) {
		t.Fatal("empty root")
	}
	for i := range events {
		if i == 37 { // the store saves the frontier and resumes later
			saved := make([][]byte, len(l.Frontier()))
			copy(saved, l.Frontier())
			var err error
			if l, err = auditproof.ResumeLog(l.Size(), saved); err != nil {
				t.Fatal(err)
			}
		}
		if i == 64 { // …or saves it as bytes
			var err error
			if l, err = auditproof.ResumeLogBytes(l.Size(), l.FrontierBytes()); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.AppendEvent(&events[i]); err != nil {
			t.Fatal(err)
		}
		if err := tr.AppendEvent(&events[i]); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(l.Root(), tr.Root()) {
			t.Fatalf("roots differ at %d", i+1)
		}
	}
	if err := l.AppendEvent(&events[3]); err == nil {
		t.Fatal("an event out of order was appended")
	}
	if _, err := auditproof.ResumeLog(5, [][]byte{make([]byte, 32)}); err == nil {
		t.Fatal("a frontier of the wrong length was accepted")
	}
	if _, err := auditproof.ResumeLogBytes(5, make([]byte, 40)); err == nil {
		t.Fatal("a frontier of partial hashes was accepted")
	}
}

func TestCheckpointNoteFormat(t *testing.T) {
	k := newKey(t)
	root := bytes.Repeat([]byte{0xab}, 32)
	n, err := auditproof.Sign(auditproof.Checkpoint{Origin: origin, Size: 42, Root: root}, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	text, sig, ok := strings.Cut(string(n), "\n\n")
	if !ok || text != origin+"\n42\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=" {
		t.Fatalf("note text %q", text)
	}
	if !strings.HasPrefix(sig, "— "+keyName+" ") || !strings.HasSuffix(sig, "\n") {
		t.Fatalf("signature line %q", sig)
	}
	c, err := auditproof.Parse("n", n, origin, k.v)
	if err != nil || c.Size != 42 || !bytes.Equal(c.Root, root) {
		t.Fatalf("parsed %+v, %v", c, err)
	}
	if _, err := auditproof.Sign(auditproof.Checkpoint{Origin: origin, Size: 1, Root: []byte{1}}, k.signer); err == nil {
		t.Fatal("a short root was signed")
	}
}

func TestMalformedCheckpointRefused(t *testing.T) {
	k := newKey(t)
	good := checkpoint(t, k, makeLog(3), 3).Note
	for name, data := range map[string]string{
		"empty":        "",
		"no signature": origin + "\n3\nAAAA\n",
		"garbage":      "hello world",
		"control char": strings.Replace(string(good), "\n3\n", "\n3\x01\n", 1),
		"cut off":      string(good[:len(good)-10]),
	} {
		_, err := auditproof.Parse("cp.txt", []byte(data), origin, k.v)
		var ce *auditproof.CheckpointError
		if !errors.As(err, &ce) || ce.Name != "cp.txt" || (ce.Check != auditproof.CheckFormat && ce.Check != auditproof.CheckSignature) {
			t.Errorf("%s: err = %v, want a format or signature error naming cp.txt", name, err)
		}
	}
	// Well signed but not a checkpoint body.
	bad, err := note.Sign(&note.Note{Text: origin + "\nnot a size\nAAAA\n"}, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	_, err = auditproof.Parse("cp.txt", bad, origin, k.v)
	var ce *auditproof.CheckpointError
	if !errors.As(err, &ce) || ce.Check != auditproof.CheckFormat || !strings.Contains(err.Error(), "size") {
		t.Fatalf("err = %v, want a format error about the size", err)
	}
}

func TestKeyFormats(t *testing.T) {
	k := newKey(t)
	fp, err := auditproof.Fingerprint(k.vkey)
	if err != nil || !strings.HasPrefix(fp, "SHA256:") || len(fp) != len("SHA256:")+43 {
		t.Fatalf("fingerprint %q, %v", fp, err)
	}
	if !strings.HasPrefix(k.vkey, keyName+"+") {
		t.Fatalf("verifier key %q", k.vkey)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	skey, _, _ := note.GenerateKey(rand.Reader, keyName)
	name, rest, _ := strings.Cut(k.vkey, "+")
	hash, key64, _ := strings.Cut(rest, "+")
	parts := []string{name, hash, key64}
	for name, c := range map[string]struct{ vkey, want string }{
		"empty":       {"", "empty"},
		"private key": {skey, "private key"},
		"no plus":     {"abcdef", "name+hash+key"},
		"short hash":  {parts[0] + "+abc+" + parts[2], "8 hexadecimal"},
		"not base64":  {parts[0] + "+" + parts[1] + "+!!!", "base64"},
		"not ed25519": {parts[0] + "+" + parts[1] + "+AgAA", "Ed25519"},
		"wrong hash":  {parts[0] + "+00000000+" + parts[2], "key hash does not match"},
		"raw key":     {fmt.Sprintf("%x", priv.Public()), "name+hash+key"},
	} {
		_, err := auditproof.ParseVerifierKey(c.vkey)
		var ke *auditproof.KeyError
		if !errors.As(err, &ke) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want a *KeyError saying %q", name, err, c.want)
		}
		if _, err := auditproof.Fingerprint(c.vkey); err == nil {
			t.Errorf("%s: fingerprint of a bad key", name)
		}
	}
	if _, err := auditproof.NewSigner(keyName, priv[:10]); err == nil {
		t.Fatal("a short private key made a signer")
	}
	if _, err := auditproof.NewSigner("with space", priv); err == nil {
		t.Fatal("a key name with a space made a signer")
	}
}

func TestExportBadInput(t *testing.T) {
	events := makeLog(3)
	var buf bytes.Buffer
	w, _ := auditproof.NewExportWriter(&buf, tenant)
	for i := range events {
		_ = w.Write(&events[i])
	}
	_ = w.Flush()
	good := buf.String()
	lines := strings.SplitAfter(good, "\n")
	if _, got, err := auditproof.ReadExport(strings.NewReader(good)); err != nil || len(got) != 3 {
		t.Fatalf("read back %d events, %v", len(got), err)
	} else if got[1].Time != events[1].Time || !bytes.Equal(got[1].Hash, events[1].Hash) || got[1].Actor != events[1].Actor {
		t.Fatalf("event 2 read back as %+v", got[1])
	}
	for name, c := range map[string]struct {
		data string
		line int
		want string
	}{
		"empty":           {"", 1, "empty"},
		"not json header": {"hello\n", 1, "header"},
		"other format":    {`{"format":"csv","version":1,"tenant":"x"}` + "\n", 1, "format"},
		"cut off":         {good[:len(good)-20], 4, "truncated"},
		"garbled":         {lines[0] + lines[1] + "{\"seq\":2,\"ti\x00me\n" + lines[3], 3, "not an event"},
		"unknown field":   {lines[0] + strings.Replace(lines[1], `"seq"`, `"extra":1,"seq"`, 1), 2, "unknown field"},
		"short hash":      {lines[0] + strings.Replace(lines[1], `"hash":"`, `"hash":"ab`, 1), 2, "hash"},
		"bad time":        {lines[0] + strings.Replace(lines[1], "2026-12-04T", "2026-13-04T", 1), 2, "RFC 3339"},
		"no seq":          {lines[0] + strings.Replace(lines[1], `"seq":1,`, ``, 1), 2, "seq"},
	} {
		_, _, err := auditproof.ReadExport(strings.NewReader(c.data))
		var xe *auditproof.ExportError
		if !errors.As(err, &xe) || xe.Line != c.line || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want line %d saying %q", name, err, c.line, c.want)
		}
	}
}

func FuzzParseCheckpoint(f *testing.F) {
	k := newKey(f)
	f.Add(checkpoint(f, k, makeLog(3), 3).Note)
	f.Add([]byte(origin + "\n3\nAAAA\n\n— x AAAAAAAA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := auditproof.Parse("f", data, origin, k.v)
		if err == nil && (c.Origin != origin || len(c.Root) != 32) {
			t.Fatalf("accepted %+v", c)
		}
		var ce *auditproof.CheckpointError
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("untyped error %v", err)
		}
	})
}

func FuzzExportReader(f *testing.F) {
	events := makeLog(2)
	var buf bytes.Buffer
	w, _ := auditproof.NewExportWriter(&buf, tenant)
	for i := range events {
		_ = w.Write(&events[i])
	}
	_ = w.Flush()
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"kluis-audit-export","version":1,"tenant":"t"}` + "\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, got, err := auditproof.ReadExport(bytes.NewReader(data))
		var xe *auditproof.ExportError
		if err != nil && !errors.As(err, &xe) {
			t.Fatalf("untyped error %v", err)
		}
		for _, e := range got {
			if e.Seq < 1 || len(e.Hash) != 32 || len(e.PrevHash) != 32 {
				t.Fatalf("accepted %+v", e)
			}
		}
	})
}

// A log longer than the verifier's batches: the first checkpoint that no
// longer holds is still the one named, whichever batch the damage is in.
func TestClauseADT1_LongLogNamesFirstCheckpoint(t *testing.T) {
	k := newKey(t)
	clean := makeLog(20000)
	var cps []auditproof.SignedCheckpoint
	for _, n := range []int{5000, 9500, 12289, 20000} {
		cps = append(cps, checkpoint(t, k, clean, n))
	}
	if _, err := verify(k, cps, clean); err != nil {
		t.Fatal(err)
	}
	rewritten := clone(clean)
	rewritten[9000].Purpose = "another purpose"
	_, err := verify(k, cps, rechain(rewritten))
	wantCheckpointError(t, err, "checkpoint-9500.txt", 9500, auditproof.CheckRoot)

	early := clone(clean)
	if early[101].Outcome != audit.OutcomeFailure {
		t.Fatal("event 102 should be a failed login")
	}
	early[101].Outcome = audit.OutcomeSuccess
	_, err = verify(k, cps, rechain(early))
	wantCheckpointError(t, err, "checkpoint-5000.txt", 5000, auditproof.CheckRoot)

	deleted := append(clone(clean[:12000]), clean[12001:]...)
	_, err = verify(k, cps, deleted)
	if ce := wantCheckpointError(t, err, "checkpoint-12289.txt", 12289, auditproof.CheckChain); ce.Event != 12001 {
		t.Fatalf("first bad event %d, want 12001", ce.Event)
	}
}
