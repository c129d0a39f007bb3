package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery. Receivers verify them with Verify or its
// equivalent (docs/webhook.md).
const (
	HeaderSignature = "X-Hush-Signature" // "v1=<hex>", or "v1=<hex>,v1=<hex>" during a key overlap
	HeaderTimestamp = "X-Hush-Timestamp" // Unix seconds, decimal
	HeaderDelivery  = "X-Hush-Delivery"  // the delivery id, also the body's "id"
	HeaderEvent     = "X-Hush-Event"     // the event name, also the body's "event"
)

// DefaultTolerance is how old (or how far in the future) a timestamp a
// receiver should accept: older deliveries are replays.
const DefaultTolerance = 5 * time.Minute

// Sign returns the v1 signature of body sent at timestamp ts under key:
// hex(HMAC-SHA256(key, ts + "." + body)). Signing the timestamp with the
// body is what lets a receiver refuse a replayed delivery.
func Sign(key []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("no valid signature")
	ErrStale        = errors.New("timestamp outside the tolerance")
	ErrBadTimestamp = errors.New("missing or malformed timestamp")
)

// Verify checks a delivery as a receiver should: its timestamp within
// tolerance of now (0: DefaultTolerance) and one of its signatures made by
// one of keys (a receiver in the middle of a rotation knows two). It
// compares in constant time.
func Verify(h http.Header, body []byte, keys [][]byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts := h.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	for _, got := range strings.Split(h.Get(HeaderSignature), ",") {
		for _, k := range keys {
			if hmac.Equal([]byte(strings.TrimSpace(got)), []byte(Sign(k, ts, body))) {
				return nil
			}
		}
	}
	return ErrNoSignature
}
