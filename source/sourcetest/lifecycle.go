package sourcetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hushmcp/hush/source"
)

// deadline is the context deadline of the long statement: long enough for
// the statement to reach the database, short for a test.
const deadline = 200 * time.Millisecond

func (s *suite) testDeadline(t *testing.T) {
	if s.h.Sleep == "" {
		t.Logf("not applicable: %s", s.h.SleepReason)
		return
	}
	src, table := s.open(t)
	for _, ro := range []bool{true, false} {
		err := runWithDeadline(t, src, source.Query{SQL: s.h.Sleep, ReadOnly: ro})
		if err == nil {
			t.Fatalf("long statement (read-only %v) past its deadline: no error", ro)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("long statement (read-only %v): error %q does not wrap context.DeadlineExceeded", ro, err)
		}
		s.assertWorks(t, src, table, fmt.Sprintf("after a deadline (read-only %v)", ro))
	}
}

// runWithDeadline runs q with a short deadline. A call that does not
// return within hangGuard after it fails the test: it ignores its context.
func runWithDeadline(t *testing.T, src source.SQL, q source.Query) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()
	done := make(chan error, 1) // buffered: a hung call must not block on send
	go func() {
		_, err := safeQuery(ctx, src, q)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(deadline + hangGuard):
		t.Fatalf("long statement (read-only %v) still running long after its deadline", q.ReadOnly)
		return nil
	}
}

// concurrency is how many calls the concurrent case runs at once: more
// than the sources' default pool sizes, so calls queue for connections.
const concurrency = 16

func (s *suite) testConcurrent(t *testing.T) {
	src, table := s.open(t)
	ins := fmt.Sprintf("INSERT INTO %s (id, name) VALUES (%s, %s)", table, s.h.Param(1), s.h.Param(2))
	sel := fmt.Sprintf("SELECT name FROM %s WHERE id = %s", table, s.h.Param(1))
	run := func(do func(i int) error) {
		var wg sync.WaitGroup
		for i := range concurrency {
			wg.Go(func() {
				if err := do(i); err != nil {
					t.Errorf("call %d: %v", i, err)
				}
			})
		}
		wg.Wait()
	}
	run(func(i int) error {
		_, err := src.Query(callCtx(t), source.Query{SQL: ins, Args: []any{int64(i), fmt.Sprint("n", i)}})
		return err
	})
	run(func(i int) error {
		res, err := src.Query(callCtx(t), source.Query{SQL: sel, Args: []any{int64(i)}, ReadOnly: i%2 == 0})
		if err == nil && (len(res.Rows) != 1 || res.Rows[0][0] != fmt.Sprint("n", i)) {
			err = fmt.Errorf("rows %q, want [[n%d]]", res.Rows, i)
		}
		return err
	})
	if got := names(t, src, table); len(got) != concurrency {
		t.Errorf("after %d concurrent inserts the table holds %d rows", concurrency, len(got))
	}
}

func (s *suite) testClose(t *testing.T) {
	src, table := s.open(t)
	query(t, src, source.Query{SQL: "SELECT count(*) FROM " + table, ReadOnly: true})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := src.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
	}
	wg.Wait()
	if err := src.Close(); err != nil {
		t.Errorf("close again: %v", err)
	}
	if st := src.State(); st.Status != "closed" {
		t.Errorf("State().Status = %q after Close, want %q", st.Status, "closed")
	}
	for _, ro := range []bool{true, false} {
		_, err := safeQuery(callCtx(t), src, source.Query{SQL: "SELECT 1", ReadOnly: ro})
		if !errors.Is(err, source.ErrClosed) {
			t.Errorf("query (read-only %v) after Close: error %v, want one wrapping source.ErrClosed", ro, err)
		}
	}
	if err := src.Ping(callCtx(t)); !errors.Is(err, source.ErrClosed) {
		t.Errorf("ping after Close: error %v, want one wrapping source.ErrClosed", err)
	}
}
