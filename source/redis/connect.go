package redis

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/hushmcp/hush/secret/driver"
)

// connect builds a client for rawURL, pings it and fills its pool. On error
// nothing is left open.
func (s *Source) connect(ctx context.Context, rawURL string, secrets []string) (*client, error) {
	opts, err := s.options(rawURL)
	if err != nil {
		return nil, err
	}
	rc := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := rc.Ping(ctx).Err(); err != nil {
		_ = rc.Close()
		return nil, s.connError(ctx, err)
	}
	fill(ctx, rc, opts.PoolSize)
	return &client{Client: rc, scrub: newScrubber(rawURL, secrets)}, nil
}

// options turns the expanded URL into client options. go-redis's parse
// errors quote the URL, so they are replaced by a description.
func (s *Source) options(rawURL string) (*redis.Options, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, s.invalid("the url does not parse")
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, s.invalid("the url scheme must be redis or rediss")
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, s.invalid(describeParseErr(err))
	}
	if err := s.tls(opts, u.Scheme == "rediss"); err != nil {
		return nil, err
	}
	s.tune(opts)
	return opts, nil
}

// describeParseErr names what go-redis refused by its message prefix only.
func describeParseErr(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "database number"), strings.Contains(msg, "URL path"):
		return "the url path must be a database number, like /0"
	case strings.Contains(msg, "unexpected option"):
		return "the url has an unknown query option"
	}
	return "the url has an invalid query option value"
}

// tune sets what rotation and safety need, whatever the URL says: a full
// pool (see the package doc), no automatic retries (an INCR retried after a
// lost reply would count twice), context deadlines honoured, and no extra
// handshakes or pools.
func (s *Source) tune(o *redis.Options) {
	switch {
	case s.spec.PoolSize > 0:
		o.PoolSize = s.spec.PoolSize
	case o.PoolSize <= 0:
		o.PoolSize = DefaultPoolSize
	}
	o.MinIdleConns = o.PoolSize
	o.MaxRetries = -1
	o.ContextTimeoutEnabled = true
	o.DisableIdentity = true
	o.PipelinePoolSize = -1
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}

// tls adds the ca_file roots to a rediss:// client.
func (s *Source) tls(o *redis.Options, secure bool) error {
	if s.spec.CAFile == "" {
		return nil
	}
	if !secure {
		return s.invalid("ca_file needs a rediss:// url")
	}
	pem, err := os.ReadFile(s.spec.CAFile)
	if err != nil {
		return &connError{source: s.spec.Name, desc: "read ca_file: " + errors.Unwrap(err).Error(), code: driver.ErrInvalid}
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return s.invalid("ca_file holds no PEM certificate")
	}
	if o.TLSConfig == nil {
		o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	o.TLSConfig.RootCAs = roots
	return nil
}

func (s *Source) invalid(desc string) error {
	return &connError{source: s.spec.Name, desc: desc, code: driver.ErrInvalid}
}

// fill opens up to n connections at once so that a new client's pool is
// complete before it serves. Best effort: the ping already proved the
// credentials.
func fill(ctx context.Context, rc *redis.Client, n int) {
	var wg sync.WaitGroup
	conns := make(chan *redis.Conn, n)
	for range n {
		wg.Go(func() {
			c := rc.Conn()
			if c.Ping(ctx).Err() == nil {
				conns <- c
				return
			}
			_ = c.Close()
		})
	}
	wg.Wait()
	close(conns)
	for c := range conns {
		_ = c.Close() // returns the connection to the pool
	}
}
