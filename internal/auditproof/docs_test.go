package auditproof_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
)

// docsExample is the worked example of docs/audit.md: three events of
// tenant "t-example", their export, and a checkpoint of them signed with a
// key whose seed is 32 bytes of 0x01 (published; an example only).
func docsExample(t *testing.T) (export, vkey, fp, cp string, hashes []string) {
	t.Helper()
	at := time.Date(2026, 12, 4, 9, 15, 2, 123456000, time.UTC)
	events := []audit.Event{
		{Actor: audit.Actor{Kind: audit.KindUser, ID: "u-1", Role: "admin", RequestID: "r-1"}, Action: "login.failure",
			ObjectType: "user", ObjectID: "u-1", Outcome: audit.OutcomeFailure},
		{Actor: audit.Actor{Kind: audit.KindUser, ID: "u-1", Role: "admin", RequestID: "r-2"}, Action: "login.success",
			ObjectType: "user", ObjectID: "u-1", Outcome: audit.OutcomeSuccess},
		{Actor: audit.Actor{Kind: audit.KindOperator, ID: "op-7", Role: "operator", OnBehalfOf: "grant-3", RequestID: "r-3"},
			Action: "submission.read", ObjectType: "submission", ObjectID: "s-42", Subject: "5e2b9c01d4f3a7b6", Purpose: "maintenance",
			Outcome: audit.OutcomeSuccess},
	}
	prev := audit.Genesis("t-example")
	var buf bytes.Buffer
	w, _ := auditproof.NewExportWriter(&buf, "t-example")
	tr := auditproof.NewTree()
	for i := range events {
		e := &events[i]
		e.TenantID, e.Seq, e.Time, e.PrevHash = "t-example", int64(i+1), at.Add(time.Duration(i)*time.Minute), prev
		e.Hash = e.ComputeHash()
		prev = e.Hash
		hashes = append(hashes, hex.EncodeToString(e.Hash))
		_ = w.Write(e)
		_ = tr.AppendEvent(e)
	}
	_ = w.Flush()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	s, err := auditproof.NewSigner("kluis.example/audit", priv)
	if err != nil {
		t.Fatal(err)
	}
	vkey, _ = auditproof.VerifierKey("kluis.example/audit", priv.Public().(ed25519.PublicKey))
	fp, _ = auditproof.Fingerprint(vkey)
	n, err := auditproof.Sign(auditproof.Checkpoint{Origin: auditproof.Origin(auditproof.OriginPrefix, "t-example"),
		Size: 3, Root: tr.Root()}, s)
	if err != nil {
		t.Fatal(err)
	}
	return buf.String(), vkey, fp, string(n), hashes
}

// TestDocsAuditExampleIsTrue keeps the worked example of docs/audit.md
// true: a controller's IT department checks its own verifier against it.
func TestDocsAuditExampleIsTrue(t *testing.T) {
	export, vkey, fp, cp, hashes := docsExample(t)
	doc, err := os.ReadFile("../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range append([]string{export, vkey, fp, cp}, hashes...) {
		if !strings.Contains(string(doc), want) {
			t.Errorf("docs/audit.md lacks\n%s", want)
		}
	}
}

// docsPrunedExample is the pruning example of docs/audit.md: the log of
// docsExample pruned at its checkpoint of size 2, and the export of what
// remains.
func docsPrunedExample(t *testing.T) (export, record, cp2 string) {
	t.Helper()
	full, _, _, _, _ := docsExample(t)
	_, events, err := auditproof.ReadExport(strings.NewReader(full))
	if err != nil {
		t.Fatal(err)
	}
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	s, err := auditproof.NewSigner("kluis.example/audit", priv)
	if err != nil {
		t.Fatal(err)
	}
	origin := auditproof.Origin(auditproof.OriginPrefix, "t-example")
	tree := auditproof.NewLog()
	for i := range events[:2] {
		_ = tree.AppendEvent(&events[i])
	}
	cp, err := auditproof.Sign(auditproof.Checkpoint{Origin: origin, Size: 2, Root: tree.Root()}, s)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := auditproof.SignPruning(auditproof.Pruning{Origin: origin, Size: 2, Root: tree.Root(),
		LastHash: events[1].Hash, Frontier: tree.Frontier()}, s)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, _ := auditproof.NewPrunedExportWriter(&buf, "t-example", &auditproof.Pruned{Record: rec, Checkpoint: cp})
	_ = w.Write(&events[2])
	_ = w.Flush()
	return buf.String(), string(rec), string(cp)
}

// TestDocsAuditPruningExampleIsTrue keeps the pruning example of
// docs/audit.md true, and shows that it verifies against the example's
// checkpoint of size 3 (AUD-2).
func TestDocsAuditPruningExampleIsTrue(t *testing.T) {
	export, record, cp2 := docsPrunedExample(t)
	_, vkey, _, cp3, _ := docsExample(t)
	doc, err := os.ReadFile("../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{export, record, cp2} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("docs/audit.md lacks\n%s", want)
		}
	}
	v, err := auditproof.ParseVerifierKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	x, err := auditproof.NewExportReader(strings.NewReader(export))
	if err != nil {
		t.Fatal(err)
	}
	r, err := auditproof.VerifyFrom("t-example", auditproof.Origin(auditproof.OriginPrefix, "t-example"), v, x.Pruned(),
		[]auditproof.SignedCheckpoint{{Name: "cp3", Note: []byte(cp3)}}, x.Next)
	if err != nil || r.Events != 1 || r.Pruned != 2 {
		t.Fatalf("the example does not verify: %+v, %v", r, err)
	}
	if os.Getenv("KLUIS_PRINT_DOCS") != "" {
		t.Logf("\n%s\n%s\n%s", export, record, cp2)
	}
}
