package source

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/internal/registry"
)

// Capability names what a source can do for tools. A tool kind names the
// capability it needs; config refuses a tool over a source that lacks it.
type Capability string

// Capabilities known today. A source offering CapSQL implements SQL.
const (
	CapSQL     Capability = "sql"
	CapKV      Capability = "key-value"
	CapHTTP    Capability = "http"
	CapPublish Capability = "publish"
	// CapNotify is signed notifications to an endpoint (a webhook): not
	// CapPublish, which promises subjects and a broker.
	CapNotify Capability = "notify"
)

// Kind is one source kind: everything config and the server need to know
// about it, registered once where the binary is assembled.
type Kind struct {
	Name     string       // the value of kind: in hush.yaml
	Provides []Capability // what tools may use it for
	// Keys are the kind's own keys of a source entry, besides kind.
	Keys []string
	// Decode reads those keys through r (problems go to r) and returns the
	// kind's spec, handed back to Open. It does no I/O. A spec whose kind
	// runs SQL implements Dialect, so SQL tools can be checked at load.
	Decode func(r section.Reader) any
	// Open opens a source from the spec Decode returned. It blocks until the
	// source is ready or ctx ends; errors name the source, never a value.
	Open func(ctx context.Context, spec any, env Env) (Source, error)
}

// Env is what Open gets from the server besides the kind's own spec.
type Env struct {
	Name    string       // the source's name in hush.yaml
	Secrets Secrets      // the secret store
	Log     *slog.Logger // never nil
}

// Dialect is implemented by the spec of a kind that runs SQL.
type Dialect interface {
	// Placeholders counts the positional parameters stmt binds.
	Placeholders(stmt string) (int, error)
}

// Registry maps kind names to kinds. There is no global registry: the
// binary builds one and tests build their own. Safe for concurrent use.
type Registry struct{ set registry.Set[Kind] }

// NewRegistry returns a registry holding kinds.
func NewRegistry(kinds ...Kind) *Registry {
	r := &Registry{}
	for _, k := range kinds {
		r.Register(k)
	}
	return r
}

// Register adds k. It panics on a duplicate or incomplete kind: that is a
// programming error, not input.
func (r *Registry) Register(k Kind) {
	if k.Name == "" || k.Decode == nil || k.Open == nil {
		panic("source: kind needs Name, Decode and Open")
	}
	if slices.Contains(k.Keys, "kind") {
		panic("source: kind " + k.Name + " declares the reserved key kind")
	}
	r.set.Add("source: kind", k.Name, k)
}

// Lookup returns the kind called name.
func (r *Registry) Lookup(name string) (Kind, bool) { return r.set.Lookup(name) }

// Names lists the registered kinds, sorted.
func (r *Registry) Names() []string { return r.set.Names() }

// Offering lists the kinds that provide c, sorted, for messages.
func (r *Registry) Offering(c Capability) []string {
	var out []string
	for _, n := range r.Names() {
		k, _ := r.Lookup(n)
		if slices.Contains(k.Provides, c) {
			out = append(out, n)
		}
	}
	return out
}

// Open opens the source name of kind with spec.
func (r *Registry) Open(ctx context.Context, kind string, spec any, env Env) (Source, error) {
	k, ok := r.Lookup(kind)
	if !ok {
		return nil, fmt.Errorf("unknown kind %q (valid: %s)", kind, strings.Join(r.Names(), ", "))
	}
	if env.Log == nil {
		env.Log = slog.New(slog.DiscardHandler)
	}
	return k.Open(ctx, spec, env)
}
