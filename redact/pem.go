package redact

import "bytes"

var (
	privateKey = []byte("PRIVATE KEY-----")
	beginMark  = []byte("-----BEGIN ")
	endMark    = []byte("-----END ")
)

const (
	maxPEMLabel = 64       // label bytes between the mark and "PRIVATE KEY-----"
	maxPEMBlock = 64 << 10 // how far after a BEGIN line its END line is looked for
)

// pemAt handles "PRIVATE KEY-----" at i. On a BEGIN line the whole block is
// redacted through its END line; without one (truncated output), through
// the lines of key material that follow. An END line without a BEGIN
// redacts the key material before it. PUBLIC KEY and CERTIFICATE blocks
// never match.
func pemAt(b []byte, i int) (span, int, bool) {
	markEnd := i + len(privateKey)
	if s, ok := markStart(b, i, beginMark); ok {
		end, open := pemBlockEnd(b, markEnd)
		return span{ctx: s, start: s, end: end, open: openIf(open, openPEM)}, max(end, markEnd), true
	}
	if s, ok := markStart(b, i, endMark); ok {
		start := pemBodyBack(b, s)
		return span{ctx: start, start: start, end: markEnd}, markEnd, true
	}
	return span{}, 0, false
}

// markStart finds mark before i with only label bytes (A-Z, 0-9, space)
// between, as in "-----BEGIN RSA PRIVATE KEY-----".
func markStart(b []byte, i int, mark []byte) (int, bool) {
	lo := max(0, i-len(mark)-maxPEMLabel)
	k := bytes.LastIndex(b[lo:i], mark)
	if k < 0 {
		return 0, false
	}
	s := lo + k
	for _, c := range b[s+len(mark) : i] {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == ' ') {
			return 0, false
		}
	}
	return s, true
}

// pemBlockEnd returns where the block whose BEGIN line ends at p ends, and
// whether it is still open at the end of b.
func pemBlockEnd(b []byte, p int) (int, bool) {
	if e, ok := nextEndLine(b, p); ok {
		return e, false
	}
	end, _, open := pemBody(b, p, true)
	return end, open
}

// nextEndLine finds the END line of a private key after p, unless another
// BEGIN line comes first.
func nextEndLine(b []byte, p int) (int, bool) {
	lim := min(len(b), p+maxPEMBlock)
	for q := p; q < lim; {
		k := bytes.Index(b[q:lim], privateKey)
		if k < 0 {
			return 0, false
		}
		i := q + k
		if _, ok := markStart(b, i, endMark); ok {
			return i + len(privateKey), true
		}
		if _, ok := markStart(b, i, beginMark); ok {
			return 0, false
		}
		q = i + 1
	}
	return 0, false
}

// pemCarry redacts the start of a chunk that continues an open block.
func pemCarry(b []byte) (span, bool) {
	end, next, open := pemBody(b, 0, false)
	if !open {
		if e, ok := endLineAt(b, next); ok {
			end = e
		}
	}
	return span{end: end, open: openIf(open, openPEM)}, end > 0 || open
}

// endLineAt reports whether an END line of a private key starts at i.
func endLineAt(b []byte, i int) (int, bool) {
	i = skipBlanks(b, i)
	if !bytes.HasPrefix(b[i:], endMark) {
		return 0, false
	}
	lim := min(len(b), i+len(endMark)+maxPEMLabel+len(privateKey))
	k := bytes.Index(b[i:lim], privateKey)
	if k < 0 {
		return 0, false
	}
	if s, ok := markStart(b, i+k, endMark); !ok || s != i {
		return 0, false
	}
	return i + k + len(privateKey), true
}

// pemBody returns the end of the run of key-material lines starting at p
// (base64 text with indentation, Proc-Type and DEK-Info headers; lines end
// in a newline or an escaped \n), the start of the line that ended the run,
// and whether the run reached the end of b. A last line of base64 directly
// followed by a closing quote or bracket belongs to the run (a truncated key
// inside a JSON string). Only the first line, the rest of a BEGIN line, may
// hold spaces between base64 words (a key whose newlines became spaces).
func pemBody(b []byte, p int, first bool) (end, next int, open bool) {
	end, i := p, p
	for ; ; first = false {
		j := pemLineEnd(b, i, first)
		if j == len(b) {
			return j, j, true
		}
		if k := newlineAt(b, j); k > 0 {
			end, i = j, j+k
			continue
		}
		if isPEMHeader(b[i:]) {
			j = i
			for j < len(b) && newlineAt(b, j) == 0 {
				j++
			}
			if j == len(b) {
				return j, j, true
			}
			end, i = j, j+newlineAt(b, j)
			continue
		}
		if j > i && isClosingByte(b[j]) {
			return j, j, false
		}
		return end, i, false
	}
}

// pemBodyBack returns the start of the run of key-material lines ending at
// the END line that starts at s.
func pemBodyBack(b []byte, s int) int {
	start, q := s, s
	for q > 0 && (b[q-1] == ' ' || b[q-1] == '\t') {
		q--
	}
	for q > 0 {
		k := newlineBefore(b, q)
		if k == 0 {
			break
		}
		le := q - k
		ls := pemLineStart(b, le)
		if ls > 0 && ls < le && b[ls-1] == '\\' && (b[ls] == 'n' || b[ls] == 'r') {
			ls++ // the line starts after an escaped newline
		}
		if ls > 0 && newlineBefore(b, ls) == 0 {
			if ls < le && isOpeningByte(b[ls-1]) {
				start = ls
			}
			break
		}
		start, q = ls, ls
	}
	return skipBlanks(b[:s], start)
}

// newlineAt returns the length of the line break at j: \n, \r\n, \r or
// their escaped forms \n, \r\n, \r as written inside JSON or Go strings.
func newlineAt(b []byte, j int) int {
	for _, nl := range [...]string{"\r\n", "\n", "\r", `\r\n`, `\n`, `\r`} {
		if hasPrefix(b[j:], nl) {
			return len(nl)
		}
	}
	return 0
}

// newlineBefore returns the length of the line break ending at q.
func newlineBefore(b []byte, q int) int {
	for _, nl := range [...]string{"\r\n", "\n", "\r", `\r\n`, `\n`, `\r`} {
		if q >= len(nl) && string(b[q-len(nl):q]) == nl {
			return len(nl)
		}
	}
	return 0
}

// pemLineEnd returns where the base64 text of the line at i ends: blanks,
// base64, blanks; with spaces, blanks may also separate base64 words.
func pemLineEnd(b []byte, i int, spaces bool) int {
	j := skipBlanks(b, i)
	for j < len(b) && (isBase64Byte(b[j]) || spaces && (b[j] == ' ' || b[j] == '\t')) {
		j++
	}
	return skipBlanks(b, j)
}

// pemLineStart is pemLineEnd backwards from le, without inner spaces.
func pemLineStart(b []byte, le int) int {
	ls := le
	for ls > 0 && (b[ls-1] == ' ' || b[ls-1] == '\t') {
		ls--
	}
	for ls > 0 && isBase64Byte(b[ls-1]) {
		ls--
	}
	for ls > 0 && (b[ls-1] == ' ' || b[ls-1] == '\t') {
		ls--
	}
	return ls
}

func isPEMHeader(b []byte) bool {
	return hasPrefix(b, "Proc-Type:") || hasPrefix(b, "DEK-Info:")
}

func isBase64Byte(c byte) bool {
	return isAlnum(c) || c == '+' || c == '/' || c == '='
}

func isClosingByte(c byte) bool {
	switch c {
	case '"', '\'', '`', ')', ']', '}', ',', '<':
		return true
	}
	return false
}

func isOpeningByte(c byte) bool {
	switch c {
	case '"', '\'', '`', '(', '[', '{', ':', '=', '>':
		return true
	}
	return false
}
