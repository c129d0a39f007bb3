package secret

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/hushmcp/hush/secret/driver"
)

// Layered serves the first of several references that has a value, in the
// order given: the list form of a declaration's from: (Secrets Manager over
// the environment, or the reverse). A reference that reports not found (no
// secret, or its JSON document lacks the #field) falls through to the next
// one; any other failure is Fetch's error, so an outage or a refused
// permission never silently switches a credential to a fallback.
//
// The store opens one for a declaration with fallbacks (Decl.Also) and
// reports Served in health and the presence log. Each reference's #field
// is selected here, since the references may name different fields.
//
// Change signals of every layer that watches are forwarded. A layer that
// neither watches nor is static is read again only when another layer
// signals or the store refreshes.
type Layered struct {
	refs    []Ref
	drivers []driver.Driver
	changes chan struct{}
	wg      sync.WaitGroup // signal forwarders; they end when their driver closes

	closeOnce sync.Once
	mu        sync.Mutex
	served    int // index of the reference that served the last value; -1: none
}

var (
	_ driver.Driver   = (*Layered)(nil)
	_ driver.Watcher  = (*Layered)(nil)
	_ driver.Static   = (*Layered)(nil)
	_ driver.Releaser = (*Layered)(nil)
	_ driver.Pender   = (*Layered)(nil)
)

// OpenLayered opens every reference through mux. On failure it closes
// those it opened and names the failing reference by its position.
func OpenLayered(ctx context.Context, mux *Mux, refs []Ref) (*Layered, error) {
	if len(refs) == 0 {
		return nil, fmt.Errorf("layered secret: no reference: %w", driver.ErrInvalid)
	}
	l := &Layered{refs: refs, changes: make(chan struct{}, 1), served: -1}
	for i, ref := range refs {
		whole := ref
		whole.Field = ""
		d, err := mux.Open(ctx, whole)
		if err != nil {
			l.closeDrivers()
			return nil, fmt.Errorf("from[%d] (%s): %w", i, ref.Scheme, err)
		}
		l.drivers = append(l.drivers, d)
	}
	l.forward()
	return l, nil
}

// forward starts one goroutine per watching layer that passes its signals
// on without blocking. Each ends when its driver's channel is closed, which
// Close does by closing the drivers.
func (l *Layered) forward() {
	for _, d := range l.drivers {
		w, ok := d.(driver.Watcher)
		if !ok {
			continue
		}
		l.wg.Go(func() {
			for range w.Changes() {
				select {
				case l.changes <- struct{}{}:
				default:
				}
			}
		})
	}
}

// Fetch returns the first layer's value that is found. Its version is the
// layer's own prefixed with the layer's position, so that a switch of
// layer is a new version; it stays empty when the layer's is (the store
// then fingerprints the value).
func (l *Layered) Fetch(ctx context.Context) (driver.Snapshot, error) {
	var notFound []error
	for i, d := range l.drivers {
		snap, err := l.fetchLayer(ctx, i, d)
		if err == nil {
			l.setServed(i)
			return snap, nil
		}
		if !errors.Is(err, driver.ErrNotFound) {
			return driver.Snapshot{}, err
		}
		notFound = append(notFound, err)
	}
	return driver.Snapshot{}, errors.Join(notFound...)
}

func (l *Layered) fetchLayer(ctx context.Context, i int, d driver.Driver) (driver.Snapshot, error) {
	snap, err := d.Fetch(ctx)
	return l.layerSnap(i, snap, err)
}

// layerSnap selects layer i's #field from snap and prefixes its version.
func (l *Layered) layerSnap(i int, snap driver.Snapshot, err error) (driver.Snapshot, error) {
	if err == nil && l.refs[i].Field != "" {
		snap.Data, err = SelectField(snap.Data, l.refs[i].Field)
	}
	if err != nil {
		return driver.Snapshot{}, fmt.Errorf("from[%d] (%s): %w", i, l.refs[i].Scheme, err)
	}
	if snap.Version != "" {
		snap.Version = strconv.Itoa(i) + ":" + snap.Version
	}
	return snap, nil
}

// Pending offers the pending value of the layer that served last, when
// that layer has one (driver.Pender); a fallback layer never offers a
// value of another.
func (l *Layered) Pending(ctx context.Context) (driver.Snapshot, bool, error) {
	l.mu.Lock()
	i := l.served
	l.mu.Unlock()
	if i < 0 {
		return driver.Snapshot{}, false, nil
	}
	p, ok := l.drivers[i].(driver.Pender)
	if !ok {
		return driver.Snapshot{}, false, nil
	}
	snap, ok, err := p.Pending(ctx)
	if !ok && err == nil {
		return driver.Snapshot{}, false, nil
	}
	snap, err = l.layerSnap(i, snap, err)
	return snap, err == nil, err
}

func (l *Layered) setServed(i int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.served = i
}

// Served returns the reference that served the last value, safe to print
// (it holds no value), and false before any value was served.
func (l *Layered) Served() (Ref, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.served < 0 {
		return Ref{}, false
	}
	return l.refs[l.served], true
}

// Changes forwards the layers' signals. Closed by Close.
func (l *Layered) Changes() <-chan struct{} { return l.changes }

// Static reports true when every layer is static.
func (l *Layered) Static() bool {
	for _, d := range l.drivers {
		if s, ok := d.(driver.Static); !ok || !s.Static() {
			return false
		}
	}
	return true
}

// Release passes a version back to the layer that served it.
func (l *Layered) Release(version string) {
	pos, inner, ok := strings.Cut(version, ":")
	i, err := strconv.Atoi(pos)
	if !ok || err != nil || i < 0 || i >= len(l.drivers) {
		return
	}
	if r, ok := l.drivers[i].(driver.Releaser); ok {
		r.Release(inner)
	}
}

// Close closes every layer, waits for the forwarders and closes Changes.
// Idempotent.
func (l *Layered) Close() error {
	var err error
	l.closeOnce.Do(func() {
		err = l.closeDrivers()
		l.wg.Wait()
		close(l.changes)
	})
	return err
}

func (l *Layered) closeDrivers() error {
	var errs []error
	for i, d := range l.drivers {
		if err := d.Close(); err != nil {
			errs = append(errs, fmt.Errorf("from[%d] (%s): %w", i, l.refs[i].Scheme, err))
		}
	}
	return errors.Join(errs...)
}
