// Package httpapi is the http source kind: an external HTTP API (a search
// service, say) reached at a configured base URL, with credentials in
// headers, the base URL or query parameters, all from declared secrets.
//
// Every request goes to the base URL's origin: a secret may stand in the
// URL's userinfo, path or query but not in its host, and a redirect to any
// other origin is refused before it is sent, so a credential never travels
// to a host the config did not name. Responses are capped, each attempt has
// a timeout, and only idempotent methods are retried.
//
// When a secret rotates, source.Live builds a client from the new values,
// verifies it with the health request (Ping), swaps it in and closes the
// old one once its calls have finished. A 401 or 403 answer to the health
// request is a refused credential (driver.ErrPermission): the old client
// keeps serving and the source reports degraded.
package httpapi

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/cred"
	"github.com/hushmcp/hush/source/webclient"
)

// Source is an open HTTP API source. Safe for concurrent use.
type Source struct {
	spec    Spec
	policy  webclient.Policy
	health  *url.URL // relative reference of the health request; nil: HEAD on the base URL
	roots   *x509.CertPool
	secrets source.Secrets
	live    *source.Live[*client]

	nudging   sync.Mutex // one store re-read at a time; guards lastNudge
	lastNudge time.Time
}

// client is one generation of credentials: a transport and the expanded
// base URL, headers and query parameters.
type client struct {
	http   *http.Client
	base   *url.URL
	header http.Header
	query  url.Values
	values []string // the expanded templates it was built from
}

// Open builds a client from spec's templates, verifies it with the health
// request and starts following the secrets they name. Errors name the
// source and never hold a URL or a credential. The caller must Close it.
func Open(ctx context.Context, spec Spec, env source.Env) (*Source, error) {
	s, err := newSource(spec)
	if err != nil {
		return nil, fmt.Errorf("source %q: %v: %w", spec.Name, err, driver.ErrInvalid)
	}
	s.secrets = env.Secrets
	s.live, err = source.OpenLive(ctx, source.LiveConfig[*client]{
		Name: spec.Name, Kind: KindName, Secrets: env.Secrets, Log: env.Log,
		Creds: spec.creds(), Connect: s.connect, Close: func(c *client) { webclient.CloseClient(c.http) },
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// newSource prepares what every client shares: the health request, the
// trusted CAs and the origin (when the spec did not come from Decode).
func newSource(spec Spec) (*Source, error) {
	s := &Source{spec: spec, policy: webclient.Policy{Timeout: spec.Timeout, MaxBytes: spec.MaxBytes, Retries: spec.Retries}}
	var err error
	if spec.HealthPath != "" {
		if s.health, err = url.Parse(spec.HealthPath); err != nil {
			return nil, errors.New("health_path does not parse")
		}
	}
	if s.roots, err = webclient.LoadRoots(spec.CAFile); err != nil {
		return nil, err
	}
	if spec.Origin == "" {
		if s.spec.Origin, err = webclient.OriginOf(spec.BaseURL); err != nil {
			return nil, fmt.Errorf("base_url: %w", err)
		}
	}
	return s, nil
}

// creds is the template set, in a fixed order: base URL, headers, query.
func (s Spec) creds() cred.Set {
	set := cred.Set{cred.New(s.BaseURL, cred.DSN)} // DSN escapes by position in a URL
	for _, name := range slices.Sorted(maps.Keys(s.Headers)) {
		set = append(set, cred.New(s.Headers[name], cred.Header))
	}
	for _, name := range slices.Sorted(maps.Keys(s.Query)) {
		set = append(set, cred.New(s.Query[name], cred.Raw)) // url.Values escapes it
	}
	return set
}

// connect builds a client from expanded templates and verifies it.
func (s *Source) connect(ctx context.Context, e cred.Expanded) (*client, error) {
	base, err := webclient.ParseExpanded(e.Values[0], s.spec.Origin)
	if err != nil {
		return nil, fmt.Errorf("source %q: base_url: %v: %w", s.spec.Name, err, driver.ErrInvalid)
	}
	c := &client{http: webclient.NewClient(s.spec.Origin, s.roots), base: base, header: http.Header{}, query: url.Values{}, values: e.Values}
	vals := e.Values[1:]
	for _, name := range slices.Sorted(maps.Keys(s.spec.Headers)) {
		c.header.Set(name, vals[0])
		vals = vals[1:]
	}
	for _, name := range slices.Sorted(maps.Keys(s.spec.Query)) {
		c.query.Set(name, vals[0])
		vals = vals[1:]
	}
	if err := s.check(ctx, c); err != nil {
		webclient.CloseClient(c.http)
		return nil, err
	}
	return c, nil
}

// Ping sends the health request on the current client.
func (s *Source) Ping(ctx context.Context) error {
	l, err := s.live.Acquire()
	if err != nil {
		return fmt.Errorf("source %q: %w", s.spec.Name, err)
	}
	defer l.Release()
	return s.check(ctx, l.Value())
}

// check sends the health request: GET health_path, which must answer 2xx,
// or HEAD on the base URL, where any answer below 500 but 401 and 403 shows
// the API up and the credential accepted (many APIs answer HEAD on their
// root with 404 or 405).
func (s *Source) check(ctx context.Context, c *client) error {
	method, ref := http.MethodHead, &url.URL{}
	if s.health != nil {
		method, ref = http.MethodGet, s.health
	}
	resp, err := s.send(ctx, c, method, ref, nil, nil)
	if err != nil {
		return fmt.Errorf("ping source %q: %w", s.spec.Name, err)
	}
	code := resp.StatusCode
	switch {
	case webclient.Refused(code):
		return fmt.Errorf("ping source %q: the API refused the credential (%s): %w", s.spec.Name, webclient.Status(code), driver.ErrPermission)
	case code >= 500 || (s.health != nil && (code < 200 || code > 299)):
		return fmt.Errorf("ping source %q: the API answered %s: %w", s.spec.Name, webclient.Status(code), driver.ErrUnavailable)
	}
	return nil
}

// checkRequest refuses what the source never sends and reads the body.
func (s *Source) checkRequest(req *http.Request) ([]byte, error) {
	if req.URL == nil || req.URL.Scheme != "" || req.URL.Host != "" || req.URL.User != nil ||
		(req.URL.Path != "" && !strings.HasPrefix(req.URL.Path, "/")) {
		return nil, s.errorf(fmt.Errorf("the request URL must be a path starting with /: %w", driver.ErrInvalid))
	}
	if !s.spec.AllowsMethod(req.Method) {
		return nil, s.errorf(fmt.Errorf("method %s is not allowed: %w", req.Method, driver.ErrInvalid))
	}
	body, err := readBody(req)
	if err != nil {
		return nil, s.errorf(fmt.Errorf("read the request body: %w", err))
	}
	return body, nil
}

func (s *Source) errorf(err error) error { return fmt.Errorf("source %q: %w", s.spec.Name, err) }

func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	return io.ReadAll(req.Body)
}

// send sends one request through the policy (timeouts, cap, retries).
func (s *Source) send(ctx context.Context, c *client, method string, ref *url.URL, h http.Header, body []byte) (*http.Response, error) {
	target := c.target(ref)
	return s.policy.Do(ctx, c.http, method, func(ctx context.Context) (*http.Request, error) {
		var r io.Reader
		if body != nil {
			r = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, target.String(), r)
		if err != nil {
			return nil, &webclient.Error{Desc: "invalid request", Code: driver.ErrInvalid}
		}
		maps.Copy(req.Header, h)
		for name, v := range c.header {
			req.Header[name] = v
		}
		if req.Header.Get("User-Agent") == "" {
			req.Header.Set("User-Agent", "hush")
		}
		return req, nil
	})
}

// target appends ref's path to the base URL's and merges the queries: the
// base URL's, then ref's, then the source's own parameters, which win.
func (c *client) target(ref *url.URL) *url.URL {
	u := *c.base
	if ref.Path != "" {
		u.Path = strings.TrimSuffix(c.base.Path, "/") + ref.Path
		u.RawPath = strings.TrimSuffix(c.base.EscapedPath(), "/") + ref.EscapedPath()
	}
	q := c.base.Query()
	for k, v := range ref.Query() {
		q[k] = v
	}
	for k, v := range c.query {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return &u
}

// State reports health without touching the network.
func (s *Source) State() source.State { return s.live.State() }

// Close waits for calls in flight and closes every client. Idempotent.
func (s *Source) Close() error {
	s.live.Close()
	return nil
}

// AllowsMethod reports whether the source sends requests with method.
func (s *Source) AllowsMethod(method string) bool { return s.spec.AllowsMethod(method) }
