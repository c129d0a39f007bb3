// Package secret is the portable layer over secret providers: the redacting
// Value type, URL references resolved through an explicit Mux, declared
// secrets with validation rules, and the Store that resolves, validates,
// watches and reports on them.
package secret

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/hushmcp/hush/redact"
)

// Placeholder is what every formatting path prints instead of a secret:
// the redactor's own, so a value reads the same whichever hid it.
const Placeholder = redact.Placeholder

// Meta describes a value without revealing it. It is safe to print and log.
type Meta struct {
	Source    string    // provider scheme: "env", "file", "vault", ...
	Version   string    // provider version id or keyed fingerprint
	Length    int       // length of the value in bytes
	FetchedAt time.Time // when the value was read
	ExpiresAt time.Time // lease expiry; zero when not leased
}

// Value holds a secret's bytes. Its zero value is an absent secret.
//
// Every formatting path (fmt verbs, String, GoString, JSON, text marshalling,
// slog) renders Placeholder. Only Reveal and RevealString return the bytes;
// grep for them to audit where secrets are used. Value is immutable and safe
// to copy and share between goroutines.
type Value struct {
	b    []byte
	meta Meta
}

// NewValue wraps b (copied) with meta; meta.Length is set from b. An empty
// b is a present, empty value, not an absent one.
func NewValue(b []byte, meta Meta) Value {
	meta.Length = len(b)
	return Value{b: append(make([]byte, 0, len(b)), b...), meta: meta}
}

// Reveal returns a copy of the secret bytes.
func (v Value) Reveal() []byte { return append([]byte(nil), v.b...) }

// RevealString returns the secret as a string.
func (v Value) RevealString() string { return string(v.b) }

// Len is the length of the secret in bytes.
func (v Value) Len() int { return len(v.b) }

// IsZero reports whether v holds no secret.
func (v Value) IsZero() bool { return v.b == nil }

// Meta returns the value's printable description.
func (v Value) Meta() Meta { return v.meta }

// Equal reports whether two values hold the same bytes, in constant time.
func (v Value) Equal(o Value) bool { return hmac.Equal(v.b, o.b) }

func (Value) String() string                { return Placeholder }
func (Value) GoString() string              { return Placeholder }
func (Value) Format(f fmt.State, _ rune)    { _, _ = f.Write([]byte(Placeholder)) }
func (Value) MarshalJSON() ([]byte, error)  { return []byte(`"` + Placeholder + `"`), nil }
func (Value) MarshalText() ([]byte, error)  { return []byte(Placeholder), nil }
func (Value) LogValue() slog.Value          { return slog.StringValue(Placeholder) }
func (v *Value) UnmarshalJSON([]byte) error { return errNoUnmarshal }
func (v *Value) UnmarshalText([]byte) error { return errNoUnmarshal }

var errNoUnmarshal = fmt.Errorf("secret.Value cannot be decoded: declare the secret instead")

// fingerprintKey is random per process, so a fingerprint tells whether two
// values differ without allowing anyone to test a guess offline.
var fingerprintKey = func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}()

// Fingerprint returns a short keyed digest of b, stable within one process.
// It is FingerprintFor with no name: use FingerprintFor for anything shown
// next to a secret's name.
func Fingerprint(b []byte) string { return FingerprintFor("", b) }

// FingerprintFor returns a short keyed digest of secret name's value b,
// stable within one process. The name is part of the key, so two secrets
// that hold the same value get different fingerprints: a log reader cannot
// tell that they are equal.
func FingerprintFor(name string, b []byte) string {
	m := hmac.New(sha256.New, fingerprintKey)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(name)))
	m.Write(n[:]) // the length keeps (name, value) pairs from running together
	m.Write([]byte(name))
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil)[:6])
}
