package jwtauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/hushmcp/hush/secret"
)

// PEMKeys are the keys in a secret of concatenated PEM public keys. It
// re-reads the secret on every lookup (Store.Get is a memory read), so a
// rotated key verifies from the first token after the store has the new
// value: no restart, no subscription to lose. The keys the secret held
// before stay valid for Overlap after the store read the new value (when
// the value says; else after the change is first seen), for tokens already
// issued; only one previous generation is kept.
//
// It fails closed: a secret that is absent or holds no parseable public
// key leaves only the previous generation (within its overlap).
type PEMKeys struct {
	get     func() (secret.Value, bool)
	overlap time.Duration
	now     func() time.Time
	onError func(error) // told once per unusable version; nil: ignored

	mu        sync.Mutex
	version   string
	seen      bool
	cur, prev []Key
	prevUntil time.Time
}

// NewPEMKeys returns the keys of the secret get reads (for example
// func() (secret.Value, bool) { return store.Get(name) }). now nil means
// time.Now; onError, if set, hears why a new value is unusable (the error
// names a PEM block's position and type, never its contents).
func NewPEMKeys(get func() (secret.Value, bool), overlap time.Duration, now func() time.Time, onError func(error)) *PEMKeys {
	if now == nil {
		now = time.Now
	}
	return &PEMKeys{get: get, overlap: max(overlap, 0), now: now, onError: onError}
}

// Keys returns every key in force; PEM keys carry no kid of their own, so
// kid does not narrow them (a kid equal to a key's thumbprint is tried
// first).
func (p *PEMKeys) Keys(_ context.Context, kid string) ([]Key, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refresh()
	keys := append([]Key(nil), p.cur...)
	if p.now().Before(p.prevUntil) {
		keys = append(keys, p.prev...)
	}
	if len(keys) == 0 {
		return nil, ErrKeysUnavailable
	}
	// A matching kid goes first; order is the only effect.
	for i, k := range keys {
		if kid != "" && k.ID == kid {
			keys[0], keys[i] = keys[i], keys[0]
			break
		}
	}
	return keys, nil
}

// refresh rotates when the secret's version changed. p.mu is held.
func (p *PEMKeys) refresh() {
	v, ok := p.get()
	version := ""
	if ok {
		version = v.Meta().Version
		if version == "" {
			sum := sha256.Sum256(v.Reveal())
			version = hex.EncodeToString(sum[:])
		}
	}
	if p.seen && version == p.version {
		return
	}
	var keys []Key
	if ok {
		var err error
		if keys, err = ParsePEM(v.Reveal()); err != nil && p.onError != nil {
			p.onError(err)
		}
	}
	if p.seen && len(p.cur) > 0 {
		p.prev, p.prevUntil = p.cur, changedAt(v, ok, p.now()).Add(p.overlap)
	}
	p.cur, p.version, p.seen = keys, version, true
}

// changedAt is when the store read the new value, so a quiet server does
// not stretch the overlap; now when the store does not say, or says later.
func changedAt(v secret.Value, ok bool, now time.Time) time.Time {
	if at := v.Meta().FetchedAt; ok && !at.IsZero() && at.Before(now) {
		return at
	}
	return now
}
