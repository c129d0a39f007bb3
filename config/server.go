package config

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

var (
	serverKeys = []string{"name", "transport", "listen", "path", "stateless", "sse", "allowed_origins", "auth_token", "jwt",
		"call_timeout", "shutdown_grace", "drain_delay", "max_body_bytes", "session_timeout", "max_sessions",
		"max_concurrent_requests", "max_connections", "read_timeout", "memory_limit", "metrics_listen", "ready_sources"}
	transports = []string{TransportStdio, TransportHTTP}
	// httpOnly are the server keys that mean nothing with transport stdio.
	httpOnly = []string{"listen", "path", "stateless", "sse", "allowed_origins", "auth_token", "jwt", "drain_delay", "max_body_bytes", "session_timeout",
		"max_sessions", "max_concurrent_requests", "max_connections", "read_timeout", "ready_sources"}
	// wholeRef matches a value that is exactly one ${secret:NAME}.
	wholeRef = regexp.MustCompile(`^\$\{secret:[A-Za-z_][A-Za-z0-9_]*\}$`)
)

// The transports server.transport accepts.
const (
	TransportStdio = "stdio"
	TransportHTTP  = "http"
)

// MetricsOff is server.metrics_listen's value that serves no metrics.
// The documented default, "same", decodes to the empty string.
const MetricsOff = "off"

// CheckTransport returns an error naming the valid transports when t is
// not one of them. The error quotes t: a transport name is no secret.
func CheckTransport(t string) error {
	if slices.Contains(transports, t) {
		return nil
	}
	return fmt.Errorf("unknown transport %q (valid: %s)", t, strings.Join(transports, ", "))
}

// DefaultServer is the server: section of a file that sets none of it. Its
// resource limits are zero, which means "the default": a decoded config
// shows which limits the file set, and WithDefaults fills in the rest.
func DefaultServer() Server {
	return Server{
		Name:          "hush",
		Transport:     TransportStdio,
		Listen:        "127.0.0.1:8080",
		Path:          "/mcp",
		CallTimeout:   30 * time.Second,
		ShutdownGrace: 10 * time.Second,
		MaxBodyBytes:  1 << 20,
	}
}

// Resource limit defaults, applied by WithDefaults. Measured with the real
// binary, 1,000 idle sessions take RSS from 19 to 65 MB (about 45 KB each)
// and an open connection costs tens of KB; the defaults keep both well
// inside the default memory limit.
const (
	defaultSessionTimeout = 10 * time.Minute
	defaultMaxSessions    = 1000
	defaultMaxRequests    = 64
	defaultMaxConnections = 2048
	defaultReadTimeout    = 10 * time.Second
)

// WithDefaults returns s with every field left at zero (or negative, for a
// number or a duration) set to its default: those of DefaultServer and the
// resource limits. MemoryLimit is left as it is: zero there means the
// binary's own default. Server settings built by hand, as in tests, get
// the same defaults as a decoded file.
func (s Server) WithDefaults() Server {
	d := DefaultServer()
	s.Name = cmp.Or(s.Name, d.Name)
	s.Transport = cmp.Or(s.Transport, d.Transport)
	s.Listen = cmp.Or(s.Listen, d.Listen)
	s.Path = cmp.Or(s.Path, d.Path)
	s.CallTimeout = positiveOr(s.CallTimeout, d.CallTimeout)
	s.ShutdownGrace = positiveOr(s.ShutdownGrace, d.ShutdownGrace)
	s.MaxBodyBytes = positiveOr(s.MaxBodyBytes, d.MaxBodyBytes)
	s.SessionTimeout = positiveOr(s.SessionTimeout, defaultSessionTimeout)
	s.ReadTimeout = positiveOr(s.ReadTimeout, defaultReadTimeout)
	s.MaxSessions = positiveOr(s.MaxSessions, defaultMaxSessions)
	s.MaxRequests = positiveOr(s.MaxRequests, defaultMaxRequests)
	s.MaxConnections = positiveOr(s.MaxConnections, defaultMaxConnections)
	return s
}

func positiveOr[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// server decodes the server: section; tk marks the section key. sources
// are the declared sources, which ready_sources must name.
func (d *decoder) server(n ast.Node, tk *token.Token, sources []Source) Server {
	s := DefaultServer()
	o := d.object(n, "server", tk, serverKeys)
	if _, ok := o.get("name"); ok {
		d.setNonEmpty(o, "name", &s.Name)
	}
	d.setEnum(o, "transport", &s.Transport, transports, true)
	d.listen(o, &s.Listen)
	d.path(o, &s.Path)
	d.setBool(o, "stateless", &s.Stateless)
	d.setBool(o, "sse", &s.SSE)
	d.origins(o, &s.AllowedOrigins)
	d.authToken(o, &s.AuthToken)
	s.JWT = d.jwt(o)
	if s.JWT != nil && s.AuthToken != "" {
		d.errorf(o.fields["jwt"].keyTk, "server: auth_token and jwt are mutually exclusive; keep one")
	}
	if s.JWT != nil && s.JWT.Resource == "" && s.Transport == TransportHTTP && !loopback(s.Listen) {
		d.warnf(o.fields["jwt"].keyTk, "server.jwt.resource is not set: the metadata and the default audience say %s; "+
			"set it to the URL clients use", s.ResourceURL())
	}
	d.setDuration(o, "call_timeout", &s.CallTimeout)
	d.setDuration(o, "shutdown_grace", &s.ShutdownGrace)
	d.drainDelay(o, &s.DrainDelay)
	setInt(d, o, "max_body_bytes", &s.MaxBodyBytes, 1, math.MaxInt64)
	d.limits(o, &s)
	d.metricsListen(o, &s)
	d.readySources(o, &s.ReadySources, sources)
	if s.Transport == TransportHTTP && s.MetricsListen == "" && s.Path == "/metrics" {
		d.errorf(o.at, "server.path: /metrics is where metrics are served; choose another path or set metrics_listen")
	}
	if s.Transport == TransportStdio {
		d.warnIgnored(o)
	}
	if s.Transport == TransportHTTP && s.AuthToken == "" && s.JWT == nil && !loopback(s.Listen) {
		d.warnf(o.at, "server: listening on %s without auth_token lets anyone on the network call tools", s.Listen)
	}
	return s
}

// loopback reports whether addr (host:port) only accepts local connections.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (d *decoder) listen(o object, dst *string) {
	var s string
	if !d.setStr(o, "listen", &s) {
		return
	}
	if _, _, err := net.SplitHostPort(s); err != nil {
		d.errorf(at(o.fields["listen"].value), "server.listen: want host:port, e.g. 127.0.0.1:8080")
		return
	}
	*dst = s
}

// metricsListen accepts "same" (the default: beside the MCP endpoint on
// http, none on stdio), "off", or a host:port of its own that differs from
// the MCP listener.
func (d *decoder) metricsListen(o object, s *Server) {
	var v string
	if !d.setStr(o, "metrics_listen", &v) {
		return
	}
	at := at(o.fields["metrics_listen"].value)
	switch _, _, err := net.SplitHostPort(v); {
	case v == "same":
		v = ""
	case v == MetricsOff:
	case err != nil:
		d.errorf(at, "server.metrics_listen: want same, off or host:port, e.g. 0.0.0.0:9090")
		return
	case s.Transport == TransportHTTP && v == s.Listen:
		d.errorf(at, "server.metrics_listen: must differ from server.listen; use same to serve /metrics beside the MCP endpoint")
		return
	}
	s.MetricsListen = v
}

// readySources decodes server.ready_sources: names of declared sources,
// each at most once. An empty list (the default) means every source.
func (d *decoder) readySources(o object, dst *[]string, sources []Source) {
	e, ok := o.get("ready_sources")
	if !ok {
		return
	}
	byName := map[string]Source{}
	for _, s := range sources {
		byName[s.Name] = s
	}
	for i, n := range d.seq(e) {
		item := entry{value: n, path: child(e.path, "", i)}
		name, ok := d.text(item)
		switch {
		case !ok:
		case strings.TrimSpace(name) == "":
			d.errorf(at(n), "%s: must not be empty", item.path)
		case byName[name].Name == "":
			d.errorf(at(n), "%s: unknown source %s (%s)", item.path, quoteKey(name), declared(byName))
		case slices.Contains(*dst, name):
			d.errorf(at(n), "%s: source %s is listed twice", item.path, quoteKey(name))
		default:
			*dst = append(*dst, name)
		}
	}
}

// drainDelay decodes server.drain_delay: a duration, zero allowed (the
// default: no delay).
func (d *decoder) drainDelay(o object, dst *time.Duration) {
	e, ok := o.get("drain_delay")
	if !ok {
		return
	}
	if _, isStr := e.value.(*ast.StringNode); !isStr {
		d.errorf(at(e.value), "%s: want a duration such as 5s, got %s", e.path, kindOf(e.value))
		return
	}
	text, _ := d.text(e)
	v, err := time.ParseDuration(text)
	switch {
	case err != nil:
		d.errorf(at(e.value), "%s: invalid duration (want e.g. 0s, 5s)", e.path)
	case v < 0:
		d.errorf(at(e.value), "%s: must not be negative", e.path)
	default:
		*dst = v
	}
}

func (d *decoder) path(o object, dst *string) {
	var s string
	if !d.setStr(o, "path", &s) {
		return
	}
	if !strings.HasPrefix(s, "/") {
		d.errorf(at(o.fields["path"].value), "server.path: must start with /")
		return
	}
	*dst = s
}

// authToken accepts only a ${secret:NAME} reference: a token written into
// the file would be a credential in plain text. The value is never echoed.
func (d *decoder) authToken(o object, dst *string) {
	e, ok := o.get("auth_token")
	if !ok {
		return
	}
	s, ok := d.text(e)
	if !ok {
		return
	}
	if !wholeRef.MatchString(s) {
		d.errorf(at(e.value), "server.auth_token: must be a secret reference such as ${secret:MCP_TOKEN}, "+
			"declared under secrets:; a literal token is not allowed")
		return
	}
	d.use(s, e)
	*dst = s
}

func (d *decoder) warnIgnored(o object) {
	for _, k := range httpOnly {
		if e, ok := o.fields[k]; ok {
			d.warnf(e.keyTk, "server.%s is ignored with transport stdio", k)
		}
	}
}

// limits decodes the resource limits. Absent keys stay zero: WithDefaults
// fills them where the server is built.
func (d *decoder) limits(o object, s *Server) {
	d.setDuration(o, "session_timeout", &s.SessionTimeout)
	d.setDuration(o, "read_timeout", &s.ReadTimeout)
	setInt(d, o, "max_sessions", &s.MaxSessions, 1, math.MaxInt32)
	setInt(d, o, "max_concurrent_requests", &s.MaxRequests, 1, math.MaxInt32)
	setInt(d, o, "max_connections", &s.MaxConnections, 1, math.MaxInt32)
	d.memoryLimit(o, &s.MemoryLimit)
}

// memoryLimit accepts what GOMEMLIMIT accepts: a byte count with an
// optional unit (B, KiB, MiB, GiB, TiB), or "off".
func (d *decoder) memoryLimit(o object, dst *int64) {
	var text string
	if !d.setStr(o, "memory_limit", &text) {
		return
	}
	n, err := ParseMemoryLimit(text)
	if err != nil {
		d.errorf(at(o.fields["memory_limit"].value), "server.memory_limit: %v", err)
		return
	}
	*dst = n
}

var memUnits = []struct {
	suffix string
	shift  uint
}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}

// ParseMemoryLimit parses a memory limit in GOMEMLIMIT syntax ("256MiB",
// "1GiB", "1048576", "off"). "off" is math.MaxInt64, the runtime's "no
// limit". The error never repeats the text.
func ParseMemoryLimit(text string) (int64, error) {
	text = strings.TrimSpace(text)
	if text == "off" {
		return math.MaxInt64, nil
	}
	num, shift := text, uint(0)
	for _, u := range memUnits {
		if n, ok := strings.CutSuffix(text, u.suffix); ok {
			num, shift = n, u.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	switch {
	case err != nil || n <= 0:
		return 0, errors.New("want a positive size such as 256MiB or 1GiB, or off")
	case n > math.MaxInt64>>shift:
		return 0, errors.New("size out of range")
	}
	return n << shift, nil
}

var (
	jwtKeys = []string{"public_key", "jwks_url", "issuer", "audience", "resource", "authorization_servers",
		"scopes", "key_overlap", "clock_skew"}
	// scopeToken is RFC 6749 §3.3's scope-token.
	scopeToken = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]{1,128}$`)
)

// jwt decodes server.jwt. Every problem is reported; nil means absent or
// not a mapping.
func (d *decoder) jwt(o object) *JWT {
	e, ok := o.get("jwt")
	if !ok {
		return nil
	}
	jo := d.object(e.value, "server.jwt", e.keyTk, jwtKeys)
	if jo.bad {
		return nil
	}
	j := &JWT{}
	d.jwtKeySource(jo, j)
	d.setNonEmpty(jo, "issuer", &j.Issuer)
	j.Audience, _ = d.strList(jo, "audience")
	if d.setStr(jo, "resource", &j.Resource) {
		d.checkURL(jo, "resource", j.Resource)
	}
	j.AuthorizationServers, _ = d.strList(jo, "authorization_servers")
	for i, as := range j.AuthorizationServers {
		d.checkURL(jo, "authorization_servers", as, i)
	}
	j.Scopes = d.scopes(jo)
	d.setDuration(jo, "key_overlap", &j.KeyOverlap)
	if d.setDuration(jo, "clock_skew", &j.ClockSkew) && j.ClockSkew > MaxClockSkew {
		d.errorf(at(jo.fields["clock_skew"].value), "server.jwt.clock_skew: at most %s", MaxClockSkew)
	}
	return j
}

// jwtKeySource checks that exactly one of public_key and jwks_url is set.
func (d *decoder) jwtKeySource(jo object, j *JWT) {
	pk, hasPK := jo.get("public_key")
	_, hasURL := jo.get("jwks_url")
	switch {
	case hasPK && hasURL:
		d.errorf(jo.fields["jwks_url"].keyTk, "server.jwt: public_key and jwks_url are mutually exclusive; keep one")
		return
	case !hasPK && !hasURL:
		d.errorf(jo.at, "server.jwt: set public_key (${secret:NAME} of PEM public keys) or jwks_url")
		return
	case hasURL:
		if d.setStr(jo, "jwks_url", &j.JWKSURL) {
			d.checkURL(jo, "jwks_url", j.JWKSURL)
		}
		return
	}
	s, ok := d.text(pk)
	if !ok {
		return
	}
	if !wholeRef.MatchString(s) {
		d.errorf(at(pk.value), "server.jwt.public_key: must be a secret reference such as ${secret:JWT_PUBLIC_KEY}, declared under secrets:")
		return
	}
	d.use(s, pk)
	j.PublicKey = s
}

// checkURL reports a value of key (item i of a list, when given) that is
// not an absolute http(s) URL without userinfo. The URL is not echoed.
func (d *decoder) checkURL(o object, key, raw string, i ...int) {
	u, err := url.Parse(raw)
	if err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil {
		return
	}
	tk := at(o.fields[key].value)
	if len(i) > 0 {
		if items := d.seq(o.fields[key]); i[0] < len(items) {
			tk = at(items[i[0]])
		}
	}
	d.errorf(tk, "%s.%s: want an absolute http(s) URL without user info", o.path, key)
}

// scopes decodes a list of scope names under o's "scopes".
func (d *decoder) scopes(o object) []string {
	list, _ := d.strList(o, "scopes")
	var out []string
	for i, sc := range list {
		if !scopeToken.MatchString(sc) {
			items := d.seq(o.fields["scopes"])
			d.errorf(at(items[min(i, len(items)-1)]), "%s.scopes: invalid scope name (RFC 6749 scope-token: no spaces, quotes or backslashes)", o.path)
			continue
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// origins decodes allowed_origins: each a browser origin,
// scheme://host[:port], with nothing after it.
func (d *decoder) origins(o object, dst *[]string) {
	list, ok := d.strList(o, "allowed_origins")
	if !ok {
		return
	}
	for i, s := range list {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			d.errorf(at(o.fields["allowed_origins"].value), "server.allowed_origins[%d]: want an origin such as https://app.example.com", i)
			continue
		}
		*dst = append(*dst, u.Scheme+"://"+u.Host)
	}
}
