package secret

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/hushmcp/hush/secret/driver"
)

// Opener opens a driver for a reference of the scheme it is registered for.
// It validates the reference (host, path, query via Ref.CheckParams) and
// returns an error wrapping driver.ErrInvalid for a bad one.
type Opener interface {
	OpenSecret(ctx context.Context, ref Ref) (driver.Driver, error)
}

// OpenerFunc adapts a function to Opener.
type OpenerFunc func(ctx context.Context, ref Ref) (driver.Driver, error)

// OpenSecret calls f.
func (f OpenerFunc) OpenSecret(ctx context.Context, ref Ref) (driver.Driver, error) {
	return f(ctx, ref)
}

// Mux maps schemes to openers. There is no global Mux: the server builds one
// and tests build their own. Safe for concurrent use.
type Mux struct {
	mu      sync.RWMutex
	openers map[string]Opener
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{openers: map[string]Opener{}} }

// Register adds o for scheme. It panics on a duplicate scheme: that is a
// programming error, not input.
func (m *Mux) Register(scheme string, o Opener) {
	m.mu.Lock()
	defer m.mu.Unlock()
	scheme = strings.ToLower(scheme)
	if _, dup := m.openers[scheme]; dup {
		panic("secret: scheme registered twice: " + scheme)
	}
	m.openers[scheme] = o
}

// Schemes lists the registered schemes, sorted.
func (m *Mux) Schemes() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := make([]string, 0, len(m.openers))
	for k := range m.openers {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// Open opens a driver for ref. An unknown scheme is an error wrapping
// driver.ErrInvalid that lists the valid schemes.
func (m *Mux) Open(ctx context.Context, ref Ref) (driver.Driver, error) {
	m.mu.RLock()
	o, ok := m.openers[ref.Scheme]
	m.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown scheme %q (valid: %s): %w",
			ref.Scheme, strings.Join(m.Schemes(), ", "), driver.ErrInvalid)
	}
	return o.OpenSecret(ctx, ref)
}
