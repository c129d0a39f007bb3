package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/webclient"
)

// KindName is the value of kind: for HTTP API sources.
const KindName = "http"

// Limits on the kind's keys.
const (
	DefaultRetries = 2
	MaxRetries     = 5
)

// Methods are the methods a source may allow; the default allows all.
var Methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// Spec is an HTTP API source's entry in hush.yaml.
type Spec struct {
	Name       string            // the source's name; set by Kind's Open
	BaseURL    string            // template; secrets only in userinfo, path or query
	Origin     string            // scheme://host:port of BaseURL; every request goes there
	Headers    map[string]string // header name -> template, e.g. "Bearer ${secret:KEY}"
	Query      map[string]string // query parameter -> template, added to every request
	Timeout    time.Duration     // per attempt; 0: webclient.DefaultTimeout
	MaxBytes   int64             // response body cap; 0: webclient.DefaultMaxBytes
	Retries    int               // extra attempts for idempotent methods
	HealthPath string            // GET target for Ping; empty: HEAD on BaseURL
	Methods    []string          // allowed methods; empty: all of Methods
	CAFile     string            // PEM file of the CAs to trust; empty: the system's
}

// AllowsMethod reports whether tools over this source may use method.
// Tool kinds find it by type assertion on the decoded spec, so a tool whose
// method the source refuses fails at load.
func (s Spec) AllowsMethod(method string) bool {
	if len(s.Methods) == 0 {
		return slices.Contains(Methods, method)
	}
	return slices.Contains(s.Methods, method)
}

// Kind is the http source kind, for registration.
var Kind = source.Kind{
	Name:     KindName,
	Provides: []source.Capability{source.CapHTTP},
	Keys:     []string{"base_url", "headers", "query", "timeout", "max_response_bytes", "retries", "health_path", "methods", "ca_file"},
	Decode:   decode,
	Open: func(ctx context.Context, spec any, env source.Env) (source.Source, error) {
		s := spec.(Spec)
		s.Name = env.Name
		return Open(ctx, s, env)
	},
}

func decode(r section.Reader) any {
	s := Spec{Retries: DefaultRetries}
	if r.Require("base_url") {
		s.BaseURL, _ = r.Template("base_url")
		if s.BaseURL != "" {
			s.Origin, _ = webclient.CheckURL(r, "base_url", s.BaseURL)
		}
	}
	s.Headers = webclient.Headers(r, "headers")
	s.Query = queryTemplates(r)
	s.Timeout, _ = r.Duration("timeout")
	if n, ok := r.Int("max_response_bytes", 1, webclient.MaxMaxBytes); ok {
		s.MaxBytes = n
	}
	if n, ok := r.Int("retries", 0, MaxRetries); ok {
		s.Retries = int(n)
	}
	s.HealthPath = healthPath(r)
	s.Methods = methods(r)
	s.CAFile, _ = r.File("ca_file")
	return s
}

func queryTemplates(r section.Reader) map[string]string {
	q, ok := r.Templates("query")
	if !ok {
		return nil
	}
	for name, tmpl := range q {
		if webclient.LiteralCredential(r, "query", name, tmpl) {
			delete(q, name)
		}
	}
	return q
}

func healthPath(r section.Reader) string {
	p, ok := r.String("health_path")
	if !ok {
		return ""
	}
	u, err := url.Parse(p)
	if err != nil || !strings.HasPrefix(p, "/") || u.Host != "" || strings.Contains(p, "#") || strings.Contains(p, "${") {
		r.Errorf("health_path", "%s.health_path: must be a path starting with /, optionally with a query", r.Path())
		return ""
	}
	return p
}

func methods(r section.Reader) []string {
	list, ok := r.Strings("methods")
	if !ok {
		return nil
	}
	for _, m := range list {
		if !slices.Contains(Methods, m) {
			r.Errorf("methods", "%s.methods: unknown method %q (valid: %s)", r.Path(), m, strings.Join(Methods, ", "))
			return nil
		}
	}
	return list
}
