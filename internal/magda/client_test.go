package magda_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/magda"
	"github.com/kluis/kluis/internal/magda/magdasim"
)

const (
	testConsumer = "0207501497" // a fictitious KBO number for the simulator
	testCapacity = "10086"
)

type fixture struct {
	pki    *magdasim.PKI
	sim    *magdasim.Server
	client *magda.Client
	cfg    magda.Config
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pki, err := magdasim.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	sim, err := magdasim.Start(magdasim.Config{PKI: pki, ConsumerID: testConsumer, Capacities: []string{testCapacity}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cert, err := pki.Issue("gemeente-voorbeeld", false)
	if err != nil {
		t.Fatal(err)
	}
	cfg := sim.ClientConfig(cert)
	c, err := magda.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{pki: pki, sim: sim, client: c, cfg: cfg}
}

// callWith calls GeefPersoon for insz with a client made from the
// fixture's configuration changed by mod.
func (f *fixture) callWith(t *testing.T, insz string, mod func(*magda.Config)) error {
	t.Helper()
	cfg := f.cfg
	mod(&cfg)
	c, err := magda.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GeefPersoon(context.Background(), insz)
	return err
}

// callErr asserts a *magda.CallError wrapping want, with a reference and
// without the INSZ in its text (no personal data in error messages).
func callErr(t *testing.T, err error, want error, insz string) *magda.CallError {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
	var ce *magda.CallError
	if !errors.As(err, &ce) || ce.Reference == "" {
		t.Fatalf("error %v is not a CallError with a reference", err)
	}
	if strings.Contains(err.Error(), insz) {
		t.Fatalf("error text holds the INSZ: %v", err)
	}
	return ce
}

// LOC-2: the link to the national register is mutual TLS with a signed
// SOAP body; the simulator verifies the signature with the key of the TLS
// client certificate, checks consumer, capacity and the unique reference,
// and its signed answer is verified and parsed.
func TestClauseLOC2_NationalRegisterOverMutualTLS(t *testing.T) {
	f := newFixture(t)
	res, err := f.client.GeefPersoon(context.Background(), magdasim.INSZAnouk)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Person
	if p.INSZ != magdasim.INSZAnouk || p.Achternaam != "Testelmans" || strings.Join(p.Voornamen, " ") != "Anouk Maria" ||
		p.Geboortedatum != "1985-07-30" || len(p.Nationaliteiten) != 1 || p.Nationaliteiten[0].Code != "150" ||
		p.Adres == nil || p.Adres.Straat != "Voorbeeldstraat" || p.Adres.Huisnummer != "12" || p.Adres.Postcode != "9000" || p.Adres.Gemeente != "Gent" {
		t.Fatalf("person parsed wrongly: %+v (address %+v)", p, p.Adres)
	}
	if len(res.Warnings) != 0 {
		t.Fatalf("unexpected warnings %+v", res.Warnings)
	}
	res2, err := f.client.GeefPersoon(context.Background(), magdasim.INSZLotte)
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Warnings) != 1 || res2.Warnings[0].Identificatie != magda.CodeDataIncomplete || res2.Person.Adres.Busnummer != "2" {
		t.Fatalf("warning not passed on with the person: %+v", res2)
	}
	calls := f.sim.Calls()
	if len(calls) != 2 || calls[0].Reference != res.Reference || calls[1].Reference != res2.Reference ||
		res.Reference == res2.Reference || calls[0].Consumer != testConsumer || calls[0].Capacity != testCapacity {
		t.Fatalf("simulator saw %+v; client references %s, %s", calls, res.Reference, res2.Reference)
	}
}

// A client certificate the simulator does not trust (another CA) is refused
// in the TLS handshake, before any personal data travels.
func TestMagdaWrongClientCertificateIsRefused(t *testing.T) {
	f := newFixture(t)
	other, err := magdasim.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := other.Issue("gemeente-voorbeeld", false)
	if err != nil {
		t.Fatal(err)
	}
	err = f.callWith(t, magdasim.INSZAnouk, func(c *magda.Config) { c.ClientCert = stranger })
	callErr(t, err, magda.ErrTLSRefused, magdasim.INSZAnouk)
	if n := len(f.sim.Calls()); n != 0 {
		t.Fatalf("simulator answered %d calls", n)
	}
	// The other way round: a server whose TLS certificate does not chain to
	// the configured roots is not spoken to.
	err = f.callWith(t, magdasim.INSZAnouk, func(c *magda.Config) { c.ServerCAs = other.Pool })
	callErr(t, err, magda.ErrTLSRefused, magdasim.INSZAnouk)
}

// An answer altered after signing is refused, and so is an answer signed
// by another key than the configured MAGDA certificate.
func TestMagdaBadResponseSignatureIsRefused(t *testing.T) {
	f := newFixture(t)
	f.sim.SetTamper(true)
	_, err := f.client.GeefPersoon(context.Background(), magdasim.INSZAnouk)
	callErr(t, err, magda.ErrBadSignature, magdasim.INSZAnouk)

	f.sim.SetTamper(false)
	impostor, err := f.pki.Issue("not the simulator", false)
	if err != nil {
		t.Fatal(err)
	}
	err = f.callWith(t, magdasim.INSZAnouk, func(c *magda.Config) { c.ResponseCert = impostor.Leaf })
	callErr(t, err, magda.ErrBadSignature, magdasim.INSZAnouk)
}

// The simulator verifies the request signature against the TLS client
// certificate: a body signed by another key gets a signed SOAP fault.
func TestMagdaSimulatorRefusesRequestSignedByAnotherKey(t *testing.T) {
	f := newFixture(t)
	other, err := f.pki.Issue("someone else", false)
	if err != nil {
		t.Fatal(err)
	}
	body, err := magda.BuildRequest(testConsumer, testCapacity, magda.NewReference(), magdasim.INSZAnouk, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	env, err := magda.SignEnvelope(body, other.PrivateKey.(*rsa.PrivateKey), other.Leaf)
	if err != nil {
		t.Fatal(err)
	}
	out := postRaw(t, f, env)
	if out.Kind != magda.KindRefused || len(out.Errors) != 1 || out.Errors[0].Identificatie != "wsse:FailedCheck" {
		t.Fatalf("outcome %+v", out)
	}
	if n := len(f.sim.Calls()); n != 0 {
		t.Fatalf("simulator accepted %d calls", n)
	}
}

func TestMagdaUnknownINSZIsNotFound(t *testing.T) {
	f := newFixture(t)
	_, err := f.client.GeefPersoon(context.Background(), magdasim.INSZUnknown)
	ce := callErr(t, err, magda.ErrNotFound, magdasim.INSZUnknown)
	if ce.Outcome == nil || ce.Outcome.Kind != magda.KindNotFound {
		t.Fatalf("outcome %+v", ce.Outcome)
	}
	_, err = f.client.GeefPersoon(context.Background(), magdasim.INSZRemi)
	callErr(t, err, magda.ErrNotInRepertory, magdasim.INSZRemi)
	// A typo never becomes a call about someone else.
	_, err = f.client.GeefPersoon(context.Background(), "85073003329")
	callErr(t, err, magda.ErrRefused, "85073003329")
	if n := len(f.sim.Calls()); n != 2 {
		t.Fatalf("simulator saw %d calls, want 2 (the invalid INSZ is not sent)", n)
	}
}

// A consumer identity or capacity code the simulator does not accept is an
// error on the whole request.
func TestMagdaWrongConsumerOrCapacityIsRefused(t *testing.T) {
	f := newFixture(t)
	for _, mod := range []func(*magda.Config){
		func(c *magda.Config) { c.ConsumerID = "0999999999" },
		func(c *magda.Config) { c.Capacity = "99999" },
	} {
		err := f.callWith(t, magdasim.INSZAnouk, mod)
		ce := callErr(t, err, magda.ErrRefused, magdasim.INSZAnouk)
		if ce.Outcome == nil || len(ce.Outcome.Errors) != 1 {
			t.Fatalf("outcome %+v", ce.Outcome)
		}
	}
}

// A reference used twice is refused: every call must be traceable on its own.
func TestMagdaDuplicateReferenceIsRefused(t *testing.T) {
	f := newFixture(t)
	key := f.cfg.ClientCert.PrivateKey.(*rsa.PrivateKey)
	ref := magda.NewReference()
	for i, wantCode := range []string{"", magda.CodeDuplicateReference} {
		body, err := magda.BuildRequest(testConsumer, testCapacity, ref, magdasim.INSZAnouk, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		env, err := magda.SignEnvelope(body, key, f.cfg.ClientCert.Leaf)
		if err != nil {
			t.Fatal(err)
		}
		out := postRaw(t, f, env)
		if i == 0 && out.Kind != magda.KindFound {
			t.Fatalf("first call: %+v", out)
		}
		if i == 1 && (out.Kind != magda.KindRefused || out.Errors[0].Identificatie != wantCode) {
			t.Fatalf("second call with the same reference: %+v", out)
		}
	}
}

func TestMagdaSimulatorDownIsUnavailable(t *testing.T) {
	f := newFixture(t)
	f.sim.Close()
	_, err := f.client.GeefPersoon(context.Background(), magdasim.INSZAnouk)
	callErr(t, err, magda.ErrUnavailable, magdasim.INSZAnouk)
}

// A simulator that does not answer: the client gives up at its timeout. The
// simulator holds the request until the client leaves, so nothing sleeps.
func TestMagdaSlowSimulatorTimesOut(t *testing.T) {
	f := newFixture(t)
	f.sim.SetSlow(true)
	err := f.callWith(t, magdasim.INSZAnouk, func(c *magda.Config) { c.Timeout = 300 * time.Millisecond })
	callErr(t, err, magda.ErrTimeout, magdasim.INSZAnouk)
}

// postRaw sends an envelope made by the test itself over the fixture's
// mutual TLS, verifies the signed answer and parses it.
func postRaw(t *testing.T, f *fixture, env []byte) *magda.Outcome {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: f.cfg.ServerCAs, Certificates: []tls.Certificate{f.cfg.ClientCert},
	}}}
	resp, err := hc.Post(f.sim.URL, "text/xml; charset=utf-8", bytes.NewReader(env))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := magda.VerifyEnvelope(data, f.sim.SigningCert.PublicKey.(*rsa.PublicKey)); err != nil {
		t.Fatalf("simulator answer not signed: %v", err)
	}
	out, err := magda.ParseGeefPersoonResponse(data)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
