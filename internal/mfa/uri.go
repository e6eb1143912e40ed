package mfa

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"rsc.io/qr"
)

// ProvisioningURI returns the otpauth:// URI an authenticator app reads
// from the QR code (the Key URI format of Google Authenticator, which the
// other apps follow):
//
//	otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30
//
// Issuer and account are percent-encoded (RFC 3986; a space is %20, never
// +, and a colon inside either is encoded so it cannot move the separator).
func ProvisioningURI(issuer, account string, secret []byte) string {
	var b strings.Builder
	b.WriteString("otpauth://totp/")
	b.WriteString(escape(issuer, "@"))
	b.WriteByte(':')
	b.WriteString(escape(account, "@"))
	b.WriteString("?secret=")
	b.WriteString(Base32(secret))
	b.WriteString("&issuer=")
	b.WriteString(escape(issuer, ""))
	b.WriteString("&algorithm=SHA1&digits=")
	b.WriteString(strconv.Itoa(Digits))
	b.WriteString("&period=")
	b.WriteString(strconv.Itoa(int(Period.Seconds())))
	return b.String()
}

// escape percent-encodes every byte of s except RFC 3986's unreserved
// characters and those in keep.
func escape(s, keep string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', strings.IndexByte(keep, c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// qrQuiet is the quiet zone around the code in modules (the QR standard
// asks for 4) and qrScale the displayed size of one module in pixels.
const (
	qrQuiet = 4
	qrScale = 6
)

// QRSVG returns uri as a QR code (error correction M) drawn in SVG: one
// white square and one black <path> of module runs, with presentation
// attributes only — no style attribute or element, no script, no external
// reference — so it can be served under a strict Content-Security-Policy,
// inline or as an <img> (see QRDataURI). The secret is in the image: show
// it only to the user enrolling, never cache it.
func QRSVG(uri string) (string, error) {
	code, err := qr.Encode(uri, qr.M)
	if err != nil {
		return "", fmt.Errorf("mfa: QR code: %w", err)
	}
	n := code.Size + 2*qrQuiet
	var d strings.Builder
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; {
			if !code.Black(x, y) {
				x++
				continue
			}
			run := 1
			for code.Black(x+run, y) {
				run++
			}
			fmt.Fprintf(&d, "M%d %dh%dv1h-%dz", x+qrQuiet, y+qrQuiet, run, run)
			x += run
		}
	}
	px := n * qrScale
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" `+
		`shape-rendering="crispEdges" role="img" aria-label="QR code">`+
		`<rect width="%d" height="%d" fill="#ffffff"/><path fill="#000000" d="%s"/></svg>`,
		px, px, n, n, n, n, d.String()), nil
}

// QRDataURI returns QRSVG's image as a data: URI for <img src>, which a
// Content-Security-Policy with img-src data: allows.
func QRDataURI(uri string) (string, error) {
	svg, err := QRSVG(uri)
	if err != nil {
		return "", err
	}
	return "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg)), nil
}
