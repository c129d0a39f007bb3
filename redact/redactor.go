package redact

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// Placeholder replaces every redacted byte range.
const Placeholder = "[REDACTED]"

// MinLen is the shortest secret value that is redacted by exact matching.
// A shorter value (a PIN, "admin", "true") would match inside ordinary words
// and numbers and shred the output, so it is ignored by Update; package
// secret warns about such values at start-up. Structural patterns (URL
// userinfo, DSN passwords, Authorization values) still catch short values
// written in those shapes.
const MinLen = 8

// PrefixLen is the fewest leading characters of a known value that a
// truncated copy must hold to be redacted: systems truncate what they
// store and echo the rest (PostgreSQL keeps 63 bytes of application_name),
// so output can hold a prefix of a secret that no whole-value match finds.
// A copy counts as truncated when it ends at the end of the text or at a
// byte that cannot continue a token; the package documentation gives the
// rule, its reasons and what it leaves out. It is twice MinLen, so it
// neither matches ordinary text nor slows the scan.
const PrefixLen = 2 * MinLen

// Options configures a Redactor. The zero value is ready to use.
type Options struct {
	// Values is the initial set of secret values, as given to Update.
	Values [][]byte
	// DisableStructural turns off the structural patterns (URL userinfo,
	// DSN passwords, Authorization and Bearer values, PEM private keys);
	// known values are then the only thing redacted.
	DisableStructural bool
}

// Redactor replaces known secret values, their encodings and credential-
// shaped text with Placeholder.
//
// It is safe for concurrent use: Redact never blocks and always sees one
// complete matcher, while Update builds a new matcher and swaps it in
// atomically. The zero value and a nil *Redactor behave like New with no
// values: they apply the structural patterns only.
type Redactor struct {
	noStructural bool
	mu           sync.Mutex // serialises Update so the last call wins
	m            atomic.Pointer[matcher]
}

// New returns a Redactor armed with opts.Values.
func New(opts Options) *Redactor {
	r := &Redactor{noStructural: opts.DisableStructural}
	r.Update(opts.Values)
	return r
}

// Update replaces the set of known values with values: the current and the
// recent previous values of every secret, so output mentioning a value that
// was just rotated out is still scrubbed. Values shorter than MinLen are
// ignored. Update copies what it keeps; the caller may reuse values after it
// returns. Concurrent Redact calls keep using the previous matcher until the
// new one is complete. Safe for concurrent use.
func (r *Redactor) Update(values [][]byte) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m.Store(newMatcher(values, !r.noStructural))
}

// matcher returns the current matcher; never nil.
func (r *Redactor) matcher() *matcher {
	if r == nil {
		return structuralOnly
	}
	if m := r.m.Load(); m != nil {
		return m
	}
	return structuralOnly
}

// Redact returns b with every known value, encoded value and structural
// pattern replaced by Placeholder. When nothing matches it returns b itself
// and allocates nothing; otherwise it returns a new slice and leaves b
// untouched.
func (r *Redactor) Redact(b []byte) []byte {
	out, _ := r.matcher().redact(b, openNone)
	return out
}

// RedactString is Redact for strings; it returns s itself when nothing
// matches.
func (r *Redactor) RedactString(s string) string {
	return r.matcher().redactString(s)
}

func (m *matcher) redactString(s string) string {
	if s == "" {
		return s
	}
	b := unsafe.Slice(unsafe.StringData(s), len(s)) // only read
	out, _ := m.redact(b, openNone)
	if unsafe.SliceData(out) == unsafe.SliceData(b) {
		return s
	}
	return unsafe.String(unsafe.SliceData(out), len(out)) // out is new and never written again
}
