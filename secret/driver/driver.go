// Package driver defines the interface a secret provider implements.
//
// A provider is small on purpose: it fetches bytes and, optionally, says when
// they may have changed. The portable layer in package secret owns caching,
// the last good value, validation, health, JSON field selection and error
// wrapping, so every provider behaves the same way to its users.
//
// # Contract
//
//   - Fetch returns the secret's current bytes. It is safe for concurrent use,
//     honours ctx, and never puts any part of the value in an error.
//     A missing secret is reported with an error that wraps ErrNotFound; other
//     failures wrap the most precise code below. A provider never returns a
//     half-written value: it returns the old or the new one.
//   - Snapshot.Version is the provider's own version id (KV version, lease id,
//     version id). Leave it empty and the store derives a keyed fingerprint.
//   - A provider whose value can change and that can notice it implements
//     Watcher. Changes delivers a signal (not a value) after the secret may have
//     changed; the store then calls Fetch. Signals may be coalesced or spurious;
//     sends never block the provider. The channel is closed by Close.
//   - Snapshot.ExpiresAt is the lease's end. The store fetches a leased
//     value again at about two thirds of its remaining lease (whether or not
//     the driver watches), and retries failures with bounded backoff; Fetch
//     then returns a renewed lease (same version, later expiry) or a new one.
//   - A provider whose value cannot change for the life of the process (env)
//     implements Static; the store then never polls it.
//   - Close releases everything the driver started and waits for it to end.
//     It is idempotent; Fetch after Close returns ErrClosed.
package driver

import (
	"context"
	"errors"
	"time"
)

// Driver fetches one secret from one place.
type Driver interface {
	// Fetch reads the current value. See the package contract.
	Fetch(ctx context.Context) (Snapshot, error)
	// Close stops the driver. Idempotent; waits for its goroutines.
	Close() error
}

// Watcher is implemented by drivers that notice changes themselves.
type Watcher interface {
	// Changes returns a channel that receives after the secret may have
	// changed. The same channel is returned on every call.
	Changes() <-chan struct{}
}

// Static is implemented by drivers whose value never changes.
type Static interface {
	// Static reports true when the value is fixed for the process lifetime.
	Static() bool
}

// Snapshot is one fetched version of a secret.
type Snapshot struct {
	Data      []byte    // the secret bytes; the caller owns them
	Version   string    // provider version id; empty: store fingerprints Data
	ExpiresAt time.Time // lease expiry; zero when not leased
}

// Error codes. Providers wrap exactly one of these so that callers can use
// errors.Is and health reports can name an error class without a message.
var (
	ErrNotFound    = errors.New("not found")
	ErrPermission  = errors.New("permission denied")
	ErrTooLarge    = errors.New("too large")
	ErrUnavailable = errors.New("unavailable")
	ErrInvalid     = errors.New("invalid")
	ErrClosed      = errors.New("closed")
)

// Class names the error class of err for health reports and logs: one of
// "not_found", "permission", "too_large", "unavailable", "invalid", "closed",
// "timeout", "canceled" or "other". It never includes message text.
func Class(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrPermission):
		return "permission"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrUnavailable):
		return "unavailable"
	case errors.Is(err, ErrInvalid):
		return "invalid"
	case errors.Is(err, ErrClosed):
		return "closed"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "other"
}

// Releaser is implemented by drivers whose versions hold something to give
// back, such as a lease. The store calls Release once per version, after
// the version has stopped being current and every consumer that pinned it
// (a source's client, until it has drained) has let go; never for the
// current version. A version that becomes current again (a rollback) is in
// use anew and is released again when it stops. Release must not block for
// long, nor call back into the store (the secret's state is held still
// while it runs); what goes wrong there is the driver's to log.
type Releaser interface {
	Release(version string)
}

// Pender is implemented by drivers whose secret may hold a value about to
// become current: AWS Secrets Manager's AWSPENDING between a rotation's
// createSecret and finishSecret, when the service protected by the secret
// may already accept only the new credential. Pending returns that value
// (ok false when there is none), judged by what the driver last learnt
// from its provider, so call it after a Fetch. It is safe for concurrent
// use and never puts the value in an error. The store offers it only to a
// consumer whose current credential was rejected.
type Pender interface {
	Pending(ctx context.Context) (snap Snapshot, ok bool, err error)
}

// LeaseReporter is implemented by drivers that hold a lease they renew.
// LeaseStatus names the lease's state (e.g. "valid", "renewing",
// "replacing", "expiring", "expired"; empty when no lease is held) and
// whether renewals are failing, so health can tell a lease expiring as
// planned from one whose renewals fail. It must not block.
type LeaseReporter interface {
	LeaseStatus() (state string, renewalFailing bool)
}
