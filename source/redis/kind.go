package redis

import (
	"context"
	"strings"

	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/source"
)

// KindName is the value of kind: for Redis sources.
const KindName = "redis"

// Pool size bounds.
const (
	DefaultPoolSize = 4
	MaxPoolSize     = 1000
)

// Spec is a Redis source's entry in hush.yaml.
type Spec struct {
	Name     string // the source's name; set by Kind's Open
	URL      string // redis:// or rediss:// URL; credentials only as ${secret:NAME}
	PoolSize int    // connections per client; 0: DefaultPoolSize
	CAFile   string // PEM bundle trusted for rediss://; empty: the system roots
}

// Kind is the redis source kind, for registration.
var Kind = source.Kind{
	Name:     KindName,
	Provides: []source.Capability{source.CapKV},
	Keys:     []string{"url", "pool_size", "ca_file"},
	Decode:   decode,
	Open: func(ctx context.Context, spec any, env source.Env) (source.Source, error) {
		s := spec.(Spec)
		s.Name = env.Name
		return Open(ctx, s, env.Secrets, env.Log)
	},
}

func decode(r section.Reader) any {
	var s Spec
	if r.Require("url") {
		s.URL, _ = r.Template("url")
		checkScheme(r, s.URL)
	}
	if n, ok := r.Int("pool_size", 1, MaxPoolSize); ok {
		s.PoolSize = int(n)
	}
	s.CAFile, _ = r.File("ca_file")
	return s
}

// checkScheme refuses a URL whose written scheme is not redis or rediss. A
// URL that is one whole secret is checked when it is opened.
func checkScheme(r section.Reader, url string) {
	if url == "" || strings.HasPrefix(url, "${secret:") {
		return
	}
	if !strings.HasPrefix(url, "redis://") && !strings.HasPrefix(url, "rediss://") {
		r.Errorf("url", "%s.url must start with redis:// or rediss:// (TLS)", r.Path())
	}
}
