package magda

// WS-Security signature over the SOAP Body (LOC-2): RSA-SHA256 over the
// exclusive canonical form of ds:SignedInfo, which holds the SHA-256 digest of
// the exclusive canonical form of the Body. One reference, one transform, one
// certificate: the profile both MAGDA and our simulator speak. Anything else is
// refused, not tolerated.

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

const (
	NSSoap = "http://schemas.xmlsoap.org/soap/envelope/"
	NSWsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	NSWsu  = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	NSDsig = "http://www.w3.org/2000/09/xmldsig#"

	algExcC14N   = "http://www.w3.org/2001/10/xml-exc-c14n#"
	algRSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	algSHA256    = "http://www.w3.org/2001/04/xmlenc#sha256"
	tokenX509    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
	encBase64    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)

// ErrBadSignature means a message's WS-Security signature is missing, does
// not follow the profile, or does not verify against the expected key.
var ErrBadSignature = errors.New("magda: the message signature does not verify")

// SignEnvelope wraps body (the XML inside soap:Body) in a SOAP 1.1 envelope
// whose Body is signed with key; cert travels as the BinarySecurityToken.
func SignEnvelope(body []byte, key *rsa.PrivateKey, cert *x509.Certificate) ([]byte, error) {
	var idb [8]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return nil, err
	}
	id := "id-" + hex.EncodeToString(idb[:])
	build := func(digest, sig string) string {
		return `<soap:Envelope xmlns:soap="` + NSSoap + `" xmlns:wsu="` + NSWsu + `">` +
			`<soap:Header><wsse:Security xmlns:wsse="` + NSWsse + `" soap:mustUnderstand="1">` +
			`<wsse:BinarySecurityToken wsu:Id="x509-` + id + `" EncodingType="` + encBase64 + `" ValueType="` + tokenX509 + `">` +
			base64.StdEncoding.EncodeToString(cert.Raw) + `</wsse:BinarySecurityToken>` +
			`<ds:Signature xmlns:ds="` + NSDsig + `"><ds:SignedInfo>` +
			`<ds:CanonicalizationMethod Algorithm="` + algExcC14N + `"></ds:CanonicalizationMethod>` +
			`<ds:SignatureMethod Algorithm="` + algRSASHA256 + `"></ds:SignatureMethod>` +
			`<ds:Reference URI="#` + id + `"><ds:Transforms><ds:Transform Algorithm="` + algExcC14N + `"></ds:Transform></ds:Transforms>` +
			`<ds:DigestMethod Algorithm="` + algSHA256 + `"></ds:DigestMethod><ds:DigestValue>` + digest + `</ds:DigestValue></ds:Reference>` +
			`</ds:SignedInfo><ds:SignatureValue>` + sig + `</ds:SignatureValue>` +
			`<ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI="#x509-` + id + `" ValueType="` + tokenX509 + `"></wsse:Reference></wsse:SecurityTokenReference></ds:KeyInfo>` +
			`</ds:Signature></wsse:Security></soap:Header>` +
			`<soap:Body wsu:Id="` + id + `">` + string(body) + `</soap:Body></soap:Envelope>`
	}
	// The digest and signature value are computed over the same parse the
	// verifier will make, so that both sides canonicalise identical trees.
	root, err := parseXML([]byte(build("", "")))
	if err != nil {
		return nil, err
	}
	bodyNode := root.elem(NSSoap, "Body")
	if bodyNode == nil {
		return nil, errXML
	}
	sum := sha256.Sum256(canonicalise(bodyNode))
	digest := base64.StdEncoding.EncodeToString(sum[:])
	root, err = parseXML([]byte(build(digest, "")))
	if err != nil {
		return nil, err
	}
	si := signedInfo(root)
	if si == nil {
		return nil, errXML
	}
	h := sha256.Sum256(canonicalise(si))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:])
	if err != nil {
		return nil, err
	}
	return []byte(build(digest, base64.StdEncoding.EncodeToString(sig))), nil
}

func signedInfo(root *node) *node {
	sig := signatureNode(root)
	if sig == nil {
		return nil
	}
	return sig.elem(NSDsig, "SignedInfo")
}

func signatureNode(root *node) *node {
	h := root.elem(NSSoap, "Header")
	if h == nil {
		return nil
	}
	sec := h.elem(NSWsse, "Security")
	if sec == nil {
		return nil
	}
	return sec.elem(NSDsig, "Signature")
}

// SignerCertificate returns the certificate carried in the envelope's
// BinarySecurityToken (not yet trusted: the caller compares it).
func SignerCertificate(envelope []byte) (*x509.Certificate, error) {
	root, err := parseXML(envelope)
	if err != nil {
		return nil, err
	}
	h := root.elem(NSSoap, "Header")
	if h == nil {
		return nil, ErrBadSignature
	}
	sec := h.elem(NSWsse, "Security")
	if sec == nil {
		return nil, ErrBadSignature
	}
	bst := sec.elem(NSWsse, "BinarySecurityToken")
	if bst == nil {
		return nil, ErrBadSignature
	}
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(bst.text()))
	if err != nil {
		return nil, ErrBadSignature
	}
	return x509.ParseCertificate(der)
}

// VerifyEnvelope checks the signature over the Body against pub and returns
// the exclusive canonical form of the Body: exactly the bytes that were
// signed, so that what the caller reads is what was verified (no signature
// wrapping).
func VerifyEnvelope(envelope []byte, pub *rsa.PublicKey) ([]byte, error) {
	root, err := parseXML(envelope)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if root.local != "Envelope" || root.space() != NSSoap {
		return nil, fmt.Errorf("%w: not a SOAP envelope", ErrBadSignature)
	}
	sig := signatureNode(root)
	if sig == nil {
		return nil, fmt.Errorf("%w: no signature", ErrBadSignature)
	}
	si := sig.elem(NSDsig, "SignedInfo")
	if si == nil {
		return nil, fmt.Errorf("%w: no SignedInfo", ErrBadSignature)
	}
	if !hasAlgorithm(si.elem(NSDsig, "CanonicalizationMethod"), algExcC14N) ||
		!hasAlgorithm(si.elem(NSDsig, "SignatureMethod"), algRSASHA256) {
		return nil, fmt.Errorf("%w: unsupported algorithm", ErrBadSignature)
	}
	ref := si.elem(NSDsig, "Reference")
	if ref == nil || len(si.elems(NSDsig, "Reference")) != 1 {
		return nil, fmt.Errorf("%w: exactly one reference expected", ErrBadSignature)
	}
	uri, _ := ref.attr("", "URI")
	transforms := ref.elem(NSDsig, "Transforms")
	if !strings.HasPrefix(uri, "#") || transforms == nil ||
		len(transforms.elems(NSDsig, "Transform")) != 1 ||
		!hasAlgorithm(transforms.elem(NSDsig, "Transform"), algExcC14N) ||
		!hasAlgorithm(ref.elem(NSDsig, "DigestMethod"), algSHA256) {
		return nil, fmt.Errorf("%w: unsupported reference", ErrBadSignature)
	}
	body := root.elem(NSSoap, "Body")
	if body == nil {
		return nil, fmt.Errorf("%w: no body", ErrBadSignature)
	}
	// The reference must name the Body itself, and its id must be unique in
	// the document, or a signed copy elsewhere could vouch for a forged Body.
	id, _ := body.attr(NSWsu, "Id")
	if id == "" || uri[1:] != id || countIDs(root, id) != 1 {
		return nil, fmt.Errorf("%w: the reference does not name the body", ErrBadSignature)
	}
	dv := ref.elem(NSDsig, "DigestValue")
	sv := sig.elem(NSDsig, "SignatureValue")
	if dv == nil || sv == nil {
		return nil, fmt.Errorf("%w: no digest or signature value", ErrBadSignature)
	}
	wantDigest, err1 := base64.StdEncoding.DecodeString(strings.TrimSpace(dv.text()))
	sigValue, err2 := base64.StdEncoding.DecodeString(strings.TrimSpace(sv.text()))
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("%w: bad base64", ErrBadSignature)
	}
	h := sha256.Sum256(canonicalise(si))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sigValue); err != nil {
		return nil, fmt.Errorf("%w: signature value", ErrBadSignature)
	}
	canonBody := canonicalise(body)
	sum := sha256.Sum256(canonBody)
	if subtle.ConstantTimeCompare(sum[:], wantDigest) != 1 {
		return nil, fmt.Errorf("%w: body digest", ErrBadSignature)
	}
	return canonBody, nil
}

func hasAlgorithm(n *node, alg string) bool {
	if n == nil {
		return false
	}
	v, _ := n.attr("", "Algorithm")
	return v == alg
}

func countIDs(n *node, id string) int {
	c := 0
	for _, a := range n.attrs {
		if a.Name.Local == "Id" && a.Value == id {
			c++
		}
	}
	for _, ch := range n.children {
		if e, ok := ch.(*node); ok {
			c += countIDs(e, id)
		}
	}
	return c
}
