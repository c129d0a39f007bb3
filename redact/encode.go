package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// pattern is one exact pattern: the bytes b to find and, when b is the
// head of a longer form (see PrefixLen), that whole form: a match of b then
// extends as far as the text agrees with full.
type pattern struct {
	b    []byte
	full []byte // nil: b alone
}

// patterns returns the deduplicated exact patterns for values: each value of
// at least MinLen bytes, each such line of a multi-line value (a Writer sees
// output one line at a time), and every encoded form of those.
func patterns(values [][]byte) []pattern {
	ps := &patternSet{seen: map[string]bool{}}
	for _, v := range values {
		if len(v) < MinLen {
			continue
		}
		ps.addValue(v)
		if bytes.IndexByte(v, '\n') < 0 {
			continue
		}
		for line := range bytes.Lines(v) {
			if line = bytes.TrimRight(line, "\r\n"); len(line) >= MinLen {
				ps.addValue(line)
			}
		}
	}
	return ps.out
}

type patternSet struct {
	seen map[string]bool
	out  []pattern
}

func (ps *patternSet) add(b, full []byte) {
	key := string(b) + "\x00" + string(full)
	if len(b) >= MinLen && !ps.seen[key] {
		ps.seen[key] = true
		ps.out = append(ps.out, pattern{b: b, full: full})
	}
}

// addValue adds v's encodings. Text forms of a value longer than
// PrefixLen are added as heads, so that a prefix of PrefixLen or more
// characters is found too; a JSON document's are not (see PrefixLen).
func (ps *patternSet) addValue(v []byte) {
	forms := textForms(string(v))
	var heads []string
	if len(v) > PrefixLen && !isDocument(v) {
		heads = textForms(string(runePrefix(v, PrefixLen)))
	}
	for _, f := range forms {
		head := headOf(f, heads)
		if head == "" {
			ps.add([]byte(f), nil)
		} else {
			ps.add([]byte(head), []byte(f))
		}
	}
	for _, b := range binaryForms(v) {
		ps.add(b, nil)
	}
}

// headOf returns the longest of heads that is a proper prefix of f, or "".
// Every escaping works character by character, so the form of a value's
// prefix is a prefix of the same form of the value.
func headOf(f string, heads []string) string {
	best := ""
	for _, h := range heads {
		if len(h) < len(f) && len(h) > len(best) && strings.HasPrefix(f, h) {
			best = h
		}
	}
	return best
}

// runePrefix returns the shortest prefix of v of at least n bytes that
// ends at a character boundary.
func runePrefix(v []byte, n int) []byte {
	for n < len(v) && !utf8.RuneStart(v[n]) {
		n++
	}
	return v[:n]
}

// isDocument reports whether v is a JSON object or array. Package secret
// adds the fields of such a document as values of their own, and its
// beginning ({"username":"app",...) is ordinary text.
func isDocument(v []byte) bool {
	t := bytes.TrimSpace(v)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t)
}

// binaryForms returns the forms in which output carries v's bytes rather
// than its text: base64 (standard and URL alphabets, padded and raw,
// standalone and embedded at any alignment in a longer base64 text), hex,
// and how fmt prints a []byte (%v, %#v).
func binaryForms(v []byte) [][]byte {
	out := [][]byte{
		[]byte(hex.EncodeToString(v)),
		[]byte(strings.ToUpper(hex.EncodeToString(v))),
		byteList(v, "%d"),
		byteList(v, "%#x"),
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		out = append(out, []byte(enc.EncodeToString(v)))
	}
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for r := range 3 {
			out = append(out, embeddedBase64(enc, v, r))
		}
	}
	return out
}

// quoteDepth is how deep string escapings nest. A value inside JSON text
// that is a string in a tool result (a row built with json_build_object)
// is escaped twice, and three times once that result is a string in a
// protocol message; every output path escapes character by character, so
// each depth is one more application of an escaping to the previous form.
const quoteDepth = 3

// firstQuoters are the escapings a value meets first, from whatever wrote
// it: JSON as encoding/json writes it (with HTML escaping, and without as
// log/slog and the MCP SDK do; PostgreSQL's to_json and SQLite's
// json_object escape the same way), JSON limited to ASCII with \u escapes
// in lower case (Python's json.dumps) and upper case (Java's Jackson), JSON
// with escaped slashes and \u escapes (PHP's json_encode), and Go quoting
// (%q, slog's text handler) plain and ASCII-only (%+q).
var firstQuoters = []func(string) string{
	func(s string) string { return jsonQuote(s, true) },
	func(s string) string { return jsonQuote(s, false) },
	func(s string) string { return asciiJSON(jsonQuote(s, false), false, false) },
	func(s string) string { return asciiJSON(jsonQuote(s, false), true, false) },
	func(s string) string { return asciiJSON(jsonQuote(s, false), false, true) },
	func(s string) string { return trimQuotes(strconv.Quote(s)) },
	func(s string) string { return trimQuotes(strconv.QuoteToASCII(s)) },
}

// nestQuoters are the escapings applied around an already escaped form:
// this server's own JSON and Go quoting.
var nestQuoters = []func(string) string{
	firstQuoters[0], firstQuoters[1], firstQuoters[5], firstQuoters[6],
}

// textForms returns v, its URL query and path escapings, and every
// escaping of those nested up to quoteDepth deep, without duplicates. A
// value without bytes that any escaping changes has only itself.
func textForms(v string) []string {
	forms := []string{v}
	seen := map[string]bool{v: true}
	level := forms
	for _, u := range []string{url.QueryEscape(v), url.PathEscape(v)} {
		if !seen[u] {
			seen[u] = true
			forms, level = append(forms, u), append(level, u)
		}
	}
	for depth := range quoteDepth {
		quoters := nestQuoters
		if depth == 0 {
			quoters = firstQuoters
		}
		var next []string
		for _, f := range level {
			if !quotable(f) {
				continue
			}
			for _, q := range quoters {
				if g := q(f); !seen[g] {
					seen[g] = true
					next = append(next, g)
				}
			}
		}
		forms, level = append(forms, next...), next
	}
	return forms
}

// quotable reports whether any escaping in firstQuoters changes s.
func quotable(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || strings.IndexByte(`"\/<>&`, c) >= 0 {
			return true
		}
	}
	return false
}

// embeddedBase64 returns the base64 characters determined by v alone when v
// starts r bytes (mod 3) into a longer encoded text. Characters that also
// depend on the bytes before or after v are left out, so the result occurs
// wherever v is encoded as part of a larger value, such as an HTTP Basic
// "user:password" credential.
func embeddedBase64(enc *base64.Encoding, v []byte, r int) []byte {
	e := enc.EncodeToString(append(make([]byte, r), v...))
	first := (8*r + 5) / 6         // first character whose 6 bits lie inside v
	last := (8 * (r + len(v))) / 6 // characters before this index are complete
	return []byte(e[first:last])
}

// jsonQuote returns s as a JSON string body, without the quotes, as
// encoding/json writes it with or without HTML escaping.
func jsonQuote(s string, html bool) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(s) // a string always encodes
	return trimQuotes(strings.TrimSuffix(buf.String(), "\n"))
}

// asciiJSON rewrites a JSON string body with every non-ASCII rune as \u
// escapes (a surrogate pair above U+FFFF), in upper-case hex when upper,
// and '/' as \/ when slash.
func asciiJSON(body string, upper, slash bool) string {
	digits := "0123456789abcdef"
	if upper {
		digits = "0123456789ABCDEF"
	}
	var b strings.Builder
	for _, r := range body {
		switch {
		case r == '/' && slash:
			b.WriteString(`\/`)
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xFFFF:
			hi, lo := utf16.EncodeRune(r)
			writeU(&b, hi, digits)
			writeU(&b, lo, digits)
		default:
			writeU(&b, r, digits)
		}
	}
	return b.String()
}

func writeU(b *strings.Builder, r rune, digits string) {
	b.WriteString(`\u`)
	for shift := 12; shift >= 0; shift -= 4 {
		b.WriteByte(digits[(r>>shift)&0xF])
	}
}

func trimQuotes(q string) string { return q[1 : len(q)-1] }

// byteList renders v the way fmt prints a []byte element by element: "%d"
// gives "99 97 110" (from %v), "%#x" gives "0x63, 0x61, 0x6e" (from %#v,
// which does not pad: 0x5).
func byteList(v []byte, verb string) []byte {
	var b []byte
	for i, c := range v {
		if verb == "%d" {
			if i > 0 {
				b = append(b, ' ')
			}
			b = strconv.AppendUint(b, uint64(c), 10)
			continue
		}
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendUint(append(b, "0x"...), uint64(c), 16)
	}
	return b
}
