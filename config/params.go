package config

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/hushmcp/hush/tool"
)

var (
	paramKeys  = []string{"name", "type", "description", "required", "default", "enum", "min", "max"}
	paramTypes = []string{"string", "integer", "number", "boolean"}
	paramName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// params decodes a tool's parameters: list. ok is false when any problem
// was reported, so the placeholder count is not compared with a partial list.
func (d *decoder) params(o object) (list []tool.Param, ok bool) {
	e, present := o.get("parameters")
	if !present {
		return nil, true
	}
	before := len(d.errs)
	seen := map[string]*token.Token{}
	for i, n := range d.seq(e) {
		p, nameTk := d.param(n, fmt.Sprintf("%s[%d]", e.path, i))
		if first, dup := seen[p.Name]; dup && p.Name != "" {
			d.errorf(nameTk, "%s[%d]: duplicate parameter name %q (first at line %d)", e.path, i, p.Name, first.Position.Line)
		}
		seen[p.Name] = nameTk
		list = append(list, p)
	}
	return list, len(d.errs) == before
}

// param decodes one parameter and returns it with the token of its name.
func (d *decoder) param(n ast.Node, path string) (tool.Param, *token.Token) {
	o := d.object(n, path, at(n), paramKeys)
	var p tool.Param
	if d.setNonEmpty(o, "name", &p.Name) && !paramName.MatchString(p.Name) {
		d.errorf(at(o.fields["name"].value), "%s.name: must match [A-Za-z_][A-Za-z0-9_]*", path)
	}
	if _, ok := d.required(o, "type"); ok {
		d.setEnum(o, "type", &p.Type, paramTypes, true)
	}
	d.setStr(o, "description", &p.Description)
	d.setBool(o, "required", &p.Required)
	before := len(d.errs)
	if p.Type != "" {
		d.paramValues(o, &p)
	}
	if len(d.errs) == before && p.Type != "" {
		d.checkParam(o, p)
	}
	nameTk := o.at
	if e, ok := o.get("name"); ok {
		nameTk = at(e.value)
	}
	return p, nameTk
}

// paramValues decodes min, max, enum and default, which depend on the type.
func (d *decoder) paramValues(o object, p *tool.Param) {
	p.Min = d.bound(o, "min", p.Type)
	p.Max = d.bound(o, "max", p.Type)
	p.Enum = d.enum(o, p.Type)
	e, ok := o.get("default")
	if !ok {
		return
	}
	v, ok := d.typed(e, p.Type)
	if !ok {
		return
	}
	p.Default = v
	if p.Required {
		d.warnf(e.keyTk, "%s: default has no effect on a required parameter", o.path)
	}
}

// bound decodes min or max: a number, or for strings a length.
func (d *decoder) bound(o object, key, typ string) *float64 {
	e, ok := o.get(key)
	if !ok {
		return nil
	}
	if typ == "boolean" {
		d.errorf(e.keyTk, "%s: %s applies to string, integer and number parameters", o.path, key)
		return nil
	}
	isLen := typ == "string"
	if isLen {
		typ = "integer"
	}
	v, ok := d.typed(e, typ)
	if !ok {
		return nil
	}
	f := toFloat(v)
	if isLen && f < 0 {
		d.errorf(at(e.value), "%s: a string length must not be negative", e.path)
		return nil
	}
	return &f
}

// typed decodes a value that must match a parameter type: string, integer
// (int64), number (float64) or boolean (bool).
func (d *decoder) typed(e entry, typ string) (any, bool) {
	switch v := e.value.(type) {
	case *ast.StringNode:
		if typ == "string" {
			return v.Value, true
		}
	case *ast.LiteralNode:
		if typ == "string" {
			s, _ := d.text(e)
			return s, true
		}
	case *ast.IntegerNode:
		if typ == "integer" || typ == "number" {
			n, ok := d.integer(e)
			if typ == "number" {
				return float64(n), ok
			}
			return n, ok
		}
	case *ast.FloatNode:
		if typ == "number" {
			return v.Value, true
		}
	case *ast.BoolNode:
		if typ == "boolean" {
			return v.Value, true
		}
	}
	d.errorf(at(e.value), "%s: want %s, got %s", e.path, article(typ), kindOf(e.value))
	return nil, false
}

func toFloat(v any) float64 {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return 0
}

// enum decodes the allowed values; each must match the type, once.
func (d *decoder) enum(o object, typ string) []any {
	e, ok := o.get("enum")
	if !ok {
		return nil
	}
	items := d.seq(e)
	if len(items) == 0 {
		if _, isSeq := e.value.(*ast.SequenceNode); isSeq {
			d.errorf(at(e.value), "%s: must list at least one value", e.path)
		}
		return nil
	}
	var out []any
	for i, n := range items {
		v, ok := d.typed(entry{value: n, path: fmt.Sprintf("%s[%d]", e.path, i)}, typ)
		if ok && slices.Contains(out, v) {
			d.errorf(at(n), "%s[%d]: duplicate value", e.path, i)
			continue
		}
		if ok {
			out = append(out, v)
		}
	}
	return out
}

// checkParam reports what package tool finds wrong with a declaration
// whose values all decoded, each at its key. The rules are tool's.
func (d *decoder) checkParam(o object, p tool.Param) {
	for _, pr := range p.Check() {
		e := o.fields[pr.Key]
		tk := e.keyTk
		if pr.Key == "default" && e.value != nil {
			tk = at(e.value)
		}
		d.errorf(tk, "%s: %s", o.path, pr.Msg)
	}
}

func article(typ string) string {
	if typ == "integer" {
		return "an integer"
	}
	return "a " + typ
}
