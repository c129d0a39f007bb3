package drivertest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/secret/drivertest"
)

// memStore is an in-memory provider used to run the suite on both driver
// shapes the real providers do not cover: a mutable driver that is not a
// watcher (the store polls it) and a watcher fed by Set.
type memStore struct {
	mu      sync.Mutex
	values  map[string][]byte
	broken  map[string]bool
	drivers map[string][]*memDriver
	watch   bool
	// Leasing stores number every Set as a version and lease each value
	// for ttl from the time of the Set, like a secrets engine.
	ttl      time.Duration
	versions map[string]int
	expires  map[string]time.Time
}

// leasing is a memStore with versions and leases.
type leasing struct{ *memStore }

func (l leasing) LeaseTTL() time.Duration { return l.ttl }

func newLeasing() leasing {
	s := newMemStore(false)
	s.ttl, s.versions, s.expires = time.Hour, map[string]int{}, map[string]time.Time{}
	return leasing{s}
}

func newMemStore(watch bool) *memStore {
	return &memStore{values: map[string][]byte{}, broken: map[string]bool{},
		drivers: map[string][]*memDriver{}, watch: watch}
}

func (s *memStore) Open(_ context.Context, _ testing.TB, name string) (driver.Driver, error) {
	d := &memDriver{s: s, name: name, changes: make(chan struct{}, 1)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drivers[name] = append(s.drivers[name], d)
	if s.watch {
		return &memWatcher{d}, nil
	}
	return d, nil
}

func (s *memStore) Set(_ testing.TB, name string, v []byte) {
	s.change(name, func() {
		s.values[name] = append([]byte(nil), v...)
		if s.ttl > 0 {
			s.versions[name]++
			s.expires[name] = time.Now().Add(s.ttl)
		}
	})
}

func (s *memStore) Delete(_ testing.TB, name string) {
	s.change(name, func() { delete(s.values, name) })
}

func (s *memStore) ForceError(_ testing.TB, name string) {
	s.change(name, func() { s.broken[name] = true })
}

func (s *memStore) Recover(_ testing.TB, name string) {
	s.change(name, func() { delete(s.broken, name) })
}

func (s *memStore) Mutable() bool { return true }

// change applies f and signals every open driver of name without blocking.
func (s *memStore) change(name string, f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
	for _, d := range s.drivers[name] {
		d.signal()
	}
}

type memDriver struct {
	s       *memStore
	name    string
	closed  bool // guarded by s.mu
	changes chan struct{}
}

func (d *memDriver) Fetch(ctx context.Context) (driver.Snapshot, error) {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	switch v, ok := d.s.values[d.name]; {
	case d.closed:
		return driver.Snapshot{}, fmt.Errorf("mem %q: %w", d.name, driver.ErrClosed)
	case ctx.Err() != nil:
		return driver.Snapshot{}, fmt.Errorf("mem %q: %w", d.name, ctx.Err())
	case d.s.broken[d.name]:
		return driver.Snapshot{}, fmt.Errorf("mem %q: %w", d.name, driver.ErrUnavailable)
	case !ok:
		return driver.Snapshot{}, fmt.Errorf("mem %q: %w", d.name, driver.ErrNotFound)
	case d.s.ttl > 0:
		return driver.Snapshot{Data: append([]byte(nil), v...), Version: fmt.Sprint(d.s.versions[d.name]),
			ExpiresAt: d.s.expires[d.name]}, nil
	default:
		return driver.Snapshot{Data: append([]byte(nil), v...)}, nil
	}
}

// signal is called with s.mu held, which also orders it against Close.
func (d *memDriver) signal() {
	if d.closed {
		return
	}
	select {
	case d.changes <- struct{}{}:
	default:
	}
}

func (d *memDriver) Close() error {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	if !d.closed {
		d.closed = true
		close(d.changes)
	}
	return nil
}

// memWatcher adds the Watcher method, so the plain memDriver is not one.
type memWatcher struct{ *memDriver }

func (w *memWatcher) Changes() <-chan struct{} { return w.changes }

func TestConformancePolled(t *testing.T) {
	drivertest.RunConformance(t, newMemStore(false))
}

func TestConformanceWatched(t *testing.T) {
	drivertest.RunConformance(t, newMemStore(true))
}

func TestConformanceVersionedLeases(t *testing.T) {
	drivertest.RunConformance(t, newLeasing())
}
