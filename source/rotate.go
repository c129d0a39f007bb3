package source

import (
	"context"
	"time"

	"github.com/hushmcp/hush/secret"
)

// Default retry bounds for a failed credential swap.
const (
	DefaultRetryMin = 250 * time.Millisecond
	DefaultRetryMax = 30 * time.Second
)

// Rotator turns secret change events into credential swaps. A swap that fails
// (the new credential is rejected, the server is down) is retried with
// exponential backoff from Min doubling to Max, and abandoned as soon as a
// newer event arrives, which starts a fresh attempt at once.
type Rotator struct {
	Events <-chan secret.Event
	// Apply builds, verifies and installs a client from the current secret
	// values. It is called from Run's goroutine only.
	Apply func(ctx context.Context) error
	// Failed, if not nil, reports an Apply error before each backoff wait.
	Failed   func(error)
	Min, Max time.Duration // 0: DefaultRetryMin, DefaultRetryMax
}

// Run handles events until ctx is done. It blocks; the caller owns the
// goroutine that runs it and stops it by cancelling ctx. A closed Events
// channel ends event handling but Run still returns only when ctx is done.
func (r Rotator) Run(ctx context.Context) {
	events := r.Events
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			events = r.swap(ctx, events)
		}
	}
}

// swap applies the current values, retrying until success, a newer event,
// or ctx ends. It returns the events channel, nil once it is closed.
func (r Rotator) swap(ctx context.Context, events <-chan secret.Event) <-chan secret.Event {
	delay := r.min()
	for {
		drain(events)
		err := r.Apply(ctx)
		if err == nil || ctx.Err() != nil {
			return events
		}
		if r.Failed != nil {
			r.Failed(err)
		}
		var newer bool
		events, newer = r.wait(ctx, events, delay)
		if ctx.Err() != nil {
			return events
		}
		delay = min(2*delay, r.max())
		if newer {
			delay = r.min()
		}
	}
}

// wait blocks for delay, until a newer event (newer is true) or until ctx
// ends. A closed events channel is returned as nil and the wait goes on.
func (r Rotator) wait(ctx context.Context, events <-chan secret.Event, delay time.Duration) (_ <-chan secret.Event, newer bool) {
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return events, false
		case <-t.C:
			return events, false
		case _, ok := <-events:
			if ok {
				return events, true
			}
			events = nil
		}
	}
}

// drain discards queued events: Apply reads the latest values anyway.
func drain(events <-chan secret.Event) {
	for {
		select {
		case _, ok := <-events:
			if !ok {
				return
			}
		default:
			return
		}
	}
}

func (r Rotator) min() time.Duration {
	if r.Min > 0 {
		return r.Min
	}
	return DefaultRetryMin
}

func (r Rotator) max() time.Duration {
	if r.Max > 0 {
		return r.Max
	}
	return DefaultRetryMax
}
