package secret

import (
	"context"
	"log/slog"
	"time"
)

// Options configure a Store.
type Options struct {
	Mux          *Mux          // required: resolves references
	Logger       *slog.Logger  // nil: discard
	Timeout      time.Duration // deadline to resolve all secrets at Open; default 10s
	PollInterval time.Duration // refresh for drivers that neither watch nor are static; default 1m
	History      int           // previous values kept for redaction; default 3
}

// Store resolves, validates and watches declared secrets and serves their
// last good values. Safe for concurrent use.
type Store struct{}

// Open resolves every declaration concurrently within opts.Timeout,
// validates every value against its rules, logs a presence summary line per
// secret, and starts watching. It returns a non-nil Store whenever opts are
// usable, even with an error, so callers (hush check) can report Health; the
// error joins one Problem per failure, covering all secrets at once. Callers
// must Close the store.
func Open(ctx context.Context, decls []Decl, opts Options) (*Store, error) {
	panic("TODO")
}

// Get returns the current (last good) value of name.
func (s *Store) Get(name string) (Value, bool) { panic("TODO") }

// Expand replaces every ${secret:NAME} in t with the current value.
func (s *Store) Expand(t string) (string, error) { panic("TODO") }

// Subscribe returns a channel of change events for the named secrets (all
// secrets when none are named) and a function that ends the subscription.
// Sends never block the store: a full channel drops the event, which is safe
// because an event only asks the consumer to re-read with Get.
func (s *Store) Subscribe(names ...string) (<-chan Event, func()) { panic("TODO") }

// Refresh fetches name now, for example after a consumer saw the credential
// rejected. It returns the fetch or validation error, if any.
func (s *Store) Refresh(ctx context.Context, name string) error { panic("TODO") }

// Health reports every declared secret, in declaration order.
func (s *Store) Health() []Health { panic("TODO") }

// Known returns the current and recent previous values of every secret, for
// building a redactor. The caller must not modify or log them.
func (s *Store) Known() [][]byte { panic("TODO") }

// Close stops every watcher and driver and waits for them. Idempotent.
func (s *Store) Close() error { panic("TODO") }
