package magdasim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"time"
)

// PKI is a throwaway certificate authority for the simulator: it issues the
// simulator's TLS and signing certificates and the consumers' client
// certificates. Nothing it issues is trusted outside a test or the demo.
type PKI struct {
	CA   *x509.Certificate
	key  *rsa.PrivateKey
	Pool *x509.CertPool
}

// NewPKI makes a fresh test CA.
func NewPKI() (*PKI, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Kluis MAGDA simulator test CA"},
		NotBefore:             time.Now().Add(-2 * Validity),
		NotAfter:              time.Now().Add(2 * Validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &PKI{CA: ca, key: key, Pool: pool}, nil
}

// Validity is how long the certificates Issue makes are valid either side
// of now: wide enough that a test's fixed store clock and the real clock
// both fall inside, since the store checks validity at its clock and TLS
// at the real one.
const Validity = 365 * 24 * time.Hour

// Issue returns a certificate and RSA key for cn: a client certificate, or a
// server certificate for 127.0.0.1 when server is true.
func (p *PKI) Issue(cn string, server bool) (tls.Certificate, error) {
	now := time.Now()
	return p.IssueValid(cn, server, now.Add(-Validity), now.Add(Validity))
}

// IssueValid is Issue with the validity window given: an expired or
// nearly expired certificate for the tests of what warns and refuses.
func (p *PKI) IssueValid(cn string, server bool, notBefore, notAfter time.Time) (tls.Certificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		tmpl.DNSNames = []string{"localhost"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.CA, &key.PublicKey, p.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
