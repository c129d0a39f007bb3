package source

import (
	"sync"
	"sync/atomic"
)

// Swap holds a source's live client (a connection pool, say) and replaces it
// without failing a call that is using it: calls pin the client they started
// with, and a replaced client is closed only after its last call releases it.
//
// All methods are safe for concurrent use. The zero value is not usable; call
// NewSwap.
type Swap[T any] struct {
	cur     atomic.Pointer[generation[T]]
	closeFn func(T)
	mu      sync.Mutex // serialises Replace and Close
	closed  bool
	retired sync.WaitGroup // one per generation being drained
}

// generation is one client plus the calls using it.
type generation[T any] struct {
	v        T
	mu       sync.Mutex
	inFlight int
	retired  bool
	replaced chan struct{} // closed when the generation is retired
	drained  chan struct{} // closed when retired and no call uses it
}

func newGeneration[T any](v T) *generation[T] {
	return &generation[T]{v: v, replaced: make(chan struct{}), drained: make(chan struct{})}
}

// NewSwap returns a Swap serving v. closeFn closes a client once no call uses
// it; it runs on a goroutine owned by the Swap.
func NewSwap[T any](v T, closeFn func(T)) *Swap[T] {
	s := &Swap[T]{closeFn: closeFn}
	s.cur.Store(newGeneration(v))
	return s
}

// Lease is one call's hold on a client. Call Release exactly once.
type Lease[T any] struct {
	g *generation[T]
}

// Value is the leased client. It stays open until Release.
func (l Lease[T]) Value() T { return l.g.v }

// Release ends the call's hold on the client.
func (l Lease[T]) Release() { l.g.release() }

// Replaced is closed once a newer client has been installed or the Swap has
// been closed. A call that saw its client's credentials rejected waits on it
// before retrying with a fresh Acquire.
func (l Lease[T]) Replaced() <-chan struct{} { return l.g.replaced }

// Acquire pins the current client. It does not block; it returns ErrClosed
// after Close.
func (s *Swap[T]) Acquire() (Lease[T], error) {
	for {
		g := s.cur.Load()
		if g == nil {
			return Lease[T]{}, ErrClosed
		}
		if g.acquire() {
			return Lease[T]{g: g}, nil
		}
		// g was retired between Load and acquire; its successor (or nil,
		// after Close) is already stored, so the next Load sees it.
	}
}

func (g *generation[T]) acquire() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.retired {
		return false
	}
	g.inFlight++
	return true
}

func (g *generation[T]) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
	if g.inFlight < 0 {
		panic("source: Lease released twice")
	}
	if g.retired && g.inFlight == 0 {
		close(g.drained)
	}
}

// retire stops new leases; drained closes once the last one is released.
func (g *generation[T]) retire() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.retired = true
	close(g.replaced)
	if g.inFlight == 0 {
		close(g.drained)
	}
}

// Replace installs v for new calls and closes the previous client in the
// background once its calls have released it. It does not block on those
// calls. After Close it closes v itself and returns ErrClosed.
func (s *Swap[T]) Replace(v T) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		s.closeFn(v)
		return ErrClosed
	}
	old := s.cur.Swap(newGeneration(v))
	s.retire(old)
	return nil
}

// retire must be called with s.mu held, after old stopped being current.
func (s *Swap[T]) retire(old *generation[T]) {
	old.retire()
	s.retired.Add(1)
	go func() {
		defer s.retired.Done()
		<-old.drained
		s.closeFn(old.v)
	}()
}

// Close stops new calls, waits for calls in flight to release their clients,
// and closes every client. Idempotent; every call waits.
func (s *Swap[T]) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		s.retire(s.cur.Swap(nil))
	}
	s.mu.Unlock()
	s.retired.Wait()
}
