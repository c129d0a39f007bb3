package config

import (
	"strings"
	"testing"
)

func TestMetricsListen(t *testing.T) {
	for _, c := range []struct {
		lines []string
		want  string
	}{
		{[]string{"server: {transport: http}"}, ""},
		{[]string{"server: {transport: http, metrics_listen: same}"}, ""},
		{[]string{"server: {transport: http, metrics_listen: off}"}, MetricsOff},
		{[]string{"server: {transport: http, metrics_listen: '0.0.0.0:9090'}"}, "0.0.0.0:9090"},
		{[]string{"server: {transport: stdio, metrics_listen: '127.0.0.1:9090'}"}, "127.0.0.1:9090"},
	} {
		if got := mustParse(t, y(c.lines...)).Server.MetricsListen; got != c.want {
			t.Errorf("%s: %q, want %q", c.lines[0], got, c.want)
		}
	}
}

func TestMetricsListenErrors(t *testing.T) {
	for _, c := range []struct {
		line, want string
	}{
		{"server: {transport: http, metrics_listen: 9090}", "server.metrics_listen: want same, off or host:port"},
		{"server: {transport: http, listen: '127.0.0.1:8080', metrics_listen: '127.0.0.1:8080'}", "must differ from server.listen"},
		{"server: {transport: http, path: /metrics}", "server.path: /metrics is where metrics are served"},
	} {
		_, err := Parse("t.yaml", y(c.line), testKinds)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.line, err, c.want)
		}
	}
	// With metrics on their own listener, /metrics is a path like any other.
	mustParse(t, y("server: {transport: http, path: /metrics, metrics_listen: '127.0.0.1:9090'}"))
}
