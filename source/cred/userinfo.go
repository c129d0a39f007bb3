package cred

import (
	"regexp"
	"strings"
)

var urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

// UserinfoPassword returns the password of scheme://user:password@host.
// Besides the strict URL grammar (userinfo ends the authority) it accepts an
// unescaped '#', '?' or '@' in the password, a common mistake that still
// leaves the password in the file. The password comes back exactly as
// written, escapes included ("p%40ss" for "p@ss"). Config uses it to find
// literal passwords, source kinds to scrub the form a DSN's author wrote.
func UserinfoPassword(s string) (string, bool) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || !urlScheme.MatchString(scheme) {
		return "", false
	}
	authority, _, _ := strings.Cut(rest, "/")
	if i := strings.IndexAny(authority, "?#"); i >= 0 && !strings.Contains(authority[i:], "@") {
		authority = authority[:i]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return "", false
	}
	user, pw, ok := strings.Cut(authority[:at], ":")
	if !ok || strings.ContainsAny(user, "?#") {
		return "", false
	}
	return pw, true
}
