// Package boot assembles a running Hush from a loaded config in the order the
// design requires: secrets resolved and validated, the redactor armed, every
// source opened and pinged. Nothing here listens; the caller opens the
// listener only after Start succeeds.
package boot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/assembly"
	"github.com/hushmcp/hush/redact"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/source"
)

// Stage names the start-up step an error comes from; the CLI maps it to an
// exit code.
type Stage int

// Start-up stages, in order. Loading the config comes before Start and
// reports its own errors.
const (
	StageSecrets Stage = iota + 2
	StageSources
)

// Error is a start-up failure at a stage. Err joins every problem found there.
type Error struct {
	Stage Stage
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Runtime is everything a server needs once start-up has succeeded.
type Runtime struct {
	Config   *config.Config
	Logger   *slog.Logger
	Redactor *redact.Redactor
	Store    *secret.Store
	Sources  map[string]source.Source

	mux       *secret.Mux // closed after the store
	closeOnce sync.Once
}

// Options carry what the caller already built.
type Options struct {
	Logger        *slog.Logger     // should write through Redactor
	Redactor      *redact.Redactor // updated here whenever a secret changes
	SecretTimeout time.Duration    // deadline to resolve all secrets; 0: store default
	PingTimeout   time.Duration    // per-source ping deadline; default 5s
}

// Kinds returns the parts the binary ships (internal/assembly), for
// config.Load. A nil logger discards.
func Kinds(logger *slog.Logger) config.Kinds {
	return config.Kinds{
		Sources:   assembly.Sources(),
		Tools:     assembly.Tools(),
		Providers: assembly.Providers(logger),
	}
}

// Start resolves secrets and opens sources. It always returns a Runtime (so
// hush check can report on a failed start); the caller must Close it. The
// error is an *Error naming the first stage that failed.
func Start(ctx context.Context, cfg *config.Config, opts Options) (*Runtime, error) {
	if opts.PingTimeout <= 0 {
		opts.PingTimeout = 5 * time.Second
	}
	rt := &Runtime{Config: cfg, Logger: opts.Logger, Redactor: opts.Redactor, Sources: map[string]source.Source{}}
	mux := cfg.Kinds.Providers
	if mux == nil {
		return rt, &Error{Stage: StageSecrets, Err: errors.New("no secret providers registered")}
	}
	rt.mux = mux
	if err := mux.Configure(ctx, cfg.Providers); err != nil {
		return rt, &Error{Stage: StageSecrets, Err: err}
	}
	store, err := secret.Open(ctx, cfg.Secrets, secret.Options{Mux: mux, Logger: opts.Logger, Timeout: opts.SecretTimeout,
		OnChange: func(s *secret.Store) { rt.Redactor.Update(s.Known()) }})
	if store == nil {
		return rt, &Error{Stage: StageSecrets, Err: err}
	}
	rt.Store = store
	rt.Redactor.Update(store.Known()) // before any source opens: even a start-up driver error is scrubbed
	if err != nil {
		return rt, &Error{Stage: StageSecrets, Err: err}
	}
	if err := rt.openSources(ctx, opts.PingTimeout); err != nil {
		return rt, &Error{Stage: StageSources, Err: err}
	}
	return rt, nil
}

// openSources opens every configured source and pings it, reporting all
// failures by source name.
func (rt *Runtime) openSources(ctx context.Context, timeout time.Duration) error {
	var errs []error
	for _, sc := range rt.Config.Sources {
		src, err := rt.openSource(ctx, sc)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", sc.Pos, namedSource(sc.Name, err)))
			continue
		}
		rt.Sources[sc.Name] = src
		pctx, cancel := context.WithTimeout(ctx, timeout)
		err = src.Ping(pctx)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: source %q: ping: %w", sc.Pos, sc.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (rt *Runtime) openSource(ctx context.Context, sc config.Source) (source.Source, error) {
	env := source.Env{Name: sc.Name, Secrets: rt.Store, Log: rt.Logger}
	return rt.Config.Kinds.Sources.Open(ctx, sc.Kind, sc.Spec, env)
}

// namedSource makes sure err names the source: kinds name it themselves
// ("open source \"main\": ..."), and saying it twice helps no one.
func namedSource(name string, err error) error {
	if strings.Contains(err.Error(), fmt.Sprintf("source %q", name)) {
		return err
	}
	return fmt.Errorf("source %q: %w", name, err)
}

// Close closes sources, then the store. Idempotent.
func (rt *Runtime) Close() error {
	var errs []error
	rt.closeOnce.Do(func() {
		for name, src := range rt.Sources {
			if err := src.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close source %q: %w", name, err))
			}
		}
		if rt.Store != nil {
			errs = append(errs, rt.Store.Close())
		}
		if rt.mux != nil {
			errs = append(errs, rt.mux.Close())
		}
	})
	return errors.Join(errs...)
}
