package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// from: may list references, tried in order: the first is From, the others
// Also, each resolved (a relative file: against the config's directory)
// and keeping its own #field.
func TestSecretFromList(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hush.yaml")
	err := os.WriteFile(path, y(
		"secrets:",
		"  SEARCH_KEY:",
		"    from:",
		"      - awssm://prod/hush/app#SEARCH_API_KEY",
		"      - env://SEARCH_API_KEY",
		"      - file:secrets/search-key",
		"  ONE: { from: [\"env://ONE\"] }",
		"  PLAIN: { from: env://PLAIN }",
	), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, testKinds)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, d := range cfg.Secrets {
		got[d.Name] = append([]string{d.From}, d.Also...)
	}
	want := map[string][]string{
		"SEARCH_KEY": {"awssm://prod/hush/app#SEARCH_API_KEY", "env://SEARCH_API_KEY",
			"file://" + filepath.Join(dir, "secrets", "search-key")},
		"ONE":   {"env://ONE"},
		"PLAIN": {"env://PLAIN"},
	}
	for name, refs := range want {
		if !slices.Equal(got[name], refs) {
			t.Errorf("%s: references %q, want %q", name, got[name], refs)
		}
	}
	for _, d := range cfg.Secrets {
		if d.Name != "SEARCH_KEY" && d.Also != nil {
			t.Errorf("%s: fallbacks %q, want none", d.Name, d.Also)
		}
	}
}

// Every bad item of a from: list is reported at its own line, by its
// index, without repeating it (a misplaced credential is the usual bad
// reference).
func TestSecretFromListErrors(t *testing.T) {
	got := errList(t, y(
		"secrets:",
		"  A:",
		"    from:",
		"      - env://A",
		"      - \"not a reference canary-from-NOT-REAL\"",
		"      - [env://nested]",
		"      - env://A",
		"  B: { from: [] }",
		"  C: { from: { x: 1 } }",
	))
	want := []string{
		"t.yaml:5:9: secrets.A.from[1]: malformed reference (want scheme://...) (e.g. env://NAME or file:///path)",
		"t.yaml:6:9: secrets.A.from[2]: want a string, got sequence",
		"t.yaml:7:9: secrets.A.from[3]: the reference is listed twice",
		"t.yaml:8:14: secrets.B.from: the list names no reference",
		"t.yaml:9:14: secrets.C.from: want a string, got mapping",
	}
	diffLists(t, "errors", got, want)
	if strings.Contains(strings.Join(got, "\n"), "canary") {
		t.Error("an error repeats a reference")
	}
}
