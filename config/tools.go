package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

var (
	toolKeys = []string{"kind", "source", "description", "statement", "parameters",
		"read_only", "max_rows", "timeout"}
	toolKinds = []string{"sql"}
	// reservedTools are registered by the server itself.
	reservedTools = []string{"health_check"}
)

const (
	defaultMaxRows = 100
	maxMaxRows     = 10000
)

// tools decodes the tools: section in file order. sources are the decoded
// sources, for the source: cross-reference and the SQL dialect.
func (d *decoder) tools(n ast.Node, sources []Source) []Tool {
	kinds := map[string]string{}
	for _, s := range sources {
		kinds[s.Name] = s.Kind
	}
	var out []Tool
	for i, e := range d.list(n, "tools") {
		d.toolName(e)
		o := d.object(e.value, child("tools", e.key, i), e.keyTk, toolKeys)
		out = append(out, d.tool(o, e, kinds))
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

func (d *decoder) tool(o object, e entry, kinds map[string]string) Tool {
	t := Tool{Name: e.key, Pos: d.pos(e.keyTk), Kind: "sql", ReadOnly: true, MaxRows: defaultMaxRows}
	d.setEnum(o, "kind", &t.Kind, toolKinds, true)
	d.toolSource(o, &t.Source, kinds)
	d.setNonEmpty(o, "description", &t.Description)
	hasStmt := d.setNonEmpty(o, "statement", &t.Statement)
	params, paramsOK := d.params(o)
	t.Parameters = params
	d.setBool(o, "read_only", &t.ReadOnly)
	setInt(d, o, "max_rows", &t.MaxRows, 1, maxMaxRows)
	d.setDuration(o, "timeout", &t.Timeout)
	if hasStmt && paramsOK {
		d.checkPlaceholders(o, t, kinds[t.Source])
	}
	return t
}

func (d *decoder) toolSource(o object, dst *string, kinds map[string]string) {
	var name string
	if !d.setNonEmpty(o, "source", &name) {
		return
	}
	if _, ok := kinds[name]; ok {
		*dst = name
		return
	}
	declared := "none declared"
	if len(kinds) > 0 {
		names := make([]string, 0, len(kinds))
		for k := range kinds {
			names = append(names, k)
		}
		slices.Sort(names)
		declared = "declared: " + strings.Join(names, ", ")
	}
	d.errorf(at(o.fields["source"].value), "%s.source: unknown source %s (%s)", o.path, quoteKey(name), declared)
}

// checkPlaceholders compares the statement's placeholders with the declared
// parameters. dialect is the source's kind; with an unknown source (already
// reported) there is nothing to compare against.
func (d *decoder) checkPlaceholders(o object, t Tool, dialect string) {
	if dialect != "postgres" && dialect != "sqlite" {
		return
	}
	tk := at(o.fields["statement"].value)
	n, err := placeholders(t.Statement, dialect)
	if err != nil {
		d.errorf(tk, "%s.statement: %v", o.path, err)
		return
	}
	if n != len(t.Parameters) {
		d.errorf(tk, "%s.statement: tool %q has %s but %s declared", o.path, t.Name,
			plural(n, "placeholder"), plural(len(t.Parameters), "parameter"))
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
