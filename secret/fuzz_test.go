package secret

import (
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hushmcp/hush/secret/driver"
)

// shiftLetters rotates every letter g-z (and G-Z) to the next one in that
// range, leaving hex letters, digits, punctuation and other bytes alone.
// URL parsing treats all non-hex letters alike, so a reference and its shift
// parse the same way; only text copied from the input differs.
func shiftLetters(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'g' && c < 'z', c >= 'G' && c < 'Z':
			b[i] = c + 1
		case c == 'z', c == 'Z':
			b[i] = c - ('z' - 'g')
		}
	}
	return string(b)
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// FuzzParseRef checks that ParseRef never panics, that String is a faithful
// inverse, and that errors do not echo the input. "The error never contains
// the input" is not a sound property on its own: an input can be a fragment
// of a fixed message ("(want scheme://...)" fails to parse). The sound form
// used here: the error text must not change when the input's non-hex letters
// change, which an echo of any such letter would break.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{
		"env://DATABASE_URL", "file:///run/secrets/db/password", "file://relative/pw",
		"vault://secret/data/app?version=3#password", "awssm://prod/db?stage=AWSPREVIOUS",
		"vault://root:hunter2-not-real@secret/app", "postgres://u:p%2F@db:5432/x",
		"", "DATABASE_URL", "env:X", "://x", "x://h?%zz", "x://[fe80::1%25en0]:80/p", "(want scheme://...)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		_, serr := ParseRef(shiftLetters(s))
		if errText(err) != errText(serr) {
			t.Fatalf("error depends on the input's letters: %q vs %q", errText(err), errText(serr))
		}
		if err != nil {
			return
		}
		again, err := ParseRef(r.String())
		if err != nil {
			t.Fatalf("String() of a parsed ref does not parse: %v", err)
		}
		if !reflect.DeepEqual(again, r) {
			t.Fatalf("round trip changed the ref: %#v -> %q -> %#v", r, r.String(), again)
		}
	})
}

// fuzzRuleSets cover every rule and format.
var fuzzRuleSets = []Rules{
	{},
	{Optional: true, MinLength: 12, MaxLength: 40, Prefix: "sk_"},
	{Format: "url", Schemes: []string{"postgres", "postgresql"}},
	{Format: "pem-public-key"},
	{Format: "base64", MinLength: 8},
	{Format: "json", Fields: []string{"username", "password"}, Strict: true},
	{Format: "json"},
}

// fuzzProbes trigger every kind of problem, to collect the fixed text that a
// value may coincidentally share with a message.
var fuzzProbes = []string{
	"", "x", strings.Repeat("x", 50), "{", "[1]", `{"a":1}`, "{}", "not base64!",
	"http://h", "mysql://h", "h", "postgres://%zz", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
	"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
}

var digitRuns = regexp.MustCompile(`[0-9]+`)

// normDigits hides numbers, which messages take from bounds and offsets.
func normDigits(s string) string { return digitRuns.ReplaceAllString(s, "#") }

func fixedText(r Rules) string {
	var b strings.Builder
	for _, p := range fuzzProbes {
		for _, pr := range r.Check("FUZZ", "f.yaml:1:1", []byte(p)) {
			b.WriteString(normDigits(pr.Error()) + "\n")
		}
	}
	return b.String()
}

var knownRules = []string{"required", "min_length", "max_length", "prefix", "format", "schemes", "fields", "strict"}

// FuzzCheck checks that rules never panic, that every problem is attributed
// and named, and that no problem holds the value. A value found in a message
// is allowed only when it is (digits aside) part of the fixed text the same
// rules produce for unrelated probe values.
func FuzzCheck(f *testing.F) {
	for _, s := range append(fuzzProbes, `{"username":"u","password":"canary-pw-7f3a9c-NOT-REAL","extra":1}`,
		"sk_canary-pw-7f3a9c-NOT-REAL", "postgresql://u:canary-pw@db/x", "not an absolute URL") {
		f.Add([]byte(s))
	}
	fixed := make([]string, len(fuzzRuleSets))
	for i, r := range fuzzRuleSets {
		fixed[i] = fixedText(r)
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		for i, r := range fuzzRuleSets {
			for _, p := range r.Check("FUZZ", "f.yaml:1:1", v) {
				checkFuzzProblem(t, p, v, fixed[i])
			}
		}
	})
}

func checkFuzzProblem(t *testing.T, p Problem, v []byte, fixed string) {
	t.Helper()
	if p.Secret != "FUZZ" || p.Pos != "f.yaml:1:1" || p.Detail == "" {
		t.Fatalf("problem for rule %q not attributed: secret %q, pos %q, empty detail %v", p.Rule, p.Secret, p.Pos, p.Detail == "")
	}
	if !slices.Contains(knownRules, p.Rule) {
		t.Fatalf("unknown rule name %q", p.Rule)
	}
	if len(v) >= minRedactLen && strings.Contains(p.Error(), string(v)) &&
		!strings.Contains(fixed, normDigits(string(v))) {
		t.Fatalf("rule %s: problem holds the value", p.Rule)
	}
}

// FuzzSelectField checks that field selection never panics and that its
// errors are fixed text naming only the field.
func FuzzSelectField(f *testing.F) {
	for _, s := range []string{`{"password":"p"}`, `{"password":5}`, `{"password":null}`, `[1]`, `{`, `"x"`, `{"password":{"a":[1, 2]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		b, err := SelectField(doc, "password")
		switch {
		case err == nil:
			if b == nil {
				t.Fatal("nil bytes without an error")
			}
		case errors.Is(err, driver.ErrNotFound):
			if err.Error() != `field "password": not found` {
				t.Fatalf("unexpected not-found message %q", err)
			}
		case errors.Is(err, driver.ErrInvalid):
			if !strings.HasSuffix(err.Error(), ": invalid") || strings.ContainsAny(err.Error(), "{[") {
				t.Fatalf("unexpected invalid message %q", err)
			}
		default:
			t.Fatalf("error with no code: %q", err)
		}
	})
}

func TestShiftLettersChangesOnlyNonHexLetters(t *testing.T) {
	if got, want := shiftLetters("vault://Root:hunter2@Z.z/%2F?a=f#9"), "wavmu://Sppu:ivoues2@G.g/%2F?a=f#9"; got != want {
		t.Errorf("shiftLetters = %q, want %q", got, want)
	}
}
