package redact

import (
	"encoding/json"
	"strings"
	"testing"
)

// longCanary is a fake credential longer than PostgreSQL keeps of an
// application_name (63 bytes).
const longCanary = "canary-appname-7f3a9c-0123456789abcdefghijklmnopqrstuvwxyz-NOT-REAL-tail-ABCDEFGH"

func TestRedactTruncatedPrefixes(t *testing.T) {
	r := New(Options{Values: [][]byte{[]byte(longCanary)}, DisableStructural: true})
	row, _ := json.Marshal(map[string]string{"application_name": longCanary[:63]})
	tests := []struct{ name, in, want string }{
		{"63-byte prefix in a row", string(row), `{"application_name":"[REDACTED]"}`},
		{"PrefixLen characters", "x " + longCanary[:PrefixLen] + " y", "x [REDACTED] y"},
		{"one character short of PrefixLen", "x " + longCanary[:PrefixLen-1] + " y", "x " + longCanary[:PrefixLen-1] + " y"},
		{"prefix, then a quote", `"` + longCanary[:40] + `"`, `"[REDACTED]"`},
		{"prefix, then an escaped quote", `\"` + longCanary[:40] + `\"`, `\"[REDACTED]\"`},
		{"prefix, then punctuation", "(" + longCanary[:40] + "), " + longCanary[:17] + "@h", "([REDACTED]), [REDACTED]@h"},
		// Another value that shares a beginning, such as the next
		// version of a token, is not a truncated copy.
		{"prefix, then more token", "x " + longCanary[:40] + "ZZZ y", "x " + longCanary[:40] + "ZZZ y"},
		{"prefix, then more token after a dash", longCanary[:21] + "-xyz", longCanary[:21] + "-xyz"},
		{"prefix at the end of the input", "x " + longCanary[:30], "x [REDACTED]"},
		{"whole value", "x " + longCanary + " y", "x [REDACTED] y"},
		{"two prefixes", longCanary[:20] + "|" + longCanary[:50], "[REDACTED]|[REDACTED]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.RedactString(tt.in); got != tt.want {
				t.Errorf("redacted text differs from %q", tt.want)
			}
		})
	}
}

// A prefix comes back escaped like the whole value: a truncated value the
// database put in JSON text, returned inside a tool result.
func TestRedactEscapedPrefixes(t *testing.T) {
	for i, v := range nestedCanaries {
		v += "-padding-beyond-the-truncation-point"
		r := New(Options{Values: [][]byte{[]byte(v)}, DisableStructural: true})
		cut := string(runePrefix([]byte(v), len(v)-20))
		for name, out := range shapes(cut) {
			got := r.RedactString(out)
			if strings.Contains(got, nestedMarker) {
				t.Errorf("canary %d, %s: a prefix of the secret passed redaction", i, name)
			}
			if json.Valid([]byte(out)) && !json.Valid([]byte(got)) {
				t.Errorf("canary %d, %s: redaction broke the JSON", i, name)
			}
		}
	}
}

// A value cut inside a character (truncation by bytes) is still a
// truncated copy, and the dangling byte goes with it; a different
// character that shares its first byte continues the text instead.
func TestPrefixAndCharacters(t *testing.T) {
	const v = "canary-7f3a9c-ÄÖÜ-äöü-NOT-REAL-ééé"
	r := New(Options{Values: [][]byte{[]byte(v)}, DisableStructural: true})
	cut := v[:strings.Index(v, "ö")+1] // the first byte of 'ö'
	if got := r.RedactString(`"` + cut + `"`); got != `"[REDACTED]"` {
		t.Error("a value cut inside a character is not redacted whole")
	}
	other := v[:strings.Index(v, "ö")] + "ø tail" // 'ö' and 'ø' share their first byte
	if got := r.RedactString(other); got != other {
		t.Error("a different text that shares 20 characters was redacted")
	}
}

// Values no longer than PrefixLen have no prefix rule; JSON documents have
// none either (their beginnings are ordinary text, their fields are
// values of their own).
func TestPrefixRuleExclusions(t *testing.T) {
	doc := `{"username":"app","password":"canary-pw-7f3a9c-NOT-REAL"}`
	short := "canary-7f3a9c-16"
	r := New(Options{Values: [][]byte{[]byte(doc), []byte(short)}, DisableStructural: true})
	for _, in := range []string{`{"username":"app","id":7}`, short[:15] + "X"} {
		if got := r.RedactString(in); got != in {
			t.Errorf("%d-byte text without a secret was redacted", len(in))
		}
	}
}
