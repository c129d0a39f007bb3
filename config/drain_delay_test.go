package config

import (
	"strings"
	"testing"
	"time"
)

func TestDrainDelay(t *testing.T) {
	for _, tc := range []struct {
		line string
		want time.Duration
	}{
		{"", 0},
		{"  drain_delay: 0s", 0},
		{"  drain_delay: 5s", 5 * time.Second},
		{"  drain_delay: 1500ms", 1500 * time.Millisecond},
	} {
		lines := []string{"server:", "  transport: http"}
		if tc.line != "" {
			lines = append(lines, tc.line)
		}
		if got := mustParse(t, y(lines...)).Server.DrainDelay; got != tc.want {
			t.Errorf("%q: DrainDelay %v, want %v", tc.line, got, tc.want)
		}
	}
	if got := (Server{}).WithDefaults().DrainDelay; got != 0 {
		t.Errorf("WithDefaults set a drain delay: %v", got)
	}
}

func TestDrainDelayErrors(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"5", "server.drain_delay: want a duration such as 5s, got integer"},
		{"-1s", "server.drain_delay: must not be negative"},
		{"soon", "server.drain_delay: invalid duration"},
	} {
		err := strings.Join(errList(t, y("server:", "  transport: http", "  drain_delay: "+tc.value)), "\n")
		if !strings.Contains(err, tc.want) {
			t.Errorf("drain_delay %s: got %q, want %q", tc.value, err, tc.want)
		}
	}
}

func TestDrainDelayIgnoredOnStdio(t *testing.T) {
	cfg := mustParse(t, y("server:", "  drain_delay: 5s"))
	if !strings.Contains(strings.Join(cfg.Warnings, "\n"), "server.drain_delay is ignored with transport stdio") {
		t.Errorf("no warning for drain_delay on stdio: %q", cfg.Warnings)
	}
}
