package source_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/hushmcp/hush/source"
)

// client is a fake pool that records when it is closed and fails if used
// after that.
type client struct {
	id     int
	closed atomic.Bool
}

func (c *client) use() error {
	if c.closed.Load() {
		return errors.New("client used after close")
	}
	return nil
}

func closeClient(c *client) { c.closed.Store(true) }

func TestSwapReplaceWaitsForLeases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		one, two := &client{id: 1}, &client{id: 2}
		s := source.NewSwap(one, closeClient)
		l, err := s.Acquire()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Replace(two); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if one.closed.Load() {
			t.Fatal("old client closed while a lease was held")
		}
		select {
		case <-l.Replaced():
		default:
			t.Fatal("Replaced not closed after Replace")
		}
		if err := l.Value().use(); err != nil {
			t.Fatal(err)
		}
		l.Release()
		synctest.Wait()
		if !one.closed.Load() {
			t.Fatal("old client not closed after its last lease was released")
		}
		l2, err := s.Acquire()
		if err != nil {
			t.Fatal(err)
		}
		if l2.Value() != two {
			t.Fatalf("Acquire after Replace got client %d, want 2", l2.Value().id)
		}
		l2.Release()
		s.Close()
		if !two.closed.Load() {
			t.Fatal("Close did not close the current client")
		}
	})
}

func TestSwapCloseWaitsAndIsIdempotent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &client{id: 1}
		s := source.NewSwap(c, closeClient)
		l, err := s.Acquire()
		if err != nil {
			t.Fatal(err)
		}
		closed := make(chan struct{})
		go func() {
			s.Close()
			s.Close()
			close(closed)
		}()
		synctest.Wait()
		select {
		case <-closed:
			t.Fatal("Close returned while a lease was held")
		default:
		}
		if _, err := s.Acquire(); !errors.Is(err, source.ErrClosed) {
			t.Fatalf("Acquire after Close: got %v, want ErrClosed", err)
		}
		l.Release()
		<-closed
		if !c.closed.Load() {
			t.Fatal("client not closed")
		}
		late := &client{id: 2}
		if err := s.Replace(late); !errors.Is(err, source.ErrClosed) {
			t.Fatalf("Replace after Close: got %v, want ErrClosed", err)
		}
		if !late.closed.Load() {
			t.Fatal("Replace after Close leaked the new client")
		}
	})
}

// TestSwapConcurrent hammers Acquire/Release against Replace; with -race it
// checks that no leased client is ever used after it was closed.
func TestSwapConcurrent(t *testing.T) {
	s := source.NewSwap(&client{}, closeClient)
	var wg sync.WaitGroup
	var failures atomic.Int64
	stop := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				l, err := s.Acquire()
				if err != nil {
					failures.Add(1)
					return
				}
				if l.Value().use() != nil {
					failures.Add(1)
				}
				l.Release()
			}
		})
	}
	for i := range 200 {
		if err := s.Replace(&client{id: i}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	s.Close()
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d calls failed or used a closed client", n)
	}
}
