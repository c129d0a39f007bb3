package awssm

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/hushmcp/hush/secret/driver"
)

// Retry bounds for failed refreshes, after AWS's caching client (which
// doubles from a small base up to about an hour); ours stop at five
// minutes, since the store serves a stale value meanwhile.
const (
	retryMin = time.Second
	retryMax = 5 * time.Minute
)

// run refreshes the label's version when due and signals a change. It
// waits for the first Fetch before planning anything, and ends with Close.
func (d *Driver) run() {
	defer close(d.loopDone)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		if wait, ok := d.nextWait(time.Now()); ok {
			timer.Reset(wait)
		}
		select {
		case <-d.ctx.Done():
			return
		case <-d.kick:
			timer.Stop()
			continue
		case <-timer.C:
		}
		d.scheduled()
	}
}

// nextWait is the time until the next refresh; false before the first
// Fetch and for a pinned version, which are never refreshed by the loop.
func (d *Driver) nextWait(now time.Time) (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.st.attempted || d.t.version != "" {
		return 0, false
	}
	return max(d.st.due.Sub(now), 0), true
}

// scheduled refreshes when still due (a Fetch may have refreshed first)
// and signals when the version, the pending version or the outcome's
// class changed.
func (d *Driver) scheduled() {
	d.fetchMu.Lock()
	defer d.fetchMu.Unlock()
	if wait, ok := d.nextWait(time.Now()); !ok || wait > 0 {
		return
	}
	ctx, cancel := context.WithTimeout(d.ctx, requestTimeout)
	defer cancel()
	d.mu.Lock()
	d.st.takeDeferred(time.Now())
	d.mu.Unlock()
	before := d.outcome()
	if err := d.refresh(ctx); err != nil {
		return // closing
	}
	if after := d.outcome(); after != before {
		d.log.Info("awssm secret changed", "secret", d.t.id, "stage", d.t.stage, "version", after.version,
			"pending", after.pending, "error_class", after.class)
		d.markPending()
		d.signal()
	}
}

// outcome is what a refresh is compared by. The AWSPENDING version counts
// too: a store serving it (secret.Store.RefreshRejected) learns so when
// the rotation is abandoned without AWSCURRENT moving.
type outcome struct{ version, pending, class string }

func (d *Driver) outcome() outcome {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st.err != nil {
		return outcome{class: driver.Class(d.st.err)}
	}
	return outcome{version: d.st.current, pending: d.st.pendingID}
}

func (d *Driver) markPending() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.pending = true
}

// signal never blocks: one pending signal is enough, the store re-fetches.
// Only the loop sends, and Close closes the channel after the loop ended.
func (d *Driver) signal() {
	select {
	case d.changes <- struct{}{}:
	default:
	}
}

func (d *Driver) wake() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// refreshDelay is a random point in [ttl/2, ttl), as AWS's caching client
// picks it, so that instances started together do not refresh together.
func refreshDelay(ttl time.Duration) time.Duration {
	if ttl < 2 {
		return ttl
	}
	return ttl/2 + rand.N(ttl-ttl/2)
}

// retryDelay is the delay after the n-th failure in a row: doubling from
// retryMin (or half the TTL, if shorter) up to retryMax (or the TTL), with
// the upper half jittered.
func retryDelay(n int, ttl time.Duration) time.Duration {
	d := min(retryMin, ttl/2)
	for i := 1; i < n && d < retryMax; i++ {
		d *= 2
	}
	d = max(min(d, retryMax, ttl), time.Millisecond)
	return d/2 + rand.N(d-d/2)
}
