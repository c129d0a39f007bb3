package sqlite

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// uris turns a DSN (a path or a file: URI) into the URIs of the read-write
// and the read-only pool. The read-write pool opens an existing file only
// (mode=rw) unless the DSN sets a mode; the read-only pool always gets
// mode=ro and PRAGMA query_only, whatever the DSN says.
func uris(dsn string) (rw, ro string, err error) {
	path, query, err := split(dsn)
	if err != nil {
		return "", "", err
	}
	if path == ":memory:" || path == "" || strings.EqualFold(query.Get("mode"), "memory") {
		return "", "", errors.New("in-memory databases are not supported (the read-only and read-write pools would see different databases)")
	}
	busy := "busy_timeout(" + strconv.Itoa(busyTimeoutMS) + ")"
	rwq := cloneValues(query)
	if rwq.Get("mode") == "" {
		rwq.Set("mode", "rw")
	}
	rwq.Add("_pragma", busy)
	roq := cloneValues(query)
	roq.Set("mode", "ro")
	roq.Add("_pragma", busy)
	roq.Add("_pragma", "query_only(1)")
	return "file:" + path + "?" + rwq.Encode(), "file:" + path + "?" + roq.Encode(), nil
}

// split separates a DSN into an escaped URI path and its query. A plain
// path is escaped so that '?', '#' and '%' in it stay part of the name.
func split(dsn string) (string, url.Values, error) {
	if dsn == "" {
		return "", nil, errors.New("empty dsn")
	}
	if !strings.HasPrefix(dsn, "file:") {
		return escapePath(dsn), url.Values{}, nil
	}
	rest := strings.TrimPrefix(dsn, "file:")
	path, rawQuery, _ := strings.Cut(rest, "?")
	path, _, _ = strings.Cut(path, "#")
	rawQuery, _, _ = strings.Cut(rawQuery, "#")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		// The query may hold a secret: do not quote it.
		return "", nil, fmt.Errorf("malformed query in file: URI")
	}
	return path, q, nil
}

var pathEscaper = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// escapePath makes a file system path safe to use as a URI path.
func escapePath(p string) string { return pathEscaper.Replace(p) }

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
