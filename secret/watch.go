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

func (s *Store) follow(ctx context.Context, e *entry, changes <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				return
			}
			s.refreshWithin(ctx, e)
		}
	}
}

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

func (s *Store) refreshWithin(ctx context.Context, e *entry) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	s.refresh(ctx, e)
}
