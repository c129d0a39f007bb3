package cred

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// Escaper escapes one value for its place; it may refuse a value that
// cannot stand there.
type Escaper func(v string) (string, error)

// Escaping picks the Escaper for a placeholder at text[start:end].
type Escaping func(text string, start, end int) Escaper

// Raw places values as they are: for a template that is a user name or a
// password on its own.
func Raw(string, int, int) Escaper { return raw }

// Header places values in an HTTP header value, refusing CR, LF and NUL,
// which would end the header and let a value forge others.
func Header(string, int, int) Escaper { return header }

// DSN escapes by position in a connection string: nothing when the
// placeholder is the whole template; in a URL, userinfo, path or query
// escaping; after "key=" in a key/value DSN, libpq quoting.
func DSN(s string, start, end int) Escaper {
	if start == 0 && end == len(s) {
		return raw
	}
	if loc := urlPrefix.FindStringIndex(s); loc != nil {
		return urlEscaperAt(s, loc[1], start)
	}
	if strings.HasSuffix(strings.TrimRight(s[:start], " "), "=") {
		return quoteKeyValue
	}
	return raw
}

var urlPrefix = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

func urlEscaperAt(s string, authStart, pos int) Escaper {
	if q := strings.IndexAny(s[authStart:], "?#"); q >= 0 && pos > authStart+q {
		return queryEscape
	}
	authEnd := len(s)
	if i := strings.IndexAny(s[authStart:], "/?#"); i >= 0 {
		authEnd = authStart + i
	}
	if pos >= authEnd {
		return pathEscape
	}
	if at := strings.LastIndex(s[authStart:authEnd], "@"); at >= 0 && pos < authStart+at {
		return userinfoEscape
	}
	return raw
}

func raw(v string) (string, error) { return v, nil }

var errControl = errors.New("value holds CR, LF or NUL, which a header cannot carry")

func header(v string) (string, error) {
	if strings.ContainsAny(v, "\r\n\x00") {
		return "", errControl
	}
	return v, nil
}

func pathEscape(v string) (string, error) { return url.PathEscape(v), nil }

// queryEscape escapes v for a query value, with spaces as %20: libpq-style
// parsers do not read '+' as a space.
func queryEscape(v string) (string, error) {
	return strings.ReplaceAll(url.QueryEscape(v), "+", "%20"), nil
}

// userinfoEscape escapes v for the user or password part of a URL.
func userinfoEscape(v string) (string, error) { return url.User(v).String(), nil }

// quoteKeyValue quotes v for a libpq key/value connection string when it
// holds anything that would end or confuse the value.
func quoteKeyValue(v string) (string, error) {
	if v != "" && !strings.ContainsAny(v, " '\\\t\n") {
		return v, nil
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'", nil
}
