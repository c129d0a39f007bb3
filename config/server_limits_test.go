package config

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestServerLimits(t *testing.T) {
	cfg := mustParse(t, y("server:", "  transport: http", "  session_timeout: 5m", "  max_sessions: 200",
		"  max_concurrent_requests: 32", "  max_connections: 1000", "  read_timeout: 4s", "  memory_limit: 128MiB"))
	s := cfg.Server
	got := []any{s.SessionTimeout, s.MaxSessions, s.MaxRequests, s.MaxConnections, s.ReadTimeout, s.MemoryLimit}
	want := []any{5 * time.Minute, 200, 32, 1000, 4 * time.Second, int64(128 << 20)}
	if !slices.Equal(got, want) {
		t.Errorf("limits = %v, want %v", got, want)
	}
}

func TestServerLimitsDefaultToZero(t *testing.T) {
	s := mustParse(t, y("server: {transport: http}")).Server
	if s.SessionTimeout != 0 || s.MaxSessions != 0 || s.MaxRequests != 0 || s.MaxConnections != 0 ||
		s.ReadTimeout != 0 || s.MemoryLimit != 0 {
		t.Errorf("absent limits must stay zero (the server's defaults), got %+v", s)
	}
}

func TestServerLimitErrors(t *testing.T) {
	got := errList(t, y("server:", "  transport: http", "  session_timeout: 0s", "  max_sessions: 0",
		"  max_concurrent_requests: -1", "  max_connections: many", "  read_timeout: 10", "  memory_limit: 12XB"))
	want := []string{
		"t.yaml:3:20: server.session_timeout: must be positive",
		"t.yaml:4:17: server.max_sessions: must be between 1 and 2147483647",
		"t.yaml:5:28: server.max_concurrent_requests: must be between 1 and 2147483647",
		"t.yaml:6:20: server.max_connections: want an integer, got string",
		"t.yaml:7:17: server.read_timeout: want a duration such as 30s, got integer",
		"t.yaml:8:17: server.memory_limit: want a positive size such as 256MiB or 1GiB, or off",
	}
	diffLists(t, "errors", got, want)
}

func TestServerLimitsIgnoredWithStdio(t *testing.T) {
	cfg := mustParse(t, y("server:", "  max_sessions: 5", "  memory_limit: 1GiB"))
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "server.max_sessions is ignored with transport stdio") {
		t.Errorf("warnings = %q", cfg.Warnings)
	}
	if cfg.Server.MemoryLimit != 1<<30 {
		t.Errorf("memory_limit applies to stdio too, got %d", cfg.Server.MemoryLimit)
	}
}

func TestParseMemoryLimit(t *testing.T) {
	for text, want := range map[string]int64{"off": math.MaxInt64, "1048576": 1 << 20, "512B": 512,
		"64KiB": 64 << 10, "256MiB": 256 << 20, "2GiB": 2 << 30, "1TiB": 1 << 40} {
		if got, err := ParseMemoryLimit(text); err != nil || got != want {
			t.Errorf("ParseMemoryLimit(%q) = %d, %v; want %d", text, got, err, want)
		}
	}
	for _, text := range []string{"", "0", "-1MiB", "1.5GiB", "1GB", "9999999TiB", "MiB"} {
		if _, err := ParseMemoryLimit(text); err == nil {
			t.Errorf("ParseMemoryLimit(%q) succeeded", text)
		}
	}
}
