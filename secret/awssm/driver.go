package awssm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/hushmcp/hush/secret/driver"
)

// requestTimeout bounds a refresh the driver starts itself.
const requestTimeout = 10 * time.Second

// keepVersions is how many values a driver keeps: the current one and a
// few it served before, so a label moving back (a rollback) costs no read.
const keepVersions = 4

// Driver serves one awssm:// reference. Safe for concurrent use. Its loop
// (one goroutine, ended by Close) refreshes the label's version id when
// due and signals when it moved.
type Driver struct {
	api   *secretsmanager.Client
	t     target
	ttl   time.Duration
	force time.Duration // least time between forced refreshes
	log   *slog.Logger

	changes chan struct{} // to the store: fetch again
	kick    chan struct{} // to the loop: plan again

	ctx       context.Context // ends with Close
	cancel    context.CancelFunc
	loopDone  chan struct{}
	closeOnce sync.Once

	fetchMu sync.Mutex // one exchange with Secrets Manager at a time
	mu      sync.Mutex // guards closed and st
	closed  bool
	st      state
}

// state is what the driver knows of its secret.
type state struct {
	current   string            // version id the label maps to ("" until known)
	pendingID string            // AWSPENDING's version at the last refresh, if another
	values    map[string][]byte // immutable values by version id
	order     []string          // ids in values, oldest first
	err       error             // the last refresh's failure; nil after a success
	attempted bool              // a refresh has finished
	failures  int               // refreshes failed in a row
	due       time.Time         // when the loop refreshes next
	forcedAt  time.Time         // when a forced refresh last ran
	deferred  bool              // a force waits for the interval to end
	pending   bool              // the loop signalled a change the store has not fetched
}

func newDriver(api *secretsmanager.Client, t target, cfg Config, log *slog.Logger) *Driver {
	ctx, cancel := context.WithCancel(context.Background())
	d := &Driver{
		api: api, t: t, ttl: cfg.RefreshTTL, force: cfg.ForcedRefreshInterval, log: log,
		changes: make(chan struct{}, 1), kick: make(chan struct{}, 1),
		ctx: ctx, cancel: cancel, loopDone: make(chan struct{}),
		st: state{values: map[string][]byte{}},
	}
	go d.run()
	return d
}

// Fetch returns the value the label maps to. It asks Secrets Manager only
// when the driver has not yet, when a refresh is due, or when nobody asked
// lately and the driver did not signal (a consumer forcing a refresh);
// otherwise it serves the cached value, or the last refresh's error.
func (d *Driver) Fetch(ctx context.Context) (driver.Snapshot, error) {
	if err := d.usable(ctx); err != nil {
		return driver.Snapshot{}, err
	}
	ctx, stop := d.bind(ctx)
	defer stop()
	d.fetchMu.Lock()
	defer d.fetchMu.Unlock()
	if d.isClosed() {
		return driver.Snapshot{}, d.errClosed()
	}
	refresh := d.shouldRefresh(time.Now())
	defer d.wake() // the refresh, or a deferred force, moved the plan
	if refresh {
		err := d.refresh(ctx)
		switch {
		case d.isClosed():
			return driver.Snapshot{}, d.errClosed()
		case err != nil:
			return driver.Snapshot{}, err
		}
	}
	return d.snapshot()
}

func (d *Driver) usable(ctx context.Context) error {
	if d.isClosed() {
		return d.errClosed()
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("awssm %q: %w", d.t, err)
	}
	return nil
}

func (d *Driver) errClosed() error { return fmt.Errorf("awssm %q: %w", d.t, driver.ErrClosed) }

func (d *Driver) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}

// bind returns ctx cancelled also by Close, so Close never waits for a slow
// Secrets Manager.
func (d *Driver) bind(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(d.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// shouldRefresh decides whether this Fetch asks Secrets Manager. A Fetch
// that follows the driver's own signal serves what the loop found. Any
// other Fetch after the first is a consumer's: it refreshes at once unless
// another did within the forced-refresh interval; then the loop refreshes
// when the interval ends.
func (d *Driver) shouldRefresh(now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := &d.st
	switch {
	case d.t.version != "":
		return st.err != nil || st.values[d.t.version] == nil
	case st.pending:
		st.pending = false
		return false
	case !st.attempted || !now.Before(st.due):
		st.takeDeferred(now)
		return true
	case now.Sub(st.forcedAt) >= d.force:
		st.forcedAt, st.deferred = now, false
		return true
	}
	st.due, st.deferred = earliest(st.due, st.forcedAt.Add(d.force)), true
	return false
}

// takeDeferred starts the interval again when a due refresh carries out a
// deferred force, so that forces keep to one per interval.
func (st *state) takeDeferred(now time.Time) {
	if st.deferred {
		st.forcedAt, st.deferred = now, false
	}
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// snapshot returns the current value, or the last refresh's error.
func (d *Driver) snapshot() (driver.Snapshot, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st.err != nil {
		return driver.Snapshot{}, d.st.err
	}
	v := d.st.values[d.st.current]
	return driver.Snapshot{Data: append([]byte(nil), v...), Version: d.st.current}, nil
}

// refresh finds the version the label maps to, makes sure its value is
// cached, and records the outcome. When ctx was cancelled first (the caller
// gave up, or Close) it records nothing and returns the error: Secrets
// Manager did not fail. A deadline that passed is recorded like any
// failure, so the loop retries it.
func (d *Driver) refresh(ctx context.Context) error {
	v, err := d.resolve(ctx)
	if err == nil {
		err = d.load(ctx, v.id)
	}
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		return err
	}
	d.record(v, err, time.Now())
	return nil
}

// versions is what a refresh learns: the label's version, and the version
// labelled AWSPENDING when a rotation is under way.
type versions struct{ id, pending string }

// resolve finds the version id carrying the label (DescribeSecret), or
// the pinned version.
func (d *Driver) resolve(ctx context.Context) (versions, error) {
	if d.t.version != "" {
		return versions{id: d.t.version}, nil
	}
	out, err := d.api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(d.t.id)})
	if err != nil {
		return versions{}, classify("DescribeSecret", d.t.id, err)
	}
	if out.DeletedDate != nil {
		return versions{}, fmt.Errorf("awssm %q: scheduled for deletion: %w", d.t, driver.ErrNotFound)
	}
	v := versions{id: holder(out.VersionIdsToStages, d.t.stage)}
	if v.id == "" {
		return v, fmt.Errorf("awssm %q: no version is labelled %s: %w", d.t, d.t.stage, driver.ErrNotFound)
	}
	if p := holder(out.VersionIdsToStages, pendingStage); d.t.stage == DefaultStage && p != v.id {
		v.pending = p
	}
	return v, nil
}

// holder returns the version carrying stage. A label sits on one version;
// should two claim it, the choice is at least stable.
func holder(stages map[string][]string, stage string) string {
	ids := make([]string, 0, len(stages))
	for id := range stages {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		for _, s := range stages[id] {
			if s == stage {
				return id
			}
		}
	}
	return ""
}

// load caches the value of version id unless it is cached already: a
// version's value never changes.
func (d *Driver) load(ctx context.Context, id string) error {
	d.mu.Lock()
	_, ok := d.st.values[id]
	d.mu.Unlock()
	if ok {
		return nil
	}
	out, err := d.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(d.t.id), VersionId: aws.String(id)})
	if err != nil {
		return classify("GetSecretValue", d.t.id, err)
	}
	v, err := valueOf(d.t, out)
	if err != nil {
		return err
	}
	d.cache(id, v)
	return nil
}

// valueOf returns SecretString's bytes or SecretBinary's.
func valueOf(t target, out *secretsmanager.GetSecretValueOutput) ([]byte, error) {
	var v []byte
	switch {
	case out.SecretString != nil:
		v = []byte(*out.SecretString)
	case out.SecretBinary != nil:
		v = append([]byte(nil), out.SecretBinary...)
	default:
		return nil, fmt.Errorf("awssm %q: version holds no value: %w", t, driver.ErrInvalid)
	}
	if len(v) > MaxSize {
		return nil, fmt.Errorf("awssm %q: %d bytes (max %d): %w", t, len(v), MaxSize, driver.ErrTooLarge)
	}
	return v, nil
}

// cache keeps v for id, dropping the oldest values beyond keepVersions
// but never the current one.
func (d *Driver) cache(id string, v []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.values[id] = v
	d.st.order = append(d.st.order, id)
	for i := 0; len(d.st.order) > keepVersions && i < len(d.st.order); {
		if old := d.st.order[i]; old != d.st.current && old != id {
			delete(d.st.values, old)
			d.st.order = append(d.st.order[:i], d.st.order[i+1:]...)
			continue
		}
		i++
	}
}

// record stores a refresh's outcome and plans the next one: at a random
// point in [TTL/2, TTL) after a success, with backoff after a failure.
func (d *Driver) record(v versions, err error, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := &d.st
	st.attempted = true
	if err != nil {
		st.err = err
		st.failures++
		st.due = now.Add(retryDelay(st.failures, d.ttl))
		return
	}
	st.current, st.pendingID, st.err, st.failures = v.id, v.pending, nil, 0
	st.due = now.Add(refreshDelay(d.ttl))
}

// pendingStage labels the version a rotation is creating.
const pendingStage = "AWSPENDING"

// Pending returns the value labelled AWSPENDING while a rotation is
// between createSecret and finishSecret, for a reference to AWSCURRENT:
// the credential the rotation function sets in the service before
// AWSCURRENT moves to it. A consumer whose current credential was just
// rejected may try it before declaring itself degraded (driver.Pender;
// secret.Store.RefreshRejected offers it). It uses the labels
// of the last refresh, so call it after a forced one (the store's
// Refresh); the value is read by version id, once. ok is false when no
// rotation is under way.
func (d *Driver) Pending(ctx context.Context) (snap driver.Snapshot, ok bool, err error) {
	if err := d.usable(ctx); err != nil {
		return driver.Snapshot{}, false, err
	}
	ctx, stop := d.bind(ctx)
	defer stop()
	d.fetchMu.Lock()
	defer d.fetchMu.Unlock()
	d.mu.Lock()
	id := d.st.pendingID
	d.mu.Unlock()
	if id == "" {
		return driver.Snapshot{}, false, nil
	}
	if err := d.load(ctx, id); err != nil {
		return driver.Snapshot{}, false, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return driver.Snapshot{Data: append([]byte(nil), d.st.values[id]...), Version: id}, true, nil
}

// Changes signals when a scheduled refresh found the label on another
// version, or its outcome changed between success and failure. Closed by
// Close.
func (d *Driver) Changes() <-chan struct{} { return d.changes }

// Static reports true for a pinned ?version=, which never changes.
func (d *Driver) Static() bool { return d.t.version != "" }

// Close stops the loop, lets an in-flight Fetch end (cancelling its
// request) and closes Changes. Idempotent.
func (d *Driver) Close() error {
	d.closeOnce.Do(func() {
		d.mu.Lock()
		d.closed = true
		d.mu.Unlock()
		d.cancel()
		<-d.loopDone
		d.fetchMu.Lock()
		defer d.fetchMu.Unlock()
		close(d.changes)
	})
	return nil
}
