package config

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// entry is one key/value pair of a mapping.
type entry struct {
	key   string
	keyTk *token.Token
	value ast.Node // anchors and tags stripped; nil or *ast.NullNode when empty
	path  string   // message path, e.g. "tools.find.max_rows"
}

// entries returns the pairs of mapping n in file order; a null n is an empty
// mapping. It reports a non-mapping n (returning false), unsupported keys,
// aliases and duplicate keys, and drops those pairs so each key is decoded
// once.
func (d *decoder) entries(n ast.Node, path string) ([]entry, bool) {
	n, _ = unwrap(n)
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case nil, *ast.NullNode:
		return nil, true
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	default:
		d.errorf(at(n), "%s: want a mapping, got %s", path, kindOf(n))
		return nil, false
	}
	seen := map[string]*token.Token{}
	out := make([]entry, 0, len(values))
	for i, mv := range values {
		e, ok := d.entry(mv, path, i)
		if !ok {
			continue
		}
		if first, dup := seen[e.key]; dup {
			d.errorf(e.keyTk, "%s: duplicate key %s (first at line %d)", path, d.quoteKey(e.key), first.Position.Line)
			continue
		}
		seen[e.key] = e.keyTk
		out = append(out, e)
	}
	return out, true
}

func (d *decoder) entry(mv *ast.MappingValueNode, path string, i int) (entry, bool) {
	key, ok := d.key(mv, path)
	if !ok {
		return entry{}, false
	}
	e := entry{key: key, keyTk: mv.Key.GetToken(), path: child(path, key, i)}
	e.value, _ = unwrap(mv.Value)
	if _, alias := e.value.(*ast.AliasNode); alias {
		d.errorf(at(e.value), "%s: aliases are not supported; write the value out", e.path)
		return entry{}, false
	}
	if isStrTagged(mv.Value) {
		e.value = asString(e.value)
	}
	return e, true
}

func (d *decoder) key(mv *ast.MappingValueNode, path string) (string, bool) {
	k, _ := unwrap(mv.Key)
	switch v := k.(type) {
	case *ast.MergeKeyNode:
		d.errorf(v.GetToken(), "%s: merge keys (<<) are not supported", path)
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return v.GetToken().Value, true
	default:
		d.errorf(at(mv.Key), "%s: keys must be plain names", path)
	}
	return "", false
}

func isStrTagged(n ast.Node) bool {
	_, isStr := unwrap(n)
	return isStr
}

// asString turns a !!str-tagged scalar into a string node so "!!str 10" is
// the string "10".
func asString(n ast.Node) ast.Node {
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode, *ast.NullNode:
		tk := n.GetToken()
		return ast.String(&token.Token{Type: token.StringType, Value: tk.Value, Position: tk.Position})
	}
	return n
}

func isNull(n ast.Node) bool {
	switch n.(type) {
	case nil, *ast.NullNode:
		return true
	}
	return false
}

// object is a mapping checked against its valid keys.
type object struct {
	path   string
	at     *token.Token // where a missing key is reported
	fields map[string]entry
	bad    bool // not a mapping (already reported): skip "is required"
}

// object decodes n as a mapping whose keys must be in valid. tk marks the
// object itself, for "is required" errors when n is empty.
func (d *decoder) object(n ast.Node, path string, tk *token.Token, valid []string) object {
	o := object{path: path, at: tk, fields: map[string]entry{}}
	list, ok := d.entries(n, path)
	o.bad = !ok
	for _, e := range list {
		if !slices.Contains(valid, e.key) {
			d.errorf(e.keyTk, "%s: unknown key %s (valid: %s)", path, d.quoteKey(e.key), joinKeys(valid))
			continue
		}
		o.fields[e.key] = e
	}
	return o
}

// peek decodes only the kind key of n, silently: the kind decides which
// other keys are valid, and the full decode that follows reports the rest.
// A value that is not a mapping is reported here.
func (d *decoder) peek(n ast.Node, path string, tk *token.Token) object {
	quiet := &decoder{file: d.file, base: d.base, declared: d.declared}
	o := quiet.object(n, path, tk, []string{"kind"})
	if o.bad {
		d.entries(n, path)
	}
	return o
}

// get returns the entry for key unless it is absent or null.
func (o object) get(key string) (entry, bool) {
	e, ok := o.fields[key]
	return e, ok && !isNull(e.value)
}

// required is get, reporting an absent or null key.
func (d *decoder) required(o object, key string) (entry, bool) {
	e, ok := o.get(key)
	if !ok && !o.bad {
		tk := o.at
		if f, present := o.fields[key]; present {
			tk = f.keyTk
		}
		d.errorf(tk, "%s.%s is required", o.path, key)
	}
	return e, ok
}

// text returns a scalar as text: strings unquoted, other scalars as written.
// Errors name the type found, never the value.
func (d *decoder) text(e entry) (string, bool) {
	switch v := e.value.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value != nil {
			return v.Value.Value, true
		}
		return "", true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value, true
	}
	d.errorf(at(e.value), "%s: want a string, got %s", e.path, kindOf(e.value))
	return "", false
}

// setStr stores key's text in dst. Only dsn and auth_token may hold
// ${secret:...}, so every other string is checked for it here.
func (d *decoder) setStr(o object, key string, dst *string) bool {
	e, ok := o.get(key)
	if !ok {
		return false
	}
	s, ok := d.text(e)
	if !ok {
		return false
	}
	if strings.Contains(s, "${secret:") {
		d.errorf(at(e.value), "%s: ${secret:...} is only allowed in credential templates (such as a source's dsn) and server.auth_token", e.path)
		return false
	}
	*dst = s
	return true
}

// setNonEmpty is setStr for a required, non-blank string.
func (d *decoder) setNonEmpty(o object, key string, dst *string) bool {
	if _, ok := d.required(o, key); !ok {
		return false
	}
	var s string
	if !d.setStr(o, key, &s) {
		return false
	}
	if strings.TrimSpace(s) == "" {
		d.errorf(at(o.fields[key].value), "%s.%s must not be empty", o.path, key)
		return false
	}
	*dst = s
	return true
}

func (d *decoder) integer(e entry) (int64, bool) {
	if v, ok := e.value.(*ast.IntegerNode); ok {
		switch n := v.Value.(type) {
		case int64:
			return n, true
		case uint64:
			if n <= math.MaxInt64 {
				return int64(n), true
			}
		}
		d.errorf(at(e.value), "%s: integer out of range", e.path)
		return 0, false
	}
	d.errorf(at(e.value), "%s: want an integer, got %s", e.path, kindOf(e.value))
	return 0, false
}

// setInt stores key's integer in dst when it lies in [lo, hi].
func setInt[T int | int64](d *decoder, o object, key string, dst *T, lo, hi int64) bool {
	e, ok := o.get(key)
	if !ok {
		return false
	}
	n, ok := d.integer(e)
	if !ok {
		return false
	}
	switch {
	case n >= lo && n <= hi:
		*dst = T(n)
		return true
	case hi == math.MaxInt64:
		d.errorf(at(e.value), "%s: must be at least %d", e.path, lo)
	default:
		d.errorf(at(e.value), "%s: must be between %d and %d", e.path, lo, hi)
	}
	return false
}

func (d *decoder) setBool(o object, key string, dst *bool) bool {
	e, ok := o.get(key)
	if !ok {
		return false
	}
	if v, ok := e.value.(*ast.BoolNode); ok {
		*dst = v.Value
		return true
	}
	d.errorf(at(e.value), "%s: want true or false, got %s", e.path, kindOf(e.value))
	return false
}

// setDuration stores key's positive duration ("500ms", "30s", "2m") in dst.
func (d *decoder) setDuration(o object, key string, dst *time.Duration) bool {
	e, ok := o.get(key)
	if !ok {
		return false
	}
	if _, isStr := e.value.(*ast.StringNode); !isStr {
		d.errorf(at(e.value), "%s: want a duration such as 30s, got %s", e.path, kindOf(e.value))
		return false
	}
	s, _ := d.text(e)
	v, err := time.ParseDuration(s)
	switch {
	case err != nil:
		d.errorf(at(e.value), "%s: invalid duration %q (want e.g. 500ms, 30s, 2m)", e.path, s)
	case v <= 0:
		d.errorf(at(e.value), "%s: must be positive", e.path)
	default:
		*dst = v
		return true
	}
	return false
}

// setEnum stores key's text in dst when it is one of valid. With echo false
// the bad value is not repeated in the message.
func (d *decoder) setEnum(o object, key string, dst *string, valid []string, echo bool) bool {
	var s string
	if !d.setStr(o, key, &s) {
		return false
	}
	if slices.Contains(valid, s) {
		*dst = s
		return true
	}
	e := o.fields[key]
	if echo && safeName.MatchString(s) {
		d.errorf(at(e.value), "%s: unknown value %q (valid: %s)", e.path, s, joinKeys(valid))
	} else {
		d.errorf(at(e.value), "%s: unknown value (valid: %s)", e.path, joinKeys(valid))
	}
	return false
}

// seq returns the items of a sequence value, reporting a non-sequence and
// dropping aliases.
func (d *decoder) seq(e entry) []ast.Node {
	s, ok := e.value.(*ast.SequenceNode)
	if !ok {
		d.errorf(at(e.value), "%s: want a list, got %s", e.path, kindOf(e.value))
		return nil
	}
	items := make([]ast.Node, 0, len(s.Values))
	for _, v := range s.Values {
		n, isStr := unwrap(v)
		if _, alias := n.(*ast.AliasNode); alias {
			d.errorf(at(n), "%s: aliases are not supported; write the value out", e.path)
			continue
		}
		if isStr {
			n = asString(n)
		}
		items = append(items, n)
	}
	return items
}

// strList returns key's list of non-empty strings.
func (d *decoder) strList(o object, key string) ([]string, bool) {
	e, ok := o.get(key)
	if !ok {
		return nil, false
	}
	var out []string
	for i, n := range d.seq(e) {
		item := entry{value: n, path: child(e.path, "", i)}
		s, ok := d.text(item)
		if ok && strings.TrimSpace(s) == "" {
			d.errorf(at(n), "%s: must not be empty", item.path)
			ok = false
		}
		if ok {
			out = append(out, s)
		}
	}
	return out, true
}

// list is entries for a section whose keys are names (secrets, sources,
// tools).
func (d *decoder) list(n ast.Node, path string) []entry {
	out, _ := d.entries(n, path)
	return out
}
