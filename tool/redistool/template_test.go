package redistool

import (
	"strings"
	"testing"

	"github.com/hushmcp/hush/tool"
)

func TestParseTemplate(t *testing.T) {
	for text, want := range map[string]string{
		"session:{id}":             "session:|id|",
		"{a}:{b}":                  "|a|:|b|",
		`{{"id": "{id}", "n": 1}}`: `{"id": "|id|", "n": 1}`,
		"plain":                    "plain",
	} {
		tmpl, err := parseTemplate(text)
		if err != nil {
			t.Errorf("%s: %v", text, err)
			continue
		}
		var b strings.Builder
		for _, p := range tmpl.parts {
			if p.param != "" {
				b.WriteString("|" + p.param + "|")
			}
			b.WriteString(p.lit)
		}
		if b.String() != want {
			t.Errorf("%s parsed as %s, want %s", text, b.String(), want)
		}
	}
	for _, bad := range []string{"{", "a{b", "}", "a}b", "{}", "{a b}", "{a{b}"} {
		if _, err := parseTemplate(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// Whatever a caller sends, a filled key is the template's literal text
// around a value of safe characters only, or a UserError that does not
// repeat the value.
func FuzzKeyFill(f *testing.F) {
	for _, s := range []string{"u1", "u1:admin", "*", "a\r\nb", "{x}", "ü", "", "a b", "x@y.z"} {
		f.Add(s)
	}
	tmpl, _ := parseTemplate("session:{id}:data")
	// The only messages: one per kind of problem, the same for every value.
	fixed := map[string]bool{}
	for _, v := range []string{"", strings.Repeat("a", MaxSegmentChars+1), "*"} {
		_, err := tmpl.fill(map[string]any{"id": v}, true)
		fixed[err.Error()] = true
	}
	f.Fuzz(func(t *testing.T, v string) {
		key, err := tmpl.fill(map[string]any{"id": v}, true)
		if err != nil {
			if !tool.IsUser(err) || !fixed[err.Error()] {
				t.Fatalf("error %q for a bad value is not one of the fixed UserErrors", err)
			}
			return
		}
		if key != "session:"+v+":data" || strings.ContainsAny(v, ":*?[]{} \r\n\t\x00") {
			t.Fatalf("filled key %q from %q", key, v)
		}
	})
}
