// Package env provides secrets read from environment variables:
//
//	env://DATABASE_URL
//
// The host names the variable. A variable is read once, when the driver is
// opened, and never changes afterwards: the driver implements driver.Static,
// so the store never polls it. Rotating an environment secret means
// restarting the process.
package env

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sync/atomic"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

// Opener opens env:// references. The zero value reads the process
// environment. Safe for concurrent use once constructed.
type Opener struct {
	// Lookup reads one variable; nil means os.LookupEnv. Tests set it so
	// they never touch the process environment.
	Lookup func(name string) (string, bool)
}

var _ secret.Opener = (*Opener)(nil)

var namePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// OpenSecret validates ref and reads the variable it names. A missing
// variable does not fail the open: Fetch reports it as driver.ErrNotFound,
// so the store can treat optional secrets alike for every provider. A
// malformed reference is an error wrapping driver.ErrInvalid.
func (o *Opener) OpenSecret(ctx context.Context, ref secret.Ref) (driver.Driver, error) {
	if err := validate(ref); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lookup := os.LookupEnv
	if o != nil && o.Lookup != nil {
		lookup = o.Lookup
	}
	d := &Driver{name: ref.Host}
	if v, ok := lookup(ref.Host); ok {
		d.data = []byte(v)
	} else {
		d.err = fmt.Errorf("env variable %q: %w", ref.Host, driver.ErrNotFound)
	}
	return d, nil
}

// validate checks that ref is exactly env://NAME. Messages name the problem
// and never echo the reference, which may hold a misplaced credential.
func validate(ref secret.Ref) error {
	if ref.Host == "" {
		return fmt.Errorf("env reference needs a variable name (env://NAME): %w", driver.ErrInvalid)
	}
	if !namePattern.MatchString(ref.Host) {
		return fmt.Errorf("env variable name must match [A-Za-z_][A-Za-z0-9_]*: %w", driver.ErrInvalid)
	}
	if ref.Path != "" {
		return fmt.Errorf("env reference %q must not have a path: %w", ref.Host, driver.ErrInvalid)
	}
	if err := ref.CheckParams(); err != nil {
		return fmt.Errorf("%w: %w", err, driver.ErrInvalid)
	}
	return nil
}

// Driver serves one environment variable as read at open time. Safe for
// concurrent use.
type Driver struct {
	name   string
	data   []byte // nil when err is set
	err    error  // set when the variable was missing at open
	closed atomic.Bool
}

var (
	_ driver.Driver = (*Driver)(nil)
	_ driver.Static = (*Driver)(nil)
)

// Fetch returns a copy of the value read at open. It never blocks.
func (d *Driver) Fetch(ctx context.Context) (driver.Snapshot, error) {
	if d.closed.Load() {
		return driver.Snapshot{}, fmt.Errorf("env variable %q: %w", d.name, driver.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return driver.Snapshot{}, fmt.Errorf("env variable %q: %w", d.name, err)
	}
	if d.err != nil {
		return driver.Snapshot{}, d.err
	}
	return driver.Snapshot{Data: append([]byte{}, d.data...)}, nil
}

// Static reports true: the environment is fixed for the process lifetime.
func (d *Driver) Static() bool { return true }

// Close marks the driver closed. Idempotent; there is nothing to wait for.
func (d *Driver) Close() error {
	d.closed.Store(true)
	return nil
}
