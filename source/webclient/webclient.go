// Package webclient holds what the HTTP-speaking source kinds (http and
// webhook) share: the check of a URL template at load, an http.Client that
// never follows a redirect to another origin, a capped response read, and
// error texts that never carry a URL. It is a helper, not a kind.
//
// Credentials travel only to the origin (scheme, host and port) the config
// names: a secret may stand in a URL's userinfo, path or query, never in its
// host, and a redirect to any other origin is refused before it is sent.
package webclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/secret"
)

// Defaults shared by the kinds.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultMaxBytes = 1 << 20
	MaxMaxBytes     = 64 << 20
	maxRedirects    = 5
)

// refMark stands in for each ${secret:...} while a template's structure is
// checked; it is a valid host character run, so a reference in the host
// shows up there.
const refMark = "hushsecretref"

// CheckURL checks the URL template of key at load: http or https, a literal
// host, no fragment. It reports problems to r (never the value) and returns
// the template's origin (scheme://host:port) when it is valid.
func CheckURL(r section.Reader, key, tmpl string) (string, bool) {
	origin, err := OriginOf(tmpl)
	if err != nil {
		r.Errorf(key, "%s.%s: %v", r.Path(), key, err)
		return "", false
	}
	return origin, true
}

// OriginOf returns the origin of a URL template, whose secrets may stand
// anywhere but in the scheme and host. Its errors never hold the template.
func OriginOf(tmpl string) (string, error) {
	masked := tmpl
	for _, u := range secret.Uses(tmpl) {
		masked = strings.Replace(masked, tmpl[u.Start:u.End], refMark, 1)
	}
	u, err := url.Parse(masked)
	switch {
	case err != nil:
		return "", errors.New("not a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("must be an http:// or https:// URL")
	case u.Host == "":
		return "", errors.New("the URL has no host")
	case strings.Contains(u.Host, refMark):
		return "", errors.New("a secret may stand in the URL's user, path or query, not in its host")
	case u.Fragment != "" || strings.Contains(masked, "#"):
		return "", errors.New("the URL must not have a #fragment")
	}
	return Origin(u), nil
}

// Origin is u's scheme://host:port, with the scheme's default port made
// explicit so that two spellings of one origin compare equal.
func Origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// ErrOrigin is wrapped by the error of a request that an expanded URL or a
// redirect would send to an origin the config did not name.
var ErrOrigin = errors.New("refused: another origin than the configured one")

// ParseExpanded parses an expanded URL template and checks that its origin
// is still origin: escaping placed every secret, but this is where that is
// proven rather than assumed.
func ParseExpanded(s, origin string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("the expanded URL does not parse")
	}
	if Origin(u) != origin {
		return nil, ErrOrigin
	}
	return u, nil
}

// NewClient returns a client with a transport of its own (so that closing
// it closes its connections only) that follows at most five redirects, all
// within origin. Go would strip credential headers on a redirect to another
// host, but not a key in the query string; refusing the redirect covers both.
// roots are the trusted CAs; nil: the system's.
func NewClient(origin string, roots *x509.CertPool) *http.Client {
	// Built here rather than cloned from http.DefaultTransport, which a
	// program may have replaced; the settings are the default transport's.
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	if roots != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if Origin(req.URL) != origin {
				return ErrOrigin
			}
			if len(via) >= maxRedirects {
				return errTooManyRedirects
			}
			return nil
		},
	}
}

var errTooManyRedirects = errors.New("too many redirects")

// LoadRoots reads PEM certificates from path, for a ca_file key. An
// empty path returns nil: the system's roots.
func LoadRoots(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("ca_file holds no PEM certificate")
	}
	return pool, nil
}

// CloseClient closes the idle connections of a client built by NewClient.
// Calls in flight are not affected; Live closes a client only once they
// have finished.
func CloseClient(c *http.Client) { c.CloseIdleConnections() }

// Status is a short description of an HTTP status for messages:
// "404 Not Found".
func Status(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}
