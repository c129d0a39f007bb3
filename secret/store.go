package secret

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hushmcp/hush/secret/driver"
)

// Options configure a Store.
type Options struct {
	Mux          *Mux          // required: resolves references
	Logger       *slog.Logger  // nil: discard
	Timeout      time.Duration // deadline to resolve all secrets at Open, and for each refresh; default 10s
	PollInterval time.Duration // refresh for drivers that neither watch nor are static, and the longest retry delay; default 1m
	History      int           // distinct previous values kept for redaction (pinned ones are kept besides); default 3
	// OnChange, when set, runs after a new value is installed and before
	// any subscriber hears of it, on the goroutine that installed it: the
	// redactor learns a value before a source can use it. It must be quick
	// and must not call back into anything that waits for the store.
	OnChange func(*Store)
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Minute
	}
	if o.History <= 0 {
		o.History = 3
	}
	return o
}

// Store resolves, validates and watches declared secrets and serves their
// last good values. Safe for concurrent use.
type Store struct {
	opts    Options
	entries []*entry // declaration order
	byName  map[string]*entry

	subMu sync.Mutex
	subs  map[*subscriber]struct{}

	servedMu sync.Mutex
	served   map[*entry]Ref       // the reference that served each current value
	overrode map[*entry]string    // see RefreshRejected: the provider's current version a pending one replaced
	rejected map[*entry]time.Time // see RefreshRejected: when a consumer last reported the value rejected

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

type subscriber struct {
	ch    chan Event
	names map[string]bool // empty: all
}

// Open resolves every declaration concurrently within opts.Timeout,
// validates every value against its rules, logs a presence summary line per
// secret, and starts watching. It returns a non-nil Store whenever opts are
// usable, even with an error, so callers (hush check) can report Health; the
// error joins one Problem per failure, covering all secrets at once. Callers
// must Close the store.
func Open(ctx context.Context, decls []Decl, opts Options) (*Store, error) {
	if opts.Mux == nil {
		return nil, errors.New("open secret store: no provider mux")
	}
	s := &Store{opts: opts.withDefaults(), byName: map[string]*entry{}, subs: map[*subscriber]struct{}{},
		served: map[*entry]Ref{}, overrode: map[*entry]string{}, rejected: map[*entry]time.Time{}}
	problems := s.declare(decls)
	problems = append(problems, s.resolveAll(ctx)...)
	s.logSummary()
	s.watchAll()
	return s, joinProblems(problems)
}

// declare builds one entry per declaration, reporting bad declarations.
func (s *Store) declare(decls []Decl) []Problem {
	var problems []Problem
	for _, d := range decls {
		if _, dup := s.byName[d.Name]; dup {
			problems = append(problems, Problem{Secret: d.Name, Pos: d.Pos, Rule: "name", Detail: "declared twice"})
			continue
		}
		e := &entry{decl: d, status: StatusMissing}
		lint := append(d.Lint(), d.lintAlso()...)
		problems = append(problems, lint...)
		if ref, err := ParseRef(d.From); err == nil {
			e.ref = ref
		}
		e.broken = len(lint) > 0
		s.entries = append(s.entries, e)
		s.byName[d.Name] = e
	}
	return problems
}

// resolveAll opens and fetches every well-declared secret concurrently.
func (s *Store) resolveAll(ctx context.Context) []Problem {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	results := make([][]Problem, len(s.entries))
	var wg sync.WaitGroup
	for i, e := range s.entries {
		if e.broken {
			continue
		}
		wg.Go(func() { results[i] = s.resolve(ctx, e) })
	}
	wg.Wait()
	var all []Problem
	for _, r := range results {
		all = append(all, r...)
	}
	return all
}

func (s *Store) resolve(ctx context.Context, e *entry) []Problem {
	drv, err := s.open(ctx, e)
	if err != nil {
		e.setError(err, time.Now())
		return []Problem{e.problem("from", fmt.Sprintf("open %s: %v", e.ref.Scheme, err))}
	}
	e.drv = drv
	return s.refresh(ctx, e)
}

// open opens e's driver: a Layered one when the declaration has
// fallbacks.
func (s *Store) open(ctx context.Context, e *entry) (driver.Driver, error) {
	if len(e.decl.Also) == 0 {
		return s.opts.Mux.Open(ctx, e.ref)
	}
	refs, _ := e.decl.refs() // Lint has checked them
	return OpenLayered(ctx, s.opts.Mux, refs)
}

// refresh fetches e and applies the result: a new valid value replaces the
// current one (and notifies subscribers), anything else keeps the last good
// value and records why.
func (s *Store) refresh(ctx context.Context, e *entry) []Problem {
	changed, problems := s.refreshOnce(ctx, e)
	if !changed && len(problems) == 0 && s.rejectedLately(e) {
		return s.servePending(ctx, e)
	}
	return problems
}

// refreshOnce is refresh, reporting whether the value changed.
func (s *Store) refreshOnce(ctx context.Context, e *entry) (bool, []Problem) {
	e.refreshMu.Lock()
	defer e.refreshMu.Unlock()
	now := time.Now()
	snap, err := e.drv.Fetch(ctx)
	if err == nil {
		snap.Data, err = s.selectField(e, snap.Data)
	}
	if err == nil {
		snap, err = s.keepPending(ctx, e, snap)
	}
	if err != nil {
		return false, s.fetchFailed(e, err, now)
	}
	if problems := e.decl.Rules.Check(e.decl.Name, e.decl.Pos, snap.Data); len(problems) > 0 {
		e.setInvalid(now)
		s.opts.Logger.Warn("secret rejected", "secret", e.decl.Name, "source", e.ref.Scheme, "problems", len(problems))
		return false, problems
	}
	ev, changed := e.apply(snap, now, s.opts.History)
	s.setServed(e)
	if changed {
		s.setRejected(e, false)
		s.logRotation(ev)
		s.publish(ev)
	}
	return changed, nil
}

// selectField selects the reference's #field; a Layered driver selects
// each reference's field itself.
func (s *Store) selectField(e *entry, data []byte) ([]byte, error) {
	if _, layered := e.drv.(*Layered); layered || e.ref.Field == "" {
		return data, nil
	}
	return SelectField(data, e.ref.Field)
}

// setServed records which reference served e's current value.
func (s *Store) setServed(e *entry) {
	ref := e.ref
	if layered, ok := e.drv.(*Layered); ok {
		ref, _ = layered.Served()
	}
	s.servedMu.Lock()
	defer s.servedMu.Unlock()
	s.served[e] = ref
}

// healthOf is e's health; for a declaration with fallbacks it names the
// reference that served the value, and the source is that reference's
// scheme.
func (s *Store) healthOf(e *entry, now time.Time) Health {
	h := e.health(now)
	s.servedMu.Lock()
	ref, ok := s.served[e]
	s.servedMu.Unlock()
	if ok && h.Version != "" && len(e.decl.Also) > 0 {
		h.Served, h.Source = ref.String(), ref.Scheme
	}
	return h
}

func (s *Store) fetchFailed(e *entry, err error, now time.Time) []Problem {
	class := driver.Class(err)
	e.setError(err, now)
	s.opts.Logger.Warn("secret fetch", "secret", e.decl.Name, "source", e.ref.Scheme, "error_class", class)
	if errors.Is(err, driver.ErrNotFound) && e.decl.Rules.Optional {
		return nil
	}
	if errors.Is(err, driver.ErrNotFound) {
		return []Problem{e.problem("required", "not found")}
	}
	return []Problem{e.problem("from", fmt.Sprintf("fetch %s: %v", e.ref.Scheme, err))}
}

// Get returns the current (last good) value of name.
func (s *Store) Get(name string) (Value, bool) {
	e, ok := s.byName[name]
	if !ok {
		return Value{}, false
	}
	v := e.current()
	return v, !v.IsZero()
}

// Expand replaces every ${secret:NAME} and ${secret:NAME#field} in t with
// the current value, unescaped: it suits values used whole, such as a
// bearer token. Connection strings and headers are expanded by package
// source/cred, which escapes each value for where it stands.
func (s *Store) Expand(t string) (string, error) {
	pin, err := s.Pin(Refs(t)...)
	if err != nil {
		return "", err
	}
	defer pin.Release()
	var b strings.Builder
	last := 0
	for _, p := range Uses(t) {
		v, _ := pin.Value(p.Name)
		if p.Field != "" {
			if v, err = v.Field(p.Field); err != nil {
				return "", fmt.Errorf("secret %q: %w", p.Name, err)
			}
		}
		b.WriteString(t[last:p.Start])
		b.WriteString(v.RevealString())
		last = p.End
	}
	b.WriteString(t[last:])
	return b.String(), nil
}

// Subscribe returns a channel of change events for the named secrets (all
// secrets when none are named) and a function that ends the subscription and
// closes the channel. Sends never block the store: a full channel drops the
// event, which is safe because an event only asks the consumer to re-read
// with Get, and the queued events already do that.
func (s *Store) Subscribe(names ...string) (<-chan Event, func()) {
	sub := &subscriber{ch: make(chan Event, 16), names: map[string]bool{}}
	for _, n := range names {
		sub.names[n] = true
	}
	s.subMu.Lock()
	s.subs[sub] = struct{}{}
	s.subMu.Unlock()
	var once sync.Once
	return sub.ch, func() { once.Do(func() { s.unsubscribe(sub) }) }
}

func (s *Store) unsubscribe(sub *subscriber) {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	if _, ok := s.subs[sub]; ok {
		delete(s.subs, sub)
		close(sub.ch)
	}
}

func (s *Store) publish(ev Event) {
	if s.opts.OnChange != nil {
		s.opts.OnChange(s)
	}
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for sub := range s.subs {
		if len(sub.names) > 0 && !sub.names[ev.Name] {
			continue
		}
		select {
		case sub.ch <- ev:
		default:
		}
	}
}

// Refresh fetches name now, for example after a consumer saw the credential
// rejected. It returns the fetch or validation error, if any.
func (s *Store) Refresh(ctx context.Context, name string) error {
	e, ok := s.byName[name]
	if !ok {
		return fmt.Errorf("refresh secret %q: not declared", name)
	}
	if e.drv == nil {
		return fmt.Errorf("refresh secret %q: not opened", name)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	return joinProblems(s.refresh(ctx, e))
}

// RefreshRejected is Refresh for a consumer whose credential was just
// rejected. When the re-read finds no newer value but the provider holds
// one about to become current (driver.Pender: AWS Secrets Manager's
// AWSPENDING while a rotation has set the new credential in the service
// but not yet made it current), that value, if it passes the rules, is
// served and published, so consumers build, verify and swap to it as to
// any new value; when the provider cannot re-check at once, the refresh
// it signals within the store's timeout does the same. It stays served
// while the provider's current value is the one it replaced and the
// pending one is still offered; a move of the current value (to it,
// normally) or its withdrawal ends that.
func (s *Store) RefreshRejected(ctx context.Context, name string) error {
	e, ok := s.byName[name]
	if !ok || e.drv == nil {
		return s.Refresh(ctx, name)
	}
	s.setRejected(e, true)
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	return joinProblems(s.refresh(ctx, e))
}

// setRejected records that a consumer reported e's value rejected (on),
// or forgets it once a new value was served.
func (s *Store) setRejected(e *entry, on bool) {
	s.servedMu.Lock()
	defer s.servedMu.Unlock()
	if on {
		s.rejected[e] = time.Now()
	} else {
		delete(s.rejected, e)
	}
}

// rejectedLately reports a rejection within the store's timeout: a
// provider that could not re-check at once (Secrets Manager defers a
// forced check within its interval) signals what it found soon after,
// and that refresh may then serve the pending value instead.
func (s *Store) rejectedLately(e *entry) bool {
	s.servedMu.Lock()
	defer s.servedMu.Unlock()
	at, ok := s.rejected[e]
	return ok && time.Since(at) < s.opts.Timeout
}

// servePending serves the provider's pending value of e, if it has one
// that is not current and that passes the rules. A failure to read it
// leaves the current value in service and its health as it was.
func (s *Store) servePending(ctx context.Context, e *entry) []Problem {
	p, ok := e.drv.(driver.Pender)
	if !ok {
		return nil
	}
	e.refreshMu.Lock()
	defer e.refreshMu.Unlock()
	snap, ok, err := p.Pending(ctx)
	if err == nil && ok {
		snap.Data, err = s.selectField(e, snap.Data)
	}
	was := e.current().meta.Version
	switch {
	case err != nil:
		s.opts.Logger.Warn("pending secret", "secret", e.decl.Name, "source", e.ref.Scheme, "error_class", driver.Class(err))
		return nil
	case !ok || snap.Version == was:
		return nil
	}
	if problems := e.decl.Rules.Check(e.decl.Name, e.decl.Pos, snap.Data); len(problems) > 0 {
		s.opts.Logger.Warn("pending secret rejected", "secret", e.decl.Name, "source", e.ref.Scheme, "problems", len(problems))
		return problems
	}
	ev, changed := e.apply(snap, time.Now(), s.opts.History)
	if changed {
		s.setOverrode(e, was)
		s.setRejected(e, false)
		s.opts.Logger.Info("secret rotated", "secret", ev.Name, "source", ev.New.Source,
			"length", ev.New.Length, "version", ev.New.Version, "pending", true)
		s.publish(ev)
	}
	return nil
}

// keepPending returns the value to apply after a fetch of snap: the
// pending value served by RefreshRejected while the provider's current
// version is still the one it replaced and the value is still pending,
// else snap itself.
func (s *Store) keepPending(ctx context.Context, e *entry, snap driver.Snapshot) (driver.Snapshot, error) {
	s.servedMu.Lock()
	was, ok := s.overrode[e]
	s.servedMu.Unlock()
	if !ok {
		return snap, nil
	}
	if p, pends := e.drv.(driver.Pender); pends && snap.Version == was {
		pending, ok, err := p.Pending(ctx)
		if err == nil && ok {
			pending.Data, err = s.selectField(e, pending.Data)
		}
		if err != nil || ok && pending.Version == e.current().meta.Version {
			return pending, err
		}
	}
	s.setOverrode(e, "")
	return snap, nil
}

func (s *Store) setOverrode(e *entry, was string) {
	s.servedMu.Lock()
	defer s.servedMu.Unlock()
	if was == "" {
		delete(s.overrode, e)
		return
	}
	s.overrode[e] = was
}

// Health reports every declared secret, in declaration order.
func (s *Store) Health() []Health {
	now := time.Now()
	out := make([]Health, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, s.healthOf(e, now))
	}
	return out
}

// Known returns, for building a redactor, every value of every secret that
// may still appear in output: the current one, the last Options.History
// distinct values that were current before it (a value that failed its
// rules never was), every value a Pin still holds however old, and the
// top-level fields of those that are JSON objects. The caller must not
// modify or log them.
func (s *Store) Known() [][]byte {
	var out [][]byte
	for _, e := range s.entries {
		out = append(out, e.known()...)
	}
	return out
}

// Close stops every watcher and driver and waits for them, then closes all
// subscription channels. Idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.cancel != nil {
			s.cancel()
		}
		s.wg.Wait()
		var errs []error
		for _, e := range s.entries {
			if e.drv != nil {
				if err := e.drv.Close(); err != nil {
					errs = append(errs, fmt.Errorf("close secret %q: %w", e.decl.Name, err))
				}
			}
		}
		s.subMu.Lock()
		for sub := range s.subs {
			delete(s.subs, sub)
			close(sub.ch)
		}
		s.subMu.Unlock()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

func joinProblems(ps []Problem) error {
	if len(ps) == 0 {
		return nil
	}
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errors.Join(errs...)
}
