package redact

import "bytes"

// scanFunc finds the next structural match whose anchor lies at or after
// from. It returns the span, the position to resume from (> from) and
// whether it found one.
type scanFunc func(b []byte, from int) (span, int, bool)

// scanners each start with one vectorised search (bytes.IndexByte or
// bytes.Index) for a rare anchor, so text without candidates costs a few
// fast passes and no allocation.
var scanners = [...]scanFunc{
	scanUserinfo,
	scanDSN,
	anchored([]byte("zation"), authorizationAt),
	anchored([]byte("ZATION"), authorizationAt),
	anchored([]byte("Bearer"), bearerAt),
	anchored([]byte("bearer"), bearerAt),
	anchored([]byte("BEARER"), bearerAt),
	anchored(privateKey, pemAt),
}

func appendStructural(b []byte, dst []span) []span {
	for _, sc := range scanners {
		for from := 0; from < len(b); {
			sp, next, ok := sc(b, from)
			if !ok {
				break
			}
			dst = append(dst, sp)
			from = next
		}
	}
	return dst
}

// anchored returns a scanFunc that searches for needle and lets at decide,
// for an occurrence at i, whether it is a match.
func anchored(needle []byte, at func(b []byte, i int) (span, int, bool)) scanFunc {
	return func(b []byte, from int) (span, int, bool) {
		for from < len(b) {
			i := bytes.Index(b[from:], needle)
			if i < 0 {
				break
			}
			if sp, next, ok := at(b, from+i); ok {
				return sp, max(next, from+i+1), true
			}
			from += i + 1
		}
		return span{}, len(b), false
	}
}

// maxUserinfo bounds the backward walk from an '@'.
const maxUserinfo = 2048

// scanUserinfo redacts the userinfo of "scheme://userinfo@host" for any
// scheme, anchored on '@'. The last '@' before the host wins, so a password
// with an unescaped '@' is covered whole.
func scanUserinfo(b []byte, from int) (span, int, bool) {
	for from < len(b) {
		i := bytes.IndexByte(b[from:], '@')
		if i < 0 {
			break
		}
		at := from + i
		from = at + 1
		if start, scheme, ok := userinfoBefore(b, at); ok {
			return span{ctx: scheme, start: start, end: at}, from, true
		}
	}
	return span{}, len(b), false
}

// userinfoBefore finds "scheme://" directly before the userinfo that ends
// at the '@' at position at.
func userinfoBefore(b []byte, at int) (start, scheme int, ok bool) {
	j := at
	for lo := max(0, at-maxUserinfo); j > lo && !stopsUserinfo(b[j-1]); j-- {
	}
	if j == at || j < 4 || b[j-1] != '/' || b[j-2] != '/' || b[j-3] != ':' {
		return 0, 0, false
	}
	k := j - 3
	for k > 0 && isSchemeByte(b[k-1]) {
		k--
	}
	return j, k, k < j-3
}

func stopsUserinfo(c byte) bool {
	switch c {
	case '/', '?', '#', '"', '\'', '<', '>', '`', '\\', '[', ']', '{', '}', '|', '^', ' ', 0x7f:
		return true
	}
	return c < 0x20
}

func isSchemeByte(c byte) bool {
	return isAlnum(c) || c == '+' || c == '-' || c == '.'
}

// scanDSN redacts the value of a password key in key/value connection
// strings: "host=db password=xyz", "Password=xyz;", "PGPASSWORD=xyz",
// "?pwd=xyz&...". Keys are matched case-insensitively by suffix (password,
// passwd, pwd); quoted values ('x y', "x y", \"x y\") are redacted inside
// the quotes.
func scanDSN(b []byte, from int) (span, int, bool) {
	for from < len(b) {
		i := bytes.IndexByte(b[from:], '=')
		if i < 0 {
			break
		}
		eq := from + i
		from = eq + 1
		key, ok := passwordKeyBefore(b, eq)
		if !ok {
			continue
		}
		if sp, ok := valueAt(b, skipBlanks(b, eq+1)); ok {
			sp.ctx = key
			return sp, max(from, sp.end), true
		}
	}
	return span{}, len(b), false
}

var passwordKeys = [...]string{"password", "passwd", "pwd"}

// passwordKeyBefore reports whether the key before the '=' at eq ends in a
// password key, and where the key starts.
func passwordKeyBefore(b []byte, eq int) (int, bool) {
	end := eq
	for end > 0 && (b[end-1] == ' ' || b[end-1] == '\t') {
		end--
	}
	start := end
	for lo := max(0, end-64); start > lo && isKeyByte(b[start-1]); start-- {
	}
	key := b[start:end]
	for _, k := range passwordKeys {
		if len(key) >= len(k) && equalFold(key[len(key)-len(k):], k) {
			return start, true
		}
	}
	return 0, false
}

func isKeyByte(c byte) bool { return isAlnum(c) || c == '_' || c == '-' || c == '.' }

// valueAt returns the span of the value starting at p: inside quotes when
// quoted, else up to the next separator. An empty value at the end of the
// input is returned as an open, empty span, since the value may follow.
func valueAt(b []byte, p int) (span, bool) {
	if p == len(b) {
		return span{start: p, end: p, open: openWord}, true
	}
	if q := quoteAt(b, p); q != "" {
		return quotedAt(b, p+len(q), q)
	}
	e := p
	for e < len(b) && !stopsWord(b[e]) {
		e++
	}
	return span{start: p, end: e, open: openIf(e == len(b), openWord)}, e > p || e == len(b)
}

// quoteAt returns the quote opening a value at p: ', " or the JSON-escaped \".
func quoteAt(b []byte, p int) string {
	switch {
	case b[p] == '\'' || b[p] == '"':
		return string(b[p])
	case b[p] == '\\' && p+1 < len(b) && b[p+1] == '"':
		return `\"`
	}
	return ""
}

// quotedAt returns the span from p to the closing quote q, the end of the
// line or the end of the input (open).
func quotedAt(b []byte, p int, q string) (span, bool) {
	e := p
	for e < len(b) && b[e] != '\n' && !hasPrefix(b[e:], q) {
		if b[e] == '\\' && len(q) == 1 {
			e++ // an escaped character inside a plain quote
		}
		e++
	}
	e = min(e, len(b))
	return span{start: p, end: e, open: openIf(e == len(b), openLine)}, e > p || e == len(b)
}

func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}

func stopsWord(c byte) bool {
	switch c {
	case ' ', '\t', ';', '&', '"', '\'', '\\', '`', '<', '>', 0x7f:
		return true
	}
	return c < 0x20
}

func stopsLine(c byte) bool {
	switch c {
	case '\r', '\n', '"', '\'', '\\', ']':
		return true
	}
	return false
}

func openIf(cond bool, k openKind) openKind {
	if cond {
		return k
	}
	return openNone
}

// authorizationAt handles "authorization" whose "zation" is at i: a header
// or key ("Authorization: Basic x", "authorization=x", JSON and Go map
// forms). The scheme word is kept; the credential after it is redacted to
// the end of the line or the closing quote.
func authorizationAt(b []byte, i int) (span, int, bool) {
	k := i - len("authori")
	if k < 0 || !equalFold(b[k:i+len("zation")], "authorization") || (k > 0 && isAlnum(b[k-1])) {
		return span{}, 0, false
	}
	j, sep := i+len("zation"), false
	for ; j < len(b) && j-i < 16 && isAuthSep(b[j]); j++ {
		sep = sep || b[j] == ':' || b[j] == '='
	}
	if !sep {
		return span{}, 0, false
	}
	v := credentialStart(b, j)
	e := v
	for e < len(b) && !stopsLine(b[e]) {
		e++
	}
	if e == v && e < len(b) {
		return span{}, 0, false
	}
	return span{ctx: k, start: v, end: e, open: openIf(e == len(b), openLine)}, e, true
}

func isAuthSep(c byte) bool {
	switch c {
	case ' ', '\t', ':', '=', '"', '\'', '[', '\\':
		return true
	}
	return false
}

// credentialStart skips a scheme word ("Basic", "Bearer", "AWS4-HMAC-SHA256")
// when a space and more text follow it.
func credentialStart(b []byte, j int) int {
	t := j
	for t < len(b) && (isAlnum(b[t]) || b[t] == '-' || b[t] == '_') {
		t++
	}
	if t == j || t == len(b) || (b[t] != ' ' && b[t] != '\t') {
		return j
	}
	return skipBlanks(b, t)
}

// minBearerToken is the shortest token redacted after a bare "Bearer".
// Real bearer tokens (JWTs, opaque 32+ character keys) are far longer;
// prose ("no bearer token", "the Bearer of bad news") has short words
// there. Inside an Authorization header any length is redacted, by
// authorizationAt.
const minBearerToken = 16

// bearerAt handles "Bearer <token>" at i outside an Authorization header:
// the scheme word, blanks (RFC 7235 allows several), then a token of at
// least minBearerToken bytes from the RFC 6750 b64token alphabet.
func bearerAt(b []byte, i int) (span, int, bool) {
	if i > 0 && isAlnum(b[i-1]) {
		return span{}, 0, false
	}
	e := i + len("bearer")
	j := skipBlanks(b, e)
	if j == e {
		return span{}, 0, false
	}
	t := tokenEnd(b, j)
	switch {
	case t-j >= minBearerToken:
		return span{ctx: i, start: j, end: t, open: openIf(t == len(b), openWord)}, t, true
	case t == len(b):
		// Too short so far, but the rest may follow in the next chunk: an
		// empty span redacts nothing here yet keeps a Writer from cutting
		// between "Bearer" and the token.
		return span{ctx: i, start: t, end: t, open: openWord}, t, true
	}
	return span{}, 0, false
}

// tokenEnd returns the end of the token starting at j. It takes '=' at any
// position, not only as RFC 6750 padding, so an odd token is redacted whole.
func tokenEnd(b []byte, j int) int {
	t := j
	for t < len(b) && isTokenByte(b[t]) {
		t++
	}
	return t
}

// isTokenByte reports whether c may appear in an RFC 6750 b64token
// ([A-Za-z0-9-._~+/]+=*).
func isTokenByte(c byte) bool {
	switch c {
	case '-', '.', '_', '~', '+', '/', '=':
		return true
	}
	return isAlnum(c)
}

func skipBlanks(b []byte, p int) int {
	for p < len(b) && (b[p] == ' ' || b[p] == '\t') {
		p++
	}
	return p
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// equalFold compares ASCII b with the lower-case word w, ignoring case.
func equalFold(b []byte, w string) bool {
	if len(b) != len(w) {
		return false
	}
	for i := range b {
		if b[i]|0x20 != w[i] {
			return false
		}
	}
	return true
}

// carrySpan is the span at the start of a chunk that continues a value left
// open by the previous chunk.
func carrySpan(b []byte, k openKind) (span, bool) {
	e := 0
	switch k {
	case openPEM:
		return pemCarry(b)
	case openLine:
		for e < len(b) && !stopsLine(b[e]) {
			e++
		}
	default:
		for e < len(b) && !stopsWord(b[e]) {
			e++
		}
	}
	return span{end: e, open: openIf(e == len(b), k)}, e > 0 || e == len(b)
}
