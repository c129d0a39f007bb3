package secret

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Ref is a parsed secret reference: scheme://host/path?query#field.
//
//	env://DATABASE_URL
//	file:///run/secrets/db/password
//	file:///run/secrets/db.json#password
//	vault://secret/data/app?version=3#password
//
// The fragment selects a top-level field of a JSON document. String never
// shows userinfo, so a Ref is safe to print.
type Ref struct {
	Scheme string
	Host   string     // env: the variable name; vault: the mount
	Path   string     // file: the absolute path
	Query  url.Values // provider options; unknown keys are rejected by the opener
	Field  string     // JSON field to select; empty for the whole value
}

// ParseRef parses s. Errors describe the problem without echoing s, since a
// misplaced credential is the most common malformed reference.
func ParseRef(s string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("empty reference")
	}
	u, err := url.Parse(s)
	if err != nil {
		return Ref{}, fmt.Errorf("malformed reference (want scheme://...)")
	}
	if u.Scheme == "" || u.Opaque != "" {
		return Ref{}, fmt.Errorf("malformed reference (want scheme://...)")
	}
	if u.User != nil {
		return Ref{}, fmt.Errorf("reference must not contain userinfo")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Ref{}, fmt.Errorf("malformed query in reference")
	}
	r := Ref{Scheme: strings.ToLower(u.Scheme), Host: u.Host, Path: u.Path, Query: q, Field: u.Fragment}
	// A reference is logged and reported by its String form, so only one
	// that prints back to itself is accepted (an IPv6 zone of stray bytes
	// does not).
	if again, err := url.Parse(r.String()); err != nil || again.Host != r.Host {
		return Ref{}, fmt.Errorf("malformed reference (want scheme://...)")
	}
	return r, nil
}

// String renders the reference; it holds no secret material.
func (r Ref) String() string {
	u := url.URL{Scheme: r.Scheme, Host: r.Host, Path: r.Path, RawQuery: r.Query.Encode(), Fragment: r.Field}
	return u.String()
}

// CheckParams returns an error naming every query parameter of r that is not
// in allowed, and listing the valid ones. Only names shaped like parameter
// names are shown; any other is counted, since a reference that holds a
// misplaced credential must not be echoed.
func (r Ref) CheckParams(allowed ...string) error {
	var unknown []string
	odd := 0
	for k := range r.Query {
		switch {
		case slices.Contains(allowed, k):
		case paramName.MatchString(k):
			unknown = append(unknown, k)
		default:
			odd++
		}
	}
	if len(unknown)+odd == 0 {
		return nil
	}
	sort.Strings(unknown)
	if odd > 0 {
		unknown = append(unknown, fmt.Sprintf("%d not shown", odd))
	}
	valid := "none"
	if len(allowed) > 0 {
		valid = strings.Join(allowed, ", ")
	}
	return fmt.Errorf("unknown query parameter %s for %s:// (valid: %s)",
		strings.Join(unknown, ", "), r.Scheme, valid)
}

// paramName is what a query parameter name of a reference looks like.
var paramName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,19}$`)
