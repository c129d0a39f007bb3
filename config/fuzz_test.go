package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and keeps its contract on any
// input: either a config or errors that each start with "f.yaml:".
func FuzzParse(f *testing.F) {
	full, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(full)
	for _, seed := range []string{
		"", "server: {transport: http}", "a: [1, 2", "x: &a {b: 1}\ny: *a\n",
		"tools:\n  t: {source: s, statement: \"SELECT $1 /* ? */ '$2'\"}\n",
		"sources:\n  s: {kind: postgres, dsn: \"postgres://u:${secret:P}@h/db\"}\n",
		"secrets:\n  A: {from: env://A, format: json, fields: [a], strict: true}\n",
		"tools: {t: {parameters: [{name: a, type: number, enum: [1, 2.5], default: !!str 1}]}}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("f.yaml", data, testKinds)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Parse returned config %v and error %v", cfg != nil, err != nil)
		}
		if err == nil {
			return
		}
		for _, e := range splitErrors(t, err) {
			if !strings.HasPrefix(e, "f.yaml:") {
				t.Fatalf("error without position prefix")
			}
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("no *Error in %T", err)
		}
	})
}
