package redact

import (
	"bytes"
	"testing"
)

// safeAlphabet shares no byte with Placeholder ("[REDACTED]": brackets and
// upper-case letters) and holds no newline. Output is input segments that
// no match touched, separated by placeholders, so a value drawn from this
// alphabet can only appear in output inside one untouched segment, that
// is, where it also appeared in the input and would have been matched. The
// property "no value of at least MinLen bytes survives" therefore holds for
// every input, and the fuzzer checks it. (A value containing placeholder
// bytes could be re-formed by a placeholder and its neighbours; such values
// are not searched for in output, as they were never in the input there.)
const safeAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_.~!*"

// safeValue maps arbitrary fuzz bytes onto safeAlphabet.
func safeValue(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = safeAlphabet[int(c)%len(safeAlphabet)]
	}
	return out
}

// fuzzInput interleaves the values with arbitrary bytes.
func fuzzInput(a, b, c, v1, v2 []byte) []byte {
	return bytes.Join([][]byte{a, v1, b, v2, c, v1, v2}, nil)
}

func checkNoValue(t *testing.T, out []byte, vals ...[]byte) {
	t.Helper()
	for i, v := range vals {
		if len(v) >= MinLen && bytes.Contains(out, v) {
			t.Fatalf("value %d (%d bytes) survived redaction", i, len(v))
		}
	}
}

func addSeeds(f *testing.F) {
	f.Add([]byte("x "), []byte(" postgres://u:"), []byte("@h\n"), []byte("abcdefghij"), []byte("abcdefghijkl"))
	f.Add([]byte(""), []byte("password="), []byte("\n-----BEGIN PRIVATE KEY-----\n"), []byte("0123456789"), []byte("56789abcdefg"))
	f.Add([]byte("[REDACT"), []byte("ED]"), []byte("Authorization: Bearer "), []byte("tokentokentoken"), []byte("short"))
	f.Add([]byte("\xff\x00"), []byte("\\n"), []byte("\"}"), []byte("aaaaaaaaaaaaaaaaaaaa"), []byte("aaaaaaaaa"))
}

func FuzzRedact(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, a, b, c, s1, s2 []byte) {
		v1, v2 := safeValue(s1), safeValue(s2)
		r := New(Options{Values: [][]byte{v1, v2}})
		in := fuzzInput(a, b, c, v1, v2)
		orig := bytes.Clone(in)
		out := r.Redact(in)
		checkNoValue(t, out, v1, v2)
		if !bytes.Equal(in, orig) {
			t.Fatal("Redact modified its input")
		}
		if bytes.Contains(in, v1) && len(v1) >= MinLen && !bytes.Contains(out, []byte(Placeholder)) {
			t.Fatal("a value was present but nothing was replaced")
		}
	})
}

// FuzzWriter writes the same inputs in pieces whose sizes come from the
// fuzzer, with a small line cap so partial-line flushes happen too.
func FuzzWriter(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, a, b, c, s1, s2 []byte) {
		v1, v2 := safeValue(s1), safeValue(s2)
		r := New(Options{Values: [][]byte{v1, v2}})
		in := fuzzInput(a, b, c, v1, v2)
		var out bytes.Buffer
		w := NewWriter(&out, r)
		w.lineCap, w.ctxKeep = 8, 0
		sizes := append(bytes.Clone(a), s2...)
		for i := 0; len(in) > 0; i++ {
			n := 1
			if len(sizes) > 0 {
				n = int(sizes[i%len(sizes)])%17 + 1
			}
			n = min(n, len(in))
			if k, err := w.Write(in[:n]); err != nil || k != n {
				t.Fatalf("Write: n=%d err=%v", k, err)
			}
			in = in[n:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		checkNoValue(t, out.Bytes(), v1, v2)
	})
}

// FuzzRedactPrefix checks the prefix rule: a copy of a value truncated to
// PrefixLen or more leading bytes, followed by a space or the end of the
// text, never survives, whatever surrounds it.
func FuzzRedactPrefix(f *testing.F) {
	f.Add([]byte("x "), []byte("abcdefghijklmnopqrstuvwxyz"), uint8(20), []byte(" y"))
	f.Add([]byte("abcdefghijklmnop"), []byte("abcdefghijklmnopq-rst"), uint8(17), []byte(""))
	f.Add([]byte(""), []byte("aaaaaaaaaaaaaaaaaaaaaaaa"), uint8(16), []byte("aaaa"))
	f.Fuzz(func(t *testing.T, a, s []byte, k uint8, c []byte) {
		v := safeValue(s)
		if len(v) <= PrefixLen {
			return
		}
		cut := v[:PrefixLen+int(k)%(len(v)-PrefixLen)]
		r := New(Options{Values: [][]byte{v}})
		in := bytes.Join([][]byte{a, cut, []byte(" "), c, []byte(" "), cut}, nil)
		if out := r.Redact(in); bytes.Contains(out, cut) {
			t.Fatalf("a %d-byte truncated copy of a %d-byte value survived", len(cut), len(v))
		}
	})
}
