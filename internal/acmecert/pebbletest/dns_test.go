package pebbletest

import (
	"context"
	"net"
	"testing"
)

// TestDNSStubAnswersLoopback: the stub resolves any name to 127.0.0.1 for
// a real resolver, and has no IPv6 address for it.
func TestDNSStubAnswersLoopback(t *testing.T) {
	addr := startDNS(t)
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", addr)
	}}
	ips, err := r.LookupIP(context.Background(), "ip4", "www.gent.be")
	if err != nil || len(ips) != 1 || !ips[0].Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("A: %v %v", ips, err)
	}
	if ips, err := r.LookupIP(context.Background(), "ip6", "www.gent.be"); len(ips) != 0 {
		t.Fatalf("AAAA: %v %v", ips, err)
	}
	tcp := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	}}
	if ips, err := tcp.LookupIP(context.Background(), "ip4", "www.gent.be"); err != nil || len(ips) != 1 {
		t.Fatalf("A over TCP: %v %v", ips, err)
	}
}
