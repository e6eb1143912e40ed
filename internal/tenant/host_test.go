package tenant

import (
	"errors"
	"testing"
)

func TestNormalizeHost(t *testing.T) {
	for _, c := range []struct{ in, want, problem string }{
		{"www.gemeente.be", "www.gemeente.be", ""},
		{"  WWW.Gemeente.BE. ", "www.gemeente.be", ""},
		{"e-loket.gemeente.be", "e-loket.gemeente.be", ""},
		{"bütgenbach.be", "xn--btgenbach-q9a.be", ""},
		{"", "", HostEmpty},
		{"*.gemeente.be", "", HostWildcard},
		{"www.gemeente.be:8443", "", HostPort},
		{"192.0.2.1", "", HostIP},
		{"[2001:db8::1]", "", HostIP},
		{"2001:db8::1", "", HostIP},
		{"192.0.2.1:443", "", HostIP},
		{"1.2.3", "", HostIP},
		{"localhost", "", HostOneLabel},
		{"https://www.gemeente.be/", "", HostInvalid},
		{"a..be", "", HostInvalid},
		{"-a.be", "", HostInvalid},
		{"a_b.be", "", HostInvalid},
		{"a b.be", "", HostInvalid},
	} {
		got, err := NormalizeHost(c.in)
		if c.problem == "" {
			if err != nil || got != c.want {
				t.Errorf("NormalizeHost(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Fields[FieldHost] != c.problem {
			t.Errorf("NormalizeHost(%q) = %q, %v; want problem %s", c.in, got, err, c.problem)
		}
	}
}

// FuzzNormalizeHost: any string either is refused with a field error or
// becomes a lower-case ASCII DNS name that normalises to itself (so a Host
// header and a stored name can never disagree about the form).
func FuzzNormalizeHost(f *testing.F) {
	for _, s := range []string{"www.gemeente.be", "  WWW.Gemeente.BE. ", "bütgenbach.be", "*.x.be", "x.be:1", "[::1]", "a..be", "xn--a.be", "ß.be", "a.b\x00.be"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := NormalizeHost(s)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || h != "" {
				t.Fatalf("NormalizeHost(%q) = %q, %v: not a field error", s, h, err)
			}
			return
		}
		for _, r := range h {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
				t.Fatalf("NormalizeHost(%q) = %q holds %q", s, h, r)
			}
		}
		if again, err := NormalizeHost(h); err != nil || again != h {
			t.Fatalf("NormalizeHost(%q) = %q, but that normalises to %q, %v", s, h, again, err)
		}
	})
}
