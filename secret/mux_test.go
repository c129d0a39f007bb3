package secret

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hushmcp/hush/secret/driver"
)

// muxTestDriver is a do-nothing driver that remembers the ref it was opened for.
type muxTestDriver struct{ ref Ref }

func (muxTestDriver) Fetch(context.Context) (driver.Snapshot, error) { return driver.Snapshot{}, nil }
func (muxTestDriver) Close() error                                   { return nil }

func muxTestOpener(ctx context.Context, ref Ref) (driver.Driver, error) {
	return muxTestDriver{ref: ref}, nil
}

func TestMuxOpen(t *testing.T) {
	m := NewMux()
	m.Register("env", OpenerFunc(muxTestOpener))
	ref, err := ParseRef("ENV://DATABASE_URL")
	if err != nil {
		t.Fatal(err)
	}
	d, err := m.Open(context.Background(), ref)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if got := d.(muxTestDriver).ref; got.Host != "DATABASE_URL" || got.Scheme != "env" {
		t.Errorf("opener got %v, want env://DATABASE_URL", got)
	}
}

func TestMuxUnknownScheme(t *testing.T) {
	m := NewMux()
	m.Register("vault", OpenerFunc(muxTestOpener))
	m.Register("env", OpenerFunc(muxTestOpener))
	m.Register("File", OpenerFunc(muxTestOpener))
	_, err := m.Open(context.Background(), Ref{Scheme: "awssm", Host: "prod"})
	if !errors.Is(err, driver.ErrInvalid) {
		t.Fatalf("Open(unknown) = %v, want an error wrapping driver.ErrInvalid", err)
	}
	if want := `unknown scheme "awssm" (valid: env, file, vault): invalid`; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if got := m.Schemes(); !slices.Equal(got, []string{"env", "file", "vault"}) {
		t.Errorf("Schemes() = %v", got)
	}
}

func TestMuxEmpty(t *testing.T) {
	_, err := NewMux().Open(context.Background(), Ref{Scheme: "env"})
	if !errors.Is(err, driver.ErrInvalid) || !strings.Contains(err.Error(), "(valid: )") {
		t.Errorf("Open on an empty mux = %v", err)
	}
}

func TestMuxDuplicateRegisterPanics(t *testing.T) {
	m := NewMux()
	m.Register("env", OpenerFunc(muxTestOpener))
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("registering a scheme twice did not panic")
		}
		if msg, _ := r.(string); !strings.Contains(msg, "env") {
			t.Errorf("panic %v does not name the scheme", r)
		}
	}()
	m.Register("ENV", OpenerFunc(muxTestOpener))
}

func TestOpenerFuncPassesErrors(t *testing.T) {
	m := NewMux()
	m.Register("file", OpenerFunc(func(ctx context.Context, ref Ref) (driver.Driver, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("path %q is relative: %w", ref.Host, driver.ErrInvalid)
	}))
	_, err := m.Open(context.Background(), Ref{Scheme: "file", Host: "run"})
	if !errors.Is(err, driver.ErrInvalid) || err.Error() != `path "run" is relative: invalid` {
		t.Errorf("Open = %v, want the opener's error unchanged", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Open(ctx, Ref{Scheme: "file"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with canceled ctx = %v, want context.Canceled from the opener", err)
	}
}

func TestMuxConcurrentUse(t *testing.T) {
	m := NewMux()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, s := range []string{"a", "b", "c", "d"} {
			m.Register(s, OpenerFunc(muxTestOpener))
		}
	}()
	for range 100 {
		_, _ = m.Open(context.Background(), Ref{Scheme: "a"})
		_ = m.Schemes()
	}
	<-done
	if _, err := m.Open(context.Background(), Ref{Scheme: "d"}); err != nil {
		t.Errorf("Open after concurrent Register: %v", err)
	}
}
