package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// canary is fake and chosen so that every encoding differs from it: it
// holds URL-, JSON- and HTML-special bytes, and its base64 forms contain
// both '+' and '/'.
const canary = `canary<pw>&7f3a9c/+?"NOT-REAL"\?>~`

func jsonNoHTML(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(buf.String(), "\n")
}

func jsonHTML(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestRedactEncodings(t *testing.T) {
	r := New(Options{Values: [][]byte{[]byte(canary)}})
	b := []byte(canary)
	std, urlb := base64.StdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b)
	if !strings.ContainsAny(std, "+/") || std == urlb || !strings.HasSuffix(std, "=") {
		t.Fatal("test canary does not exercise the base64 variants")
	}
	quoted := func(q string) string { return q[1 : len(q)-1] }
	tests := []struct{ name, pre, enc, post string }{
		{"raw", "", canary, ""},
		{"url query", "", url.QueryEscape(canary), ""},
		{"url path", "", url.PathEscape(canary), ""},
		{"base64 std", "", std, ""},
		{"base64 std raw", "", base64.RawStdEncoding.EncodeToString(b), ""},
		{"base64 url", "", urlb, ""},
		{"base64 url raw", "", base64.RawURLEncoding.EncodeToString(b), ""},
		{"json", `"`, quoted(jsonHTML(canary)), `"`},
		{"json without html escaping", `"`, quoted(jsonNoHTML(canary)), `"`},
		{"go quoted", `"`, quoted(strconv.Quote(canary)), `"`},
		{"hex", "", hex.EncodeToString(b), ""},
		{"hex upper", "", strings.ToUpper(hex.EncodeToString(b)), ""},
		{"fmt %v bytes", "[", strings.Trim(fmt.Sprintf("%v", b), "[]"), "]"},
		{"fmt %#v bytes", "[]byte{", strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%#v", b), "[]byte{"), "}"), "}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.RedactString("before " + tt.pre + tt.enc + tt.post + " after")
			if got != "before "+tt.pre+Placeholder+tt.post+" after" {
				t.Errorf("%s: encoded canary not replaced exactly", tt.name)
			}
		})
	}
}

func TestRedactNonASCIIQuoted(t *testing.T) {
	const v = "canary-ünï-7f3a9c\x01"
	r := New(Options{Values: [][]byte{[]byte(v)}})
	for _, enc := range []string{strconv.Quote(v), strconv.QuoteToASCII(v), jsonHTML(v)} {
		if got := r.RedactString("x=" + enc); got != `x="[REDACTED]"` {
			t.Errorf("quoted form %d bytes long not redacted", len(enc))
		}
	}
}

// TestRedactEmbeddedBase64 covers the canary inside a longer base64 text at
// each alignment, as in HTTP Basic credentials.
func TestRedactEmbeddedBase64(t *testing.T) {
	r := New(Options{Values: [][]byte{[]byte(canary)}})
	for _, prefix := range []string{"", "u:", "us:", "use:"} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			full := enc.EncodeToString([]byte(prefix + canary + "!tail"))
			got := r.RedactString("Basic64 " + full)
			if !strings.Contains(got, Placeholder) {
				t.Fatalf("prefix length %d: embedded base64 not redacted", len(prefix))
			}
			if strings.Contains(got, string(embeddedBase64(base64.RawStdEncoding, []byte(canary), len(prefix)%3))) {
				t.Fatalf("prefix length %d: canary characters remain", len(prefix))
			}
		}
	}
}

func TestRedactOverlaps(t *testing.T) {
	const (
		short  = "canary-AAAA-1111"
		long   = "canary-AAAA-1111-BBBB"
		left   = "canary-left-2222-joint"
		right  = "2222-joint-right-3333"
		second = "canary-second-4444"
	)
	r := New(Options{Values: [][]byte{[]byte(short), []byte(long), []byte(left), []byte(right), []byte(second)}})
	tests := []struct{ name, in, want string }{
		{"prefix: longest wins", "x " + long + " y", "x [REDACTED] y"},
		{"prefix: shorter alone", "x " + short + "-CCCC y", "x [REDACTED]-CCCC y"},
		// The text ends 17 leading characters of long: a truncated copy.
		{"prefix: truncated copy of the longer", "x " + short + "-", "x [REDACTED]"},
		{"overlapping values merge", "x canary-left-2222-joint-right-3333 y", "x [REDACTED] y"},
		{"adjacent values merge", short + second, "[REDACTED]"},
		{"repeated", short + " " + short, "[REDACTED] [REDACTED]"},
		{"whole input", second, "[REDACTED]"},
		{"at the edges", second + "|" + second, "[REDACTED]|[REDACTED]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.RedactString(tt.in); got != tt.want {
				t.Errorf("redacted text differs from %q", tt.want)
			}
		})
	}
}

func TestShortValuesIgnored(t *testing.T) {
	r := New(Options{Values: [][]byte{[]byte("1234567"), []byte("12345678")}})
	if got := r.RedactString("pin 1234567 then 12345678"); got != "pin 1234567 then [REDACTED]" {
		t.Errorf("got %q", got)
	}
}

func TestMultiLineValueLines(t *testing.T) {
	v := "canary-line-one-1111\ncanary-line-two-2222\nshort\n"
	r := New(Options{Values: [][]byte{[]byte(v)}})
	got := r.RedactString("a canary-line-two-2222 b\nc short d")
	if got != "a [REDACTED] b\nc short d" {
		t.Error("a line of a multi-line value is not redacted on its own")
	}
}

func TestNoMatchIsFreeAndReturnsInput(t *testing.T) {
	r := New(Options{Values: randomValues(100, 1)})
	text := logText(64<<10, 2)
	if out := r.Redact(text); &out[0] != &text[0] || len(out) != len(text) {
		t.Fatal("Redact copied an input with nothing to redact")
	}
	s := string(text)
	if out := r.RedactString(s); out != s {
		t.Fatal("RedactString changed an input with nothing to redact")
	}
	if n := testing.AllocsPerRun(20, func() { r.Redact(text) }); n != 0 {
		t.Errorf("Redact allocated %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(20, func() { r.RedactString(s) }); n != 0 {
		t.Errorf("RedactString allocated %v times, want 0", n)
	}
}

// TestBearerProseIsFree checks that text mentioning bearer tokens in prose
// takes the no-match path: same slice back, nothing allocated.
func TestBearerProseIsFree(t *testing.T) {
	r := New(Options{Values: randomValues(10, 1)})
	text := []byte("401: no bearer token\nthe Bearer of bad news; Bearer authentication failed, BEARER tokens expire\n")
	if out := r.Redact(text); &out[0] != &text[0] || len(out) != len(text) {
		t.Fatal("Redact copied prose with nothing to redact")
	}
	if n := testing.AllocsPerRun(20, func() { r.Redact(text) }); n != 0 {
		t.Errorf("Redact allocated %v times, want 0", n)
	}
}

func TestRedactLeavesInputUntouched(t *testing.T) {
	r := New(Options{Values: [][]byte{[]byte(canary)}})
	in := []byte("a " + canary + " b")
	orig := string(in)
	r.Redact(in)
	if string(in) != orig {
		t.Error("Redact modified its input")
	}
}

func TestUpdateReplacesSet(t *testing.T) {
	const old, cur = "canary-old-value-1", "canary-new-value-2"
	r := New(Options{Values: [][]byte{[]byte(old)}})
	r.Update([][]byte{[]byte(cur), []byte(old)})
	if got := r.RedactString(old + " " + cur); got != "[REDACTED] [REDACTED]" {
		t.Error("current and previous values must both be redacted")
	}
	r.Update([][]byte{[]byte(cur)})
	if got := r.RedactString(old); got != old {
		t.Error("a value dropped from the set is still redacted")
	}
	v := []byte(cur)
	r.Update([][]byte{v})
	copy(v, "XXXXXXXXXXXXXXXXXX")
	if got := r.RedactString(cur); got != Placeholder {
		t.Error("Update did not copy the value")
	}
}

func TestNilRedactor(t *testing.T) {
	var r *Redactor
	r.Update([][]byte{[]byte(canary)})
	if got := r.RedactString("redis://:pw@h " + canary); got != "redis://[REDACTED]@h "+canary {
		t.Errorf("nil Redactor: got %q", got)
	}
}

// TestConcurrentUpdate runs Redact against a stream of Updates; under -race
// it also checks that the swap is data-race free.
func TestConcurrentUpdate(t *testing.T) {
	const stable = "canary-stable-value-7f3a9c"
	r := New(Options{Values: [][]byte{[]byte(stable)}})
	line := []byte("user=x token " + stable + " done\n")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if bytes.Contains(r.Redact(line), []byte(stable)) {
					t.Errorf("reader %d saw the value unredacted", g)
					return
				}
			}
		})
	}
	for i := range 200 {
		vals := randomValues(i%50+1, int64(i))
		r.Update(append(vals, []byte(stable)))
	}
	close(stop)
	wg.Wait()
}
