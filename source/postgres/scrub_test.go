package postgres

import (
	"strings"
	"testing"
)

func TestScrubber(t *testing.T) {
	const pw = "canary-pw-pAss/w'rd-NOT-REAL"
	tests := []struct{ name, dsn, password, in, want string }{
		{"raw", "postgres://u:x@h/db", pw, "a " + pw + " b", "a [REDACTED] b"},
		{"escaped as written in the dsn", "postgres://u:canary-pw-p%41ss%2fw%27rd-NOT-REAL@h/db", pw,
			"a canary-pw-p%41ss%2fw%27rd-NOT-REAL b", "a [REDACTED] b"},
		{"path escaped", "postgres://u:x@h/db", pw, "a canary-pw-pAss%2Fw%27rd-NOT-REAL b", "a [REDACTED] b"},
		{"key/value quoted", `host=h password='canary-pw-pAss/w\'rd-NOT-REAL'`, pw,
			`a canary-pw-pAss/w\'rd-NOT-REAL b`, "a [REDACTED] b"},
		{"whole dsn first", "postgres://u:" + pw + "@h/db", pw, "dsn postgres://u:" + pw + "@h/db.", "dsn [REDACTED]."},
		{"short password kept", "postgres://u:abc@h/db", "abc", "abcdef", "abcdef"},
		{"short password, dsn still replaced", "postgres://u:abc@h/db", "abc", "x postgres://u:abc@h/db", "x [REDACTED]"},
		{"nothing to replace", "postgres://u:x@h/db", pw, "syntax error at or near", "syntax error at or near"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := newScrubber(tt.dsn, tt.password).scrub(tt.in)
			if got != tt.want || changed != (tt.in != tt.want) {
				t.Errorf("scrub: got %q (changed %t), want %q", strings.ReplaceAll(got, pw, "[PW]"), changed, tt.want)
			}
		})
	}
}

func TestScrubberNil(t *testing.T) {
	var s *scrubber
	if got, changed := s.scrub("text"); got != "text" || changed {
		t.Errorf("nil scrubber changed its input")
	}
}
