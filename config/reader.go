package config

import (
	"strings"
	"time"

	"github.com/goccy/go-yaml/token"

	"github.com/hushmcp/hush/config/section"
)

// reader is the section.Reader a registered part decodes its keys through:
// one object of the file, with the decoder's checks and positions.
type reader struct {
	d *decoder
	o object
}

var _ section.Reader = reader{}

func (r reader) Path() string        { return r.o.path }
func (r reader) Has(key string) bool { _, ok := r.o.get(key); return ok }
func (r reader) Resolve(p string) string {
	return r.d.resolve(p)
}

func (r reader) Require(keys ...string) bool {
	all := true
	for _, k := range keys {
		if _, ok := r.d.required(r.o, k); !ok {
			all = false
		}
	}
	return all
}

func (r reader) String(key string) (string, bool) {
	var s string
	if !r.Has(key) || !r.d.setStr(r.o, key, &s) {
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		r.d.errorf(at(r.o.fields[key].value), "%s.%s must not be empty", r.o.path, key)
		return "", false
	}
	return s, true
}

func (r reader) Enum(key string, valid ...string) (string, bool) {
	var s string
	ok := r.d.setEnum(r.o, key, &s, valid, true)
	return s, ok
}

func (r reader) Template(key string) (string, bool) {
	e, ok := r.o.get(key)
	if !ok {
		return "", false
	}
	var s string
	r.d.template(e, &s)
	return s, s != ""
}

func (r reader) Templates(key string) (map[string]string, bool) {
	e, ok := r.o.get(key)
	if !ok {
		return nil, false
	}
	list, ok := r.d.entries(e.value, e.path)
	if !ok {
		return nil, false
	}
	out := map[string]string{}
	for _, item := range list {
		var s string
		if r.d.template(item, &s) {
			out[item.key] = s
		}
	}
	return out, len(out) == len(list)
}

func (r reader) File(key string) (string, bool) {
	s, ok := r.String(key)
	if !ok {
		return "", false
	}
	return r.d.resolve(s), true
}

func (r reader) Int(key string, lo, hi int64) (int64, bool) {
	var n int64
	ok := setInt(r.d, r.o, key, &n, lo, hi)
	return n, ok
}

func (r reader) Bool(key string) (bool, bool) {
	var b bool
	ok := r.d.setBool(r.o, key, &b)
	return b, ok
}

func (r reader) Duration(key string) (time.Duration, bool) {
	var v time.Duration
	ok := r.d.setDuration(r.o, key, &v)
	return v, ok
}

func (r reader) Strings(key string) ([]string, bool) {
	list, ok := r.d.strList(r.o, key)
	for _, s := range list {
		if strings.Contains(s, "${secret:") {
			r.d.errorf(at(r.o.fields[key].value), "%s.%s: ${secret:...} is only allowed in credential templates", r.o.path, key)
			return nil, false
		}
	}
	return list, ok
}

func (r reader) Errorf(key, format string, args ...any) {
	r.d.errorf(r.at(key), format, args...)
}

func (r reader) Warnf(key, format string, args ...any) {
	r.d.warnf(r.at(key), format, args...)
}

func (r reader) at(key string) *token.Token {
	if e, ok := r.o.fields[key]; ok && key != "" {
		if isNull(e.value) {
			return e.keyTk
		}
		return at(e.value)
	}
	return r.o.at
}
