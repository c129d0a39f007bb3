package secret

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/hushmcp/hush/secret/driver"
)

// watchAll starts one goroutine per changeable secret: watchers are followed,
// other non-static drivers are polled, and a leased value of either kind is
// refreshed before it expires. The goroutines end on Close.
func (s *Store) watchAll() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for _, e := range s.entries {
		if e.drv == nil {
			continue
		}
		if st, ok := e.drv.(driver.Static); ok && st.Static() {
			continue
		}
		sc := &schedule{poll: s.opts.PollInterval, limit: s.opts.PollInterval, backoff: minRetry}
		var changes <-chan struct{}
		if w, ok := e.drv.(driver.Watcher); ok {
			changes, sc.poll = w.Changes(), 0
		}
		s.wg.Go(func() { s.watch(ctx, e, changes, sc) })
	}
}

// watch refreshes e on every change signal and whenever sc says so. A
// closed changes channel means the driver was closed: the loop ends.
func (s *Store) watch(ctx context.Context, e *entry, changes <-chan struct{}, sc *schedule) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	exp, held := e.expiry()
	arm(timer, sc.first(held, exp, time.Now()))
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				return
			}
			sc.backoff = minRetry // a new change deserves a quick retry
		case <-timer.C:
		}
		ok := s.refreshWithin(ctx, e)
		next, _ := e.expiry()
		arm(timer, sc.after(ok, exp, next, time.Now()))
		exp = next
	}
}

// arm resets t to fire after d; a negative d leaves it stopped.
func arm(t *time.Timer, d time.Duration) {
	t.Stop()
	if d >= 0 {
		t.Reset(d)
	}
}

// minRetry is the first delay before re-reading a secret whose refresh failed.
const minRetry = 250 * time.Millisecond

// schedule decides when a watched secret is read next, in the manner of
// Vault's LifetimeWatcher: a leased value is refreshed at about two thirds
// of its remaining lease, with jitter so that secrets leased together do
// not refresh together; failures are retried with backoff doubling from
// minRetry to limit, bounded by the remaining lease. A lease that is not
// extended (the same expiry again, or one already past) counts as a
// failure for the backoff, so an expired lease is never re-read in a tight
// loop. A negative delay means no timer: wait for a change signal.
type schedule struct {
	poll    time.Duration // regular re-read period; 0 for watchers
	limit   time.Duration // longest retry delay
	backoff time.Duration // delay of the next retry
}

// first is the delay after Open: held says whether a value was read.
func (sc *schedule) first(held bool, exp, now time.Time) time.Duration {
	if !held {
		return sc.regular() // a watcher waits for the value to appear
	}
	return sc.after(true, time.Time{}, exp, now)
}

// after is the delay following a refresh that succeeded (ok) or not; was
// and exp are the held value's expiry before and after it (zero: no lease).
func (sc *schedule) after(ok bool, was, exp, now time.Time) time.Duration {
	extended := exp.IsZero() || exp.After(was) && exp.After(now)
	if ok && extended {
		sc.backoff = minRetry
		return shortest(sc.regular(), leaseDelay(exp, now))
	}
	retry := sc.retry()
	switch {
	case ok: // the lease did not move: it will not by asking faster
		return shortest(sc.regular(), max(leaseDelay(exp, now), retry))
	case exp.IsZero() && sc.poll > 0:
		// The value is still served; polling faster would only add load
		// to a provider that is failing.
		return sc.poll
	case exp.After(now):
		return min(retry, leaseDelay(exp, now))
	}
	return retry
}

// regular is the delay without a lease: the poll period, or none.
func (sc *schedule) regular() time.Duration {
	if sc.poll > 0 {
		return sc.poll
	}
	return -1
}

// retry returns the current backoff with up to 20% jitter taken off, and
// doubles the backoff up to limit.
func (sc *schedule) retry() time.Duration {
	d := sc.backoff - jitter(sc.backoff/5)
	sc.backoff = min(2*sc.backoff, max(sc.limit, minRetry))
	return d
}

// leaseDelay is the delay before refreshing a value that expires at exp:
// two thirds of the remaining lease less up to a tenth of it as jitter, at
// least minRetry; -1 without a lease.
func leaseDelay(exp, now time.Time) time.Duration {
	if exp.IsZero() {
		return -1
	}
	rem := exp.Sub(now)
	return max(rem*2/3-jitter(rem/10), minRetry)
}

// shortest returns the smaller of two delays, where a negative one means
// none.
func shortest(a, b time.Duration) time.Duration {
	switch {
	case a < 0:
		return b
	case b < 0:
		return a
	}
	return min(a, b)
}

// jitter returns a random duration in [0, d).
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}

// refreshWithin refreshes e under the store's timeout and reports success.
func (s *Store) refreshWithin(ctx context.Context, e *entry) bool {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	return len(s.refresh(ctx, e)) == 0
}
