// Package cred expands credential templates: the connection strings, URLs,
// headers, user names and passwords a source kind builds its client from.
// A template holds secrets only as ${secret:NAME} or ${secret:NAME#field};
// each value is escaped for the place it stands in (see Escaping), so a
// password holding '@', '/', '#', a quote or a space cannot change the
// structure around it.
//
// A source kind expands all of its templates from one secret.Pin, so every
// field taken from one secret (a username and a password from one JSON
// document) comes from the same version.
package cred

import (
	"errors"
	"fmt"
	"slices"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

// Template is one parsed credential template.
type Template struct {
	text string
	uses []secret.Use
	esc  Escaping
}

// New parses text, to be escaped with esc (nil: DSN).
func New(text string, esc Escaping) Template {
	if esc == nil {
		esc = DSN
	}
	return Template{text: text, uses: secret.Uses(text), esc: esc}
}

// Text is the template as written; it holds no secret value.
func (t Template) Text() string { return t.text }

// Set is the templates one client is built from, expanded together.
type Set []Template

// Secrets lists the secrets the templates name, in order, once each.
func (s Set) Secrets() []string {
	var names []string
	for _, t := range s {
		for _, u := range t.uses {
			if !slices.Contains(names, u.Name) {
				names = append(names, u.Name)
			}
		}
	}
	return names
}

// Expanded is a Set filled from one Pin.
type Expanded struct {
	Values []string // one per template, in Set order
	// Secrets are the raw values placed (whole secrets and fields), and
	// the escaped forms they took in the templates, so a kind can scrub
	// them from a driver's error text in every escaping.
	Secrets []string
}

// Expand fills every template from p, in order. Errors name the secret and
// the field, never a value.
func (s Set) Expand(p *secret.Pin) (Expanded, error) {
	var e Expanded
	for _, t := range s {
		v, err := t.expand(p, &e.Secrets)
		if err != nil {
			return Expanded{}, err
		}
		e.Values = append(e.Values, v)
	}
	return e, nil
}

func (t Template) expand(p *secret.Pin, used *[]string) (string, error) {
	var b []byte
	last := 0
	for _, u := range t.uses {
		v, err := value(p, u)
		if err != nil {
			return "", err
		}
		*used = append(*used, v)
		esc, err := t.esc(t.text, u.Start, u.End)(v)
		if err != nil {
			return "", fmt.Errorf("secret %q: %w", u.Name, err)
		}
		if esc != v {
			*used = append(*used, esc)
		}
		b = append(append(b, t.text[last:u.Start]...), esc...)
		last = u.End
	}
	return string(append(b, t.text[last:]...)), nil
}

// ErrUnavailable is wrapped by Expand's errors when a pinned secret or
// field is missing. Its text is not part of theirs.
var ErrUnavailable = errors.New("not available")

// unavailable is an Expand error: its own text, and ErrUnavailable for
// errors.Is.
type unavailable struct{ msg string }

func (u unavailable) Error() string { return u.msg }
func (unavailable) Unwrap() error   { return ErrUnavailable }

func value(p *secret.Pin, u secret.Use) (string, error) {
	v, ok := p.Value(u.Name)
	if !ok {
		return "", unavailable{fmt.Sprintf("secret %q is not available", u.Name)}
	}
	if u.Field == "" {
		return v.RevealString(), nil
	}
	f, err := v.Field(u.Field)
	switch {
	case errors.Is(err, driver.ErrNotFound):
		return "", unavailable{fmt.Sprintf("secret %q has no field %q", u.Name, u.Field)}
	case err != nil:
		return "", unavailable{fmt.Sprintf("secret %q is not a JSON object, so it has no field %q", u.Name, u.Field)}
	}
	return f.RevealString(), nil
}
