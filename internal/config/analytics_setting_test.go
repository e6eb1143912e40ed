package config

import (
	"strings"
	"testing"
)

// TestAnalyticsSettingIsOnOrOff: KLUIS_ANALYTICS is on by default, "off"
// switches the counting off, and anything else is refused naming the
// variable rather than silently counting (or not).
func TestAnalyticsSettingIsOnOrOff(t *testing.T) {
	for _, v := range []string{"", "on", "off"} {
		c, err := load(map[string]string{"KLUIS_ANALYTICS": v})
		if err != nil || c.Analytics != v {
			t.Errorf("KLUIS_ANALYTICS=%q: %q %v", v, c.Analytics, err)
		}
	}
	for _, v := range []string{"no", "false", "OFF "} {
		if _, err := load(map[string]string{"KLUIS_ANALYTICS": v}); err == nil || !strings.Contains(err.Error(), "KLUIS_ANALYTICS") {
			t.Errorf("KLUIS_ANALYTICS=%q: error %v, want one naming KLUIS_ANALYTICS", v, err)
		}
	}
}
