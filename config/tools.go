package config

import (
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/hushmcp/hush/tool"
)

// reservedTools are registered by the server itself.
var reservedTools = []string{"health_check"}

// tools decodes the tools: section in file order. sources are the decoded
// sources, for the source: cross-reference and what the kind checks
// against (a SQL source's dialect).
func (d *decoder) tools(n ast.Node, sources []Source) []tool.Spec {
	byName := map[string]Source{}
	for _, s := range sources {
		byName[s.Name] = s
	}
	var out []tool.Spec
	for i, e := range d.list(n, "tools") {
		d.toolName(e)
		out = append(out, d.tool(e, child("tools", e.key, i), byName))
	}
	return out
}

func (d *decoder) toolName(e entry) {
	switch {
	case !itemName.MatchString(e.key):
		d.errorf(e.keyTk, "tools: name %s must match [A-Za-z0-9_-]{1,64}", quoteKey(e.key))
	case slices.Contains(reservedTools, e.key):
		d.errorf(e.keyTk, "tools: name %q is reserved for the built-in tool", e.key)
	}
}

func (d *decoder) tool(e entry, path string, sources map[string]Source) tool.Spec {
	t := tool.Spec{Name: e.key, Pos: d.pos(e.keyTk), Kind: d.kinds.Tools.Default()}
	kind, ok := d.toolKind(e, path, &t)
	keys := kind.Keys
	if !ok {
		keys = d.allToolKeys() // still check what every kind shares
	}
	o := d.object(e.value, path, e.keyTk, append(slices.Clone(tool.SharedKeys), keys...))
	src := d.toolSource(o, &t.Source, sources, kind)
	d.setNonEmpty(o, "description", &t.Description)
	params, paramsOK := d.params(o)
	t.Params = params
	d.setDuration(o, "timeout", &t.Timeout)
	t.Scopes = d.scopes(o)
	if ok {
		t.Config = kind.Decode(reader{d: d, o: o}, tool.Context{Params: params, ParamsOK: paramsOK, Source: src})
	}
	return t
}

// allToolKeys lists every registered tool kind's own keys.
func (d *decoder) allToolKeys() []string {
	var keys []string
	for _, name := range d.kinds.Tools.Names() {
		k, _ := d.kinds.Tools.Lookup(name)
		for _, key := range k.Keys {
			if !slices.Contains(keys, key) {
				keys = append(keys, key)
			}
		}
	}
	return keys
}

// toolKind reads the entry's kind (the registry's default when absent).
func (d *decoder) toolKind(e entry, path string, t *tool.Spec) (tool.Kind, bool) {
	o := d.peek(e.value, path, e.keyTk)
	if o.bad || !d.setEnumIfSet(o, "kind", &t.Kind, d.kinds.Tools.Names()) {
		return tool.Kind{}, false
	}
	return d.kinds.Tools.Lookup(t.Kind)
}

// setEnumIfSet is setEnum for an optional key: absent is fine.
func (d *decoder) setEnumIfSet(o object, key string, dst *string, valid []string) bool {
	if _, ok := o.get(key); !ok {
		return true
	}
	return d.setEnum(o, key, dst, valid, true)
}

// toolSource checks the source: cross-reference and that the source's kind
// provides what the tool kind needs. It returns the source's decoded spec.
func (d *decoder) toolSource(o object, dst *string, sources map[string]Source, kind tool.Kind) any {
	var name string
	if !d.setNonEmpty(o, "source", &name) {
		return nil
	}
	src, ok := sources[name]
	if !ok {
		d.errorf(at(o.fields["source"].value), "%s.source: unknown source %s (%s)", o.path, quoteKey(name), declared(sources))
		return nil
	}
	*dst = name
	sk, known := d.kinds.Sources.Lookup(src.Kind)
	if known && kind.Name != "" && !slices.Contains(sk.Provides, kind.Needs) {
		d.errorf(at(o.fields["source"].value), "%s.source: source %q is a %s source; tool kind %s needs one that provides %s (%s)",
			o.path, name, src.Kind, kind.Name, kind.Needs, strings.Join(d.kinds.Sources.Offering(kind.Needs), ", "))
		return nil
	}
	return src.Spec
}

func declared(sources map[string]Source) string {
	if len(sources) == 0 {
		return "none declared"
	}
	names := make([]string, 0, len(sources))
	for k := range sources {
		names = append(names, k)
	}
	slices.Sort(names)
	return "declared: " + strings.Join(names, ", ")
}
