package redact

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strings"
)

// exactSet finds every occurrence of a fixed set of patterns, each at least
// MinLen bytes long, in one pass linear in the input.
//
// Every pattern is at least minLen long, so an occurrence starting at j
// contains the 4-byte gram at the one sampled position p in
// [j, j+step) with p ≡ step-1 (mod step), where step = minLen-3. The scan
// therefore reads one gram every step bytes and tests it against a bitset of
// hashed grams (every gram at offsets 0..step-1 of every pattern). Only on a
// hit does it verify the step candidate starts, first against a bitset of
// hashed 8-byte pattern heads, then exactly. Text with no secret in it costs
// one load, multiply and bit test per step bytes, independent of how many
// patterns there are, and allocates nothing. A pattern with a full form
// (a prefix head) matches as far as the text agrees with that form.
type exactSet struct {
	step   int
	gshift uint32 // 32 - log2(gram bits)
	grams  []uint64
	hshift uint32 // 64 - log2(head bits)
	heads  []uint64
	byHead map[uint64][]int32 // first 8 bytes -> pattern ids
	pats   []pattern
	maxLen int // longest match possible
}

const (
	gramLen = 4
	maxStep = 32 // bounds the grams inserted per pattern
	gramMul = 0x9E3779B1
	headMul = 0x9E3779B97F4A7C15
)

// newExactSet indexes pats; each must be at least MinLen bytes.
func newExactSet(pats []pattern) *exactSet {
	minLen := len(pats[0].b)
	s := &exactSet{pats: pats, byHead: make(map[uint64][]int32, len(pats))}
	for _, p := range pats {
		minLen = min(minLen, len(p.b))
		s.maxLen = max(s.maxLen, len(p.b), len(p.full))
	}
	s.step = min(minLen-gramLen+1, maxStep)
	s.grams, s.gshift = newBitset(len(pats)*s.step*32, 32)
	s.heads, s.hshift = newBitset(len(pats)*64, 64)
	for id, p := range pats {
		s.index(int32(id), p.b)
	}
	return s
}

// newBitset returns a bitset of at least n bits (a power of two, 2^10 to
// 2^24) and the shift that maps a width-bit hash onto it.
func newBitset(n int, width uint32) ([]uint64, uint32) {
	logBits := min(max(bits.Len(uint(n)), 10), 24)
	return make([]uint64, (1<<logBits)/64), width - uint32(logBits)
}

func (s *exactSet) index(id int32, p []byte) {
	for o := 0; o < s.step; o++ {
		h := (binary.LittleEndian.Uint32(p[o:]) * gramMul) >> s.gshift
		s.grams[h>>6] |= 1 << (h & 63)
	}
	head := binary.LittleEndian.Uint64(p)
	h := (head * headMul) >> s.hshift
	s.heads[h>>6] |= 1 << (h & 63)
	s.byHead[head] = append(s.byHead[head], id)
}

// appendAll appends a span for the longest pattern starting at each position
// where one starts, skipping matches inside the previous one.
func (s *exactSet) appendAll(b []byte, dst []span) []span {
	last := 0
	for from := 0; ; {
		j, e, ok := s.next(b, from)
		if !ok {
			return dst
		}
		if e > last {
			dst = append(dst, span{ctx: j, start: j, end: e})
			last = e
		}
		from = j + 1
	}
}

// next returns the longest match at the smallest start >= from.
func (s *exactSet) next(b []byte, from int) (start, end int, ok bool) {
	step := s.step
	grams, gshift := s.grams, s.gshift
	mask := uint32(len(grams)*64 - 1)
	for p := from - from%step + step - 1; p <= len(b)-gramLen; p += step {
		h := ((binary.LittleEndian.Uint32(b[p:]) * gramMul) >> gshift) & mask
		if grams[h>>6]&(1<<(h&63)) == 0 {
			continue
		}
		for j := max(p-step+1, from); j <= p; j++ {
			if e := s.longestAt(b, j); e > 0 {
				return j, e, true
			}
		}
	}
	return 0, 0, false
}

// longestAt returns the end of the longest match starting at j, or 0.
func (s *exactSet) longestAt(b []byte, j int) int {
	if j+8 > len(b) {
		return 0
	}
	head := binary.LittleEndian.Uint64(b[j:])
	h := (head * headMul) >> s.hshift
	if s.heads[h>>6]&(1<<(h&63)) == 0 {
		return 0
	}
	end := 0
	for _, id := range s.byHead[head] {
		end = max(end, s.pats[id].matchAt(b, j))
	}
	return end
}

// matchAt returns the end of p's match at j, or 0. A head matches when the
// text is a truncated copy of p.full: it agrees with p.full up to the end
// of the text or up to a byte that cannot continue a token. The match then
// covers all the bytes that agree, a dangling piece of a character cut by
// the truncation included, but not the backslash that starts an escape
// sequence of the text, so JSON stays JSON.
func (p *pattern) matchAt(b []byte, j int) int {
	n := len(p.b)
	if n > len(b)-j || !bytes.Equal(b[j:j+n], p.b) {
		return 0
	}
	if p.full == nil {
		return j + n
	}
	e := n
	for e < len(p.full) && j+e < len(b) && b[j+e] == p.full[e] {
		e++
	}
	if e == len(p.full) || j+e == len(b) {
		return j + e
	}
	if continuesToken(b[j+e]) {
		return 0 // another value that shares a beginning, not a truncated copy
	}
	if e > n && oddBackslashes(p.full[:e]) {
		e-- // \" must keep its backslash
	}
	return j + e
}

// continuesToken reports whether c can continue a token: a letter or digit
// (any non-ASCII byte counts as a letter) or one of -_.~+/=.
func continuesToken(c byte) bool {
	return c >= 0x80 || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("-_.~+/=", c) >= 0
}

// oddBackslashes reports whether b ends with an odd run of backslashes,
// that is, with the first byte of an escape sequence.
func oddBackslashes(b []byte) bool {
	n := 0
	for n < len(b) && b[len(b)-1-n] == '\\' {
		n++
	}
	return n%2 == 1
}
