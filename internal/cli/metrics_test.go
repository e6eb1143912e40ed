package cli

import (
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestClauseSEC3_MetricsOnTheirOwnListenerWithoutPersonalData starts the
// real server with a metrics listener, sends it a citizen's form with an
// e-mail address, a name and a national register number (also in paths
// and a query), and scrapes /metrics: none of them, nor the tenant's slug
// or name, is in it; the expected families are; and the public listener
// answers /metrics with 404 (design.md: /metrics off the public listener).
func TestClauseSEC3_MetricsOnTheirOwnListenerWithoutPersonalData(t *testing.T) {
	s := newSandbox(t)
	s.env["KLUIS_METRICS_LISTEN"] = "127.0.0.1:0"
	s.metrics = make(chan net.Addr, 1)
	base, _ := s.serving(t, "serve", "--demo")
	var metricsURL string
	select {
	case a := <-s.metrics:
		metricsURL = "http://" + a.String() + "/metrics"
	case <-time.After(10 * time.Second):
		t.Fatal("the metrics listener did not start")
	}

	const (
		email    = "marleen.vandenbroucke@voorbeeld.be"
		name     = "Marleen Vandenbroucke"
		insz     = "85.07.15-123.97"
		inszBare = "85071512397"
	)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, target, body string, want int) {
		t.Helper()
		req, _ := http.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s %s: status %d, want %d", method, target, resp.StatusCode, want)
		}
	}
	do("GET", base+"/demo/vraag", "", http.StatusOK)
	do("POST", base+"/demo/vraag", url.Values{
		"token": {base64.RawURLEncoding.EncodeToString([]byte("metrics-test-page-token-32-bytes"))}, "name": {name}, "email": {email}, "topic": {"other"},
		"message": {"Mijn rijksregisternummer is " + insz + "."},
	}.Encode(), http.StatusSeeOther)
	do("GET", base+"/demo/"+inszBare, "", http.StatusNotFound)
	do("GET", base+"/demo/vraag?email="+url.QueryEscape(email)+"&insz="+inszBare, "", http.StatusOK)
	do("GET", base+"/api/v1/demo/submissions?q="+url.QueryEscape(name), "", http.StatusUnauthorized)
	// The public listener has no /metrics, whatever the method.
	do("GET", base+"/metrics", "", http.StatusNotFound)

	scrape := func() string {
		t.Helper()
		resp, err := http.Get(metricsURL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("scrape: %d %s", resp.StatusCode, b)
		}
		return string(b)
	}
	// The worker's first jobs (the daily audit verification among them)
	// run at start; wait for them, bounded.
	var out string
	deadline := time.Now().Add(60 * time.Second)
	for out = scrape(); !strings.Contains(out, `kluis_job_last_success_timestamp_seconds{job="audit.verify"}`); out = scrape() {
		if time.Now().After(deadline) {
			t.Fatalf("no audit verification job in the metrics:\n%s", out)
		}
		<-time.After(100 * time.Millisecond)
	}

	for _, secret := range []string{email, "marleen", "vandenbroucke", insz, inszBare, "85.07.15", "Gemeente Demo"} {
		if strings.Contains(strings.ToLower(out), strings.ToLower(secret)) {
			t.Errorf("the metrics hold %q", secret)
		}
	}
	// No label value names the tenant (slug "demo") or a raw path.
	for _, m := range regexp.MustCompile(`[a-z_]+="([^"]*)"`).FindAllStringSubmatch(out, -1) {
		if v := m[1]; strings.Contains(strings.ToLower(v), "demo") || strings.Contains(v, "?") {
			t.Errorf("label value %q names the tenant or a query", v)
		}
	}
	for _, family := range []string{
		`kluis_http_requests_total{route="POST /{tenant}/{form}",status="3xx"} 1`,
		`kluis_http_requests_total{route="GET /{tenant}/{form}",status="2xx"} 2`,
		`kluis_http_request_duration_seconds_bucket{route="POST /{tenant}/{form}"`,
		`kluis_http_requests_total{route="GET /api/v1/{tenant}/submissions",status="4xx"} 1`,
		"kluis_writer_queue_length ",
		"kluis_writer_batch_size_count ",
		`kluis_job_runs_total{job="audit.verify"}`,
		"kluis_job_failures_total",
		`kluis_mail_outbox_messages{state="pending"}`,
		`kluis_mail_outbox_messages{state="failed"}`,
		`kluis_webhook_outbox_deliveries{state="pending"}`,
		`kluis_webhook_outbox_deliveries{state="failed"}`,
		`kluis_retention_runs_total{outcome="ok"}`,
		`kluis_audit_verifications_total{result="ok"}`,
		`kluis_audit_verifications_total{result="broken"} 0`,
		`kluis_audit_chain_ok{tenant_id="`,
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(out, family) {
			t.Errorf("the metrics lack %s", family)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", out)
	}
}
