// Package geoiptest writes small MaxMind DB files for tests: a real file in
// the format (https://maxmind.github.io/MaxMind-DB/) that the production
// reader opens, with a country record for each network given. It writes
// only what a country database needs: an IPv6 tree (IPv4 under ::/96),
// 24-bit records, one map per country.
package geoiptest

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// Write writes a country database mapping each network (CIDR) to its
// country code into a temporary directory and returns its path.
func Write(t testing.TB, networks map[string]string) string {
	t.Helper()
	b, err := Build(networks)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "GeoLite2-Country-test.mmdb")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type node struct {
	child [2]*node
	data  int // index into the records + 1 on a leaf; 0: none
}

// Build encodes the database.
func Build(networks map[string]string) ([]byte, error) {
	root := &node{}
	var codes []string
	index := map[string]int{}
	cidrs := make([]string, 0, len(networks))
	for c := range networks {
		cidrs = append(cidrs, c)
	}
	sort.Strings(cidrs)
	for _, cidr := range cidrs {
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return nil, err
		}
		bits, addr := p.Bits(), p.Addr()
		if addr.Is4() { // ::a.b.c.d, where the reader looks IPv4 up
			var a [16]byte
			v4 := addr.As4()
			copy(a[12:], v4[:])
			addr, bits = netip.AddrFrom16(a), bits+96
		}
		code := networks[cidr]
		if _, ok := index[code]; !ok {
			index[code] = len(codes)
			codes = append(codes, code)
		}
		a := addr.As16()
		n := root
		for i := range bits {
			bit := (a[i/8] >> (7 - i%8)) & 1
			if n.child[bit] == nil {
				n.child[bit] = &node{}
			}
			n = n.child[bit]
		}
		n.data = index[code] + 1
	}
	// A network inside another: the inner node's record moves down to
	// every branch the more specific one leaves free.
	var pushDown func(n *node, inherited int)
	pushDown = func(n *node, inherited int) {
		if n.child[0] == nil && n.child[1] == nil {
			if n.data == 0 {
				n.data = inherited
			}
			return
		}
		if n.data != 0 {
			inherited, n.data = n.data, 0
		}
		for i, c := range n.child {
			if c == nil {
				if inherited != 0 {
					n.child[i] = &node{data: inherited}
				}
				continue
			}
			pushDown(c, inherited)
		}
	}
	pushDown(root, 0)
	// Number the inner nodes breadth first; leaves are data or empty.
	var order []*node
	num := map[*node]int{}
	queue := []*node{root}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n.data != 0 {
			continue
		}
		num[n] = len(order)
		order = append(order, n)
		for _, c := range n.child {
			if c != nil {
				queue = append(queue, c)
			}
		}
	}
	count := len(order)
	// The data section: one map per country; offsets by code.
	var data bytes.Buffer
	offsets := make([]int, len(codes))
	for i, c := range codes {
		offsets[i] = data.Len()
		writeMap(&data, 1)
		writeString(&data, "country")
		writeMap(&data, 1)
		writeString(&data, "iso_code")
		writeString(&data, c)
	}
	var out bytes.Buffer
	record := func(c *node) int {
		switch {
		case c == nil:
			return count // empty
		case c.data != 0:
			return count + 16 + offsets[c.data-1]
		}
		return num[c]
	}
	for _, n := range order {
		for _, c := range n.child {
			v := record(c)
			out.Write([]byte{byte(v >> 16), byte(v >> 8), byte(v)})
		}
	}
	out.Write(make([]byte, 16))
	out.Write(data.Bytes())
	out.WriteString("\xAB\xCD\xEFMaxMind.com")
	writeMap(&out, 9)
	writeString(&out, "binary_format_major_version")
	writeUint(&out, 5, 2)
	writeString(&out, "binary_format_minor_version")
	writeUint(&out, 5, 0)
	writeString(&out, "build_epoch")
	writeUint(&out, 9, 1_700_000_000)
	writeString(&out, "database_type")
	writeString(&out, "GeoLite2-Country")
	writeString(&out, "description")
	writeMap(&out, 1)
	writeString(&out, "en")
	writeString(&out, "Kluis test countries")
	writeString(&out, "ip_version")
	writeUint(&out, 5, 6)
	writeString(&out, "languages")
	out.Write([]byte{0x00, 11 - 7}) // an empty array (extended type 11, size 0)
	writeString(&out, "node_count")
	writeUint(&out, 6, uint64(count))
	writeString(&out, "record_size")
	writeUint(&out, 5, 24)
	return out.Bytes(), nil
}

func writeMap(b *bytes.Buffer, pairs int) { b.WriteByte(7<<5 | byte(pairs)) }

func writeString(b *bytes.Buffer, s string) {
	b.WriteByte(2<<5 | byte(len(s))) // the tests' strings are shorter than 29 bytes
	b.WriteString(s)
}

// writeUint writes an unsigned integer of type typ (5 uint16, 6 uint32,
// 9 uint64, extended) in as few bytes as it needs.
func writeUint(b *bytes.Buffer, typ int, v uint64) {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], v)
	n := 0
	for n < 8 && buf[n] == 0 {
		n++
	}
	val := buf[n:]
	if typ <= 7 {
		b.WriteByte(byte(typ)<<5 | byte(len(val)))
	} else {
		b.WriteByte(byte(len(val)))
		b.WriteByte(byte(typ - 7))
	}
	b.Write(val)
}
