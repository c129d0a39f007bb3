// Package nats is the NATS source: a nats.go connection whose credentials
// come from declared secrets (user and password, a token, an NKey seed or
// a creds file's content), swapped without a restart when they rotate, and
// used to publish messages, optionally to JetStream with acknowledgement.
//
// # Delivery
//
// A core publish returns only after a round trip (a flush) on the same
// connection: NATS handles a connection's messages in order, so the
// server has routed the message by then. Publishes are never buffered
// while the connection is down (the reconnect buffer is off): a message
// either goes out while the call waits for it, or the call fails saying it
// was not sent.
//
// # Rotation
//
// The source follows the secrets its templates name (source.Live). On a
// change it connects with the new credentials (the server checks them in
// the handshake, then a flush), swaps the new connection in for new calls,
// and drains the old one (Drain) once the calls that started on it have
// returned, so no message is lost or sent twice by the swap. A refused
// credential leaves the old connection serving and the source degraded.
//
// A NATS server that reloads its configuration disconnects the clients
// whose credentials are no longer valid. A call that finds its connection
// down before it sent anything waits for a swap (or a reconnect) and
// retries once; a JetStream publish that lost its connection while waiting
// for the ack retries too, with the same message id, so the stream
// discards a copy it already holds. A core publish that lost its
// connection after sending is reported as possibly delivered and is not
// retried: only a new credential in place before the old one is revoked
// avoids that (docs/nats.md).
package nats

import (
	"context"
	"log/slog"
	"time"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/cred"
)

const (
	connectTimeout = 10 * time.Second // handshake and flush of a new connection
	drainTimeout   = 30 * time.Second // how long an old connection may take to drain
	retryWait      = 5 * time.Second  // how long a call that found its connection down waits
)

// Source is an open NATS source. Safe for concurrent use.
type Source struct {
	spec    Spec
	secrets source.Secrets
	log     *slog.Logger
	live    *source.Live[*client]
}

// Open expands the spec's credential templates, connects and verifies the
// connection, and starts following the templates' secrets. It blocks until
// the connection is ready or ctx ends. Errors name the source and never
// hold a URL's userinfo or a credential. A nil log discards. The caller
// must Close the source.
func Open(ctx context.Context, spec Spec, secrets source.Secrets, log *slog.Logger) (*Source, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Source{spec: spec, secrets: secrets, log: log}
	set, fields := spec.creds()
	live, err := source.OpenLive(ctx, source.LiveConfig[*client]{
		Name: spec.Name, Kind: KindName, Secrets: secrets, Log: log, Creds: set,
		Connect: func(ctx context.Context, e cred.Expanded) (*client, error) {
			return s.connect(ctx, login(fields, e.Values), e.Scrubber())
		},
		Close: s.closeClient,
	})
	if err != nil {
		return nil, err
	}
	s.live = live
	log.Info("source opened", "source", spec.Name, "kind", KindName)
	return s, nil
}

// creds lists the spec's templates as a cred.Set, with the field each one
// fills.
func (s Spec) creds() (cred.Set, []string) {
	set, fields := cred.Set{cred.New(s.URL, cred.DSN)}, []string{"url"}
	for _, f := range []struct{ name, text string }{{"user", s.User}, {"password", s.Password},
		{"token", s.Token}, {"nkey_seed", s.NKeySeed}, {"credentials", s.Credentials}} {
		if f.text != "" {
			set, fields = append(set, cred.New(f.text, cred.Raw)), append(fields, f.name)
		}
	}
	return set, fields
}

// State reports the source's health without a round trip.
func (s *Source) State() source.State { return s.live.State() }

// Ping checks that the current connection is up and makes a round trip
// (a flush) on it. It reports a connection that is down at once, without
// waiting for a swap as calls do: health must show it.
func (s *Source) Ping(ctx context.Context) error {
	l, err := s.live.Acquire()
	if err != nil {
		return &Error{Source: s.spec.Name, Desc: "closed", code: source.ErrClosed}
	}
	defer l.Release()
	_, err = l.Value().run(ctx, func(ctx context.Context, c *client) (bool, error) {
		return true, c.flush(ctx)
	})
	if err != nil {
		return s.callError(ctx, err, false)
	}
	return nil
}

// Close stops following secrets, waits for calls in flight and drains
// every connection. Idempotent; every call waits for the first to finish.
func (s *Source) Close() error {
	s.live.Close()
	return nil
}

// do runs fn on the current connection. fn reports whether it may have
// sent something. A call that found its connection down before sending,
// or that may retry because the server discards copies (a JetStream
// publish with a message id), waits for a swap or a reconnect and runs
// once more.
func (s *Source) do(ctx context.Context, retrySent bool, fn func(context.Context, *client) (bool, error)) error {
	sentBefore := false // an earlier attempt may have reached the server
	for attempt := 0; ; attempt++ {
		l, err := s.live.Acquire()
		if err != nil {
			return &Error{Source: s.spec.Name, Desc: "closed", code: source.ErrClosed}
		}
		c := l.Value()
		sent, err := c.run(ctx, fn)
		replaced := l.Replaced()
		l.Release()
		if err == nil {
			return nil
		}
		lost := c.lost(err)
		if attempt == 0 && lost && (!sent || retrySent) && s.await(ctx, c, replaced) {
			sentBefore = sent
			continue
		}
		return s.callError(ctx, err, sentBefore || (sent && lost))
	}
}

// await asks the store to re-read the secrets (when it can) and waits up
// to retryWait for a new connection or for c to reconnect. It reports
// whether one came.
func (s *Source) await(ctx context.Context, c *client, replaced <-chan struct{}) bool {
	if c.up() {
		return true // it came back while the call was failing
	}
	ctx, cancel := context.WithTimeout(ctx, retryWait)
	defer cancel()
	s.live.Nudge(ctx)
	select {
	case <-replaced:
		return true
	case <-c.back():
		return true
	case <-ctx.Done():
		return false
	}
}
