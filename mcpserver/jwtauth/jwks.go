package jwtauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// JWKS defaults.
const (
	DefaultJWKSMaxBytes   = 256 << 10
	DefaultJWKSTTL        = 10 * time.Minute
	DefaultJWKSMinRefresh = 30 * time.Second
	jwksFetchTimeout      = 10 * time.Second
)

// ErrJWKSTooLarge is returned when a JWKS document exceeds MaxBytes.
var ErrJWKSTooLarge = errors.New("jwks document too large")

// JWKS are the signing keys published at a URL. The set is fetched on first
// use, cached for TTL, and fetched again early when a token names a kid the
// cache lacks, at most once per MinRefresh, so a stream of made-up kids
// cannot turn into a stream of fetches. A failed fetch keeps the keys
// already cached. Lookups wait for a fetch in progress.
type JWKS struct {
	url        string
	client     *http.Client
	maxBytes   int64
	ttl        time.Duration
	minRefresh time.Duration
	now        func() time.Time
	onError    func(error)

	mu      sync.Mutex
	keys    []Key
	fetched time.Time // last successful fetch
	tried   time.Time // last attempt
}

// JWKSOptions configure NewJWKS; zero fields take the defaults.
type JWKSOptions struct {
	Client     *http.Client // nil: a client with a timeout
	MaxBytes   int64
	TTL        time.Duration
	MinRefresh time.Duration
	Now        func() time.Time
	OnError    func(error) // hears fetch failures (never a document's content)
}

// NewJWKS returns the key set at url.
func NewJWKS(url string, o JWKSOptions) *JWKS {
	j := &JWKS{url: url, client: o.Client, maxBytes: o.MaxBytes, ttl: o.TTL, minRefresh: o.MinRefresh, now: o.Now, onError: o.OnError}
	if j.client == nil {
		j.client = &http.Client{Timeout: jwksFetchTimeout}
	}
	if j.maxBytes <= 0 {
		j.maxBytes = DefaultJWKSMaxBytes
	}
	if j.ttl <= 0 {
		j.ttl = DefaultJWKSTTL
	}
	if j.minRefresh <= 0 {
		j.minRefresh = DefaultJWKSMinRefresh
	}
	if j.now == nil {
		j.now = time.Now
	}
	return j
}

// Keys returns the keys whose kid is kid (every key when kid is empty).
func (j *JWKS) Keys(ctx context.Context, kid string) ([]Key, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	if j.fetched.IsZero() || now.Sub(j.fetched) >= j.ttl {
		j.tryFetch(ctx, now)
	}
	match := j.match(kid)
	if len(match) == 0 && kid != "" {
		j.tryFetch(ctx, now)
		match = j.match(kid)
	}
	switch {
	case len(match) > 0:
		return match, nil
	case j.fetched.IsZero():
		return nil, ErrKeysUnavailable
	}
	return nil, ErrUnknownKey
}

func (j *JWKS) match(kid string) []Key {
	if kid == "" {
		return slices.Clone(j.keys)
	}
	var out []Key
	for _, k := range j.keys {
		if k.ID == kid {
			out = append(out, k)
		}
	}
	return out
}

// tryFetch fetches unless the last attempt is younger than minRefresh.
// j.mu is held.
func (j *JWKS) tryFetch(ctx context.Context, now time.Time) {
	if !j.tried.IsZero() && now.Sub(j.tried) < j.minRefresh {
		return
	}
	j.tried = now
	keys, err := j.fetch(ctx)
	if err != nil {
		if j.onError != nil {
			j.onError(err)
		}
		return
	}
	j.keys, j.fetched = keys, now
}

func (j *JWKS) fetch(ctx context.Context) ([]Key, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jwksFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, errors.New("jwks fetch: unreachable")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks fetch: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, j.maxBytes+1))
	switch {
	case err != nil:
		return nil, errors.New("jwks fetch: read interrupted")
	case int64(len(body)) > j.maxBytes:
		return nil, ErrJWKSTooLarge
	}
	return parseJWKS(body)
}

// parseJWKS keeps the set's public signing keys; private keys, encryption
// keys and keys of unsupported types are skipped. A key's "alg", when
// present, narrows the algorithms its type allows.
func parseJWKS(body []byte) ([]Key, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, errors.New("jwks: not a JSON key set")
	}
	var keys []Key
	for _, jk := range set.Keys {
		if !jk.IsPublic() || (jk.Use != "" && jk.Use != "sig") {
			continue
		}
		k, err := newKey(jk.KeyID, jk.Key)
		if err != nil {
			continue
		}
		if jk.Algorithm != "" {
			if !slices.Contains(k.Algs, jose.SignatureAlgorithm(jk.Algorithm)) {
				continue
			}
			k.Algs = []jose.SignatureAlgorithm{jose.SignatureAlgorithm(jk.Algorithm)}
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("jwks: no usable signing key")
	}
	return keys, nil
}
