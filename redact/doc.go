// Package redact scrubs secrets from everything the server emits: tool
// results, error text, protocol errors, logs and HTTP bodies. It is a leaf
// package; package secret and the server feed it values, it depends on
// neither.
//
// # Why a redacting type is not enough
//
// secret.Value prints [REDACTED] through every method fmt, encoding/json and
// log/slog call. But a secret also travels as a plain string (a DSN built
// for a driver, an error a driver returns, a map dumped for debugging), and
// even a Value leaks where fmt cannot call its methods: inside an unexported
// struct field, %v prints its bytes as a decimal list, %#v as a hex list,
// %s and %q as text, and slog's text handler uses %+v. leak_test.go keeps the
// full table. The output redactor closes these paths by matching the bytes
// themselves, so both are needed: the type keeps secrets out of formatting
// by construction, the Redactor catches what escapes anyway.
//
// # What is redacted
//
// Every occurrence of a known value (Redactor.Update takes the current and
// recent previous values of every secret, so a just-rotated value is still
// caught) and of these encodings of it: URL query and path escaping; base64
// in the standard and URL alphabets, padded and raw, standalone and embedded
// at any of the three alignments inside a longer base64 text (the characters
// that depend only on the value, as in HTTP Basic credentials); string
// escapings, nested up to three deep; lower- and upper-case hex; and fmt's
// []byte lists (%v, %#v). The string escapings are JSON as encoding/json
// writes it with and without HTML escaping (the latter is slog's JSON
// handler and the MCP SDK), JSON with every non-ASCII character as \u
// escapes in lower case (Python) and upper case (Java), JSON with escaped
// slashes (PHP), and Go quoting (%q, %+q, slog's text handler). They nest
// because output does: a password inside a row that the database built as
// JSON text (json_build_object(...)::text) is escaped once by the database,
// again when the row becomes a string in a tool result, and a third time
// when that result is a string in a protocol message; the nested layers
// use this server's own escapings (JSON, Go quoting). A value with no byte
// that an escaping changes has one text form, so ordinary tokens cost
// nothing extra; one with quotes, backslashes, slashes, HTML-special or
// non-ASCII characters has a few dozen. Each line of
// a multi-line value is also matched on its own, since a Writer sees output
// line by line. Overlapping and adjacent occurrences merge into one
// Placeholder: for a value that is a prefix of another, the longest match
// wins, and every byte covered by any occurrence is replaced.
//
// Values shorter than MinLen (8 bytes) are not matched: "admin" or a 4-digit
// PIN would match inside ordinary words and numbers and shred the output.
// Package secret warns at start-up about such values.
//
// # Prefixes
//
// The other side of a connection can truncate a secret and send back the
// rest: PostgreSQL keeps the first 63 bytes of application_name and returns
// them from current_setting or in messages. So the rule is: a truncated
// copy of a known value is redacted when it holds at least PrefixLen (16)
// of the value's leading characters, in any text form of the value (raw,
// URL-escaped, quoted and nested as above). A truncated copy agrees with
// the value up to the end of the text or up to a byte that cannot continue
// a token (anything but a letter, a digit, a non-ASCII byte or -_.~+/=):
// a closing quote, an escaped quote, a space, a line end, punctuation. The
// redaction covers every byte that agrees, a piece of a character cut by a
// byte-wise truncation included, but never the backslash that starts the
// text's escape sequence, so JSON stays JSON. Text that agrees with 16 or
// more leading characters and then goes on as a token is another value
// with the same beginning (the next version of a rotated token, a key of
// the same account) and is left alone.
//
// PrefixLen is twice MinLen: 16 leading characters of a secret are as
// unlikely in ordinary text as a whole value, and no pattern becomes
// shorter than a typical whole value, so the scan does not slow down (see
// Performance). What the rule does not cover, on purpose:
//
//   - shorter copies: a truncation to fewer than 16 characters, or a value
//     of 16 characters or fewer (it has no such prefix);
//   - binary forms (base64, hex, byte lists), where 16 characters hold as
//     few as 3 bytes of the value and truncation by another system is rare;
//   - JSON documents ({...}, [...]): their beginnings ({"username":"app",)
//     are ordinary text, and package secret adds their fields as values of
//     their own, so a truncated password field is still caught;
//   - what a hostile party computes from a value it holds (a prefix with
//     text appended, a suffix, the value reversed or split): a database
//     that receives a secret can return any function of it, so a secret
//     must not be sent where the other side stores and echoes it
//     (application_name is one such place); redaction is the second line
//     of defence there, not the first.
//
// A value with a public beginning (postgresql://app:...) has that
// beginning redacted where a truncated copy of 16 or more characters ends
// at punctuation, as in postgresql://app@db.
//
// On top, structural patterns catch credentials that are not (yet) known
// values: the userinfo of a URL of any scheme (scheme://[REDACTED]@host), the
// value of a password, passwd or pwd key in key/value connection strings
// ("host=db password=[REDACTED]", "Password=[REDACTED];", "?pwd=[REDACTED]&"),
// the credential of an Authorization header in raw, JSON, Go map or logfmt
// form (the scheme word is kept), a token of 16 or more b64token characters
// after a bare Bearer ("no bearer token" is prose, not a credential), and
// PEM private key blocks, whole from BEGIN through END (a truncated block
// through its lines of key material). PUBLIC KEY and CERTIFICATE blocks are left alone.
// Options.DisableStructural turns these off.
//
// # How: one pass, linear in the input
//
// Exact matching does not use an Aho-Corasick automaton. The candidate,
// github.com/coregx/ahocorasick v0.3.1, was checked and rejected: in
// LeftmostLongest mode Find reports the longest match anywhere rather than
// the leftmost one ("abcdefgh" and "efghXYZ12345678" in
// "abcdefghXYZ12345678" yield only the second, leaving part of the first)
// and, after a match shorter than the longest pattern, scans to the end of
// the input, so k matches cost k passes; FindAll ignores the match kind and
// returns the earliest-ending match (prefix secrets leave their tail
// behind); IsMatch's prefilter calls bytes.IndexByte once per distinct first
// byte each time the automaton returns to its start state, which is
// quadratic (0.3 to 0.7 MB/s on 64 KiB of log text with 10 to 1,000
// secrets); and its full DFA table costs states x alphabet x 4 bytes. Its
// plain Find scan measured 265 to 400 MB/s on 1 MiB here.
//
// Instead, every pattern being at least MinLen long, an occurrence always
// contains the 4-byte gram at one sampled position every minLen-3 bytes
// (13 bytes for 16-character values). The scan tests one gram per step
// against a bitset of hashed pattern grams and verifies candidates through
// a second bitset of 8-byte heads and an exact comparison; a prefix head
// then extends its match byte by byte along the whole form. Clean text costs
// a load, a multiply and a bit test per step, independent of the number of
// patterns, and allocates nothing. Each structural pattern starts with a
// vectorised bytes.IndexByte or bytes.Index for a rare anchor ('@', '=',
// "zation", "Bearer", "PRIVATE KEY-----"), so text without candidates costs a
// few fast passes. When nothing matches, Redact returns its input slice and
// RedactString its input string, with zero allocations.
//
// # Using it
//
// The simplest fully safe logger writes through a redacting Writer; every
// byte any handler produces passes through it:
//
//	r := redact.New(redact.Options{})
//	w := redact.NewWriter(os.Stderr, r)
//	defer w.Close()
//	logger := slog.New(slog.NewJSONHandler(w, nil))
//	...
//	r.Update(store.Known()) // and again on every rotation
//
// NewHandler redacts records structurally (message, attributes, groups,
// LogValuers, errors, structs) before any handler formats them; wrap the
// handler of a writer that is not already redacting, or combine both. Tool
// results and error text are redacted with Redact and RedactString.
//
// # Performance
//
// Measured with
//
//	go test -run xxx -bench . -benchmem -cpu 1 ./redact/
//
// on the 2-core shared Xeon of this project (other builds running, so
// numbers vary by about 20%), over 1 MiB of generated slog JSON lines
// (timestamps, ids, credential-free URLs with query strings, messages) with
// 10, 100 and 1,000 random 16 to 40 character secrets (about 15 patterns
// each once encodings are added); "few" has four value matches and two
// structural matches in the MiB:
//
//	BenchmarkRedact/secrets=10/nomatch    1661 MB/s   0 B/op        0 allocs/op
//	BenchmarkRedact/secrets=10/few        1403 MB/s   1057248 B/op  5 allocs/op
//	BenchmarkRedact/secrets=100/nomatch   1851 MB/s   0 B/op        0 allocs/op
//	BenchmarkRedact/secrets=100/few       1381 MB/s   1057248 B/op  5 allocs/op
//	BenchmarkRedact/secrets=1000/nomatch  1586 MB/s   0 B/op        0 allocs/op
//	BenchmarkRedact/secrets=1000/few      1116 MB/s   1057248 B/op  5 allocs/op
//	BenchmarkWriter (100 secrets, 4 KiB writes)  1571 MB/s  5232 B/op  3 allocs/op
//	BenchmarkUpdate (1,000 secrets)       9.0 ms/op
//
// Prefix heads (PrefixLen) and nested escapings did not change these:
// paired runs of the code before and after them, timed by CPU time because
// the machine was shared, differ by less than the noise (about 5%). Their
// one cost is in BenchmarkValueMatcher/len=40-64, where every secret is 40
// to 64 characters long: 16-byte heads shorten the scan's step from 32 to
// 13 bytes, and the value matcher alone went from 11.5 to 9.3 GB/s of CPU
// time (16 to 40 characters: 8.0 and 8.5 GB/s, the same within noise).
// Values with quotes, backslashes, slashes, HTML-special or non-ASCII
// characters add a few dozen patterns each, which cost nothing on clean
// text and a little in Update.
//
// Most of the clean-text time (about 0.45 ms per MiB, 2.3 GB/s alone) is
// the structural anchors. The value matcher alone (DisableStructural)
// measured 6.2, 5.3 and 4.4 GB/s at 10, 100 and 1,000 secrets: it slows a
// little as its gram bitset outgrows the first-level cache.
package redact
