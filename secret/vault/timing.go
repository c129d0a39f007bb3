package vault

import (
	"math/rand/v2"
	"time"
)

// Backoff bounds. Renewals follow Vault's LifetimeWatcher (10 s doubling,
// capped at 5 min); logins start sooner, since nothing works without one.
const (
	renewBackoffMin = 10 * time.Second
	loginBackoffMin = 2 * time.Second
	backoffMax      = 5 * time.Minute
	minDelay        = 100 * time.Millisecond // floor for any scheduled retry
	revokeTimeout   = 10 * time.Second
)

// renewDelay is when to renew something with remaining life left: at about
// two thirds of it, less up to a tenth as jitter, so that many instances
// started together do not renew together.
func renewDelay(remaining time.Duration) time.Duration {
	return max(remaining*2/3-between(0, remaining/10), minDelay)
}

// between returns a random duration in [lo, hi).
func between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + rand.N(hi-lo)
}

// fraction returns d scaled by a random factor in [lo, hi).
func fraction(d time.Duration, lo, hi float64) time.Duration {
	return time.Duration(float64(d) * (lo + rand.Float64()*(hi-lo)))
}

// backoff doubles from min to max with ±10% jitter. The zero value is not
// usable; reset starts over.
type backoff struct {
	min, cur time.Duration
}

func newBackoff(min time.Duration) backoff { return backoff{min: min} }

// next returns the next delay.
func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur = min(2*b.cur, backoffMax)
	}
	return fraction(b.cur, 0.9, 1.1)
}

func (b *backoff) reset() { b.cur = 0 }

// failing reports whether the last attempt failed.
func (b *backoff) failing() bool { return b.cur != 0 }
