package config

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Error is one problem found in a config file. Parse and Load return every
// Error they find, joined with errors.Join, sorted by position; use errors.As
// on the joined error's Unwrap() []error to inspect them one by one.
type Error struct {
	File string
	Line int // 1-based; 0 when the position is unknown
	Col  int // 1-based
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// decoder walks the YAML tree and collects every problem instead of stopping
// at the first, so a user fixes a config in one round trip.
type decoder struct {
	file  string
	base  string // directory relative file references and paths resolve against; empty: keep them relative
	errs  []*Error
	warns []*Error
	uses  []secretUse // ${secret:NAME} references, for cross-checks

	declared map[string]*token.Token // secret name -> its key under secrets:
	kinds    Kinds                   // registered parts that decode their own keys

	// quiet hides key names in messages while a secret's entry is decoded:
	// a bare word there is more likely a pasted value than a mistyped key.
	quiet bool
}

// secretUse is one ${secret:NAME} reference and where it was written.
type secretUse struct {
	name  string
	field string // #field, if any
	at    *token.Token
	path  string
}

func (d *decoder) newError(tk *token.Token, format string, args ...any) *Error {
	e := &Error{File: d.file, Msg: fmt.Sprintf(format, args...)}
	if tk != nil && tk.Position != nil {
		e.Line, e.Col = tk.Position.Line, tk.Position.Column
	}
	return e
}

func (d *decoder) errorf(tk *token.Token, format string, args ...any) {
	d.errs = append(d.errs, d.newError(tk, format, args...))
}

func (d *decoder) warnf(tk *token.Token, format string, args ...any) {
	d.warns = append(d.warns, d.newError(tk, format, args...))
}

// pos renders tk's position as "file:line:col" for secret.Decl.Pos and
// Source.Pos / Tool.Pos.
func (d *decoder) pos(tk *token.Token) string {
	e := d.newError(tk, "")
	return fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
}

func sortByPos(errs []*Error) {
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}

// at returns the token that best marks n's position. A block mapping's own
// token is the first ':' so its first key is used instead.
func at(n ast.Node) *token.Token {
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 {
		return m.Values[0].Key.GetToken()
	}
	if n == nil {
		return nil
	}
	return n.GetToken()
}

// unwrap strips anchors and tags, returning the underlying node and whether
// it was tagged !!str (which makes any scalar a string).
func unwrap(n ast.Node) (ast.Node, bool) {
	isStr := false
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			isStr = isStr || v.Start != nil && v.Start.Value == "!!str"
			n = v.Value
		default:
			return n, isStr
		}
	}
}

// kindOf names a node's YAML type for "want X, got Y" messages. It never
// includes the node's value.
func kindOf(n ast.Node) string {
	switch n.(type) {
	case nil, *ast.NullNode:
		return "null"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "mapping"
	case *ast.SequenceNode:
		return "sequence"
	case *ast.StringNode, *ast.LiteralNode:
		return "string"
	case *ast.IntegerNode:
		return "integer"
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "number"
	case *ast.BoolNode:
		return "boolean"
	case *ast.AliasNode:
		return "alias"
	}
	return "unsupported value"
}

// topLevel names the file's root mapping in messages.
const topLevel = "top level"

var safeName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// quoteKey quotes a key for a message. Keys that do not look like names are
// not shown, in case a value was pasted where a key belongs.
func (d *decoder) quoteKey(k string) string {
	if !d.quiet {
		return quoteKey(k)
	}
	return "(not shown)"
}

func quoteKey(k string) string {
	if safeName.MatchString(k) {
		return fmt.Sprintf("%q", k)
	}
	return "(unprintable)"
}

// child extends a message path with a map key or, for keys unsafe to show,
// the entry's index.
func child(path, key string, i int) string {
	switch {
	case !safeName.MatchString(key):
		return fmt.Sprintf("%s[%d]", path, i)
	case path == topLevel:
		return key
	}
	return path + "." + key
}

func joinKeys(keys []string) string { return strings.Join(keys, ", ") }
