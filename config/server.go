package config

import (
	"errors"
	"math"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

var (
	serverKeys = []string{"name", "transport", "listen", "path", "stateless", "sse", "auth_token",
		"call_timeout", "shutdown_grace", "max_body_bytes", "session_timeout", "max_sessions",
		"max_concurrent_requests", "max_connections", "read_timeout", "memory_limit"}
	transports = []string{"stdio", "http"}
	// httpOnly are the server keys that mean nothing with transport stdio.
	httpOnly = []string{"listen", "path", "stateless", "sse", "auth_token", "max_body_bytes", "session_timeout",
		"max_sessions", "max_concurrent_requests", "max_connections", "read_timeout"}
	// wholeRef matches a value that is exactly one ${secret:NAME}.
	wholeRef = regexp.MustCompile(`^\$\{secret:[A-Za-z_][A-Za-z0-9_]*\}$`)
)

func defaultServer() Server {
	return Server{
		Name:          "hush",
		Transport:     "stdio",
		Listen:        "127.0.0.1:8080",
		Path:          "/mcp",
		CallTimeout:   30 * time.Second,
		ShutdownGrace: 10 * time.Second,
		MaxBodyBytes:  1 << 20,
	}
}

// server decodes the server: section; tk marks the section key.
func (d *decoder) server(n ast.Node, tk *token.Token) Server {
	s := defaultServer()
	o := d.object(n, "server", tk, serverKeys)
	if _, ok := o.get("name"); ok {
		d.setNonEmpty(o, "name", &s.Name)
	}
	d.setEnum(o, "transport", &s.Transport, transports, true)
	d.listen(o, &s.Listen)
	d.path(o, &s.Path)
	d.setBool(o, "stateless", &s.Stateless)
	d.setBool(o, "sse", &s.SSE)
	d.authToken(o, &s.AuthToken)
	d.setDuration(o, "call_timeout", &s.CallTimeout)
	d.setDuration(o, "shutdown_grace", &s.ShutdownGrace)
	setInt(d, o, "max_body_bytes", &s.MaxBodyBytes, 1, math.MaxInt64)
	d.limits(o, &s)
	if s.Transport == "stdio" {
		d.warnIgnored(o)
	}
	if s.Transport == "http" && s.AuthToken == "" && !loopback(s.Listen) {
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

// limits decodes the resource limits. Absent keys stay zero: the server
// applies its defaults, so they live in one place.
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
