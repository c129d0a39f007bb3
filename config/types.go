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
)

// Config is a loaded, checked hush.yaml. Lists keep file order.
type Config struct {
	Path     string
	Server   Server
	Secrets  []secret.Decl
	Sources  []Source
	Tools    []Tool
	Warnings []string // non-fatal findings as "file:line:col: message", e.g. a declared secret no one uses
}

// Server is the server: section.
type Server struct {
	Name          string        // MCP implementation name; default "hush"
	Transport     string        // "stdio" (default) or "http"
	Listen        string        // http: address; default 127.0.0.1:8080
	Path          string        // http: MCP endpoint path; default /mcp
	Stateless     bool          // http: stateless streamable HTTP (needed by protocol 2026-07-28 clients)
	AuthToken     string        // http: bearer token template, e.g. ${secret:MCP_TOKEN}; empty: no auth
	CallTimeout   time.Duration // default per-call timeout; default 30s
	ShutdownGrace time.Duration // in-flight calls get this long on SIGTERM; default 10s
	MaxBodyBytes  int64         // http: request body limit; default 1 MiB

	// Resource limits. Zero means the server's default (see mcpserver).
	SessionTimeout time.Duration // http: an idle session is closed after this
	MaxSessions    int           // http: concurrent sessions; more are refused with 503
	MaxRequests    int           // http: concurrent MCP requests; more are refused with 503
	MaxConnections int           // http: open connections; beyond it only health checks are served
	ReadTimeout    time.Duration // http: time to read one request's headers and body
	MemoryLimit    int64         // soft Go memory limit in bytes; math.MaxInt64: none
}

// Source is one entry of sources:.
type Source struct {
	Name     string
	Pos      string // "file:line:col" of the entry
	Kind     string // "sqlite" or "postgres"
	DSN      string // may hold ${secret:NAME}; sqlite: a file path or file: URI
	MaxConns int    // pool size; 0: kind default
	Seed     string // sqlite: SQL file run once when the database file is created
}

// Tool is one entry of tools:.
type Tool struct {
	Name        string
	Pos         string
	Kind        string // "sql"
	Source      string
	Description string
	Statement   string
	Parameters  []Param
	ReadOnly    bool
	MaxRows     int           // default 100
	Timeout     time.Duration // 0: the server's CallTimeout
}

// Param is one declared tool parameter; it becomes a JSON Schema property.
type Param struct {
	Name        string
	Type        string // "string", "integer", "number" or "boolean"
	Description string
	Required    bool
	Default     any      // typed to match Type; nil when absent
	Enum        []any    // allowed values, typed to match Type
	Min, Max    *float64 // numbers: inclusive bounds; strings: length bounds
}
