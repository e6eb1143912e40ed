package mail_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/mail"
	"github.com/kluis/kluis/internal/mail/mailtest"
)

var ctx = context.Background()

const (
	to      = "jan.peeters@voorbeeld.be"
	subject = "Uw uitnodiging voor het e-loket van Gemeente Demo – één klik"
	body    = "Beste,\n\nKlik één keer op de knop om uw account te activeren: €0, geen kosten.\nTot ziens – Gemeente Demo\n"
)

func newSender(t *testing.T, cfg mail.Config) *mail.Sender {
	t.Helper()
	s, err := mail.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSendOverSTARTTLSInTheRecipientsLanguage(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := newSender(t, srv.Config())
	tests := []struct{ lang, want string }{
		{"nl-BE", "nl-BE"},
		{"fr", "fr-BE"},
		{"en", "en"},
	}
	for i, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			if err := s.Send(ctx, to, subject, body, tc.lang); err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages()
			if len(msgs) != i+1 {
				t.Fatalf("server has %d messages, want %d", len(msgs), i+1)
			}
			m := msgs[i]
			if !m.TLS {
				t.Error("message was not sent over TLS")
			}
			if len(m.To) != 1 || m.To[0] != to || m.From != "noreply@demo.example" {
				t.Errorf("envelope: from %q to %q", m.From, m.To)
			}
			if m.Subject != subject || m.Body != body {
				t.Errorf("subject %q\nbody %q", m.Subject, m.Body)
			}
			h := m.Header
			checks := map[string]string{
				"Content-Language": tc.want,
				"To":               "<" + to + ">",
				"Auto-Submitted":   "auto-generated",
			}
			for k, want := range checks {
				if got := h.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !strings.Contains(ct, "UTF-8") {
				t.Errorf("Content-Type %q", ct)
			}
			if id := h.Get("Message-Id"); !strings.HasSuffix(id, "@demo.example>") {
				t.Errorf("Message-ID %q", id)
			}
			if _, err := h.Date(); err != nil {
				t.Errorf("Date: %v", err)
			}
			if from := h.Get("From"); !strings.Contains(from, "noreply@demo.example") {
				t.Errorf("From %q", from)
			}
		})
	}
}

func TestSendImplicitTLSWithAuthentication(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{ImplicitTLS: true, Username: "kluis", Password: "s3cret-relay"})
	if err := newSender(t, srv.Config()).Send(ctx, to, subject, body, "nl"); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages()); n != 1 || srv.Logins() != 1 || !srv.Messages()[0].TLS {
		t.Fatalf("messages %d, logins %d", n, srv.Logins())
	}
	cfg := srv.Config()
	cfg.Password = "wrong"
	err := newSender(t, cfg).Send(ctx, to, subject, body, "nl")
	if err == nil || mail.IsPermanent(err) || !mail.IsRelayFailure(err) || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("bad password: %v (permanent %v)", err, mail.IsPermanent(err))
	}
}

func TestFailuresAreClassifiedWithoutPersonalData(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := newSender(t, srv.Config())
	tests := []struct {
		name            string
		prepare         func()
		permanent       bool
		relay           bool
		wantInErrorText string
	}{
		{"mailbox busy 450", func() { srv.RejectNext(450) }, false, false, "(450 4.0.0 recipient)"},
		{"unknown mailbox 550", func() { srv.RejectNext(550) }, true, false, "(550 5.0.0 recipient)"},
		{"service not available 421", func() { srv.RejectSessions(421, 421) }, false, true, "(421 4.0.0 session)"},
		{"recipient not an address", func() {}, true, false, "invalid recipient address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.prepare()
			rcpt := to
			if tc.name == "recipient not an address" {
				rcpt = "jan.peeters at voorbeeld"
			}
			err := s.Send(ctx, rcpt, subject, body, "nl")
			if err == nil {
				t.Fatal("no error")
			}
			if mail.IsPermanent(err) != tc.permanent || mail.IsRelayFailure(err) != tc.relay {
				t.Errorf("%v: permanent %v relay %v", err, mail.IsPermanent(err), mail.IsRelayFailure(err))
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "smtp: ") || !strings.Contains(msg, tc.wantInErrorText) {
				t.Errorf("error text %q, want it to contain %q", msg, tc.wantInErrorText)
			}
			for _, secret := range []string{"jan", "peeters", "voorbeeld", "uitnodiging", "Mailbox"} {
				if strings.Contains(strings.ToLower(msg), strings.ToLower(secret)) {
					t.Errorf("error text %q contains %q", msg, secret)
				}
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("server accepted %d messages", n)
	}
	// The relay is still fine after all that.
	if err := s.Send(ctx, to, subject, body, "nl"); err != nil {
		t.Fatal(err)
	}
}

func TestASVS_12_3_2_SMTPRequiresAVerifiedCertificate(t *testing.T) {
	t.Run("untrusted certificate", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{})
		cfg := srv.Config()
		cfg.RootCAs = nil
		err := newSender(t, cfg).Send(ctx, to, subject, body, "nl")
		if err == nil || mail.IsPermanent(err) || !mail.IsRelayFailure(err) || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("want a temporary certificate failure, got %v", err)
		}
		cfg.InsecureSkipVerify = true
		if err := newSender(t, cfg).Send(ctx, to, subject, body, "nl"); err != nil {
			t.Fatalf("with InsecureSkipVerify: %v", err)
		}
		if n := len(srv.Messages()); n != 1 {
			t.Fatalf("%d messages", n)
		}
	})
	t.Run("relay without STARTTLS", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{NoTLS: true})
		cfg := srv.Config()
		cfg.TLS = mail.TLSStartTLS
		err := newSender(t, cfg).Send(ctx, to, subject, body, "nl")
		if err == nil || mail.IsPermanent(err) || !mail.IsRelayFailure(err) {
			t.Fatalf("want a temporary relay failure, got %v", err)
		}
		if n := len(srv.Messages()); n != 0 {
			t.Fatalf("sent in clear: %d messages", n)
		}
		cfg.TLS = mail.TLSNone // allowed: the relay is on 127.0.0.1
		if err := newSender(t, cfg).Send(ctx, to, subject, body, "nl"); err != nil {
			t.Fatal(err)
		}
		if m := srv.Messages(); len(m) != 1 || m[0].TLS {
			t.Fatalf("messages: %+v", m)
		}
	})
	t.Run("nobody listening", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		err = newSender(t, mail.Config{Host: "127.0.0.1", Port: port, From: mailtest.From}).Send(ctx, to, subject, body, "nl")
		if err == nil || mail.IsPermanent(err) || !mail.IsRelayFailure(err) || !strings.Contains(err.Error(), "cannot connect") {
			t.Fatalf("want a temporary connection failure, got %v", err)
		}
	})
}

func TestNewRefusesBadConfiguration(t *testing.T) {
	ok := mail.Config{Host: "smtp.example.be", From: "noreply@demo.example"}
	tests := []struct {
		name string
		edit func(*mail.Config)
	}{
		{"no host", func(c *mail.Config) { c.Host = "" }},
		{"bad from", func(c *mail.Config) { c.From = "noreply" }},
		{"unknown TLS mode", func(c *mail.Config) { c.TLS = "ssl" }},
		{"no TLS to a remote relay", func(c *mail.Config) { c.TLS = mail.TLSNone }},
		{"user without password", func(c *mail.Config) { c.Username = "kluis" }},
		{"port out of range", func(c *mail.Config) { c.Port = 70000 }},
	}
	if _, err := mail.New(ok); err != nil {
		t.Fatalf("good configuration: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			if _, err := mail.New(c); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestContentLanguage(t *testing.T) {
	for in, want := range map[string]string{"nl": "nl-BE", "NL": "nl-BE", "fr": "fr-BE", "en": "en", "nl-NL": "nl-NL",
		"de": "de-BE", "": "", "nl\r\nBcc: x": "", strconv.Itoa(12): ""} {
		if got := mail.ContentLanguage(in); got != want {
			t.Errorf("ContentLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}
