package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/hushmcp/hush/secret/driver"
)

// MaxSize is the largest secret accepted, in bytes of its JSON document.
const MaxSize = 1 << 20

// Driver serves one vault:// reference. Safe for concurrent use. Its loop
// (one goroutine, ended by Close) signals KV refreshes and renews the lease
// it holds, if any; Release revokes replaced leases in goroutines that Close
// waits for.
type Driver struct {
	c       *client
	t       target
	changes chan struct{} // to the store: re-fetch
	kick    chan struct{} // to the loop: plan again

	ctx       context.Context // ends with Close
	cancel    context.CancelFunc
	loopDone  chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup // revocations

	fetchMu sync.Mutex // one read at a time: a lease is obtained once
	mu      sync.Mutex
	closed  bool
	failed  bool              // the last read failed: the store is retrying
	cur     *lease            // the lease held, nil for a KV secret
	retired map[string]*lease // replaced leases, until Release or Close
}

func newDriver(c *client, t target) *Driver {
	ctx, cancel := context.WithCancel(c.ctx)
	d := &Driver{
		c: c, t: t, changes: make(chan struct{}, 1), kick: make(chan struct{}, 1),
		ctx: ctx, cancel: cancel, loopDone: make(chan struct{}), retired: map[string]*lease{},
	}
	go d.run()
	return d
}

// Fetch returns the secret's data as a JSON object. For a leased secret it
// returns the held lease while that is good, and obtains a new one when
// there is none, it expired, or the loop asked for a replacement.
func (d *Driver) Fetch(ctx context.Context) (driver.Snapshot, error) {
	if err := d.usable(ctx); err != nil {
		return driver.Snapshot{}, err
	}
	ctx, stop := d.bind(ctx)
	defer stop()
	d.fetchMu.Lock()
	defer d.fetchMu.Unlock()
	if snap, ok := d.held(ctx); ok {
		return snap, nil
	}
	snap, l, err := d.read(ctx)
	d.setFailed(err != nil)
	switch {
	case d.isClosed():
		d.revokeNow(l)
		return driver.Snapshot{}, fmt.Errorf("vault %q: %w", d.t, driver.ErrClosed)
	case err != nil:
		return driver.Snapshot{}, err
	case l != nil:
		d.hold(l)
	}
	return snap, nil
}

func (d *Driver) usable(ctx context.Context) error {
	if d.isClosed() {
		return fmt.Errorf("vault %q: %w", d.t, driver.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("vault %q: %w", d.t, err)
	}
	return nil
}

func (d *Driver) setFailed(failed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failed = failed
}

func (d *Driver) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}

// bind returns ctx cancelled also by Close, so Close never waits for a slow
// Vault.
func (d *Driver) bind(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(d.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// read asks Vault. It returns the lease to hold when the answer has one.
func (d *Driver) read(ctx context.Context) (driver.Snapshot, *lease, error) {
	path, v2, err := d.c.readPath(ctx, d.t)
	if err != nil {
		return driver.Snapshot{}, nil, err
	}
	var params map[string][]string
	if d.t.version > 0 {
		params = map[string][]string{"version": {strconv.Itoa(d.t.version)}}
	}
	// A lease's clock starts when Vault grants it, before the answer
	// travels back: count from the request, never later than Vault does.
	sent := time.Now()
	sec, gen, err := d.c.readGen(ctx, path, params)
	if err != nil {
		return driver.Snapshot{}, nil, err
	}
	data, version, err := extract(sec, v2, path)
	if err != nil {
		return driver.Snapshot{}, nil, err
	}
	if sec.LeaseID == "" {
		return driver.Snapshot{Data: data, Version: version}, nil, nil
	}
	l := newLease(sec, data, gen, sent)
	return l.snapshot(), l, nil
}

// extract returns the secret's fields as a JSON object and its KV v2
// version. KV v2 wraps them in data.data; a deleted or destroyed version
// comes back (with a 404) without them.
func extract(sec *api.Secret, v2 bool, path string) ([]byte, string, error) {
	if sec == nil {
		return nil, "", fmt.Errorf("vault read %q: %w", path, driver.ErrNotFound)
	}
	fields, version := sec.Data, ""
	if v2 {
		fields, _ = sec.Data["data"].(map[string]any)
		if md, ok := sec.Data["metadata"].(map[string]any); ok {
			if n, ok := md["version"].(json.Number); ok {
				version = n.String()
			}
		}
	}
	if fields == nil {
		return nil, "", fmt.Errorf("vault read %q: %w", path, driver.ErrNotFound)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(fields); err != nil {
		return nil, "", fmt.Errorf("vault read %q: fields are not JSON: %w", path, driver.ErrInvalid)
	}
	if buf.Len() > MaxSize {
		return nil, "", fmt.Errorf("vault read %q: %d bytes: %w", path, buf.Len(), driver.ErrTooLarge)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), version, nil
}

// Changes signals after a KV refresh period, a lease renewal (a later
// ExpiresAt) and when new credentials are wanted. Closed by Close.
func (d *Driver) Changes() <-chan struct{} { return d.changes }

// signal never blocks: one pending signal is enough, the store re-fetches.
// Only the loop sends, and Close closes the channel after the loop ended.
func (d *Driver) signal() {
	select {
	case d.changes <- struct{}{}:
	default:
	}
}

func (d *Driver) wake() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Static reports true for a pinned KV v2 version, which never changes.
func (d *Driver) Static() bool { return d.t.version > 0 }

// Close stops the loop, lets an in-flight Fetch end, revokes the leases
// still held (unless revoke_on_shutdown is false) and waits for
// revocations started by Release. Idempotent.
func (d *Driver) Close() error {
	d.closeOnce.Do(func() {
		d.mu.Lock()
		d.closed = true
		d.mu.Unlock()
		d.cancel()
		<-d.loopDone
		d.fetchMu.Lock()
		d.revokeHeld()
		d.fetchMu.Unlock()
		d.wg.Wait()
		close(d.changes)
	})
	return nil
}
