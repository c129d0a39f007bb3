package config

import (
	"errors"
	"github.com/hushmcp/hush/internal/assembly"
	"strings"
	"testing"
)

// y joins lines into a YAML document, so positions in tests can be read off
// the line list.
func y(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

// errList parses data as t.yaml and returns the text of each reported
// error, failing the test if parsing succeeds or an error is not an *Error.
func errList(t *testing.T, data []byte) []string {
	t.Helper()
	cfg, err := Parse("t.yaml", data, testKinds)
	if err == nil {
		t.Fatalf("Parse succeeded, want errors")
	}
	if cfg != nil {
		t.Errorf("Parse returned a config together with errors")
	}
	return splitErrors(t, err)
}

func splitErrors(t *testing.T, err error) []string {
	t.Helper()
	var list []error
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		list = u.Unwrap()
	} else {
		list = []error{err}
	}
	var out []string
	for _, e := range list {
		var ce *Error
		if !errors.As(e, &ce) {
			t.Fatalf("error %T is not a *config.Error", e)
		}
		out = append(out, e.Error())
	}
	return out
}

// mustParse parses data as t.yaml and fails the test on any error.
func mustParse(t *testing.T, data []byte) *Config {
	t.Helper()
	cfg, err := Parse("t.yaml", data, testKinds)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg
}

func diffLists(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") == strings.Join(want, "\n") {
		return
	}
	t.Errorf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
}

// testKinds are the parts the binary ships.
var testKinds = Kinds{Sources: assembly.Sources(), Tools: assembly.Tools(), Providers: assembly.Providers(nil)}
