package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestLimitsAreSettingsWithDefaults: every limit an operator may tune has
// its documented default, takes a good value from its variable (and its
// flag), and refuses a bad one with a message naming the variable, so that
// serve does not start on it (SEC-3).
func TestLimitsAreSettingsWithDefaults(t *testing.T) {
	tests := []struct {
		env, flag string
		def, good string
		bad       []string
		get       func(Config) any
		want      any
	}{
		{"KLUIS_API_RATE_LIMIT", "--api-rate-limit", "600", "20", []string{"0", "-5", "many", "2000000"},
			func(c Config) any { return c.APIRateLimit }, 20},
		{"KLUIS_API_BODY_LIMIT", "--api-body-limit", "65536", "4KiB", []string{"0", "1000", "lots"},
			func(c Config) any { return c.APIBodyLimit }, int64(4 << 10)},
		{"KLUIS_UPLOAD_LIMIT", "--upload-limit", "67108864", "20MiB", []string{"-1", "512", "big"},
			func(c Config) any { return c.UploadLimit }, int64(20 << 20)},
		{"KLUIS_LOGIN_RATE_LIMIT", "--login-rate-limit", "20", "5", []string{"0", "x"},
			func(c Config) any { return c.LoginRateLimit }, 5},
		{"KLUIS_WRITER_MAX_BATCH", "--writer-max-batch", "256", "64", []string{"0", "5000", "x"},
			func(c Config) any { return c.WriterMaxBatch }, 64},
		{"KLUIS_HTTP_READ_TIMEOUT", "--http-read-timeout", "30s", "2m", []string{"0s", "100ms", "2h", "soon"},
			func(c Config) any { return c.HTTPReadTimeout }, 2 * time.Minute},
		{"KLUIS_HTTP_WRITE_TIMEOUT", "--http-write-timeout", "1m0s", "5m", []string{"0", "forever"},
			func(c Config) any { return c.HTTPWriteTimeout }, 5 * time.Minute},
		{"KLUIS_SHUTDOWN_TIMEOUT", "--shutdown-timeout", "15s", "45s", []string{"0", "1h"},
			func(c Config) any { return c.ShutdownTimeout }, 45 * time.Second},
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			c, err := load(nil)
			if err != nil {
				t.Fatal(err)
			}
			if v := value(c, tt.env); v != tt.def {
				t.Errorf("default %s, want %s", v, tt.def)
			}
			c, err = load(map[string]string{tt.env: tt.good})
			if err != nil || tt.get(c) != tt.want {
				t.Errorf("%s=%s: got %v (%v), want %v", tt.env, tt.good, tt.get(c), err, tt.want)
			}
			c, err = load(nil, tt.flag, tt.good)
			if err != nil || tt.get(c) != tt.want {
				t.Errorf("%s %s: got %v (%v), want %v", tt.flag, tt.good, tt.get(c), err, tt.want)
			}
			for _, bad := range tt.bad {
				if _, err := load(map[string]string{tt.env: bad}); err == nil || !strings.Contains(err.Error(), tt.env) {
					t.Errorf("%s=%s: error %v, want one naming %s", tt.env, bad, err, tt.env)
				}
			}
			if !strings.Contains(string(readme), "`"+tt.env+"`") {
				t.Errorf("README's configuration table lacks %s", tt.env)
			}
		})
	}
}

// TestEverySettingIsInTheREADME: the README's configuration table names
// every variable Load reads, so that no setting goes undocumented.
func TestEverySettingIsInTheREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings() {
		if !strings.Contains(string(readme), "`"+s.env+"`") {
			t.Errorf("README's configuration table lacks %s", s.env)
		}
	}
}

func value(c Config, env string) string {
	for _, it := range c.Redacted() {
		if it.Env == env {
			return it.Value
		}
	}
	return "(none)"
}
