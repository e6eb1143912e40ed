package analytics

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		ua   string
		want Client
	}{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0", Client{Browser: "firefox", Device: "desktop"}},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", Client{Browser: "safari", Device: "mobile"}},
		{"Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", Client{Browser: "chrome", Device: "tablet"}},
		{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36", Client{Browser: "samsung", Device: "mobile"}},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", Client{Browser: "edge", Device: "desktop"}},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", Client{Bot: true}},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36", Client{Bot: true}},
		{"curl/8.5.0", Client{Bot: true}},
		{"Go-http-client/1.1", Client{Bot: true}},
		{"", Client{Bot: true}},
	} {
		if got := Classify(tc.ua); got != tc.want {
			t.Errorf("Classify(%q) = %+v, want %+v", tc.ua, got, tc.want)
		}
	}
}

func TestReferrerHost(t *testing.T) {
	for _, tc := range []struct{ ref, own, want string }{
		{"", "kluis.be", "direct"},
		{"https://www.google.com/search?q=secret", "kluis.be", "google.com"},
		{"https://kluis.be/gent/", "kluis.be:443", "internal"},
		{"https://Nieuws.Gent.be:8443/a/b?c=d", "kluis.be", "nieuws.gent.be"},
		{"http://192.0.2.1/x", "kluis.be", "other"},
		{"http://[2001:db8::1]/x", "kluis.be", "other"},
		{"android-app://com.google.android.gm/", "kluis.be", "direct"},
		{"https://exa_mple.com/", "kluis.be", "other"},
	} {
		if got := ReferrerHost(tc.ref, tc.own); got != tc.want {
			t.Errorf("ReferrerHost(%q, %q) = %q, want %q", tc.ref, tc.own, got, tc.want)
		}
	}
}

// TestCounterKeepsCountsAFailedFlushCouldNotWrite: a failed write puts the
// counts back, the next flush writes them, and stopping the flusher
// flushes once more (no count lost at shutdown).
func TestCounterKeepsCountsAFailedFlushCouldNotWrite(t *testing.T) {
	c := NewCounter()
	v := View{TenantID: "t", Day: "2026-01-01", Path: "/"}
	c.CountView(v)
	c.CountView(v)
	if err := c.Flush(context.Background(), func(context.Context, Batch) error { return errors.New("down") }); err == nil {
		t.Fatal("the failure was not reported")
	}
	var written []Batch
	write := func(_ context.Context, b Batch) error { written = append(written, b); return nil }
	c.CountView(v)
	if err := c.Flush(context.Background(), write); err != nil || len(written) != 1 || written[0].Views[v] != 3 {
		t.Fatalf("after the failed flush: %v, %+v", err, written)
	}
	c.CountForm(FormEvent{TenantID: "t", FormKey: "vraag", Event: EventStarted})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.Run(ctx, time.Hour, time.Second, write, nil)
	if len(written) != 2 || len(written[1].Forms) != 1 {
		t.Fatalf("the shutdown did not flush: %+v", written)
	}
}

// FuzzClassify: any User-Agent (it comes from the visitor) is classified
// without panic into one of the few fixed values, so nothing the visitor
// writes reaches the statistics.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{"", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile Safari/604.1", "curl/8", "Mozilla/5.0 Googlebot", "mozilla/\x00\xff"} {
		f.Add(s)
	}
	browsers := map[string]bool{"": true, "other": true, "edge": true, "opera": true, "samsung": true, "firefox": true, "chrome": true, "safari": true}
	devices := map[string]bool{"": true, "desktop": true, "tablet": true, "mobile": true}
	f.Fuzz(func(t *testing.T, ua string) {
		c := Classify(ua)
		if !browsers[c.Browser] || !devices[c.Device] {
			t.Fatalf("Classify(%q) = %+v", ua, c)
		}
		if c.Bot != (c.Browser == "") {
			t.Fatalf("Classify(%q) = %+v: a bot with a browser or a visit without", ua, c)
		}
	})
}
