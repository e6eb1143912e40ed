package mail_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/mail"
	"github.com/kluis/kluis/internal/mail/mailtest"
)

// TestASVS_12_3_1_MailNeverFallsBackToPlaintext: mail goes out over TLS;
// a relay that does not offer STARTTLS gets nothing, and no encryption at
// all is accepted only for a relay on the loopback interface (a local
// relay that itself sends on with TLS). Webhooks take only https URLs
// (TestASVS_12_3_2_WebhookRefusesAnUntrustedCertificate).
func TestASVS_12_3_1_MailNeverFallsBackToPlaintext(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{NoTLS: true})
	cfg := srv.Config()
	cfg.TLS = mail.TLSStartTLS
	if err := newSender(t, cfg).Send(ctx, to, subject, body, "nl"); err == nil {
		t.Fatal("sent to a relay without STARTTLS")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages went out in the clear", n)
	}
	for _, host := range []string{"smtp.example.be", "192.0.2.25", "10.0.0.25"} {
		if _, err := mail.New(mail.Config{Host: host, From: "noreply@demo.example", TLS: mail.TLSNone}); err == nil {
			t.Errorf("no TLS accepted for the relay %s", host)
		}
	}
}

// TestASVS_12_3_2_NoClientSkipsCertificateChecks: the one switch that
// turns certificate checks off is mail.Config's, for tests; no production
// code outside the mail package mentions it, so no setting can reach it,
// and no other client (webhooks, S3, OpenID Connect, ACME) has one.
func TestASVS_12_3_2_NoClientSkipsCertificateChecks(t *testing.T) {
	root := filepath.Join("..", "..")
	var offenders []string
	n := 0
	for _, dir := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") ||
				strings.Contains(p, "mailtest") || strings.Contains(p, "pebbletest") {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			n++
			if strings.Contains(string(b), "InsecureSkipVerify") && filepath.ToSlash(p) != "../../internal/mail/mail.go" {
				offenders = append(offenders, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 100 {
		t.Fatalf("scanned %d files: the walk is broken", n)
	}
	if len(offenders) > 0 {
		t.Errorf("certificate checks can be skipped in %v", offenders)
	}
}
