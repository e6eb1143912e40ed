package cli

// ASVS 5.0.0 V16: the server's own log lines (newLogger), in both formats
// an operator may choose.

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/config"
)

// forged is a value that tries to end the log line and start a forged one
// in either format.
const forged = "x\n{\"level\":\"ERROR\",\"msg\":\"forged\"}\ntime=2026-01-01T00:00:00Z level=ERROR msg=forged\r\x1b[2J"

func logOnce(t *testing.T, format string) string {
	t.Helper()
	var buf bytes.Buffer
	cfg := config.Defaults()
	cfg.LogFormat = format
	newLogger(&Env{Stderr: &buf}, cfg).Info("login refused", "reason", forged)
	return buf.String()
}

// TestASVS_16_4_1_LogValuesCannotForgeLines: a value with line breaks,
// quotes and terminal escapes stays one encoded value on one line.
func TestASVS_16_4_1_LogValuesCannotForgeLines(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		out := logOnce(t, format)
		if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
			t.Errorf("%s: %d lines: %q", format, strings.Count(out, "\n"), out)
		}
		if strings.ContainsAny(strings.TrimSuffix(out, "\n"), "\r\x1b") {
			t.Errorf("%s: raw control characters in %q", format, out)
		}
		if format == "text" && !strings.Contains(out, `reason="x\n{\"level\"`) {
			t.Errorf("%s: the value is not quoted: %q", format, out)
		}
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(logOnce(t, "json")), &m); err != nil || m["reason"] != forged || m["msg"] != "login refused" {
		t.Fatalf("json line does not decode to the value: %v %v", m, err)
	}
}

// TestASVS_16_2_4_JSONLogsForALogProcessor: KLUIS_LOG_FORMAT=json gives one
// JSON object per line with time, level and message, what log processors
// (journald, Loki, Elastic) read without a custom parser.
func TestASVS_16_2_4_JSONLogsForALogProcessor(t *testing.T) {
	var m map[string]any
	if err := json.Unmarshal([]byte(logOnce(t, "json")), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"time", "level", "msg"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %v", k, m)
		}
	}
	if m["level"] != "INFO" {
		t.Errorf("level = %v", m["level"])
	}
}

// TestASVS_16_2_2_LogTimesCarryTheirOffset: every log line's time is
// RFC 3339 with an explicit zone (Z or ±hh:mm), whatever the host's zone.
func TestASVS_16_2_2_LogTimesCarryTheirOffset(t *testing.T) {
	var m map[string]any
	if err := json.Unmarshal([]byte(logOnce(t, "json")), &m); err != nil {
		t.Fatal(err)
	}
	s, _ := m["time"].(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %q is not RFC 3339 with a zone: %v", s, err)
	}
	if d := time.Since(at); d < 0 || d > time.Minute {
		t.Errorf("time %q is %v away from now", s, d)
	}
	text := logOnce(t, "text")
	f := strings.Fields(text)
	if len(f) == 0 || !strings.HasPrefix(f[0], "time=") {
		t.Fatalf("text line %q", text)
	}
	if _, err := time.Parse(time.RFC3339Nano, strings.TrimPrefix(f[0], "time=")); err != nil {
		t.Errorf("text time %q: %v", f[0], err)
	}
}
