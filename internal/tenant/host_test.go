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
