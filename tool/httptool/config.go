package httptool

import (
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/tool"
	"github.com/hushmcp/hush/tool/tmpl"
)

// Config is an http tool's own keys.
type Config struct {
	Method    string
	Path      tmpl.Template            // appended to the source's base URL
	Query     map[string]tmpl.Template // parameter name -> template
	Body      []string                 // parameters sent as a JSON object
	ErrorBody bool                     // show the start of a non-2xx answer's body
}

// methods a tool may use; HEAD and OPTIONS return nothing a model can use.
var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// bodyMethods may carry a JSON body.
var bodyMethods = []string{http.MethodPost, http.MethodPut, http.MethodPatch}

// methodPolicy is implemented by the decoded spec of a source that limits
// its methods (the http source's does), so a tool using a method its source
// refuses fails at load.
type methodPolicy interface{ AllowsMethod(method string) bool }

func decode(r section.Reader, c tool.Context) any {
	cfg := Config{Method: http.MethodGet}
	if m, ok := r.Enum("method", methods...); ok {
		cfg.Method = m
	}
	if p, ok := policyOf(c); ok && !p.AllowsMethod(cfg.Method) {
		r.Errorf("method", "%s.method: the source does not allow %s", r.Path(), cfg.Method)
	}
	params := paramIndex(c)
	cfg.Path = decodePath(r, params)
	cfg.Query = decodeQuery(r, params)
	cfg.Body = decodeBody(r, cfg.Method, params)
	cfg.ErrorBody, _ = r.Bool("error_body")
	if c.ParamsOK {
		warnUnused(r, cfg, c.Params)
	}
	return cfg
}

func policyOf(c tool.Context) (methodPolicy, bool) {
	p, ok := c.Source.(methodPolicy)
	return p, ok
}

// paramIndex maps declared parameter names to their declarations; nil when
// a declaration had a problem, so references are not checked twice.
func paramIndex(c tool.Context) map[string]tool.Param {
	if !c.ParamsOK {
		return nil
	}
	m := map[string]tool.Param{}
	for _, p := range c.Params {
		m[p.Name] = p
	}
	return m
}

// literalPath is what a path template may hold outside placeholders:
// unreserved and sub-delimiter characters, ':', '@', '/' and escapes.
var literalPath = regexp.MustCompile(`^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$`)

func decodePath(r section.Reader, params map[string]tool.Param) tmpl.Template {
	s, ok := r.String("path")
	if !ok {
		return tmpl.Template{}
	}
	t, err := tmpl.Parse(s)
	switch {
	case err != nil:
		r.Errorf("path", "%s.path: %v", r.Path(), err)
	case !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//"):
		r.Errorf("path", "%s.path: must start with a single /", r.Path())
	case !literalPath.MatchString(strings.Join(t.Literals(), "")):
		r.Errorf("path", "%s.path: outside {parameters} only URL path characters are allowed (no ?, # or spaces)", r.Path())
	case hasDotSegment(t.Literals()):
		r.Errorf("path", "%s.path: must not hold . or .. segments", r.Path())
	default:
		checkRefs(r, "path", t, params, true)
		return t
	}
	return tmpl.Template{}
}

func hasDotSegment(literals []string) bool {
	for _, seg := range strings.Split(strings.Join(literals, "\x00"), "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

func decodeQuery(r section.Reader, params map[string]tool.Param) map[string]tmpl.Template {
	q, ok := r.Templates("query")
	if !ok {
		return nil
	}
	out := map[string]tmpl.Template{}
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if strings.Contains(q[name], "${secret:") {
			r.Errorf("query", "%s.query.%s: secrets belong in the source's headers or query, not in a tool", r.Path(), name)
			continue
		}
		t, err := tmpl.Parse(q[name])
		if err != nil {
			r.Errorf("query", "%s.query.%s: %v", r.Path(), name, err)
			continue
		}
		checkRefs(r, "query", t, params, false)
		out[name] = t
	}
	return out
}

func decodeBody(r section.Reader, method string, params map[string]tool.Param) []string {
	names, ok := r.Strings("body")
	if !ok {
		return nil
	}
	if !slices.Contains(bodyMethods, method) {
		r.Errorf("body", "%s.body: a %s request has no body (use POST, PUT or PATCH)", r.Path(), method)
		return nil
	}
	for _, n := range names {
		if _, ok := params[n]; params != nil && !ok {
			r.Errorf("body", "%s.body: %q is not a declared parameter", r.Path(), n)
		}
	}
	return names
}

// checkRefs checks that a template's placeholders name declared
// parameters; in a path each must always have a value.
func checkRefs(r section.Reader, key string, t tmpl.Template, params map[string]tool.Param, always bool) {
	if params == nil {
		return
	}
	for _, n := range t.Names() {
		p, ok := params[n]
		switch {
		case !ok:
			r.Errorf(key, "%s.%s: {%s} is not a declared parameter", r.Path(), key, n)
		case always && !p.Required && p.Default == nil:
			r.Errorf(key, "%s.%s: {%s} must be required or have a default: a path cannot leave it out", r.Path(), key, n)
		}
	}
}

// warnUnused warns about parameters the request never sends.
func warnUnused(r section.Reader, cfg Config, params []tool.Param) {
	used := map[string]bool{}
	for _, n := range cfg.Path.Names() {
		used[n] = true
	}
	for _, t := range cfg.Query {
		for _, n := range t.Names() {
			used[n] = true
		}
	}
	for _, n := range cfg.Body {
		used[n] = true
	}
	for _, p := range params {
		if !used[p.Name] {
			r.Warnf("", "%s: parameter %q is not used in path, query or body", r.Path(), p.Name)
		}
	}
}
