package magdasim

import (
	"crypto/tls"
	"net/http"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/magda"
)

// Every persona, and the unknown one, has a well-formed INSZ, so that the
// client's check-digit test never hides a simulator answer.
func TestPersonasHaveValidINSZ(t *testing.T) {
	for insz, p := range Personas() {
		if !magda.ValidINSZ(insz) || p.Person.INSZ != insz {
			t.Errorf("persona %s: INSZ %q", insz, p.Person.INSZ)
		}
	}
	if _, known := Personas()[INSZUnknown]; known || !magda.ValidINSZ(INSZUnknown) {
		t.Error("INSZUnknown must be valid and unknown")
	}
}

// Without a client certificate the simulator refuses the connection.
func TestSimulatorRequiresClientCertificate(t *testing.T) {
	pki, err := NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	sim, err := Start(Config{PKI: pki, ConsumerID: "0207501497", Capacities: []string{"10086"}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if !strings.HasPrefix(sim.URL, "https://127.0.0.1:") {
		t.Fatalf("simulator listens on %s", sim.URL)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Pool}}}
	resp, err := hc.Post(sim.URL, "text/xml", strings.NewReader("<x/>"))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("answered %s without a client certificate", resp.Status)
	}
}
