package source

import (
	"errors"

	"github.com/hushmcp/hush/secret"
)

// Spec is what every source kind needs from its config entry to open.
type Spec struct {
	Name     string // the source's name in config; used in errors and logs
	DSN      string // connection template; credentials enter only as ${secret:NAME}
	MaxConns int    // pool size; 0: the kind's default
	Seed     string // sqlite: SQL file that creates the database when its file does not exist
}

// Secrets returns the names of the secrets the DSN refers to, in order.
func (s Spec) Secrets() []string { return secret.Refs(s.DSN) }

// ErrClosed is returned by calls on a closed source.
var ErrClosed = errors.New("source closed")
