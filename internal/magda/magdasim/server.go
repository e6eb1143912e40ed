// Package magdasim is a local simulator of MAGDA's GeefPersoon service, for
// tests and the demo. It is our own code with our own fictitious personas,
// not MAGDA: it speaks the same subset of the protocol the client uses (SOAP
// 1.1 over mutual TLS, a WS-Security RSA-SHA256 signature over the Body with
// exclusive canonicalisation, per-call references, consumer identity and
// capacity code) and enforces the same rules, so that the client's
// behaviour, failures included, can be tested without the real register.
package magdasim

import (
	"bytes"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/kluis/kluis/internal/magda"
)

// Config sets who the simulator accepts.
type Config struct {
	PKI        *PKI     // issues the simulator's certificates and trusts client certificates it issued
	ConsumerID string   // the only consumer identity accepted
	Capacities []string // capacity codes accepted
	Addr       string   // listen address; 127.0.0.1:0 when empty
	Now        func() time.Time
}

// Call is what the simulator recorded about one accepted request.
type Call struct {
	Reference string
	Consumer  string
	Capacity  string
}

// Server is a running simulator.
type Server struct {
	URL         string            // the GeefPersoon endpoint
	SigningCert *x509.Certificate // answers are signed with this certificate's key

	cfg      Config
	personas map[string]Persona
	signKey  *rsa.PrivateKey
	ln       net.Listener
	srv      *http.Server

	mu     sync.Mutex
	seen   map[string]bool
	calls  []Call
	slow   bool
	tamper bool
	done   chan struct{}
}

// Start listens on 127.0.0.1 with mutual TLS: a client must present a
// certificate issued by cfg.PKI.
func Start(cfg Config) (*Server, error) {
	if cfg.PKI == nil || cfg.ConsumerID == "" || len(cfg.Capacities) == 0 {
		return nil, errors.New("magdasim: PKI, consumer identity and capacities are required")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tlsCert, err := cfg.PKI.Issue("localhost", true)
	if err != nil {
		return nil, err
	}
	signing, err := cfg.PKI.Issue("MAGDA simulator signing", false)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		URL:         "https://" + ln.Addr().String() + "/GeefPersoonDienst-02.02/soap/WebService",
		SigningCert: signing.Leaf,
		cfg:         cfg,
		personas:    Personas(),
		signKey:     signing.PrivateKey.(*rsa.PrivateKey),
		ln:          ln,
		seen:        map[string]bool{},
		done:        make(chan struct{}),
	}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		// TLS handshakes refused for a wrong client certificate are the
		// expected outcome in tests, not news for the log.
		ErrorLog: log.New(io.Discard, "", 0),
		TLSConfig: &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{tlsCert},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    cfg.PKI.Pool,
		},
	}
	go s.srv.ServeTLS(ln, "", "") //nolint:errcheck // ends with Close
	return s, nil
}

// Close stops the simulator; held slow requests are released.
func (s *Server) Close() error {
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.mu.Unlock()
	return s.srv.Close()
}

// ClientConfig returns a client configuration that reaches this simulator
// with the given client certificate.
func (s *Server) ClientConfig(cert tls.Certificate) magda.Config {
	return magda.Config{
		Endpoint:     s.URL,
		ConsumerID:   s.cfg.ConsumerID,
		Capacity:     s.cfg.Capacities[0],
		ClientCert:   cert,
		ServerCAs:    s.cfg.PKI.Pool,
		ResponseCert: s.SigningCert,
		Timeout:      10 * time.Second,
	}
}

// SetSlow makes the simulator hold every request until the caller gives up
// (or the simulator closes): the client's timeout path, without sleeping.
func (s *Server) SetSlow(v bool) { s.mu.Lock(); s.slow = v; s.mu.Unlock() }

// SetTamper makes the simulator alter each answer after signing it, as a
// man in the middle would: the client must refuse it.
func (s *Server) SetTamper(v bool) { s.mu.Lock(); s.tamper = v; s.mu.Unlock() }

// Calls returns the requests the simulator accepted, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	slow, tamper := s.slow, s.tamper
	s.mu.Unlock()
	if slow {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	}
	if r.Method != http.MethodPost || r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		http.Error(w, "POST over mutual TLS only", http.StatusMethodNotAllowed)
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	peer := r.TLS.PeerCertificates[0]
	body, ok := s.verify(data, peer)
	if !ok {
		s.fault(w, "wsse:FailedCheck", "The signature or its certificate is not valid", tamper)
		return
	}
	var req magda.Request
	if err := xml.Unmarshal(body, &struct {
		Req *magda.Request `xml:"http://webservice.geefpersoondienst-02_02.persoon-1.vip.kszbcss.fgov.be GeefPersoon"`
	}{&req}); err != nil || req.Verzoek.Context.Naam != magda.ServiceName || req.Verzoek.Context.Versie != magda.ServiceVersion {
		s.fault(w, "soap:Client", "Not a GeefPersoon request", tamper)
		return
	}
	s.answer(w, &req, tamper)
}

// verify checks the Body's signature with the TLS client certificate's key,
// and that the certificate in the message is that same certificate.
func (s *Server) verify(envelope []byte, peer *x509.Certificate) ([]byte, bool) {
	token, err := magda.SignerCertificate(envelope)
	if err != nil || !bytes.Equal(token.Raw, peer.Raw) {
		return nil, false
	}
	pub, ok := peer.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, false
	}
	body, err := magda.VerifyEnvelope(envelope, pub)
	return body, err == nil
}

func (s *Server) answer(w http.ResponseWriter, req *magda.Request, tamper bool) {
	sender := req.Verzoek.Context.Bericht.Afzender
	var resp magda.Response
	ctx := &resp.Repliek.Context
	ctx.Naam, ctx.Versie = magda.ServiceName, magda.ServiceVersion
	ctx.Bericht.Type = "ANTWOORD"
	now := s.cfg.Now()
	ctx.Bericht.Tijdstip.Datum, ctx.Bericht.Tijdstip.Tijd = now.Format("2006-01-02"), now.Format("15:04:05.000")
	ctx.Bericht.Afzender = magda.Sender{Identificatie: "MAGDA-SIMULATOR", Referte: sender.Referte}

	refuse := func(code, diag string) {
		resp.Repliek.Uitzonderingen = []magda.Exception{{Identificatie: code, Oorsprong: "MAGDA-SIMULATOR", Type: magda.TypeError, Diagnose: diag}}
	}
	s.mu.Lock()
	switch {
	case sender.Identificatie != s.cfg.ConsumerID:
		refuse(magda.CodeUnknownConsumer, "Onbekende afzender")
	case !slices.Contains(s.cfg.Capacities, sender.Hoedanigheid):
		refuse(magda.CodeCapacityRefused, "Hoedanigheid niet toegelaten")
	case sender.Referte == "" || s.seen[sender.Referte]:
		refuse(magda.CodeDuplicateReference, "Referte ontbreekt of is niet uniek")
	case len(req.Verzoek.Vragen.Vraag) != 1 || req.Verzoek.Vragen.Vraag[0].Referte == "" || !magda.ValidINSZ(req.Verzoek.Vragen.Vraag[0].INSZ):
		refuse(magda.CodeBadRequest, "Eén vraag met een geldig INSZ verwacht")
	}
	if sender.Referte != "" {
		s.seen[sender.Referte] = true
	}
	if len(resp.Repliek.Uitzonderingen) == 0 {
		s.calls = append(s.calls, Call{Reference: sender.Referte, Consumer: sender.Identificatie, Capacity: sender.Hoedanigheid})
		q := req.Verzoek.Vragen.Vraag[0]
		a := magda.Answer{Referte: q.Referte}
		p, known := s.personas[q.INSZ]
		switch {
		case !known:
			a.Uitzonderingen = []magda.Exception{{Identificatie: magda.CodeNotFound, Oorsprong: "MAGDA-SIMULATOR", Type: magda.TypeError, Diagnose: "Persoon niet gevonden"}}
		case p.NotInRepertory:
			a.Uitzonderingen = []magda.Exception{{Identificatie: magda.CodeNotInRepertory, Oorsprong: "MAGDA-SIMULATOR", Type: magda.TypeError, Diagnose: "Persoon niet ingeschreven in het repertorium van de afnemer"}}
		default:
			person := p.Person
			a.Persoon = &person
			a.Uitzonderingen = p.Warnings
		}
		resp.Repliek.Antwoorden.Antwoord = []magda.Answer{a}
	}
	s.mu.Unlock()
	body, err := xml.Marshal(resp)
	if err != nil {
		http.Error(w, "marshal", http.StatusInternalServerError)
		return
	}
	s.write(w, http.StatusOK, body, tamper)
}

func (s *Server) fault(w http.ResponseWriter, code, msg string, tamper bool) {
	var b bytes.Buffer
	b.WriteString(`<soap:Fault xmlns:soap="` + magda.NSSoap + `" xmlns:wsse="` + magda.NSWsse + `"><faultcode>`)
	xml.EscapeText(&b, []byte(code)) //nolint:errcheck // bytes.Buffer does not fail
	b.WriteString(`</faultcode><faultstring>`)
	xml.EscapeText(&b, []byte(msg)) //nolint:errcheck
	b.WriteString(`</faultstring></soap:Fault>`)
	s.write(w, http.StatusInternalServerError, b.Bytes(), tamper)
}

// write signs the body into an envelope; with tamper, one signed byte of
// the Body is changed afterwards.
func (s *Server) write(w http.ResponseWriter, status int, body []byte, tamper bool) {
	env, err := magda.SignEnvelope(body, s.signKey, s.SigningCert)
	if err != nil {
		http.Error(w, "sign", http.StatusInternalServerError)
		return
	}
	if tamper {
		env = bytes.Replace(env, []byte("<Achternaam>"), []byte("<Achternaam>X"), 1)
		env = bytes.Replace(env, []byte("<Diagnose>"), []byte("<Diagnose>X"), 1)
		env = bytes.Replace(env, []byte("<faultstring>"), []byte("<faultstring>X"), 1)
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	w.Write(env) //nolint:errcheck // the client sees a short answer
}

// Settings returns the stored form of a connection that reaches this
// simulator with the given client certificate (from its PKI): what a
// test or the demo gives the store. The authorisation reference is the
// simulator's own, fictitious.
func (s *Server) Settings(cert tls.Certificate) (magda.Settings, error) {
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return magda.Settings{}, err
	}
	var chain []byte
	for _, der := range cert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	return magda.Settings{
		Endpoint:         s.URL,
		ConsumerID:       s.cfg.ConsumerID,
		Capacity:         s.cfg.Capacities[0],
		AuthorisationRef: "SIMULATOR-AUTH-1",
		ClientCertPEM:    string(chain),
		ClientKeyPEM:     string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})),
		ServerCAPEM:      string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cfg.PKI.CA.Raw})),
		ResponseCertPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.SigningCert.Raw})),
		Timeout:          magda.DefaultTimeout,
	}, nil
}
