package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/kluis/kluis/internal/seal"
)

// BulkSeed describes the large tenant of the benchmarks (END-3, the backup
// targets): Submissions of a form with realistic answers (~0.6 KB of JSON,
// a contact address and a language, each sealed with the tenant key as the
// store seals them), and AttachmentBytes of files spread over them in
// files of AttachmentSize (default 64 KiB).
type BulkSeed struct {
	TenantID        string
	FormKey         string // default "vraag"
	Submissions     int
	AttachmentBytes int64
	AttachmentSize  int
}

// SeedBulk writes a BulkSeed straight into the tables, thousands of rows
// per transaction: going through SubmitForm (one durable commit and one
// audit event each) would take most of an hour for a million. So the rows
// have no audit events of their own, which the benchmarks say; everything
// else is as the store writes it, and the export and backup read it as
// any other tenant's.
func SeedBulk(tb testing.TB, env *Env, s BulkSeed) {
	tb.Helper()
	if s.FormKey == "" {
		s.FormKey = "vraag"
	}
	if s.AttachmentSize <= 0 {
		s.AttachmentSize = 64 << 10
	}
	files := 0
	if s.AttachmentBytes > 0 {
		files = int((s.AttachmentBytes + int64(s.AttachmentSize) - 1) / int64(s.AttachmentSize))
	}
	every := 0 // every-th submission has a file
	if files > 0 {
		every = max(1, s.Submissions/files)
	}
	raw := env.Raw(tb)
	seal1 := func(table, col, id string, pt []byte) []byte {
		ct, err := env.Keys.Seal(s.TenantID, seal.AD{Tenant: s.TenantID, Table: table, Column: col, Row: id}, pt)
		if err != nil {
			tb.Fatal(err)
		}
		return ct
	}
	var run [8]byte
	rand.Read(run[:])
	prefix := hex.EncodeToString(run[:])
	file := make([]byte, s.AttachmentSize)
	rand.Read(file) // incompressible, as most scans and photos are
	now := env.Clock.Now().UnixMilli()
	const perTx = 5000
	made := 0
	for start := 0; start < s.Submissions; start += perTx {
		tx, err := raw.Begin()
		if err != nil {
			tb.Fatal(err)
		}
		sub, err := tx.Prepare(`INSERT INTO submissions (id, tenant_id, form_key, data, created_at, form_version, register_version,
			reference, status, updated_at, contact, lang) VALUES ($1, $2, $3, $4, $5, 1, 1, $6, 'new', $5, $7, $8)`)
		if err != nil {
			tb.Fatal(err)
		}
		att, err := tx.Prepare(`INSERT INTO attachments (id, tenant_id, submission_id, field_key, name, content_type, size, data,
			scanned_at, scanner, created_at) VALUES ($1, $2, $3, 'bijlage', $4, 'application/pdf', $5, $6, $7, 'clamd bench', $7)`)
		if err != nil {
			tb.Fatal(err)
		}
		for i := start; i < min(start+perTx, s.Submissions); i++ {
			id := fmt.Sprintf("%s-%08d", prefix, i)
			at := now + int64(i)*1000
			data := fmt.Sprintf(`{"name":{"value":"Burger Bench %d"},"email":{"value":"burger%d@example.be"},"topic":{"value":"street"},`+
				`"message":{"value":"De straatverlichting in de Kerkstraat brandt niet sinds maandag. Het is er 's avonds erg donker en `+
				`kinderen fietsen daar naar school. Kunnen jullie dit nakijken en laten weten wanneer het hersteld wordt? Nummer %d."},`+
				`"address":{"value":"Kerkstraat %d, 9000 Gent"},"phone":{"value":"+32 9 %03d %02d %02d"}}`, i, i, i, i%200+1, i%1000, i%100, (i/100)%100)
			if _, err := sub.Exec(id, s.TenantID, s.FormKey, seal1("submissions", "data", id, []byte(data)), at,
				fmt.Sprintf("BENCH-%s-%08d", prefix, i),
				seal1("submissions", "contact", id, fmt.Appendf(nil, "burger%d@example.be", i)),
				seal1("submissions", "lang", id, []byte("nl"))); err != nil {
				tb.Fatal(err)
			}
			if every > 0 && i%every == 0 && made < files {
				aid := id + "-a"
				if _, err := att.Exec(aid, s.TenantID, id, seal1("attachments", "name", aid, fmt.Appendf(nil, "melding-%d.pdf", i)),
					len(file), seal1("attachments", "data", aid, file), at); err != nil {
					tb.Fatal(err)
				}
				made++
			}
		}
		sub.Close()
		att.Close()
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
}
