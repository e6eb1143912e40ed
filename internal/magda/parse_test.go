package magda

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"math/big"
	"testing"
	"time"
)

// testSigner returns the fixed test key with a self-signed certificate.
func testSigner(t testing.TB) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	block, _ := pem.Decode([]byte(testKeyPEM))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key := k.(*rsa.PrivateKey)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2120, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return key, cert
}

func foundBody(t testing.TB) []byte {
	var r Response
	r.Repliek.Context.Naam = ServiceName
	r.Repliek.Antwoorden.Antwoord = []Answer{{Referte: "ref-1", Persoon: &Person{
		INSZ: "85073003328", Voornamen: []string{"Anouk"}, Achternaam: "Testelmans & Co <x>",
		Adres: &Address{Straat: "Voorbeeldstraat", Huisnummer: "12", Postcode: "9000", Gemeente: "Gent", Landcode: "BE"},
	}, Uitzonderingen: []Exception{{Identificatie: CodeDataIncomplete, Type: TypeWarning}}}}
	b, err := xml.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignAndVerifyEnvelopeRoundTrip(t *testing.T) {
	key, cert := testSigner(t)
	env, err := SignEnvelope(foundBody(t), key, cert)
	if err != nil {
		t.Fatal(err)
	}
	body, err := VerifyEnvelope(env, &key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	out, err := parseResponseBody(body)
	if err != nil || out.Kind != KindFound || out.Person.Achternaam != "Testelmans & Co <x>" || len(out.Warnings) != 1 {
		t.Fatalf("outcome %+v, %v", out, err)
	}
	// One changed byte in the Body breaks the digest.
	bad := bytes.Replace(env, []byte("Testelmans"), []byte("Testelmanz"), 1)
	if _, err := VerifyEnvelope(bad, &key.PublicKey); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered body accepted: %v", err)
	}
}

// Signature wrapping: the signed Body moved elsewhere and a forged Body put
// in its place, with the same id, must not verify.
func TestVerifyEnvelopeRefusesWrapping(t *testing.T) {
	key, cert := testSigner(t)
	env, err := SignEnvelope(foundBody(t), key, cert)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(env, []byte("<soap:Body"))
	j := bytes.Index(env, []byte("</soap:Envelope>"))
	signedBody := env[i:j]
	forged := bytes.Replace(signedBody, []byte("Testelmans"), []byte("Vervalst"), 1)
	wrapped := append(append(append([]byte{}, env[:i]...), forged...), []byte("</soap:Envelope>")...)
	// put the original signed Body into the header, where a lax verifier would find it by id
	wrapped = bytes.Replace(wrapped, []byte("</soap:Header>"), append(append([]byte("<Wrapper>"), signedBody...), []byte("</Wrapper></soap:Header>")...), 1)
	if _, err := VerifyEnvelope(wrapped, &key.PublicKey); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("wrapped envelope accepted: %v", err)
	}
}

func TestValidINSZ(t *testing.T) {
	for _, s := range []string{"85073003328", "03111512876", "92020226470"} {
		if !ValidINSZ(s) {
			t.Errorf("%s refused", s)
		}
	}
	for _, s := range []string{"85073003329", "8507300332", "8507300332a", "", "03111512875"} {
		if ValidINSZ(s) {
			t.Errorf("%s accepted", s)
		}
	}
	if got := INSZCheckDigits("031115128", true); got != "76" {
		t.Errorf("check digits %s", got)
	}
}

// FuzzParseGeefPersoonResponse: the parser of untrusted answers never
// panics, a found answer always carries a person, and canonicalisation is
// idempotent on whatever it accepts (what is verified is what is parsed).
func FuzzParseGeefPersoonResponse(f *testing.F) {
	key, cert := testSigner(f)
	for _, body := range [][]byte{
		foundBody(f),
		[]byte(`<soap:Fault xmlns:soap="` + NSSoap + `"><faultcode>soap:Client</faultcode><faultstring>x</faultstring></soap:Fault>`),
		[]byte(`<GeefPersoonResponse xmlns="` + NSGeefPersoon + `"><Repliek><Antwoorden><Antwoord><Referte>r</Referte><Uitzonderingen><Uitzondering><Identificatie>` + CodeNotFound + `</Identificatie><Type>FOUT</Type></Uitzondering></Uitzonderingen></Antwoord></Antwoorden></Repliek></GeefPersoonResponse>`),
	} {
		env, err := SignEnvelope(body, key, cert)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(env)
	}
	f.Add([]byte(`<a:Envelope xmlns:a="` + NSSoap + `"><a:Body/></a:Envelope>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := ParseGeefPersoonResponse(data)
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("error not classified: %v", err)
			}
			return
		}
		if out.Kind == KindFound && out.Person == nil {
			t.Fatal("found without a person")
		}
		if (out.Kind == KindFound) != (out.Err() == nil) {
			t.Fatalf("kind %d maps to %v", out.Kind, out.Err())
		}
		root, err := parseXML(data)
		if err != nil {
			t.Fatalf("parsed as an answer but not as XML: %v", err)
		}
		c1 := canonicalise(root)
		root2, err := parseXML(c1)
		if err != nil {
			t.Fatalf("canonical form does not parse: %v\n%s", err, c1)
		}
		if c2 := canonicalise(root2); !bytes.Equal(c1, c2) {
			t.Fatalf("canonicalisation not idempotent:\n%s\n%s", c1, c2)
		}
	})
}
