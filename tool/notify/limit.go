package notify

import (
	"sync"
	"time"
)

// limiter is a token bucket: perMinute tokens at most, refilled evenly, so
// a tool can send a burst of perMinute and then one every 60s/perMinute.
type limiter struct {
	mu     sync.Mutex
	now    func() time.Time
	max    float64
	every  time.Duration // one token per
	tokens float64
	last   time.Time
}

func newLimiter(perMinute int, now func() time.Time) *limiter {
	return &limiter{now: now, max: float64(perMinute), every: time.Minute / time.Duration(perMinute),
		tokens: float64(perMinute), last: now()}
}

// take spends a token; without one it returns how long until the next.
func (l *limiter) take() (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.tokens = min(l.max, l.tokens+float64(now.Sub(l.last))/float64(l.every))
	l.last = now
	if l.tokens >= 1 {
		l.tokens--
		return 0, true
	}
	return time.Duration((1 - l.tokens) * float64(l.every)), false
}
