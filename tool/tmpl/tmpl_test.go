package tmpl_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hushmcp/hush/tool/tmpl"
)

func TestParseAndFill(t *testing.T) {
	tp, err := tmpl.Parse("/items/{id}/v{version}.json")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tp.Names(), []string{"id", "version"}) || !slices.Equal(tp.Literals(), []string{"/items/", "/v", ".json"}) {
		t.Fatalf("names %v literals %v", tp.Names(), tp.Literals())
	}
	upper := func(_, v string) (string, error) { return strings.ToUpper(v), nil }
	out, ok, err := tp.Fill(map[string]any{"id": "ab", "version": int64(2)}, upper)
	if out != "/items/AB/v2.json" || !ok || err != nil {
		t.Errorf("fill = %q %v %v", out, ok, err)
	}
	if _, ok, _ := tp.Fill(map[string]any{"id": "ab", "version": nil}, tmpl.Plain); ok {
		t.Error("a missing value filled")
	}
	refuse := func(string, string) (string, error) { return "", errors.New("no") }
	if _, _, err := tp.Fill(map[string]any{"id": "x", "version": 1.5}, refuse); err == nil {
		t.Error("an escaper's refusal was ignored")
	}
	for v, want := range map[any]string{true: "true", 1.5: "1.5", int64(-3): "-3", "s": "s"} {
		if got := tmpl.Text(v); got != want {
			t.Errorf("Text(%v) = %q", v, got)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, s := range []string{"{", "}", "a{b", "{}", "{a b}", "{1x}", "x}y{z}"} {
		if _, err := tmpl.Parse(s); err == nil {
			t.Errorf("%q parsed", s)
		}
	}
}
