// Package config turns a hush.yaml file into typed configuration. Decoding
// is strict (unknown keys are errors with file:line:col), every error is
// reported at once (errors.Join of *Error, sorted by position), and
// credentials enter only as ${secret:NAME}: a literal password in a dsn or a
// literal auth_token is an error. Messages never repeat a value from
// secrets:, a dsn or a token. It does no network or secret I/O.
package config

import (
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/tool"
)

// Config is a loaded, checked hush.yaml. Lists keep file order.
type Config struct {
	Path      string
	Server    Server
	Secrets   []secret.Decl
	Sources   []Source
	Tools     []tool.Spec
	Providers map[string]any // decoded top-level provider blocks, by scheme (vault:, ...)
	Kinds     Kinds          // the parts the file was decoded against
	Warnings  []string       // non-fatal findings as "file:line:col: message", e.g. a declared secret no one uses
}

// Kinds are the registered parts a file is decoded against: source kinds,
// tool kinds, and secret providers (whose Configurers own top-level blocks).
// The binary assembles them in one place; tests build their own.
type Kinds struct {
	Sources   *source.Registry
	Tools     *tool.Registry
	Providers *secret.Mux // nil: no provider blocks
}

// Server is the server: section. DefaultServer holds the defaults a file
// starts from, and WithDefaults fills every field left at zero.
type Server struct {
	Name      string // MCP implementation name
	Transport string // TransportStdio or TransportHTTP
	Listen    string // http: address
	Path      string // http: MCP endpoint path
	Stateless bool   // http: stateless streamable HTTP (needed by protocol 2026-07-28 clients)
	SSE       bool   // http: answer each POST with an event stream instead of one JSON body
	// AllowedOrigins are browser origins (scheme://host[:port]) trusted to
	// call the MCP endpoint cross-origin; every other cross-origin browser
	// request is refused. Clients that are not browsers send no Origin and
	// are not affected.
	AllowedOrigins []string
	AuthToken      string        // http: bearer token template, e.g. ${secret:MCP_TOKEN}; empty: no auth
	JWT            *JWT          // http: bearer JWT verification; nil: none. Exclusive with AuthToken
	CallTimeout    time.Duration // default per-call timeout
	ShutdownGrace  time.Duration // in-flight calls get this long on SIGTERM
	// DrainDelay is how long an http server keeps serving after SIGTERM,
	// with /readyz answering 503, before it stops accepting and gives
	// in-flight calls ShutdownGrace: the time a load balancer needs to
	// stop routing to it. Zero: none.
	DrainDelay   time.Duration
	MaxBodyBytes int64 // http: request body limit
	// MetricsListen says where /metrics is served: empty, beside the MCP
	// endpoint (http) or nowhere (stdio); MetricsOff, nowhere; else a
	// host:port of its own, without auth.
	MetricsListen string
	// ReadySources names the sources whose ping decides /readyz; empty:
	// every source. The others are still reported.
	ReadySources []string

	// Resource limits. Zero means the default (see WithDefaults).
	SessionTimeout time.Duration // http: an idle session is closed after this
	MaxSessions    int           // http: concurrent sessions; more are refused with 503
	MaxRequests    int           // http: concurrent MCP requests; more are refused with 503
	MaxConnections int           // http: open connections; beyond it only health checks are served
	ReadTimeout    time.Duration // http: time to read one request's headers and body
	MemoryLimit    int64         // soft Go memory limit in bytes; math.MaxInt64: none; zero: the binary's default
}

// JWT is server.jwt: callers present a JWT that Hush verifies against
// public keys, from a secret of PEM keys (PublicKey) or a JWKS URL
// (JWKSURL); exactly one is set.
type JWT struct {
	PublicKey            string        // ${secret:NAME} holding one or several PEM public keys
	JWKSURL              string        // https URL of the issuer's key set
	Issuer               string        // the iss every token must carry
	Audience             []string      // accepted aud values; empty: Resource
	Resource             string        // the MCP endpoint's public URL; empty: http://<listen><path>
	AuthorizationServers []string      // in the protected-resource metadata; empty: Issuer
	Scopes               []string      // scopes every request needs
	KeyOverlap           time.Duration // how long the previous PEM keys stay valid after a rotation; zero: DefaultKeyOverlap
	ClockSkew            time.Duration // tolerance on exp and nbf; zero: DefaultClockSkew
}

// JWT defaults and bounds.
const (
	DefaultKeyOverlap = 5 * time.Minute
	DefaultClockSkew  = 30 * time.Second
	MaxClockSkew      = 5 * time.Minute
)

// ResourceURL is the MCP endpoint's public URL: JWT.Resource when set, else
// one built from listen and path.
func (s Server) ResourceURL() string {
	if s.JWT != nil && s.JWT.Resource != "" {
		return s.JWT.Resource
	}
	return "http://" + s.Listen + s.Path
}

// Source is one entry of sources:.
type Source struct {
	Name string
	Pos  string // "file:line:col" of the entry
	Kind string // a registered source kind
	Spec any    // what the kind's Decode returned
}
