// Package redistool is the redis tool kind: one operation (get, set, del,
// hget, hgetall, exists, incr) on one key built from a template whose
// placeholders are filled only from the tool's typed parameters, confined to
// declared key prefixes. Read-only tools may use only read operations; set
// always stores with a capped time to live; values are size-limited both
// ways. Results are structured content plus the same JSON as text.
package redistool

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/tool"
)

// KindName is the value of kind: for Redis tools.
const KindName = "redis"

// Operations, and which of them only read.
var (
	Operations     = []string{"get", "set", "del", "hget", "hgetall", "exists", "incr"}
	readOperations = []string{"get", "hget", "hgetall", "exists"}
)

// Limits.
const (
	MaxTTL               = 30 * 24 * time.Hour // no tool may store for longer
	DefaultMaxValueBytes = 64 << 10
	MaxMaxValueBytes     = 1 << 20
)

// Config is a redis tool's own keys.
type Config struct {
	Operation     string
	Key           Template
	Field         Template // hget
	Value         Template // set
	Prefixes      []string
	TTL           time.Duration // set: the time to live
	TTLParameter  string        // set: an optional integer parameter, seconds, overriding TTL
	MaxTTL        time.Duration // set: the cap on TTLParameter; default TTL
	MaxValueBytes int64
	ReadOnly      bool // default true
}

// Kind is the redis tool kind, for registration.
var Kind = tool.Kind{
	Name:  KindName,
	Needs: source.CapKV,
	Keys: []string{"operation", "key", "field", "value", "prefixes", "ttl", "ttl_parameter", "max_ttl",
		"max_value_bytes", "read_only"},
	Decode: decode,
	Build:  Build,
}

// IsRead reports whether op only reads.
func IsRead(op string) bool { return slices.Contains(readOperations, op) }

func decode(r section.Reader, c tool.Context) any {
	cfg := Config{ReadOnly: true, MaxValueBytes: DefaultMaxValueBytes}
	r.Require("operation", "key", "prefixes")
	cfg.Operation, _ = r.Enum("operation", Operations...)
	if b, ok := r.Bool("read_only"); ok {
		cfg.ReadOnly = b
	}
	if n, ok := r.Int("max_value_bytes", 1, MaxMaxValueBytes); ok {
		cfg.MaxValueBytes = n
	}
	d := decoder{r: r, c: c, cfg: &cfg}
	d.keyAndPrefixes()
	d.operationKeys()
	return cfg
}

// decoder checks one tool entry's keys against each other.
type decoder struct {
	r   section.Reader
	c   tool.Context
	cfg *Config
}

func (d decoder) keyAndPrefixes() {
	d.cfg.Key, _ = d.template("key")
	if list, ok := d.r.Strings("prefixes"); ok {
		d.cfg.Prefixes = list
		if len(list) == 0 {
			d.r.Errorf("prefixes", "%s.prefixes must list at least one key prefix", d.r.Path())
		}
	}
	if d.cfg.Key.Text != "" && len(d.cfg.Prefixes) > 0 && !reachable(d.cfg.Key, d.cfg.Prefixes) {
		d.r.Errorf("key", "%s.key: the key can never start with one of prefixes", d.r.Path())
	}
}

// reachable reports whether some filled key can start with a prefix: the
// key's literal head starts with one, or is the start of one that a
// parameter may complete.
func reachable(key Template, prefixes []string) bool {
	head := key.Head()
	full := len(key.Params()) == 0
	return slices.ContainsFunc(prefixes, func(p string) bool {
		return strings.HasPrefix(head, p) || (!full && strings.HasPrefix(p, head))
	})
}

// operationKeys checks the keys that belong to some operations only.
func (d decoder) operationKeys() {
	op := d.cfg.Operation
	d.only("field", op == "hget", "hget")
	d.only("value", op == "set", "set")
	for _, k := range []string{"ttl", "ttl_parameter", "max_ttl"} {
		d.only(k, op == "set", "set")
	}
	if op != "" && !IsRead(op) && d.cfg.ReadOnly {
		d.r.Errorf("operation", "%s.operation: %s writes; set read_only: false to allow it", d.r.Path(), op)
	}
	switch op {
	case "hget":
		if d.r.Require("field") {
			d.cfg.Field, _ = d.template("field")
		}
	case "set":
		d.set()
	}
}

// only refuses key on an operation it does not apply to.
func (d decoder) only(key string, applies bool, ops string) {
	if d.r.Has(key) && !applies && d.cfg.Operation != "" {
		d.r.Errorf(key, "%s.%s applies to operation %s only", d.r.Path(), key, ops)
	}
}

func (d decoder) set() {
	ok := d.r.Require("value", "ttl")
	d.cfg.Value, _ = d.template("value")
	if !ok {
		return
	}
	d.cfg.TTL, _ = d.ttl("ttl")
	d.cfg.MaxTTL = d.cfg.TTL
	if m, ok := d.ttl("max_ttl"); ok {
		d.cfg.MaxTTL = m
	}
	if d.cfg.MaxTTL < d.cfg.TTL {
		d.r.Errorf("max_ttl", "%s.max_ttl must be at least ttl", d.r.Path())
	}
	if name, ok := d.r.String("ttl_parameter"); ok {
		d.cfg.TTLParameter = name
		d.checkParam("ttl_parameter", name, "integer")
	}
}

// ttl reads a duration capped at MaxTTL, in whole milliseconds.
func (d decoder) ttl(key string) (time.Duration, bool) {
	v, ok := d.r.Duration(key)
	switch {
	case !ok:
		return 0, false
	case v > MaxTTL:
		d.r.Errorf(key, "%s.%s must be at most %s", d.r.Path(), key, MaxTTL)
		return 0, false
	case v < time.Millisecond:
		d.r.Errorf(key, "%s.%s must be at least 1ms", d.r.Path(), key)
		return 0, false
	}
	return v, true
}

// template reads a template and checks the parameters it names.
func (d decoder) template(key string) (Template, bool) {
	text, ok := d.r.String(key)
	if !ok {
		return Template{}, false
	}
	t, err := parseTemplate(text)
	if err != nil {
		d.r.Errorf(key, "%s.%s %v", d.r.Path(), key, err)
		return Template{}, false
	}
	want := "string or integer"
	if key == "value" {
		want = ""
	}
	for _, name := range t.Params() {
		d.checkParam(key, name, want)
	}
	return t, true
}

// checkParam refuses a reference to an undeclared parameter, one of the
// wrong type (want: "" any, else a list of types), or an optional one
// without a default: every placeholder must have a value.
func (d decoder) checkParam(key, name, want string) {
	if !d.c.ParamsOK {
		return
	}
	i := slices.IndexFunc(d.c.Params, func(p tool.Param) bool { return p.Name == name })
	if i < 0 {
		d.r.Errorf(key, "%s.%s names parameter %q, which is not declared", d.r.Path(), key, name)
		return
	}
	p := d.c.Params[i]
	if want != "" && !slices.Contains(strings.Split(want, " or "), p.Type) {
		d.r.Errorf(key, "%s.%s: parameter %q must be of type %s", d.r.Path(), key, name, want)
	}
	if !p.Required && p.Default == nil && key != "ttl_parameter" {
		d.r.Errorf(key, "%s.%s: parameter %q must be required or have a default", d.r.Path(), key, name)
	}
}

// checkConfig repeats what decode guarantees, for a Config built in code.
func checkConfig(name string, cfg Config) error {
	switch {
	case !slices.Contains(Operations, cfg.Operation):
		return fmt.Errorf("tool %q: unknown operation %q", name, cfg.Operation)
	case cfg.Key.Text == "" || len(cfg.Prefixes) == 0:
		return fmt.Errorf("tool %q: a key and prefixes are required", name)
	case cfg.ReadOnly && !IsRead(cfg.Operation):
		return fmt.Errorf("tool %q: operation %s writes but the tool is read-only", name, cfg.Operation)
	case cfg.Operation == "set" && (cfg.TTL <= 0 || cfg.TTL > MaxTTL || cfg.MaxTTL > MaxTTL):
		return fmt.Errorf("tool %q: set needs a ttl of at most %s", name, MaxTTL)
	}
	return nil
}
