package publish

import (
	"strings"
	"testing"

	"github.com/hushmcp/hush/tool"
)

func TestParseSubject(t *testing.T) {
	for text, want := range map[string]string{
		"orders.{region}.created": "",
		"audit":                   "",
		"orders.*":                "wildcards",
		"orders.>":                "wildcards",
		"orders..x":               "empty token",
		"orders.":                 "empty token",
		"orders.re{gion}":         "whole token",
		"orders.{a b}":            "whole token",
		"orders.a b":              "whitespace",
		"orders.a\r\nb":           "whitespace",
	} {
		_, err := ParseSubject(text)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", text, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: error %v, want one about %s", text, err, want)
		}
	}
}

func TestPatternMatch(t *testing.T) {
	cases := []struct {
		pattern, subject string
		want             bool
	}{
		{"orders.eu.created", "orders.eu.created", true},
		{"orders.*.created", "orders.us.created", true},
		{"orders.*.created", "orders.us.deleted", false},
		{"orders.>", "orders.us.created", true},
		{"orders.>", "orders", false},
		{"orders.*", "orders.a.b", false},
		{"orders", "orders.a", false},
	}
	for _, c := range cases {
		p, err := ParsePattern(c.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Match(c.subject); got != c.want {
			t.Errorf("%s matches %s: %v, want %v", c.pattern, c.subject, got, c.want)
		}
	}
	if _, err := ParsePattern("a.>.b"); err == nil {
		t.Error("'>' in the middle accepted")
	}
}

// A filled token is one token: every value that would add a level, a
// wildcard or a line is refused by naming the parameter only.
func TestFillRefusesHostileTokens(t *testing.T) {
	s, err := ParseSubject("orders.{region}.created")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"", "eu.us", "*", ">", "eu*", "e u", "eu\r\nPUB x 1", "eu\tx", "eu\x00", strings.Repeat("x", MaxTokenChars+1)} {
		_, err := s.fill(map[string]any{"region": v})
		if err == nil || !tool.IsUser(err) || !strings.Contains(err.Error(), `argument "region"`) {
			t.Errorf("%q: %v", v, err)
			continue
		}
		if len(v) > 2 && strings.Contains(err.Error(), v) {
			t.Errorf("the error repeats the value: %v", err)
		}
	}
	got, err := s.fill(map[string]any{"region": "eu-west_1"})
	if err != nil || got != "orders.eu-west_1.created" {
		t.Errorf("fill: %q, %v", got, err)
	}
	n, _ := ParseSubject("orders.{id}")
	if got, err := n.fill(map[string]any{"id": int64(42)}); err != nil || got != "orders.42" {
		t.Errorf("integer token: %q, %v", got, err)
	}
}

// No value can change a subject's structure: a filled subject has the
// template's tokens, the literal ones unchanged, or the value is refused.
func FuzzSubjectFill(f *testing.F) {
	for _, seed := range []string{"eu", "eu.us", "*", ">", "a b", "x\r\ny", "", "ünï", "\x00"} {
		f.Add(seed)
	}
	s, err := ParseSubject("orders.{region}.created")
	if err != nil {
		f.Fatal(err)
	}
	p, _ := ParsePattern("orders.*.created")
	f.Fuzz(func(t *testing.T, v string) {
		got, err := s.fill(map[string]any{"region": v})
		if err != nil {
			if !tool.IsUser(err) {
				t.Fatalf("not a tool error: %v", err)
			}
			return
		}
		toks := strings.Split(got, ".")
		if len(toks) != 3 || toks[0] != "orders" || toks[2] != "created" || !p.Match(got) ||
			strings.ContainsAny(got, "*> \r\n\t") {
			t.Fatalf("value %q made subject %q", v, got)
		}
	})
}
