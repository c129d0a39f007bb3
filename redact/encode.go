package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// patterns returns the deduplicated exact patterns for values: each value of
// at least MinLen bytes, each such line of a multi-line value (a Writer sees
// output one line at a time), and every encoded form of those.
func patterns(values [][]byte) [][]byte {
	seen := make(map[string]bool)
	var out [][]byte
	add := func(p []byte) {
		if len(p) >= MinLen && !seen[string(p)] {
			seen[string(p)] = true
			out = append(out, p)
		}
	}
	for _, v := range values {
		if len(v) < MinLen {
			continue
		}
		for _, p := range encodings(v) {
			add(p)
		}
		if bytes.IndexByte(v, '\n') < 0 {
			continue
		}
		for line := range bytes.Lines(v) {
			for _, p := range encodings(bytes.TrimRight(line, "\r\n")) {
				add(p)
			}
		}
	}
	return out
}

// encodings returns a copy of v and the forms in which output commonly
// carries it: URL query and path escaping, base64 (standard and URL
// alphabets, padded and raw, standalone and embedded at any alignment in a
// longer base64 text), JSON string escaping (encoding/json with and without
// HTML escaping, which log/slog's JSON handler uses), Go quoting (%q and
// slog's text handler), hex, and how fmt prints a []byte (%v, %#v).
func encodings(v []byte) [][]byte {
	s := string(v)
	out := [][]byte{
		[]byte(s),
		[]byte(url.QueryEscape(s)),
		[]byte(url.PathEscape(s)),
		jsonEscaped(s, true),
		jsonEscaped(s, false),
		unquote(strconv.Quote(s)),
		unquote(strconv.QuoteToASCII(s)),
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

// jsonEscaped returns s as a JSON string body, without the quotes.
func jsonEscaped(s string, html bool) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(s) // a string always encodes
	return unquote(strings.TrimSuffix(buf.String(), "\n"))
}

func unquote(q string) []byte { return []byte(q[1 : len(q)-1]) }

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
