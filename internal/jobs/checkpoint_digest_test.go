package jobs

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
	"github.com/kluis/kluis/internal/mail/mailtest"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

var digestBlock = regexp.MustCompile(`(?s)-----BEGIN KLUIS CHECKPOINT (\S+)-----\n(.*?)-----END KLUIS CHECKPOINT-----`)

// digestCheckpoints reads the checkpoints of a digest mail's body by file
// name, as a DPO saving them would.
func digestCheckpoints(body string) map[string][]byte {
	out := map[string][]byte{}
	for _, m := range digestBlock.FindAllStringSubmatch(strings.ReplaceAll(body, "\r\n", "\n"), -1) {
		out[m[1]] = []byte(m[2])
	}
	return out
}

// TestClauseAUD2_DigestMailsCheckpointsToTheDPO: once a day the DPO gets a
// mail, through the outbox and a real SMTP relay, in the tenant's
// language, with the verification key and every checkpoint signed since
// the last digest; each checkpoint, saved from the mail, verifies with the
// key. A second run on the same day mails nothing; the next day's digest
// carries only what is new.
func TestClauseAUD2_DigestMailsCheckpointsToTheDPO(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m := newMailEnv(t, env)
		key, err := env.DB.CheckpointKey("kluis.example/audit")
		if err != nil {
			t.Fatal(err)
		}
		origin := auditproof.Origin("kluis.example/audit/", m.tenant.ID)
		v, err := auditproof.ParseVerifierKey(key.VerifierKey)
		if err != nil {
			t.Fatal(err)
		}
		first, _, err := env.DB.SignCheckpoint(ctx, m.tenant.ID, key.Signer, nil)
		if err != nil {
			t.Fatal(err)
		}
		run := func() []mailtest.Message {
			t.Helper()
			if err := checkpointDigest(ctx, env.DB, store.Job{}); err != nil { // the day's run
				t.Fatal(err)
			}
			m.tick(t)
			env.Clock.Advance(time.Minute) // the mail job's next slot
			m.tick(t)
			return m.relay.Messages()
		}
		msgs := run()
		if len(msgs) != 1 {
			t.Fatalf("%d mails, want the digest", len(msgs))
		}
		msg := msgs[0]
		if msg.To[0] != "dpo@demo.example" || msg.Header.Get("Content-Language") != "nl-BE" ||
			msg.Subject != "Gemeente Demo: controlepunten van het logboek (tot en met gebeurtenis "+strconv.FormatInt(first.Size, 10)+")" {
			t.Fatalf("digest: to %v, language %q, subject %q", msg.To, msg.Header.Get("Content-Language"), msg.Subject)
		}
		for _, want := range []string{"Dag DPO Demo,", key.VerifierKey + "\n", "Vingerafdruk: " + key.Fingerprint, "geen bijlagen"} {
			if !strings.Contains(msg.Body, want) {
				t.Errorf("the digest lacks %q:\n%s", want, msg.Body)
			}
		}
		cps := digestCheckpoints(msg.Body)
		name := DigestFileName("demo", first.Size)
		if len(cps) != 1 || string(cps[name]) != string(first.Note) {
			t.Fatalf("the digest carries %d checkpoints, want %s:\n%s", len(cps), name, msg.Body)
		}
		if c, err := auditproof.Parse(name, cps[name], origin, v); err != nil || int64(c.Size) != first.Size {
			t.Fatalf("the mailed checkpoint does not verify: %v", err)
		}

		// Again on the same day: nothing more.
		if err := checkpointDigest(ctx, env.DB, store.Job{}); err != nil {
			t.Fatal(err)
		}
		if msgs := run(); len(msgs) != 1 {
			t.Fatalf("%d mails after a second run on the same day", len(msgs))
		}

		// The next day: only the checkpoints signed since.
		env.Clock.Advance(24 * time.Hour)
		second, _, err := env.DB.SignCheckpoint(ctx, m.tenant.ID, key.Signer, nil)
		if err != nil || second.Size <= first.Size {
			t.Fatalf("second checkpoint: %+v %v", second, err)
		}
		msgs = run()
		if len(msgs) != 2 {
			t.Fatalf("%d mails the next day, want 2", len(msgs))
		}
		cps = digestCheckpoints(msgs[1].Body)
		if _, ok := cps[DigestFileName("demo", second.Size)]; !ok {
			t.Fatalf("the next digest lacks checkpoint %d: %v", second.Size, msgs[1].Body)
		}
		for name, note := range cps {
			c, err := auditproof.Parse(name, note, origin, v)
			if err != nil || int64(c.Size) <= first.Size || name != DigestFileName("demo", int64(c.Size)) {
				t.Errorf("%s in the next digest: size %d, %v", name, c.Size, err)
			}
		}
		if st := strconv.Itoa(len(cps)); !strings.Contains(msgs[1].Body, "("+st+" in deze mail)") {
			t.Errorf("the digest does not count its %s checkpoints", st)
		}
	})
}

// TestClauseAUD2_DigestInTheTenantsLanguage: a tenant whose language is
// French gets its digest in French; a tenant without a checkpoint gets
// none (nothing to prove yet).
func TestClauseAUD2_DigestInTheTenantsLanguage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m := newMailEnv(t, env) // "demo", Dutch, never signed
		bxl, err := env.DB.CreateTenant(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, tenant.New{
			Slug: "bxl", LegalName: "Commune de Test", EnterpriseNumber: "0207451227",
			DPOName: "Délégué Test", DPOEmail: "dpd@bxl.example", DefaultLang: "fr",
		})
		if err != nil {
			t.Fatal(err)
		}
		key, err := env.DB.CheckpointKey("kluis.example/audit")
		if err != nil {
			t.Fatal(err)
		}
		cp, _, err := env.DB.SignCheckpoint(ctx, bxl.ID, key.Signer, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkpointDigest(ctx, env.DB, store.Job{}); err != nil {
			t.Fatal(err)
		}
		m.tick(t)
		msgs := m.relay.Messages()
		if len(msgs) != 1 || msgs[0].To[0] != "dpd@bxl.example" {
			t.Fatalf("%d mails: %+v", len(msgs), msgs)
		}
		msg := msgs[0]
		if msg.Subject != "Commune de Test : points de contrôle du journal (jusqu'à l'événement "+strconv.FormatInt(cp.Size, 10)+")" ||
			!strings.HasPrefix(msg.Body, "Bonjour Délégué Test,") || !strings.Contains(msg.Body, "Empreinte : "+key.Fingerprint) {
			t.Fatalf("the French digest: %q\n%s", msg.Subject, msg.Body)
		}
		if got := digestCheckpoints(msg.Body)[DigestFileName("bxl", cp.Size)]; string(got) != string(cp.Note) {
			t.Fatalf("the checkpoint in the French digest: %q", got)
		}
	})
}
