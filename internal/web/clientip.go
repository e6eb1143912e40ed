package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the address the request came from, for the per-address rate
// limits (and whatever else needs the client's address). It is the
// connection's address (RemoteAddr), unless that is a trusted proxy
// (Options.TrustedProxies): then X-Forwarded-For is read from the right,
// skipping trusted proxies, and the first address that is not one is the
// client. Everything left of it was written by the client and proves
// nothing, so a client cannot choose its address by sending the header
// itself. An entry that is not an address ends the walk at the last
// trusted hop; a chain of trusted proxies only gives the leftmost.
func (a *App) clientIP(r *http.Request) string {
	remote := remoteAddr(r.RemoteAddr)
	if !remote.IsValid() {
		return r.RemoteAddr
	}
	if !a.trusted(remote) {
		return remote.String()
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := remote
	for i := len(hops) - 1; i >= 0; i-- {
		hop := parseHop(hops[i])
		if !hop.IsValid() {
			break
		}
		client = hop
		if !a.trusted(hop) {
			break
		}
	}
	return client.String()
}

func (a *App) trusted(addr netip.Addr) bool {
	for _, p := range a.opts.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// remoteAddr parses RemoteAddr ("ip:port", or a bare ip).
func remoteAddr(s string) netip.Addr {
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		host = s
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// parseHop parses one X-Forwarded-For entry: an address, possibly with a
// port ("192.0.2.1:4711", "[2001:db8::1]:4711") as some proxies write it.
func parseHop(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	return netip.Addr{}
}
