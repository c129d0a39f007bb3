package cred

import "github.com/hushmcp/hush/redact"

// Scrubber replaces the credentials one client was built from (its
// expanded templates and the secret values placed in them) in a driver's
// error text, in every encoding the redactor knows: raw, URL-escaped,
// JSON- and Go-quoted, libpq-quoted. Every source kind scrubs with it, so
// the encodings live in one place (package redact). Values shorter than
// redact.MinLen are not matched, as everywhere else. A nil *Scrubber
// replaces nothing. Safe for concurrent use.
type Scrubber struct{ r *redact.Redactor }

// NewScrubber builds a scrubber for values.
func NewScrubber(values ...string) *Scrubber {
	bs := make([][]byte, 0, len(values))
	for _, v := range values {
		bs = append(bs, []byte(v))
	}
	return &Scrubber{r: redact.New(redact.Options{Values: bs, DisableStructural: true})}
}

// Scrubber returns a scrubber for everything e holds.
func (e Expanded) Scrubber() *Scrubber {
	return NewScrubber(append(append([]string(nil), e.Values...), e.Secrets...)...)
}

// Scrub returns text with every credential replaced by redact.Placeholder,
// and whether it held one.
func (s *Scrubber) Scrub(text string) (string, bool) {
	if s == nil {
		return text, false
	}
	out := s.r.RedactString(text)
	return out, out != text
}
