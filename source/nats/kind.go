package nats

import (
	"context"
	"strings"

	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/source"
)

// KindName is the value of kind: for NATS sources.
const KindName = "nats"

// Spec is a NATS source's entry in hush.yaml. At most one way to log in
// is used: user and password (in the url's userinfo or the user and
// password keys), a token, an NKey seed, or a creds file's content (a
// user JWT and its seed). Credentials appear only as ${secret:NAME}.
type Spec struct {
	Name        string // the source's name; set by Kind's Open
	URL         string // nats:// or tls:// URL, or a comma-separated list of them
	User        string // template; with Password
	Password    string // template
	Token       string // template
	NKeySeed    string // template: an NKey user seed ("SU...")
	Credentials string // template: the content of a .creds file
	CAFile      string // PEM bundle trusted for TLS; empty: the system roots
}

// Kind is the nats source kind, for registration.
var Kind = source.Kind{
	Name:     KindName,
	Provides: []source.Capability{source.CapPublish},
	Keys:     []string{"url", "user", "password", "token", "nkey_seed", "credentials", "ca_file"},
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
	s.User, _ = r.Template("user")
	s.Password = secretOnly(r, "password")
	s.Token = secretOnly(r, "token")
	s.NKeySeed = secretOnly(r, "nkey_seed")
	s.Credentials = secretOnly(r, "credentials")
	s.CAFile, _ = r.File("ca_file")
	checkLogins(r, s)
	return s
}

// secretOnly reads a template that must take its value from a secret:
// a literal password, token or seed in hush.yaml is refused.
func secretOnly(r section.Reader, key string) string {
	v, ok := r.Template(key)
	if ok && !strings.Contains(v, "${secret:") {
		r.Errorf(key, "%s.%s must come from a secret: write ${secret:NAME} and declare NAME under secrets", r.Path(), key)
		return ""
	}
	return v
}

// checkScheme refuses a written scheme other than nats or tls. A URL that
// is one whole secret is checked when it is opened.
func checkScheme(r section.Reader, url string) {
	if url == "" || strings.HasPrefix(url, "${secret:") {
		return
	}
	for u := range strings.SplitSeq(url, ",") {
		u = strings.TrimSpace(u)
		if !strings.HasPrefix(u, "nats://") && !strings.HasPrefix(u, "tls://") {
			r.Errorf("url", "%s.url must start with nats:// or tls:// (a list is separated by commas)", r.Path())
			return
		}
	}
}

// checkLogins refuses two ways to log in at once, and a user without a
// password or the reverse.
func checkLogins(r section.Reader, s Spec) {
	if (s.User == "") != (s.Password == "") && (r.Has("user") || r.Has("password")) {
		r.Errorf("user", "%s: user and password go together", r.Path())
	}
	n := 0
	for _, v := range []string{s.Password, s.Token, s.NKeySeed, s.Credentials} {
		if v != "" {
			n++
		}
	}
	if hasUserinfo(s.URL) {
		n++
	}
	if n > 1 {
		r.Errorf("", "%s: choose one way to log in: user and password (in the url or apart), token, nkey_seed or credentials", r.Path())
	}
}

// hasUserinfo reports whether a written URL carries user:password@.
func hasUserinfo(url string) bool {
	_, rest, ok := strings.Cut(url, "://")
	if !ok {
		return false
	}
	host, _, _ := strings.Cut(rest, "/")
	return strings.Contains(host, "@")
}
