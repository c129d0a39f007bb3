package redact

import (
	"fmt"
	"io"
	"testing"
)

// withHits returns a copy of text with a few matches written over it: four
// known values and two structural matches.
func withHits(text []byte, vals [][]byte) []byte {
	out := append([]byte(nil), text...)
	hits := []string{
		" token=" + string(vals[0]) + " ",
		" key=" + string(vals[len(vals)/2]) + " ",
		" old=" + string(vals[len(vals)-1]) + " ",
		" again=" + string(vals[0]) + " ",
		" dsn=postgres://app:canary-pw-22@db:5432/app ",
		" Authorization: Bearer abc.def.ghi\n",
	}
	for i, h := range hits {
		copy(out[(i+1)*len(out)/(len(hits)+1):], h)
	}
	return out
}

func BenchmarkRedact(b *testing.B) {
	text := logText(1<<20, 1)
	for _, n := range []int{10, 100, 1000} {
		vals := randomValues(n, 42)
		r := New(Options{Values: vals})
		few := withHits(text, vals)
		b.Run(fmt.Sprintf("secrets=%d/nomatch", n), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				r.Redact(text)
			}
		})
		b.Run(fmt.Sprintf("secrets=%d/few", n), func(b *testing.B) {
			b.SetBytes(int64(len(few)))
			b.ReportAllocs()
			for b.Loop() {
				r.Redact(few)
			}
		})
	}
}

// BenchmarkWriter writes the same text through a Writer in 4 KiB pieces.
func BenchmarkWriter(b *testing.B) {
	text := logText(1<<20, 1)
	r := New(Options{Values: randomValues(100, 42)})
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		w := NewWriter(io.Discard, r)
		for p := text; len(p) > 0; {
			n := min(len(p), 4096)
			_, _ = w.Write(p[:n])
			p = p[n:]
		}
		_ = w.Close()
	}
}

func BenchmarkUpdate(b *testing.B) {
	vals := randomValues(1000, 42)
	r := New(Options{})
	b.ReportAllocs()
	for b.Loop() {
		r.Update(vals)
	}
}

// BenchmarkValueMatcher measures exact matching alone on clean text: for
// the usual 16 to 40 character secrets, and for secrets all 40 to 64
// characters long, where prefix heads (PrefixLen) shorten the scan's step.
func BenchmarkValueMatcher(b *testing.B) {
	text := logText(1<<20, 1)
	for _, c := range []struct {
		name     string
		min, max int
	}{{"len=16-40", 16, 40}, {"len=40-64", 40, 64}} {
		r := New(Options{Values: randomValuesLen(100, 42, c.min, c.max), DisableStructural: true})
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				r.Redact(text)
			}
		})
	}
}
