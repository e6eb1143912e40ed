package mail_test

import (
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/mail/mailtest"
)

// TestASVS_1_3_11_NoHeaderOrCommandInjection: a subject or body with line
// breaks (a citizen's text can reach both) adds no header, no recipient
// and no SMTP command; a recipient address with a line break is refused
// before the relay is contacted.
func TestASVS_1_3_11_NoHeaderOrCommandInjection(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := newSender(t, srv.Config())
	subject := "Uw aanvraag\r\nBcc: thief@example.com\r\nX-Injected: yes"
	body := "Goedendag\r\n.\r\nMAIL FROM:<thief@example.com>\r\nRCPT TO:<thief@example.com>\r\nDATA\r\nstolen\r\n.\r\n"
	if err := s.Send(ctx, "burger@example.be", subject, body, "nl"); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages reached the relay, want 1", len(msgs))
	}
	m := msgs[0]
	if len(m.To) != 1 || m.To[0] != "burger@example.be" {
		t.Errorf("envelope recipients %q", m.To)
	}
	for _, k := range []string{"Bcc", "X-Injected"} {
		if v := m.Header.Get(k); v != "" {
			t.Errorf("header %s: %q was injected", k, v)
		}
	}
	if !strings.Contains(m.Subject, "Bcc: thief@example.com") {
		t.Errorf("the subject's text was lost rather than kept as text: %q", m.Subject)
	}
	if !strings.Contains(m.Body, "RCPT TO:<thief@example.com>") {
		t.Errorf("the body's text was not delivered as text: %q", m.Body)
	}
	for _, to := range []string{"burger@example.be\r\nBcc: thief@example.com", "burger@example.be>\r\nRCPT TO:<thief@example.com"} {
		if err := s.Send(ctx, to, "x", "y", "nl"); err == nil {
			t.Errorf("recipient %q accepted", to)
		}
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages after the refused recipients, want 1", n)
	}
}
