package source

import (
	"context"
	"time"
)

// refresher is the optional ability of a store (*secret.Store has it) to
// re-fetch a secret at once.
type refresher interface {
	Refresh(ctx context.Context, name string) error
}

// rejectRefresher is the optional ability of a store (*secret.Store has
// it) to re-fetch a secret whose value was rejected and, when there is no
// newer one, to serve a value about to become current (AWSPENDING during a
// Secrets Manager rotation), which Live then verifies and swaps in like any
// new value.
type rejectRefresher interface {
	RefreshRejected(ctx context.Context, name string) error
}

// Rejected is what a kind calls when the backend refused the credentials
// of the client a call used (a login refused during a rotation, say): it
// asks the store to re-read the templates' secrets, at most one call at a
// time per source, and waits up to wait for a newer client than the one
// the call leased (replaced is that lease's Replaced channel). It reports
// whether a newer client came, so the caller can retry once on it; a
// caller retries only when nothing reached the backend on the refused
// attempt.
func (l *Live[T]) Rejected(ctx context.Context, replaced <-chan struct{}, wait time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	l.Nudge(ctx)
	select {
	case <-replaced:
		return true
	case <-ctx.Done():
		return false
	}
}

// Nudge asks the store to re-read the templates' secrets, one nudge at a
// time per source (RefreshRejected when the store has it); it returns at
// once if another call is already nudging.
func (l *Live[T]) Nudge(ctx context.Context) {
	refresh := l.refresh()
	if refresh == nil || !l.nudging.TryLock() {
		return
	}
	defer l.nudging.Unlock()
	for _, name := range l.names {
		_ = refresh(ctx, name) // the store records and reports its own failures
	}
}

// refresh is the store's way to re-read a rejected secret, or nil.
func (l *Live[T]) refresh() func(context.Context, string) error {
	switch r := l.cfg.Secrets.(type) {
	case rejectRefresher:
		return r.RefreshRejected
	case refresher:
		return r.Refresh
	}
	return nil
}
