package secret

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/hushmcp/hush/secret/driver"
)

// entry is one declared secret's state inside a Store.
type entry struct {
	decl   Decl
	ref    Ref
	broken bool          // the declaration itself is invalid; never opened
	drv    driver.Driver // set once before watching starts

	refreshMu sync.Mutex // serialises fetch-and-apply so versions never go backwards

	mu          sync.RWMutex
	cur         Value
	prev        []Value // newest first
	status      Status
	lastRefresh time.Time
	lastErr     string
	lastOK      time.Time          // last successful fetch
	failures    map[string]uint64  // failed fetches by error class, for metrics
	pinned      map[string]*pinned // version -> holders; see Pin
}

func (e *entry) problem(rule, detail string) Problem {
	return Problem{Secret: e.decl.Name, Pos: e.decl.Pos, Rule: rule, Detail: detail}
}

func (e *entry) current() Value {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.cur
}

// expiry returns the held value's lease expiry (zero: none) and whether a
// value is held.
func (e *entry) expiry() (time.Time, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.cur.meta.ExpiresAt, !e.cur.IsZero()
}

// apply installs snap as the current value unless it is the version already
// held. It returns the change event and whether the value changed. A
// replaced version nothing pins is released to the driver.
func (e *entry) apply(snap driver.Snapshot, now time.Time, history int) (Event, bool) {
	ev, old, changed := e.install(snap, now, history)
	if old != "" {
		e.release(old)
	}
	return ev, changed
}

// install does apply's work under the lock; old is a replaced version that
// no Pin holds.
func (e *entry) install(snap driver.Snapshot, now time.Time, history int) (ev Event, old string, changed bool) {
	version := snap.Version
	if version == "" {
		version = FingerprintFor(e.decl.Name, snap.Data)
	}
	v := NewValue(snap.Data, Meta{Source: e.ref.Scheme, Version: version, FetchedAt: now, ExpiresAt: snap.ExpiresAt})
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status, e.lastRefresh, e.lastErr, e.lastOK = StatusOK, now, "", now
	if !e.cur.IsZero() && e.cur.meta.Version == version && e.cur.Equal(v) {
		// A renewed lease keeps its value and version but moves its expiry.
		e.cur.meta.ExpiresAt = snap.ExpiresAt
		return Event{}, "", false
	}
	ev = Event{Name: e.decl.Name, Old: e.cur.meta, New: v.meta}
	if !e.cur.IsZero() {
		e.prev = pushHistory(e.prev, e.cur, v, history)
		if e.cur.meta.Version != version && !e.isPinned(e.cur.meta.Version) {
			old = e.cur.meta.Version
		}
	}
	e.cur = v
	return ev, old, true
}

// pushHistory puts the replaced value old in front of prev and keeps at most
// n distinct values, none equal to the new current value cur. Only values
// that were current enter the history (a value that failed its rules never
// does), and a value that comes back (a rollback) takes one slot, not two:
// so n rotations are remembered, however the values repeat.
func pushHistory(prev []Value, old, cur Value, n int) []Value {
	out := make([]Value, 0, min(len(prev)+1, n))
	for _, p := range append([]Value{old}, prev...) {
		if len(out) == n {
			break
		}
		if p.Equal(cur) || slices.ContainsFunc(out, p.Equal) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// setError records a failed fetch; a held value keeps being served.
func (e *entry) setError(err error, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lastRefresh, e.lastErr = now, driver.Class(err)
	e.countFailure()
	switch {
	case !e.cur.IsZero():
		e.status = StatusDegraded
	default:
		e.status = StatusMissing
	}
}

// setInvalid records a fetched value that fails its rules.
func (e *entry) setInvalid(now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lastRefresh, e.lastErr = now, "invalid"
	e.countFailure()
	if e.cur.IsZero() {
		e.status = StatusInvalid
	} else {
		e.status = StatusDegraded
	}
}

func (e *entry) health(now time.Time) Health {
	e.mu.RLock()
	defer e.mu.RUnlock()
	m := e.cur.meta
	h := Health{
		Name: e.decl.Name, Source: e.ref.Scheme, Status: e.status, Length: m.Length, Version: m.Version,
		FetchedAt: m.FetchedAt, LastRefresh: e.lastRefresh, ExpiresAt: m.ExpiresAt, LastError: e.lastErr,
		LastOK: e.lastOK, Failures: maps.Clone(e.failures),
	}
	if e.broken {
		h.Status, h.LastError = StatusInvalid, "invalid"
	}
	if lr, ok := e.drv.(driver.LeaseReporter); ok {
		h.LeaseState, h.RenewalFailing = lr.LeaseStatus()
		if h.RenewalFailing && h.Status == StatusOK {
			h.Status = StatusDegraded
		}
	}
	if !m.ExpiresAt.IsZero() && !now.Before(m.ExpiresAt) {
		h.Status = StatusExpired
	}
	return h
}

// countFailure counts a failed fetch under its class; e.mu is held.
func (e *entry) countFailure() {
	if e.failures == nil {
		e.failures = map[string]uint64{}
	}
	e.failures[e.lastErr]++
}

func (e *entry) known() [][]byte {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out [][]byte
	if !e.cur.IsZero() {
		out = append(out, e.cur.b)
	}
	for _, p := range e.prev {
		out = append(out, p.b)
	}
	// A pinned value is still in use by a source, however many newer
	// versions have arrived since.
	for _, p := range e.pinned {
		out = append(out, p.v.b)
	}
	return withFields(out, e.decl.Fields)
}
