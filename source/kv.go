package source

import (
	"context"
	"fmt"
	"time"
)

// MaxHashFields bounds how many fields HGetAll reads.
const MaxHashFields = 1000

// KV is a key-value source (CapKV): single-key commands on the current
// client. Tool kinds find it by type assertion. Keys and values are passed as
// they are, never parsed as patterns or commands. Every method honours
// ctx's deadline. A value over limit bytes is a *TooLargeError and is not
// returned; a server refusal the caller can act on (WRONGTYPE, a value that
// is not an integer) is a *ServerError; other errors name the source and
// wrap a driver error class.
type KV interface {
	Source
	// Get returns the string at key; found is false when key is absent.
	// The value is not transferred when it is over limit bytes.
	Get(ctx context.Context, key string, limit int64) (value string, found bool, err error)
	// Set stores value at key with a time to live (ttl > 0).
	Set(ctx context.Context, key, value string, ttl time.Duration) error
	// Del removes key and reports whether it existed.
	Del(ctx context.Context, key string) (bool, error)
	// HGet returns one field of the hash at key.
	HGet(ctx context.Context, key, field string, limit int64) (value string, found bool, err error)
	// HGetAll returns every field of the hash at key (none when absent), at
	// most MaxHashFields fields and limit bytes of names and values.
	HGetAll(ctx context.Context, key string, limit int64) (map[string]string, error)
	// Exists reports whether key exists.
	Exists(ctx context.Context, key string) (bool, error)
	// Incr adds 1 to the integer at key (0 when absent) and returns the
	// result.
	Incr(ctx context.Context, key string) (int64, error)
}

// ServerError is a key-value server refusing a command for a reason the
// caller can act on, such as WRONGTYPE or a value that is not an integer.
// Msg is the server's message with any credential of the source removed.
type ServerError struct {
	Source string
	Msg    string
}

func (e *ServerError) Error() string { return fmt.Sprintf("source %q: %s", e.Source, e.Msg) }

// TooLargeError reports a stored value over the limit a call allowed; the
// value itself was not read, or was dropped.
type TooLargeError struct {
	Size, Limit int64
	What        string // "value", "hash" or "field count"
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is %d, over the limit of %d", e.What, e.Size, e.Limit)
}
