// Package file provides secrets read from files, including Kubernetes Secret
// and ConfigMap volume mounts:
//
//	file:///run/secrets/db/password
//	file:///run/secrets/db.json#password
//
// # Watching
//
// The driver watches the file's directory, not the file: kubelet replaces a
// mounted volume's content by swapping the ..data symlink, which leaves the
// visible file's own inotify watch dead after the first update, and editors
// save by renaming a new file over the old one, which does the same. Any
// event on the file's name, on ..data, ..data_tmp or a ..<timestamp>
// directory starts a debounce timer; when events have been quiet for
// Opener.Debounce the file is re-read through its visible path and a signal
// is sent on Changes if its content fingerprint (or error class) differs from
// the last one seen. A periodic poll does the same check as a safety net, for
// lost events, for files that are symlinks into other directories, and as the
// only mechanism when the directory cannot be watched (it does not exist yet,
// or inotify limits are reached); the watch is retried on every poll.
//
// # Partial values
//
// Kubelet and rename-based writers replace the file atomically, so a read
// sees the old or the new content. A writer that truncates and rewrites the
// file in place is not atomic, and a read can catch it half-way. Two
// mitigations keep such a value from reaching the store: events are
// debounced, so the re-read happens only after the writer has been quiet for
// a while; and every read is repeated until two consecutive reads agree
// (a few attempts, a short pause apart), failing with driver.ErrUnavailable
// when they never do, so the store keeps serving the last good value. This
// narrows the window to a writer that pauses mid-write for longer than the
// debounce; use an atomic rename when you control the writer.
//
// # subPath mounts
//
// A Kubernetes subPath mount bind-mounts one file by inode and never sees
// updates. When the file sits in a directory that has a ..data entry but is
// not a symlink into ..data, the opener logs a warning saying so.
package file

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

// Defaults and limits.
const (
	DefaultPollInterval = 30 * time.Second
	DefaultDebounce     = 100 * time.Millisecond
	// MaxSize is the largest secret file accepted, in bytes.
	MaxSize = 1 << 20
)

// Opener opens file:// references. The zero value is ready to use; it is
// safe for concurrent use as long as its fields are not modified.
type Opener struct {
	Logger       *slog.Logger  // warnings about mounts and watches; nil: discard
	PollInterval time.Duration // safety-net re-check period; 0: DefaultPollInterval
	Debounce     time.Duration // quiet time after events before re-reading; 0: DefaultDebounce
}

var _ secret.Opener = (*Opener)(nil)

// OpenSecret validates ref, starts watching the file's directory and
// returns the driver. A missing file does not fail the open: Fetch reports
// it as driver.ErrNotFound and a signal follows when it appears. A bad
// reference is an error wrapping driver.ErrInvalid.
func (o *Opener) OpenSecret(ctx context.Context, ref secret.Ref) (driver.Driver, error) {
	path, err := validate(ref)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d := newDriver(path, o.withDefaults())
	d.warnSubPath()
	d.start()
	return d, nil
}

func (o *Opener) withDefaults() Opener {
	var c Opener
	if o != nil {
		c = *o
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Debounce <= 0 {
		c.Debounce = DefaultDebounce
	}
	return c
}

// validate returns the cleaned absolute path of ref. Messages never echo
// the reference's host, which may hold a misplaced credential.
func validate(ref secret.Ref) (string, error) {
	if ref.Host != "" || !filepath.IsAbs(ref.Path) {
		return "", fmt.Errorf("file reference needs an absolute path, file:///abs/path (relative paths are not allowed): %w",
			driver.ErrInvalid)
	}
	path := filepath.Clean(ref.Path)
	if path == string(filepath.Separator) {
		return "", fmt.Errorf("file reference must name a file, not the root directory: %w", driver.ErrInvalid)
	}
	if err := ref.CheckParams(); err != nil {
		return "", fmt.Errorf("%w: %w", err, driver.ErrInvalid)
	}
	return path, nil
}

// Driver serves one file and signals when it may have changed. Fetch is
// safe for concurrent use; a single goroutine, owned by the driver and
// ended by Close, watches and polls.
type Driver struct {
	path, dir, base string
	log             *slog.Logger
	poll, debounce  time.Duration

	changes chan struct{}
	ctx     context.Context // canceled by Close: ends the loop and its reads
	cancel  context.CancelFunc
	done    chan struct{}
	closed  atomic.Bool
	once    sync.Once
	err     error // from closing the watcher, returned by Close

	// Owned by the loop goroutine once started.
	w          *fsnotify.Watcher
	watching   bool   // the directory is watched
	watchKnown bool   // watching has been set once, so changes are logged
	last       string // state of the file at the last check
}

var (
	_ driver.Driver  = (*Driver)(nil)
	_ driver.Watcher = (*Driver)(nil)
)

func newDriver(path string, o Opener) *Driver {
	ctx, cancel := context.WithCancel(context.Background())
	return &Driver{
		path: path, dir: filepath.Dir(path), base: filepath.Base(path),
		log: o.Logger.With("path", path), poll: o.PollInterval, debounce: o.Debounce,
		changes: make(chan struct{}, 1),
		ctx:     ctx, cancel: cancel, done: make(chan struct{}),
	}
}

// Fetch reads the file through its visible path. See the package doc for
// how partial writes are kept out.
func (d *Driver) Fetch(ctx context.Context) (driver.Snapshot, error) {
	if d.closed.Load() {
		return driver.Snapshot{}, fmt.Errorf("file %q: %w", d.path, driver.ErrClosed)
	}
	b, err := readStable(ctx, d.path)
	if err != nil {
		return driver.Snapshot{}, err
	}
	return driver.Snapshot{Data: b}, nil
}

// Changes returns the channel that receives after the file may have
// changed. It has a buffer of one and is closed by Close.
func (d *Driver) Changes() <-chan struct{} { return d.changes }

// Close stops the watch goroutine, waits for it, and closes Changes.
// Idempotent and safe for concurrent use.
func (d *Driver) Close() error {
	d.once.Do(func() {
		d.closed.Store(true)
		d.cancel()
		<-d.done
	})
	return d.err
}
