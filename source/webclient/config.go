package webclient

import (
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/hushmcp/hush/config/section"
)

var (
	// token is RFC 9110's token: the grammar of a header name.
	token = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	// credentialName matches names whose value is a credential: such a
	// value must come from a secret, never be written in the file.
	credentialName = regexp.MustCompile(`(?i)^(authorization|proxy-authorization|cookie|token|key|sig|code)$|api[-_]?key|token$|secret|passw|signature|session`)
	// reserved headers are set by the transport; a template cannot.
	reserved = []string{"Host", "Content-Length", "Transfer-Encoding", "Connection", "Te", "Trailer", "Upgrade"}
)

// Headers reads a map of header templates at key: valid names, no line
// breaks outside the secrets (cred.Header refuses them inside), and a
// credential-like header only from a secret.
func Headers(r section.Reader, key string) map[string]string {
	h, ok := r.Templates(key)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for name, tmpl := range h {
		canon := http.CanonicalHeaderKey(name)
		switch {
		case !token.MatchString(name):
			r.Errorf(key, "%s.%s: %q is not a valid header name", r.Path(), key, name)
		case slices.Contains(reserved, canon):
			r.Errorf(key, "%s.%s: header %s is set by the client and cannot be configured", r.Path(), key, canon)
		case strings.ContainsAny(tmpl, "\r\n\x00"):
			r.Errorf(key, "%s.%s.%s: a header value cannot hold a line break", r.Path(), key, name)
		default:
			if LiteralCredential(r, key, name, tmpl) {
				continue
			}
			out[canon] = tmpl
		}
	}
	return out
}

// LiteralCredential reports (to r, and as true) a template of a
// credential-like name (Authorization, api_key, ...) that holds no secret
// reference: a credential written into the file.
func LiteralCredential(r section.Reader, key, name, tmpl string) bool {
	if !credentialName.MatchString(name) || strings.Contains(tmpl, "${secret:") {
		return false
	}
	r.Errorf(key, "%s.%s.%s: looks like a credential; use ${secret:NAME} instead, e.g. \"Bearer ${secret:API_KEY}\"", r.Path(), key, name)
	return true
}
