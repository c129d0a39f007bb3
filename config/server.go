package config

import (
	"math"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

var (
	serverKeys = []string{"name", "transport", "listen", "path", "stateless", "auth_token",
		"call_timeout", "shutdown_grace", "max_body_bytes"}
	transports = []string{"stdio", "http"}
	// httpOnly are the server keys that mean nothing with transport stdio.
	httpOnly = []string{"listen", "path", "stateless", "auth_token", "max_body_bytes"}
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
	d.authToken(o, &s.AuthToken)
	d.setDuration(o, "call_timeout", &s.CallTimeout)
	d.setDuration(o, "shutdown_grace", &s.ShutdownGrace)
	setInt(d, o, "max_body_bytes", &s.MaxBodyBytes, 1, math.MaxInt64)
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
