package secret

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hushmcp/hush/config/section"
)

// Configurer is an Opener with a top-level block of its own in hush.yaml,
// named after its scheme (vault:, awssm:). Openers that hold a client shared
// by many secrets (one authenticated Vault or AWS client) implement it.
type Configurer interface {
	Opener
	// BlockKeys lists the keys the block may hold.
	BlockKeys() []string
	// DecodeBlock reads the block at config load. It does no I/O.
	DecodeBlock(r section.Reader) any
	// Configure runs at start-up, before any secret is opened, with what
	// DecodeBlock returned, or nil when the file has no block.
	Configure(ctx context.Context, block any) error
}

// Configurer returns the opener registered for scheme if it takes a block.
func (m *Mux) Configurer(scheme string) (Configurer, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.openers[scheme].(Configurer)
	return c, ok
}

// Configure calls Configure on every Configurer, in scheme order, with its
// block from blocks (keyed by scheme). It reports every failure.
func (m *Mux) Configure(ctx context.Context, blocks map[string]any) error {
	var errs []error
	for _, scheme := range m.Schemes() {
		c, ok := m.Configurer(scheme)
		if !ok {
			continue
		}
		if err := c.Configure(ctx, blocks[scheme]); err != nil {
			errs = append(errs, fmt.Errorf("configure %s: %w", scheme, err))
		}
	}
	return errors.Join(errs...)
}

// Close closes every opener that is an io.Closer. Call it after the stores
// that use the mux are closed.
func (m *Mux) Close() error {
	var errs []error
	for _, scheme := range m.Schemes() {
		m.mu.RLock()
		c, ok := m.openers[scheme].(io.Closer)
		m.mu.RUnlock()
		if ok {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close %s: %w", scheme, err))
			}
		}
	}
	return errors.Join(errs...)
}
