package secret

import (
	"fmt"
	"sync"

	"github.com/hushmcp/hush/secret/driver"
)

// Pin is one consistent read of several secrets: each secret is read once,
// so every field a consumer takes from one secret comes from the same
// version (a username and a password from one document always belong
// together). Until Release, the pinned values stay known to the redactor
// (Store.Known) even after newer versions push them out of the history, and
// a provider is not told a pinned version is unused. Safe for concurrent
// use.
type Pin struct {
	vals map[string]Value
	once sync.Once
	undo func()
}

// Value returns the pinned value of name.
func (p *Pin) Value(name string) (Value, bool) {
	v, ok := p.vals[name]
	return v, ok
}

// Release lets go of the pinned versions. Idempotent.
func (p *Pin) Release() { p.once.Do(p.undo) }

// Pin reads the current values of names and holds them until the Pin is
// released. It fails, naming the secret, when one has no value.
func (s *Store) Pin(names ...string) (*Pin, error) {
	p := &Pin{vals: make(map[string]Value, len(names))}
	var held []*entry
	undo := func() {
		for _, e := range held {
			s.unpin(e, p.vals[e.decl.Name])
		}
	}
	for _, name := range names {
		e, ok := s.byName[name]
		if !ok {
			undo()
			return nil, fmt.Errorf("secret %q is not declared", name)
		}
		if _, dup := p.vals[name]; dup {
			continue
		}
		v, ok := e.pin()
		if !ok {
			undo()
			return nil, fmt.Errorf("secret %q is not available", name)
		}
		p.vals[name] = v
		held = append(held, e)
	}
	p.undo = undo
	return p, nil
}

// pin counts one more holder of the current version.
func (e *entry) pin() (Value, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cur.IsZero() {
		return Value{}, false
	}
	if e.pinned == nil {
		e.pinned = map[string]*pinned{}
	}
	p := e.pinned[e.cur.meta.Version]
	if p == nil {
		p = &pinned{v: e.cur}
		e.pinned[e.cur.meta.Version] = p
	}
	p.n++
	return e.cur, true
}

type pinned struct {
	v Value
	n int
}

// unpin drops one holder of v's version and tells the driver when the
// version is neither current nor held any more.
func (s *Store) unpin(e *entry, v Value) {
	version := v.meta.Version
	e.mu.Lock()
	p := e.pinned[version]
	if p == nil {
		e.mu.Unlock()
		return
	}
	p.n--
	free := p.n == 0
	if free {
		delete(e.pinned, version)
	}
	stale := free && e.cur.meta.Version != version
	e.mu.Unlock()
	if stale {
		e.release(version)
	}
}

// release tells a Releaser driver that version is no longer used. It
// checks again, under the lock that installing and pinning take, that the
// version is neither current nor pinned: a rollback may have made it
// current since the caller decided, and then the next replacement releases
// it. Holding the read lock through Release keeps that true while the
// driver acts.
func (e *entry) release(version string) {
	r, ok := e.drv.(driver.Releaser)
	if !ok || version == "" {
		return
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.cur.meta.Version == version || e.isPinned(version) {
		return
	}
	r.Release(version)
}

// isPinned reports whether version has holders. Callers hold e.mu.
func (e *entry) isPinned(version string) bool {
	_, ok := e.pinned[version]
	return ok
}
