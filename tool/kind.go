package tool

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/internal/registry"
	"github.com/hushmcp/hush/source"
)

// Spec is one configured tool: the keys every kind shares, plus the kind's
// own decoded keys in Config.
type Spec struct {
	Name        string
	Pos         string // "file:line:col" of the entry, for messages
	Kind        string
	Source      string // the name of the source it runs on
	Description string
	Params      []Param
	Timeout     time.Duration // 0: Options.Timeout
	Scopes      []string      // JWT scopes a caller needs to see and call it (server.jwt only); empty: none
	Config      any           // what the kind's Decode returned
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

// Context is what a kind's Decode may check its keys against.
type Context struct {
	Params   []Param // the tool's parameters
	ParamsOK bool    // false when a parameter had a problem (already reported)
	Source   any     // the decoded spec of the tool's source; nil when unknown
}

// Kind is one tool kind, registered once where the binary is assembled.
type Kind struct {
	Name  string            // the value of kind: in hush.yaml
	Needs source.Capability // what the tool's source must provide
	// Keys are the kind's own keys, besides the shared kind, source,
	// description, parameters and timeout.
	Keys []string
	// Decode reads the kind's keys (problems go to r) and returns its
	// config, found later in Spec.Config. It does no I/O.
	Decode func(r section.Reader, c Context) any
	// Build makes the MCP tool and its handler. src provides Needs. The
	// handler reports caller mistakes with Userf and is safe for
	// concurrent use.
	Build func(s Spec, src source.Source, opts Options) (*mcp.Tool, mcp.ToolHandler, error)
}

// Options are server-wide settings for tools.
type Options struct {
	Timeout     time.Duration // per-call timeout for tools that set none; 0: DefaultTimeout
	MaxArgBytes int           // limit on one call's raw arguments; 0: DefaultMaxArgBytes
}

// DefaultTimeout is the per-call timeout when neither the tool nor Options
// set one.
const DefaultTimeout = 30 * time.Second

// Timeout is the per-call timeout of s under opts.
func Timeout(s Spec, opts Options) time.Duration {
	switch {
	case s.Timeout > 0:
		return s.Timeout
	case opts.Timeout > 0:
		return opts.Timeout
	}
	return DefaultTimeout
}

// ArgLimit is the limit on one call's raw arguments under opts.
func (o Options) ArgLimit() int {
	if o.MaxArgBytes > 0 {
		return o.MaxArgBytes
	}
	return DefaultMaxArgBytes
}

// Registry maps kind names to tool kinds. There is no global registry.
// Safe for concurrent use.
type Registry struct{ set registry.Set[Kind] }

// NewRegistry returns a registry holding kinds; the first is the default
// for tools that name no kind.
func NewRegistry(kinds ...Kind) *Registry {
	r := &Registry{}
	for _, k := range kinds {
		r.Register(k)
	}
	return r
}

// Register adds k; the first kind registered is the default. It panics on a
// duplicate or incomplete kind, or one that takes a shared key.
func (r *Registry) Register(k Kind) {
	if k.Name == "" || k.Decode == nil || k.Build == nil || k.Needs == "" {
		panic("tool: kind needs Name, Needs, Decode and Build")
	}
	for _, key := range k.Keys {
		if slices.Contains(SharedKeys, key) {
			panic("tool: kind " + k.Name + " declares the shared key " + key)
		}
	}
	r.set.Add("tool: kind", k.Name, k)
}

// SharedKeys are the keys every tool entry may have.
var SharedKeys = []string{"kind", "source", "description", "parameters", "timeout", "scopes"}

// Default is the kind of a tool that names none: the first registered.
func (r *Registry) Default() string { return r.set.First() }

// Lookup returns the kind called name.
func (r *Registry) Lookup(name string) (Kind, bool) { return r.set.Lookup(name) }

// Names lists the registered kinds, sorted.
func (r *Registry) Names() []string { return r.set.Names() }

// Build builds s over src through its kind.
func (r *Registry) Build(s Spec, src source.Source, opts Options) (*mcp.Tool, mcp.ToolHandler, error) {
	k, ok := r.Lookup(s.Kind)
	if !ok {
		return nil, nil, fmt.Errorf("tool %q: unknown kind %q (valid: %s)", s.Name, s.Kind, strings.Join(r.Names(), ", "))
	}
	if src == nil {
		return nil, nil, fmt.Errorf("tool %q: source %q is not open", s.Name, s.Source)
	}
	return k.Build(s, src, opts)
}
