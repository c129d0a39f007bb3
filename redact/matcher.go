package redact

import (
	"cmp"
	"slices"
)

// openKind says which structural span, if any, ran to the end of a chunk
// without meeting its terminator. The Writer carries it into the next chunk,
// so a credential split across writes is still redacted.
type openKind uint8

const (
	openNone openKind = iota
	openWord          // a token value: ends at whitespace, a quote or a separator
	openLine          // an Authorization value or quoted password: ends at a line end or quote
	openPEM           // private-key material: ends at the END line or the first non-key line
)

// span is one byte range to replace. ctx <= start marks where the evidence
// for the match begins (a keyword or scheme); the Writer never splits a
// chunk between ctx and end.
type span struct {
	ctx, start, end int
	open            openKind // set when the span runs unterminated to the end of the input
}

// matcher is an immutable snapshot of what to redact.
type matcher struct {
	exact      *exactSet // nil when no value is known
	structural bool
	maxLen     int // longest exact pattern; 0 without values
}

var structuralOnly = &matcher{structural: true}

func newMatcher(values [][]byte, structural bool) *matcher {
	m := &matcher{structural: structural}
	if pats := patterns(values); len(pats) > 0 {
		m.exact = newExactSet(pats)
		m.maxLen = m.exact.maxLen
	}
	return m
}

// redact returns b with every span replaced, or b itself when there is none.
// carry is the kind left open by the previous chunk of the same stream.
func (m *matcher) redact(b []byte, carry openKind) ([]byte, openKind) {
	spans, open := m.scan(b, carry, nil)
	if len(spans) == 0 {
		return b, open
	}
	return render(b, spans), open
}

// scan appends to dst the spans to redact in b, sorted by start, and reports
// the kind left open at the end of b. It allocates only when it finds one.
func (m *matcher) scan(b []byte, carry openKind, dst []span) ([]span, openKind) {
	if carry != openNone {
		if sp, ok := carrySpan(b, carry); ok {
			dst = append(dst, sp)
		}
	}
	if m.exact != nil {
		dst = m.exact.appendAll(b, dst)
	}
	if m.structural {
		dst = appendStructural(b, dst)
	}
	if len(dst) == 0 {
		return dst, openNone
	}
	slices.SortFunc(dst, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	return dst, openAtEnd(dst, len(b))
}

// openAtEnd returns the strongest kind among spans left open at n.
func openAtEnd(spans []span, n int) openKind {
	k := openNone
	for _, sp := range spans {
		if sp.end == n && sp.open > k {
			k = sp.open
		}
	}
	return k
}

// render copies b with each union of overlapping or touching spans replaced
// by one Placeholder. spans must be sorted by start.
func render(b []byte, spans []span) []byte {
	out := make([]byte, 0, len(b)+len(Placeholder)*len(spans))
	pos := 0
	for i := 0; i < len(spans); {
		s, e := spans[i].start, spans[i].end
		for i++; i < len(spans) && spans[i].start <= e; i++ {
			e = max(e, spans[i].end)
		}
		if e <= s || s < pos {
			continue // empty spans only mark an open value at the end
		}
		out = append(out, b[pos:s]...)
		out = append(out, Placeholder...)
		pos = e
	}
	return append(out, b[pos:]...)
}
