package awssm

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/hushmcp/hush/config/section"
)

// Defaults, after AWS's own caching client: a value is checked again at a
// random point between half its TTL and its TTL.
const (
	DefaultRefreshTTL            = time.Hour
	DefaultForcedRefreshInterval = 2 * time.Second
	minRefreshTTL                = time.Second
)

// Config is the top-level awssm: block of hush.yaml. It holds no
// credentials, and cannot: credentials come from the SDK's default chain
// (environment, shared config, web identity / IRSA, ECS task role, EC2
// instance metadata), so a role, not a long-lived key, is what Hush runs as.
type Config struct {
	// Region is used by references without ?region= or an ARN; empty: the
	// SDK's (AWS_REGION, AWS_DEFAULT_REGION, the profile).
	Region string
	// Endpoint replaces the service endpoint (a VPC interface endpoint, a
	// test server). Empty: the SDK's, which also honours
	// AWS_ENDPOINT_URL_SECRETS_MANAGER.
	Endpoint string
	// RefreshTTL bounds how stale a value may get: every secret is checked
	// (DescribeSecret) at a random point in [RefreshTTL/2, RefreshTTL).
	RefreshTTL time.Duration
	// ForcedRefreshInterval is the least time between two refreshes forced
	// by consumers (a rejected credential) of one secret; a force within it
	// is carried out when it ends, by the driver, never by waiting.
	ForcedRefreshInterval time.Duration
}

// DefaultConfig is the configuration without an awssm: block.
func DefaultConfig() Config {
	return Config{RefreshTTL: DefaultRefreshTTL, ForcedRefreshInterval: DefaultForcedRefreshInterval}
}

var blockKeys = []string{"region", "endpoint", "refresh_ttl", "forced_refresh_interval"}

// BlockKeys lists the keys of the awssm: block. There is no key for
// credentials: an access key written in hush.yaml is an unknown key.
func (o *Opener) BlockKeys() []string { return append([]string(nil), blockKeys...) }

// DecodeBlock reads the awssm: block into a *Config. It does no I/O; every
// problem is recorded on r.
func (o *Opener) DecodeBlock(r section.Reader) any {
	c := DefaultConfig()
	if v, ok := r.String("region"); ok {
		if !regionPattern.MatchString(v) {
			r.Errorf("region", "%s.region: must be an AWS region such as eu-west-1", r.Path())
		}
		c.Region = v
	}
	if v, ok := r.String("endpoint"); ok {
		checkEndpoint(r, v)
		c.Endpoint = v
	}
	if d, ok := r.Duration("refresh_ttl"); ok {
		if d < minRefreshTTL {
			r.Errorf("refresh_ttl", "%s.refresh_ttl: must be at least %v", r.Path(), minRefreshTTL)
		}
		c.RefreshTTL = d
	}
	if d, ok := r.Duration("forced_refresh_interval"); ok {
		c.ForcedRefreshInterval = d
	}
	return &c
}

// checkEndpoint accepts an http(s) URL without credentials, query or
// fragment, and warns when secrets would cross a network unencrypted.
func checkEndpoint(r section.Reader, v string) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		r.Errorf("endpoint", "%s.endpoint: must be an http:// or https:// URL without credentials or query", r.Path())
		return
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		r.Warnf("endpoint", "%s.endpoint: plain http: secret values cross the network unencrypted", r.Path())
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Configure sets what DecodeBlock returned (nil: DefaultConfig). It does
// no I/O: the AWS configuration is loaded when the first awssm secret is
// opened, so a server without awssm secrets never reads it. Configure may
// run again only while no secret has been opened.
func (o *Opener) Configure(_ context.Context, block any) error {
	cfg := DefaultConfig()
	switch b := block.(type) {
	case nil:
	case *Config:
		cfg = *b
	default:
		return fmt.Errorf("awssm block of type %T", block)
	}
	cfg = cfg.withDefaults()
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.closed:
		return fmt.Errorf("awssm: configure after close")
	case o.used:
		return fmt.Errorf("awssm: configure after secrets were opened")
	}
	o.cfg, o.configured = cfg, true
	return nil
}

func (c Config) withDefaults() Config {
	if c.RefreshTTL <= 0 {
		c.RefreshTTL = DefaultRefreshTTL
	}
	if c.ForcedRefreshInterval <= 0 {
		c.ForcedRefreshInterval = DefaultForcedRefreshInterval
	}
	return c
}
