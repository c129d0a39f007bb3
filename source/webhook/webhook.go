// Package webhook is the webhook source kind: a receiver URL that gets
// JSON notifications signed with HMAC-SHA256 under a signing key from a
// declared secret (NOTIFICATION_SECRET, say), so that the receiver can
// tell them from forgeries and refuse replays (see Sign and Verify, and
// docs/webhook.md).
//
// Rotation follows source.Live: a new key builds a new client, which is
// verified by a signed ping event the receiver must accept (2xx; 401 or
// 403 is a refused key), then swapped in; the next delivery is signed with
// the new key. With overlap set, deliveries are signed with the previous
// key as well for that long, so receivers that have not learnt the new key
// yet keep accepting them; during the overlap the verification ping is
// signed with both keys too, and so proves only that the receiver accepts
// one of them.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/cred"
	"github.com/hushmcp/hush/source/webclient"
)

// maxAnswer caps a receiver's answer: only its status matters.
const maxAnswer = 64 << 10

// clock is the source's time; tests move it to cross an overlap.
var clock = time.Now

// PingEvent is the event name of the verification ping.
const PingEvent = "ping"

// Source is an open webhook source. Safe for concurrent use.
type Source struct {
	spec   Spec
	policy webclient.Policy
	live   *source.Live[*client]
	now    func() time.Time
	roots  *x509.CertPool

	mu      sync.Mutex
	current []byte // the newest verified key: the previous key of the next client

	secrets   source.Secrets
	nudging   sync.Mutex // one store re-read at a time; guards lastNudge
	lastNudge time.Time
}

// client is one generation of the signing key and the expanded URL.
type client struct {
	http      *http.Client
	url       *url.URL
	header    http.Header
	keys      [][]byte  // the current key, then during an overlap the previous one
	prevUntil time.Time // when the previous key stops signing
}

// Open builds a client from spec, verifies it with a signed ping (unless
// ping is off) and starts following the secrets. Errors name the source,
// never a URL or a key. The caller must Close it.
func Open(ctx context.Context, spec Spec, env source.Env) (*Source, error) {
	s := &Source{spec: spec, policy: webclient.Policy{Timeout: spec.Timeout, MaxBytes: maxAnswer}, now: clock, secrets: env.Secrets}
	roots, err := webclient.LoadRoots(spec.CAFile)
	if err != nil {
		return nil, fmt.Errorf("source %q: %v: %w", spec.Name, err, driver.ErrInvalid)
	}
	s.roots = roots
	if spec.Origin == "" {
		o, err := webclient.OriginOf(spec.URL)
		if err != nil {
			return nil, fmt.Errorf("source %q: url: %v: %w", spec.Name, err, driver.ErrInvalid)
		}
		s.spec.Origin = o
	}
	live, err := source.OpenLive(ctx, source.LiveConfig[*client]{
		Name: spec.Name, Kind: KindName, Secrets: env.Secrets, Log: env.Log,
		Creds: spec.creds(), Connect: s.connect, Close: func(c *client) { webclient.CloseClient(c.http) },
	})
	if err != nil {
		return nil, err
	}
	s.live = live
	return s, nil
}

// creds is the template set: URL, signing key, then headers by name.
func (s Spec) creds() cred.Set {
	set := cred.Set{cred.New(s.URL, cred.DSN), cred.New(s.Secret, cred.Raw)}
	for _, name := range slices.Sorted(maps.Keys(s.Headers)) {
		set = append(set, cred.New(s.Headers[name], cred.Header))
	}
	return set
}

func (s *Source) connect(ctx context.Context, e cred.Expanded) (*client, error) {
	u, err := webclient.ParseExpanded(e.Values[0], s.spec.Origin)
	if err != nil {
		return nil, fmt.Errorf("source %q: url: %v: %w", s.spec.Name, err, driver.ErrInvalid)
	}
	key := []byte(e.Values[1])
	if len(key) == 0 {
		return nil, fmt.Errorf("source %q: the signing key is empty: %w", s.spec.Name, driver.ErrInvalid)
	}
	c := &client{http: webclient.NewClient(s.spec.Origin, s.roots), url: u, header: http.Header{}, keys: [][]byte{key}}
	for i, name := range slices.Sorted(maps.Keys(s.spec.Headers)) {
		c.header.Set(name, e.Values[2+i])
	}
	s.mu.Lock()
	prev := s.current
	s.mu.Unlock()
	if s.spec.Overlap > 0 && prev != nil && !hmac.Equal(prev, key) {
		c.keys, c.prevUntil = append(c.keys, prev), s.now().Add(s.spec.Overlap)
	}
	if err := s.check(ctx, c); err != nil {
		webclient.CloseClient(c.http)
		return nil, err
	}
	s.mu.Lock()
	s.current = key
	s.mu.Unlock()
	return c, nil
}

// Ping sends a signed ping event on the current client; with ping off it
// only checks that the source is open.
func (s *Source) Ping(ctx context.Context) error {
	l, err := s.live.Acquire()
	if err != nil {
		return fmt.Errorf("source %q: %w", s.spec.Name, err)
	}
	defer l.Release()
	return s.check(ctx, l.Value())
}

// check sends the ping event, which the receiver must accept with 2xx.
func (s *Source) check(ctx context.Context, c *client) error {
	if s.spec.NoPing {
		return nil
	}
	_, resp, err := s.post(ctx, c, PingEvent, nil)
	if err != nil {
		return fmt.Errorf("ping source %q: %w", s.spec.Name, err)
	}
	switch code := resp.StatusCode; {
	case webclient.Refused(code):
		return fmt.Errorf("ping source %q: the receiver refused the signature (%s): %w", s.spec.Name, webclient.Status(code), driver.ErrPermission)
	case code < 200 || code > 299:
		return fmt.Errorf("ping source %q: the receiver answered %s: %w", s.spec.Name, webclient.Status(code), driver.ErrUnavailable)
	}
	return nil
}

// Deliver sends one signed notification, once: a JSON object of fields
// plus "id" (a fresh delivery id), "event" and "sent_at" (RFC 3339), which
// win over fields of those names. It returns the delivery id and the
// receiver's status; a non-2xx answer is not an error. A delivery is never
// retried: a receiver whose answer was lost would see it twice. Errors wrap
// a driver code or a context error and hold no URL or key.
func (s *Source) Deliver(ctx context.Context, event string, fields map[string]any) (string, int, error) {
	l, err := s.live.Acquire()
	if err != nil {
		return "", 0, fmt.Errorf("source %q: %w", s.spec.Name, err)
	}
	defer l.Release()
	id, resp, err := s.post(ctx, l.Value(), event, fields)
	if err != nil {
		return id, 0, fmt.Errorf("source %q: %w", s.spec.Name, err)
	}
	if webclient.Refused(resp.StatusCode) {
		s.nudge(ctx)
	}
	return id, resp.StatusCode, nil
}

// nudgeEvery bounds how often refused deliveries re-read the secrets.
const nudgeEvery = 5 * time.Second

// refresher is the optional ability of a store (*secret.Store has it) to
// re-fetch a secret at once.
type refresher interface {
	Refresh(ctx context.Context, name string) error
}

// nudge asks the store to re-read the signing key at once: a receiver that
// refuses the signature may have learnt a new key that the store would
// otherwise see only at its next poll. The delivery itself is not sent
// again; the next one uses the new key once it is swapped in.
func (s *Source) nudge(ctx context.Context) {
	r, ok := s.secrets.(refresher)
	if !ok || !s.nudging.TryLock() {
		return
	}
	defer s.nudging.Unlock()
	if time.Since(s.lastNudge) < nudgeEvery {
		return
	}
	s.lastNudge = time.Now()
	for _, name := range s.live.Names() {
		_ = r.Refresh(ctx, name) // the store records and reports its own failures
	}
}

// post signs and sends one delivery.
func (s *Source) post(ctx context.Context, c *client, event string, fields map[string]any) (string, *http.Response, error) {
	now := s.now()
	id := newID()
	msg := map[string]any{}
	maps.Copy(msg, fields)
	msg["id"], msg["event"], msg["sent_at"] = id, event, now.UTC().Format(time.RFC3339)
	body, err := json.Marshal(msg)
	if err != nil {
		return id, nil, &webclient.Error{Desc: "the message is not JSON", Code: driver.ErrInvalid}
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := c.signatures(ts, body, now)
	resp, err := s.policy.Do(ctx, c.http, http.MethodPost, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url.String(), bytes.NewReader(body))
		if err != nil {
			return nil, &webclient.Error{Desc: "invalid request", Code: driver.ErrInvalid}
		}
		for name, v := range c.header {
			req.Header[name] = v
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "hush")
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, sig)
		req.Header.Set(HeaderDelivery, id)
		req.Header.Set(HeaderEvent, event)
		return req, nil
	})
	return id, resp, err
}

// signatures signs with the current key and, during an overlap, with the
// previous one.
func (c *client) signatures(ts string, body []byte, now time.Time) string {
	sigs := []string{Sign(c.keys[0], ts, body)}
	if len(c.keys) > 1 && now.Before(c.prevUntil) {
		sigs = append(sigs, Sign(c.keys[1], ts, body))
	}
	return strings.Join(sigs, ",")
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return "dlv_" + hex.EncodeToString(b)
}

// State reports health without touching the network.
func (s *Source) State() source.State { return s.live.State() }

// Close waits for deliveries in flight and closes every client. Idempotent.
func (s *Source) Close() error {
	s.live.Close()
	return nil
}
