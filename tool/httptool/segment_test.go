package httptool

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// lenient is how a lenient server decodes: every valid %XX, nothing else.
var lenient = regexp.MustCompile(`%[0-9A-Fa-f]{2}`)

// Whatever a value holds, what segment accepts stays one path segment,
// however many times a server decodes it, and is never a dot segment.
func FuzzSegment(f *testing.F) {
	for _, s := range []string{"a", "a b", "..", ".", "a/b", "%2F", "%252F", "%25252F", "%2e%2e", "%2E.", `a\b`, "%5c",
		"?#%", "\r\n", "ü/ß", "%", "%%2F", "..%2F", "%c0%af", "a%00b", "~.-_", "a%2Fb%", "%%32%46", "%2%46", "%0D%0A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		esc, err := segment("p", v)
		if err != nil {
			if strings.Contains(err.Error(), v) && len(v) > 3 {
				t.Errorf("the error repeats the value")
			}
			return
		}
		form := esc
		for {
			dec := lenient.ReplaceAllStringFunc(form, func(m string) string {
				n, _ := strconv.ParseUint(m[1:], 16, 8)
				return string([]byte{byte(n)})
			})
			if dec == form {
				break
			}
			if strings.ContainsAny(dec, "/\\\r\n\x00") || dec == "." || dec == ".." || dec == "" {
				t.Fatalf("%q escaped to %q decodes to %q", v, esc, dec)
			}
			form = dec
		}
		if strings.ContainsAny(esc, "/?#\r\n ") {
			t.Fatalf("%q escaped to %q, which leaves its segment", v, esc)
		}
	})
}
