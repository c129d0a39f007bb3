package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/postgres"
)

// load runs queries from several workers until stopped, counting successes
// and failures.
type load struct {
	ok, failed atomic.Int64
	firstErr   atomic.Pointer[string] // scrubbed text of the first failure
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startLoad(t *testing.T, e *env, s *postgres.Source, workers int) *load {
	l := &load{stop: make(chan struct{})}
	for w := range workers {
		l.wg.Go(func() { l.work(t, e, s, w) })
	}
	return l
}

func (l *load) work(t *testing.T, e *env, s *postgres.Source, w int) {
	for i := 0; ; i++ {
		select {
		case <-l.stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		res, err := s.Query(ctx, source.Query{SQL: "SELECT $1::int8 + 1", Args: []any{int64(i)}, ReadOnly: w%2 == 0})
		cancel()
		if err == nil && (len(res.Rows) != 1 || res.Rows[0][0] != int64(i+1)) {
			err = fmt.Errorf("wrong result %v", res.Rows)
		}
		if err != nil {
			l.failed.Add(1)
			msg := e.scrub(err)
			l.firstErr.CompareAndSwap(nil, &msg)
			continue
		}
		l.ok.Add(1)
	}
}

// waitFor blocks until at least n more queries than now have succeeded.
func (l *load) waitFor(t *testing.T, n int64) {
	t.Helper()
	target := l.ok.Load() + n
	eventually(t, fmt.Sprintf("%d more queries", n), func() bool { return l.ok.Load() >= target || l.failed.Load() > 0 })
}

func (l *load) finish(t *testing.T) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	if n := l.failed.Load(); n > 0 {
		t.Fatalf("%d of %d queries failed; first: %s", n, n+l.ok.Load(), *l.firstErr.Load())
	}
}

// waitSwap waits until the source reports a swap later than after.
func waitSwap(t *testing.T, s *postgres.Source, after time.Time) time.Time {
	t.Helper()
	var st source.State
	eventually(t, "a credential swap", func() bool {
		st = s.State()
		return st.LastSwap.After(after)
	})
	if st.Status != "ok" {
		t.Fatalf("state after swap: %+v", st)
	}
	return st.LastSwap
}

// TestRotationUnderLoad changes the role's password three times while eight
// workers query through a pool smaller than the number of workers. Every
// query must succeed, and each old password must really stop working.
func TestRotationUnderLoad(t *testing.T) {
	e := newEnv(t)
	s := e.open(t, 4)
	l := startLoad(t, e, s, 8)
	l.waitFor(t, 200)
	var swapped time.Time
	for i := range 3 {
		old := e.changePassword(fmt.Sprintf("v%d", i+2))
		l.waitFor(t, 100) // the database changed, the secret not yet
		e.publish(e.password)
		swapped = waitSwap(t, s, swapped)
		if err := e.login(old); !isAuthFailure(err) {
			t.Fatalf("rotation %d: login with the old password: got %s, want 28P01", i+1, e.scrub(err))
		}
		if err := e.login(e.password); err != nil {
			t.Fatalf("rotation %d: login with the new password: %s", i+1, e.scrub(err))
		}
		l.waitFor(t, 300)
	}
	for l.ok.Load() < 2000 && l.failed.Load() == 0 {
		l.waitFor(t, 100)
	}
	l.finish(t)
	t.Logf("%d queries, 3 rotations, 0 failures", l.ok.Load())
	if st := s.State(); st.Status != "ok" || st.LastError != "" {
		t.Fatalf("final state %+v", st)
	}
}

// TestFailedRotationKeepsOldPool publishes a wrong password: the source must
// keep serving on its old pool, report degraded, and recover when the right
// password arrives.
func TestFailedRotationKeepsOldPool(t *testing.T) {
	e := newEnv(t)
	s := e.open(t, 2)
	l := startLoad(t, e, s, 4)
	l.waitFor(t, 50)

	e.changePassword("v2")
	wrong := canary(e.role + "-wrong")
	e.used = append(e.used, wrong)
	e.publish(wrong)
	eventually(t, "degraded state", func() bool { return s.State().Status == "degraded" })
	if st := s.State(); st.LastError != "permission" || !st.LastSwap.IsZero() {
		t.Fatalf("degraded state %+v, want error class permission and no swap", st)
	}
	l.waitFor(t, 200) // still serving on the old pool's logged-in connections

	e.publish(e.password)
	waitSwap(t, s, time.Time{})
	l.waitFor(t, 100)
	l.finish(t)
}

// TestSwapDrainsInFlightCalls holds a call open on the old pool across a
// swap: it must complete, and the old pool must close after it.
func TestSwapDrainsInFlightCalls(t *testing.T) {
	e := newEnv(t)
	s := e.open(t, 2)
	ctx := testCtx(t)
	lock := e.holdLock(t, 4242)
	done := make(chan error, 1)
	go func() {
		_, err := s.Query(ctx, source.Query{SQL: "SELECT pg_advisory_lock(4242), pg_advisory_unlock(4242)"})
		done <- err
	}()
	eventually(t, "the call to block on the lock", func() bool { return lock.waiters() == 1 })

	e.changePassword("v2")
	e.publish(e.password)
	waitSwap(t, s, time.Time{})
	mustQuery(t, s, source.Query{SQL: "SELECT 1", ReadOnly: true}) // served by the new pool
	if got := e.backends(); got != 4 {
		t.Fatalf("%d connections of the role during the swap, want 4 (both pools full)", got)
	}
	lock.release()
	if err := <-done; err != nil {
		t.Fatalf("in-flight call across the swap: %s", e.scrub(err))
	}
	eventually(t, "the old pool to close", func() bool { return e.backends() == 2 })
}

func TestCloseWaitsForInFlightCalls(t *testing.T) {
	e := newEnv(t)
	s, err := postgres.Open(testCtx(t), postgres.Spec{Name: "main", DSN: e.template(), MaxConns: 1}, e.store, e.log)
	if err != nil {
		t.Fatal(err)
	}
	lock := e.holdLock(t, 4343)
	done := make(chan error, 1)
	go func() {
		_, err := s.Query(testCtx(t), source.Query{SQL: "SELECT pg_advisory_lock(4343), pg_advisory_unlock(4343)"})
		done <- err
	}()
	eventually(t, "the call to block on the lock", func() bool { return lock.waiters() == 1 })
	closed := make(chan struct{})
	go func() { _ = s.Close(); close(closed) }()
	eventually(t, "Close to stop new calls", func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		return errors.Is(s.Ping(ctx), source.ErrClosed)
	})
	select {
	case <-closed:
		t.Fatal("Close returned while a call was in flight")
	default:
	}
	lock.release()
	if err := <-done; err != nil {
		t.Fatalf("in-flight call during Close: %s", e.scrub(err))
	}
	<-closed
	eventually(t, "every connection to end", func() bool { return e.backends() == 0 })
}
