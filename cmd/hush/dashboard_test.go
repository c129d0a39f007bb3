package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// hushMetric matches a metric name of Hush's in a query.
var hushMetric = regexp.MustCompile(`\bhush_[a-z_]+`)

// The Grafana dashboard in deploy/grafana is valid JSON, every panel has a
// query, and every Hush metric it queries is one docs/metrics.md documents.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("../../deploy/grafana/hush-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string
		UID    string
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	if dash.Title == "" || dash.UID == "" || len(dash.Panels) == 0 {
		t.Fatalf("dashboard without title, uid or panels")
	}
	seen := map[string]bool{}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, m := range hushMetric.FindAllString(tg.Expr, -1) {
				m = strings.TrimSuffix(m, "_bucket")
				seen[m] = true
				if !strings.Contains(string(doc), "`"+m+"`") {
					t.Errorf("panel %q queries %s, which docs/metrics.md does not document", p.Title, m)
				}
			}
		}
	}
	for _, m := range []string{"hush_tool_calls_total", "hush_secret_state", "hush_secret_expires_in_seconds",
		"hush_source_swap_failures_total", "hush_http_auth_failures_total", "hush_source_pool_connections"} {
		if !seen[m] {
			t.Errorf("no panel shows %s", m)
		}
	}
}
