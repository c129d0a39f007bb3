package secret

import (
	"context"
	"time"

	"github.com/hushmcp/hush/secret/driver"
)

// watchAll starts one goroutine per changeable secret: watchers are followed,
// other non-static drivers are polled. The goroutines end on Close.
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
		if w, ok := e.drv.(driver.Watcher); ok {
			s.wg.Go(func() { s.follow(ctx, e, w.Changes()) })
			continue
		}
		s.wg.Go(func() { s.poll(ctx, e) })
	}
}

// follow refreshes e on every change signal. A failed refresh is retried
// with bounded backoff: a driver signals a change once, so a transient
// failure on that read (a file caught mid-write) must not strand the old
// value until the next change.
func (s *Store) follow(ctx context.Context, e *entry, changes <-chan struct{}) {
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	backoff := minRetry
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				return
			}
			backoff = minRetry
		case <-retry.C:
		}
		if s.refreshWithin(ctx, e) {
			backoff = minRetry
			continue
		}
		retry.Reset(backoff)
		backoff = min(2*backoff, s.opts.PollInterval)
	}
}

// minRetry is the first delay before re-reading a secret whose refresh failed.
const minRetry = 250 * time.Millisecond

func (s *Store) poll(ctx context.Context, e *entry) {
	t := time.NewTicker(s.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.refreshWithin(ctx, e)
		}
	}
}

// refreshWithin refreshes e under the store's timeout and reports success.
func (s *Store) refreshWithin(ctx context.Context, e *entry) bool {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	return len(s.refresh(ctx, e)) == 0
}
