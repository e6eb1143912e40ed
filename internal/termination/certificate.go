package termination

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// CertificateFormat names the certificate's JSON format.
const CertificateFormat = "kluis-destruction-certificate/v1"

// Certificate is what the destruction certificate states (END-5): what
// was destroyed, when and how, and what is kept by legal obligation and
// why. It holds no personal data: it outlives the tenant's keys.
type Certificate struct {
	Format   string           `json:"format"`
	Tenant   CertTenant       `json:"tenant"`
	IssuedAt time.Time        `json:"issued_at"`
	Steps    []CertStep       `json:"steps"`
	Export   CertExport       `json:"export"`
	Receipt  CertReceipt      `json:"receipt"`
	Rows     map[string]int64 `json:"rows_deleted"`
	Files    string           `json:"files"`
	Keys     CertKeys         `json:"keys"`
	Check    CertCheck        `json:"check"`
	Kept     []CertKept       `json:"kept"`
	AuditLog CertAuditLog     `json:"audit_log"`
}

// CertAuditLog pins the kept audit log as it stood when the certificate
// was made: a checkpoint signed with the same platform key, so that the
// controller can later show that the log it keeps is the one certified.
type CertAuditLog struct {
	Size       int64  `json:"size"`
	RootSHA256 string `json:"root_sha256"`
	Checkpoint string `json:"checkpoint"` // the signed note
}

// CertTenant identifies the controller.
type CertTenant struct {
	ID               string `json:"id"`
	Slug             string `json:"slug"`
	LegalName        string `json:"legal_name"`
	EnterpriseNumber string `json:"enterprise_number"`
	Lang             string `json:"lang"`
}

// CertStep is one step: when, and by whom (an actor id, never a name).
type CertStep struct {
	Step      string    `json:"step"`
	DoneAt    time.Time `json:"done_at"`
	ActorKind string    `json:"actor_kind"`
	ActorID   string    `json:"actor_id"`
}

// CertExport is the hand-over of the final export (END-3).
type CertExport struct {
	ManifestSHA256 string `json:"manifest_sha256"`
	Files          int    `json:"files"`
	ReceivedBy     string `json:"received_by"`
	Exporter       string `json:"exporter"` // "kluis", or "manual" when made by hand
}

// CertReceipt says how the receipt step was reached.
type CertReceipt struct {
	By   string `json:"by"` // "controller" or "deadline"
	Days int    `json:"days"`
}

// CertKeys is the key destruction.
type CertKeys struct {
	Keyring           string   `json:"keyring"` // "destroyed" or "absent"
	KeyIDs            []uint32 `json:"data_key_ids"`
	BackupsConfigured bool     `json:"backups_configured"`
	Backups           []string `json:"keyring_backups"`
}

// CertCheck is the proof that old copies no longer open.
type CertCheck struct {
	LiveValueOpens    bool     `json:"live_value_opens"`
	BackupsConfigured bool     `json:"backups_configured"`
	Backups           []string `json:"data_backups_unreadable"`
}

// CertKept is one table kept by legal obligation.
type CertKept struct {
	Table string `json:"table"`
	Why   string `json:"why"`
}

// Signed is the certificate file: the payload, the platform's public
// verification key (the one published at /.well-known/kluis-audit-key)
// and its Ed25519 signature over the compact payload.
type Signed struct {
	Format      string          `json:"format"`
	Payload     json.RawMessage `json:"payload"`
	VerifierKey string          `json:"verifier_key"`
	Signature   string          `json:"signature"`
}

// certificate builds and signs the certificate from the steps done.
func (p *Procedure) certificate(ctx context.Context, t tenant.Tenant, term store.Termination, actor audit.Actor) (map[string]any, error) {
	c, err := Build(t, term, p.DB.Now())
	if err != nil {
		return nil, err
	}
	key, err := p.DB.CheckpointKeyBy(ctx, actor, p.KeyName)
	if err != nil {
		return nil, fmt.Errorf("platform signing key: %w", err)
	}
	cp, _, err := p.DB.SignCheckpoint(ctx, t.ID, key.Signer, nil)
	if err != nil {
		return nil, fmt.Errorf("audit checkpoint: %w", err)
	}
	c.AuditLog = CertAuditLog{Size: cp.Size, RootSHA256: hex.EncodeToString(cp.Root), Checkpoint: string(cp.Note)}
	signed, err := Sign(c, key)
	if err != nil {
		return nil, err
	}
	// Kept as raw bytes: decoding it into a map would reorder the signed
	// payload's keys.
	return map[string]any{"certificate": json.RawMessage(signed)}, nil
}

// Build gathers the certificate from the steps recorded.
func Build(t tenant.Tenant, term store.Termination, now time.Time) (Certificate, error) {
	c := Certificate{Format: CertificateFormat, IssuedAt: now.UTC().Truncate(time.Second),
		Tenant: CertTenant{ID: t.ID, Slug: t.Slug, LegalName: t.LegalName, EnterpriseNumber: t.EnterpriseNumber, Lang: t.DefaultLang},
		Rows:   map[string]int64{},
		Files: "attachments are stored as sealed rows of the database (table attachments), and those above the " +
			"shared-storage threshold as sealed objects under attachments/<tenant>/ of the shared object store, " +
			"which the attachment sweep deletes once their rows are gone: they are counted with the rows and " +
			"unreadable without the keys",
	}
	for _, s := range term.Steps {
		c.Steps = append(c.Steps, CertStep{Step: s.Step, DoneAt: s.DoneAt.UTC(), ActorKind: string(s.ActorKind), ActorID: s.ActorID})
	}
	for _, part := range []struct {
		step string
		into any
	}{
		{store.TermExport, &c.Export},
		{store.TermReceipt, &c.Receipt},
		{store.TermKeys, &c.Keys},
		{store.TermCheck, &c.Check},
	} {
		s, ok := term.Step(part.step)
		if !ok {
			return Certificate{}, fmt.Errorf("%w: %s is not done", store.ErrTerminationOrder, part.step)
		}
		if err := json.Unmarshal(s.Detail, part.into); err != nil {
			return Certificate{}, fmt.Errorf("step %s: %w", part.step, err)
		}
	}
	c.Receipt.Days = term.ReceiptDays()
	del, ok := term.Step(store.TermDelete)
	if !ok {
		return Certificate{}, fmt.Errorf("%w: delete is not done", store.ErrTerminationOrder)
	}
	var rows struct {
		Rows map[string]int64 `json:"rows"`
	}
	if err := json.Unmarshal(del.Detail, &rows); err != nil {
		return Certificate{}, err
	}
	for tb, n := range rows.Rows {
		c.Rows[tb] = n
	}
	if c.Keys.Backups == nil {
		c.Keys.Backups = []string{}
	}
	if c.Check.Backups == nil {
		c.Check.Backups = []string{}
	}
	for tb, why := range store.TerminationKept {
		c.Kept = append(c.Kept, CertKept{Table: tb, Why: why})
	}
	sort.Slice(c.Kept, func(i, j int) bool { return c.Kept[i].Table < c.Kept[j].Table })
	return c, nil
}

// Sign signs the certificate with the platform key and returns the file.
func Sign(c Certificate, key store.CheckpointKey) ([]byte, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	sig, err := key.Signer.Sign(payload)
	if err != nil {
		return nil, fmt.Errorf("sign certificate: %w", err)
	}
	return json.MarshalIndent(Signed{Format: CertificateFormat, Payload: payload, VerifierKey: key.VerifierKey,
		Signature: base64.StdEncoding.EncodeToString(sig)}, "", "  ")
}

// ErrCertificateInvalid: the file is not a certificate, its signature does
// not verify, or it is signed by another key than the one pinned.
var ErrCertificateInvalid = errors.New("the certificate is not valid")

// Verify checks a certificate file offline: its signature against the
// verifier key it embeds and, when pinned is not empty, that this key is
// the pinned one (the platform's published key or its fingerprint). It
// returns the certificate and the verifier key that signed it when valid.
func Verify(file []byte, pinned string) (Certificate, string, error) {
	var s Signed
	if err := json.Unmarshal(file, &s); err != nil || s.Format != CertificateFormat || len(s.Payload) == 0 {
		return Certificate{}, "", fmt.Errorf("%w: not a Kluis destruction certificate", ErrCertificateInvalid)
	}
	v, err := auditproof.ParseVerifierKey(s.VerifierKey)
	if err != nil {
		return Certificate{}, "", fmt.Errorf("%w: its key: %v", ErrCertificateInvalid, err)
	}
	if pinned != "" {
		fp, _ := auditproof.Fingerprint(s.VerifierKey)
		if pinned != s.VerifierKey && pinned != fp {
			return Certificate{}, "", fmt.Errorf("%w: signed by key %s, not the pinned key", ErrCertificateInvalid, fp)
		}
	}
	sig, err := base64.StdEncoding.DecodeString(s.Signature)
	if err != nil {
		return Certificate{}, "", fmt.Errorf("%w: the signature is not base64", ErrCertificateInvalid)
	}
	// The file may have been re-indented: the signature is over the
	// compact payload.
	var compact bytes.Buffer
	if err := json.Compact(&compact, s.Payload); err != nil {
		return Certificate{}, "", fmt.Errorf("%w: %v", ErrCertificateInvalid, err)
	}
	if !v.Verify(compact.Bytes(), sig) {
		return Certificate{}, "", fmt.Errorf("%w: the signature does not match its content", ErrCertificateInvalid)
	}
	var c Certificate
	dec := json.NewDecoder(bytes.NewReader(compact.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.Format != CertificateFormat {
		return Certificate{}, "", fmt.Errorf("%w: the content is not a certificate", ErrCertificateInvalid)
	}
	return c, s.VerifierKey, nil
}

// VerifyFile is Verify on a file's content.
func VerifyFile(path, pinned string) (Certificate, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Certificate{}, "", err
	}
	return Verify(b, pinned)
}

// SignedCertificate returns the certificate file recorded by the last
// step; ErrTerminationOrder before it is done.
func SignedCertificate(term store.Termination) ([]byte, error) {
	s, ok := term.Step(store.TermCertificate)
	if !ok {
		return nil, fmt.Errorf("%w: the certificate is not made yet", store.ErrTerminationOrder)
	}
	var d struct {
		Certificate json.RawMessage `json:"certificate"`
	}
	if err := json.Unmarshal(s.Detail, &d); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, d.Certificate, "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
