// Package source defines what tools need from a data source. Each kind lives
// in its own package and arrives as one Kind value registered where the
// binary is assembled: it owns its config keys, its ping and its hot swap
// when a secret it uses rotates (Live). No other package names a kind.
package source

import (
	"context"
	"time"

	"github.com/hushmcp/hush/secret"
)

// Source is an opened data source.
type Source interface {
	// Ping checks the connection with a cheap round trip.
	Ping(ctx context.Context) error
	// State reports the source's health without touching the network.
	State() State
	// Close releases the source after in-flight calls finish. Idempotent.
	Close() error
}

// SQL is a source that runs statements.
type SQL interface {
	Source
	// Query runs q and returns at most q.MaxRows rows holding at most
	// q.MaxBytes (Result.Add decides). Args are always bound as parameters. With q.ReadOnly the statement runs in a read-only
	// transaction, so the database itself rejects writes.
	Query(ctx context.Context, q Query) (*Result, error)
}

// Query is one statement execution.
type Query struct {
	SQL      string
	Args     []any
	ReadOnly bool
	MaxRows  int // 0: no limit
	MaxBytes int // cap on the rows' size as JSON (ValueSize); 0: no limit
}

// Result is a statement's rows, with values converted to JSON-friendly types
// (string, int64, float64, bool, nil; time as RFC 3339; bytes as base64).
// Booleans come back as bool where the database has a boolean type; SQLite
// stores them as integers, so an expression there yields int64 1 or 0.
type Result struct {
	Columns   []string `json:"columns"`
	Rows      [][]any  `json:"rows"`
	Truncated bool     `json:"truncated"` // more rows existed than MaxRows or MaxBytes allowed
	size      int      // the rows' size so far, as ValueSize counts
}

// Full reports, before the next row is read, whether q's row cap is
// reached; it then marks the result truncated.
func (r *Result) Full(q Query) bool {
	if q.MaxRows > 0 && len(r.Rows) >= q.MaxRows {
		r.Truncated = true
		return true
	}
	return false
}

// Add appends row unless it would take the result past q.MaxBytes; then it
// marks the result truncated and returns false, and the source stops
// reading. A source holds at most one row beyond the cap in memory.
func (r *Result) Add(row []any, q Query) bool {
	n := ValueSize(row)
	if q.MaxBytes > 0 && r.size+n > q.MaxBytes {
		r.Truncated = true
		return false
	}
	r.size += n
	r.Rows = append(r.Rows, row)
	return true
}

// State is a source's health as known without a round trip.
type State struct {
	Status    string    // "ok", "degraded" (a rotation failed; still on the old credentials) or "closed"
	Secrets   []string  // names of the secrets this source uses
	LastSwap  time.Time // when credentials were last swapped in; zero if never
	LastError string    // class of the last swap error; empty if none
}

// Secrets is what a source needs from the secret store (*secret.Store).
type Secrets interface {
	// Pin reads the named secrets once, consistently, and holds those
	// versions until the Pin is released.
	Pin(names ...string) (*secret.Pin, error)
	Subscribe(names ...string) (<-chan secret.Event, func())
}
