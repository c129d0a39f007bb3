package config

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/hushmcp/hush/secret"
)

// Nothing under secrets: is ever echoed in a message: a value there may be a
// credential pasted in the wrong place. Messages carry names and positions.

var (
	secretKeys = []string{"from", "required", "min_length", "max_length", "prefix", "format",
		"schemes", "fields", "strict"}
	secretName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	schemeName = regexp.MustCompile(`^[a-z][a-z0-9+.-]*$`)
)

// secrets decodes the secrets: section in file order.
func (d *decoder) secrets(n ast.Node) []secret.Decl {
	var decls []secret.Decl
	for i, e := range d.list(n, "secrets") {
		if !secretName.MatchString(e.key) {
			d.errorf(e.keyTk, "secrets: name %s must match [A-Za-z_][A-Za-z0-9_]*", quoteKey(e.key))
		}
		d.declared[e.key] = e.keyTk
		path := child("secrets", e.key, i)
		d.quiet = true
		o := d.object(e.value, path, e.keyTk, secretKeys)
		decl := secret.Decl{Name: e.key, Pos: d.pos(e.keyTk)}
		d.secretFrom(o, &decl)
		decl.Rules = d.secretRules(o)
		d.quiet = false
		decls = append(decls, decl)
	}
	return decls
}

// secretFrom decodes from: one reference, or a list of them tried in
// order (the first is From, the others Also).
func (d *decoder) secretFrom(o object, decl *secret.Decl) {
	e, ok := d.required(o, "from")
	if !ok {
		return
	}
	if _, list := e.value.(*ast.SequenceNode); !list {
		decl.From, _ = d.secretRef(e)
		return
	}
	refs, ok := d.secretRefs(e)
	if ok && len(refs) == 0 {
		d.errorf(at(e.value), "%s: the list names no reference", e.path)
	}
	if ok && len(refs) > 0 {
		decl.From = refs[0]
	}
	if ok && len(refs) > 1 {
		decl.Also = refs[1:]
	}
}

// secretRefs decodes a from: list, reporting every bad or repeated item
// at its own position; ok is false when one was bad.
func (d *decoder) secretRefs(e entry) ([]string, bool) {
	var refs []string
	ok := true
	for i, n := range d.seq(e) {
		item := entry{value: n, path: fmt.Sprintf("%s[%d]", e.path, i)}
		ref, good := d.secretRef(item)
		if good && slices.Contains(refs, ref) {
			d.errorf(at(n), "%s: the reference is listed twice", item.path)
			good = false
		}
		ok = ok && good
		refs = append(refs, ref)
	}
	return refs, ok
}

// secretRef decodes one reference, resolving a relative file: one.
func (d *decoder) secretRef(e entry) (string, bool) {
	s, ok := d.text(e)
	if !ok {
		return "", false
	}
	s = d.fileRef(s)
	// ParseRef's messages never contain the reference itself.
	if _, err := secret.ParseRef(s); err != nil {
		d.errorf(at(e.value), "%s: %v (e.g. env://NAME or file:///path)", e.path, err)
		return "", false
	}
	return s, true
}

func (d *decoder) secretRules(o object) secret.Rules {
	var r secret.Rules
	required := true
	d.setBool(o, "required", &required)
	r.Optional = !required
	setInt(d, o, "min_length", &r.MinLength, 0, math.MaxInt64)
	setInt(d, o, "max_length", &r.MaxLength, 1, math.MaxInt64)
	if d.setStr(o, "prefix", &r.Prefix) && r.Prefix == "" {
		d.errorf(at(o.fields["prefix"].value), "%s.prefix: must not be empty", o.path)
	}
	d.setEnum(o, "format", &r.Format, secret.Formats, false)
	r.Schemes = d.schemes(o)
	r.Fields, _ = d.strList(o, "fields")
	d.setBool(o, "strict", &r.Strict)
	d.checkRules(o, r)
	return r
}

// schemes decodes schemes: lower-cased, each a valid URL scheme.
func (d *decoder) schemes(o object) []string {
	list, ok := d.strList(o, "schemes")
	if !ok {
		return nil
	}
	for i, s := range list {
		list[i] = strings.ToLower(s)
		if !schemeName.MatchString(list[i]) {
			d.errorf(at(o.fields["schemes"].value), "%s.schemes[%d]: not a URL scheme", o.path, i)
		}
	}
	return list
}

// checkRules reports rules that contradict each other or their format. A
// rule whose own value was invalid is already reported and absent here.
func (d *decoder) checkRules(o object, r secret.Rules) {
	if r.MaxLength > 0 && r.MinLength > r.MaxLength {
		d.errorf(o.fields["min_length"].keyTk, "%s: min_length is greater than max_length", o.path)
	}
	d.needFormat(o, "schemes", "url", r.Format)
	d.needFormat(o, "fields", "json", r.Format)
	d.needFormat(o, "strict", "json", r.Format)
	if e, ok := o.get("strict"); ok && r.Strict && len(r.Fields) == 0 {
		d.errorf(e.keyTk, "%s: strict needs fields (the only fields allowed)", o.path)
	}
}

func (d *decoder) needFormat(o object, key, format, got string) {
	e, ok := o.get(key)
	if !ok || got == format {
		return
	}
	if _, set := o.get("format"); set && !slices.Contains(secret.Formats, got) {
		return // the format itself is wrong and already reported
	}
	d.errorf(e.keyTk, "%s: %s needs format: %s", o.path, key, format)
}
