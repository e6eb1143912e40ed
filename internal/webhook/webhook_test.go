package webhook

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/register"
)

// The example of the Standard Webhooks specification: a receiver written
// against the specification must accept what Sign produces.
func TestSign_StandardWebhooksExample(t *testing.T) {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	id := "msg_p5jXN8AQM9LWM0D4loKWxJek"
	ts := time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)
	got, err := Sign(secret, id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	if err := Verify(secret, id, "1614265330", got, body, ts.Add(time.Minute)); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func TestClauseLOC2_TamperedMessageFailsVerification(t *testing.T) {
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewSecret()
	now := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	body := []byte(`{"type":"submission.created","data":{"id":"a"}}`)
	sig, _ := Sign(secret, "evt1", now, body)
	ts := strconv.FormatInt(now.Unix(), 10)
	tests := []struct {
		name                string
		secret, id, ts, sig string
		body                []byte
		at                  time.Time
		want                error
	}{
		{"genuine", secret, "evt1", ts, sig, body, now, nil},
		{"genuine among rotated signatures", secret, "evt1", ts, "v1,AAAA " + sig, body, now, nil},
		{"tampered body", secret, "evt1", ts, sig, []byte(`{"type":"submission.created","data":{"id":"b"}}`), now, ErrBadSignature},
		{"tampered timestamp", secret, "evt1", strconv.FormatInt(now.Unix()+1, 10), sig, body, now, ErrBadSignature},
		{"tampered id", secret, "evt2", ts, sig, body, now, ErrBadSignature},
		{"another secret", other, "evt1", ts, sig, body, now, ErrBadSignature},
		{"other scheme", secret, "evt1", ts, "v1a," + strings.TrimPrefix(sig, "v1,"), body, now, ErrBadSignature},
		{"replayed late", secret, "evt1", ts, sig, body, now.Add(Tolerance + time.Second), ErrTimestamp},
		{"from the future", secret, "evt1", ts, sig, body, now.Add(-Tolerance - time.Second), ErrTimestamp},
		{"timestamp not a number", secret, "evt1", "+" + ts, sig, body, now, ErrTimestamp},
		{"no signature", secret, "evt1", ts, "", body, now, ErrNoSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Verify(tc.secret, tc.id, tc.ts, tc.sig, tc.body, tc.at); !errors.Is(err, tc.want) {
				t.Fatalf("Verify: %v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzVerify: any change to a signed message's body, id or timestamp is
// rejected, and Verify never panics on what a sender puts in headers.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(`{"a":1}`), "evt", int64(1614265330), []byte("x"), "v1,abc")
	f.Fuzz(func(t *testing.T, body []byte, id string, sec int64, flip []byte, sigHeader string) {
		secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		if sec < 0 || sec > 1<<40 || id == "" {
			return
		}
		at := time.Unix(sec, 0)
		ts := strconv.FormatInt(sec, 10)
		sig, err := Sign(secret, id, at, body)
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(secret, id, ts, sig, body, at); err != nil {
			t.Fatalf("genuine message rejected: %v", err)
		}
		changed := append(append([]byte(nil), body...), flip...)
		if len(flip) > 0 {
			if err := Verify(secret, id, ts, sig, changed, at); err == nil {
				t.Fatal("a changed body verified")
			}
		}
		_ = Verify(secret, id, ts, sigHeader, body, at) // must not panic
	})
}

func TestOrigin(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://zaken.gent.be/hooks/kluis?x=1", "https://zaken.gent.be", true},
		{"HTTPS://Zaken.Gent.BE:443/x", "https://zaken.gent.be", true},
		{"https://zaken.gent.be:8443/", "https://zaken.gent.be:8443", true},
		{"https://127.0.0.1:9999", "https://127.0.0.1:9999", true},
		{"https://[::1]:9999/x", "https://[::1]:9999", true},
		{"http://zaken.gent.be", "", false},
		{"https://user:pw@zaken.gent.be", "", false},
		{"https:///path", "", false},
		{"//zaken.gent.be", "", false},
		{"zaken.gent.be", "", false},
		{"ftp://zaken.gent.be", "", false},
		{"https:zaken.gent.be", "", false},
	}
	for _, tc := range tests {
		got, ok := Origin(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Origin(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzOrigin(f *testing.F) {
	for _, s := range []string{"https://a.be", "https://a.be:8443/x", "http://a.be", "https://u@a.be", "https://[::1]/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, ok := Origin(s)
		if !ok {
			return
		}
		if !strings.HasPrefix(o, "https://") {
			t.Fatalf("origin %q of %q is not https", o, s)
		}
		// An origin is its own origin: normalising is stable.
		if o2, ok := Origin(o); !ok || o2 != o {
			t.Fatalf("Origin(%q) = %q, %v", o, o2, ok)
		}
	})
}

func testRegister() register.Register {
	r := register.Demo()
	r.Recipients = append(r.Recipients,
		register.Recipient{Key: "us-crm", Name: register.Text{"nl": "CRM"}, Kind: "processor", Country: "US",
			TransferMechanism: "standard_contractual_clauses", Endpoints: []string{"https://crm.example.com"}})
	r.SubProcessors[0].Endpoints = []string{"https://hooks.hosting.example:8443"}
	return r
}

func TestASVS_13_2_4_WebhookDestinationsOnlyFromTheRegister(t *testing.T) {
	r := testRegister()
	all := []string{EventSubmissionCreated}
	tests := []struct {
		name, url, ref string
		events         []string
		wantEntry      string
		wantKeys       []string
	}{
		{"recipient in BE", "https://zaken.demo.example/kluis", "recipient:case-system", all, "recipient:case-system", nil},
		{"found by origin", "https://zaken.demo.example:443/kluis", "", all, "recipient:case-system", nil},
		{"sub-processor with port", "https://hooks.hosting.example:8443/in", "sub_processor:hosting", all, "sub_processor:hosting", nil},
		{"port differs", "https://hooks.hosting.example/in", "sub_processor:hosting", all, "", []string{ProblemUnregistered}},
		{"unregistered host", "https://evil.example/kluis", "", all, "", []string{ProblemUnregistered}},
		{"another entry's endpoint", "https://zaken.demo.example/kluis", "sub_processor:hosting", all, "", []string{ProblemUnregistered}},
		{"unknown entry", "https://zaken.demo.example/kluis", "recipient:nope", all, "", []string{ProblemEntryUnknown}},
		{"outside the EEA", "https://crm.example.com/in", "recipient:us-crm", all, "", []string{ProblemOutsideEEA}},
		{"outside the EEA by origin", "https://crm.example.com/in", "", all, "", []string{ProblemOutsideEEA}},
		{"plain http", "http://zaken.demo.example/kluis", "recipient:case-system", all, "", []string{ProblemURL}},
		{"no events", "https://zaken.demo.example/kluis", "recipient:case-system", nil, "", []string{ProblemEvents}},
		{"unknown event", "https://zaken.demo.example/kluis", "recipient:case-system", []string{"submission.deleted"}, "", []string{ProblemEvents}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, ps := Check(r, tc.url, tc.events, tc.ref)
			var keys []string
			for _, p := range ps {
				keys = append(keys, p.Key)
			}
			if strings.Join(keys, ",") != strings.Join(tc.wantKeys, ",") {
				t.Fatalf("problems %v, want %v", keys, tc.wantKeys)
			}
			if len(ps) == 0 && e.Ref() != tc.wantEntry {
				t.Fatalf("entry %s, want %s", e.Ref(), tc.wantEntry)
			}
		})
	}
}

func TestRefused_InternalAddresses(t *testing.T) {
	allow := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.1.2.0/24")}
	tests := []struct {
		addr               string
		refused, withAllow bool
	}{
		{"127.0.0.1", true, false},
		{"127.0.0.2", true, true},
		{"::1", true, true},
		{"::ffff:127.0.0.1", true, false},
		{"10.1.2.3", true, false},
		{"10.9.9.9", true, true},
		{"172.16.0.1", true, true},
		{"192.168.1.1", true, true},
		{"169.254.169.254", true, true}, // cloud metadata
		{"fe80::1", true, true},
		{"fd00::1", true, true},
		{"0.0.0.0", true, true},
		{"::", true, true},
		{"224.0.0.1", true, true},
		{"ff02::1", true, true},
		{"100.64.0.1", true, true},
		{"64:ff9b::a00:1", true, true},
		{"255.255.255.255", true, true},
		{"193.191.245.10", false, false},
		{"2001:db8::1", false, false},
	}
	for _, tc := range tests {
		a := netip.MustParseAddr(tc.addr)
		if got := Refused(a, nil); got != tc.refused {
			t.Errorf("Refused(%s) = %v, want %v", tc.addr, got, tc.refused)
		}
		if got := Refused(a, allow); got != tc.withAllow {
			t.Errorf("Refused(%s, allow) = %v, want %v", tc.addr, got, tc.withAllow)
		}
	}
}

func TestBackoff(t *testing.T) {
	var total time.Duration
	for n := 1; ; n++ {
		d, ok := Backoff(n)
		if !ok {
			if n != MaxAttempts {
				t.Fatalf("attempts end at %d, MaxAttempts is %d", n, MaxAttempts)
			}
			break
		}
		if prev, _ := Backoff(n - 1); n > 1 && d < prev {
			t.Fatalf("back-off shrinks at attempt %d", n)
		}
		total += d
	}
	if total < 24*time.Hour || total > 48*time.Hour {
		t.Fatalf("retries span %v, want about a day", total)
	}
}
