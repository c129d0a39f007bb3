package webhook

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/webclient"
)

// KindName is the value of kind: for webhook sources.
const KindName = "webhook"

// CapNotify is what a webhook source provides: signed notifications.
const CapNotify = source.CapNotify

// MaxOverlap bounds overlap: two keys are valid together only briefly.
const MaxOverlap = 24 * time.Hour

// Spec is a webhook source's entry in hush.yaml.
type Spec struct {
	Name    string            // the source's name; set by Kind's Open
	URL     string            // template; secrets only in userinfo, path or query
	Origin  string            // scheme://host:port of URL
	Secret  string            // the signing key's reference, e.g. ${secret:NOTIFICATION_SECRET}
	Headers map[string]string // more headers, templates
	Timeout time.Duration     // per delivery; 0: webclient.DefaultTimeout
	Overlap time.Duration     // after a rotation, sign with the previous key too, this long
	NoPing  bool              // ping: false; never send a ping event
	CAFile  string            // PEM file of the CAs to trust; empty: the system's
}

// Kind is the webhook source kind, for registration.
var Kind = source.Kind{
	Name:     KindName,
	Provides: []source.Capability{CapNotify},
	Keys:     []string{"url", "secret", "headers", "timeout", "overlap", "ping", "ca_file"},
	Decode:   decode,
	Open: func(ctx context.Context, spec any, env source.Env) (source.Source, error) {
		s := spec.(Spec)
		s.Name = env.Name
		return Open(ctx, s, env)
	},
}

// ownHeaders are set by the source on every delivery.
var ownHeaders = []string{HeaderSignature, HeaderTimestamp, HeaderDelivery, HeaderEvent, "Content-Type"}

func decode(r section.Reader) any {
	var s Spec
	if r.Require("url", "secret") {
		s.URL, _ = r.Template("url")
		if s.URL != "" {
			s.Origin, _ = webclient.CheckURL(r, "url", s.URL)
		}
		s.Secret = signingKey(r)
	}
	s.Headers = webclient.Headers(r, "headers")
	for name := range s.Headers {
		if containsFold(ownHeaders, name) {
			r.Errorf("headers", "%s.headers: %s is set by the source on every delivery", r.Path(), name)
		}
	}
	s.Timeout, _ = r.Duration("timeout")
	if d, ok := r.Duration("overlap"); ok {
		if d > MaxOverlap {
			r.Errorf("overlap", "%s.overlap: at most %s", r.Path(), MaxOverlap)
		}
		s.Overlap = d
	}
	if b, ok := r.Bool("ping"); ok {
		s.NoPing = !b
	}
	s.CAFile, _ = r.File("ca_file")
	return s
}

// signingKey reads secret, which must be one whole reference: a key built
// from literal text and a secret would be partly written in the file.
func signingKey(r section.Reader) string {
	t, ok := r.Template("secret")
	if !ok {
		return ""
	}
	uses := secret.Uses(t)
	if len(uses) != 1 || uses[0].Start != 0 || uses[0].End != len(t) {
		r.Errorf("secret", "%s.secret: must be one secret reference such as ${secret:NOTIFICATION_SECRET}", r.Path())
		return ""
	}
	return t
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, http.CanonicalHeaderKey(s)) {
			return true
		}
	}
	return false
}
