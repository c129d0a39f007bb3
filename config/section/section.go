// Package section is the contract between hush.yaml and the parts that
// register with the binary: a source kind, a tool kind or a secret provider
// reads its own keys through a Reader, and config does the rest (strict key
// checks, positions, collecting every problem at once).
//
// A part never sees YAML. It asks for typed values by key; a getter returns
// ok=false when the key is absent or its value is invalid, and in the second
// case the problem is already recorded with its file:line:col. Messages from
// Errorf and Warnf must not repeat a value that may hold a credential.
package section

import "time"

// Reader reads the keys of one block (a source entry, a tool entry, a
// provider's top-level block). Keys the part did not declare never reach it:
// config reports them as unknown before the part runs.
type Reader interface {
	// Path is the block's path in messages, e.g. "sources.main".
	Path() string
	// Has reports whether key is present.
	Has(key string) bool
	// Require reports every absent key as "is required" and returns
	// whether all were present.
	Require(keys ...string) bool

	// String returns a non-empty string.
	String(key string) (string, bool)
	// Enum returns a string that must be one of valid.
	Enum(key string, valid ...string) (string, bool)
	// Template returns a credential template: text in which secrets appear
	// only as ${secret:NAME} or ${secret:NAME#field}. A literal password
	// (in URL userinfo or a password= pair) is refused with a hint, and every
	// reference is checked against the declared secrets.
	Template(key string) (string, bool)
	// Templates returns a mapping of names to templates, e.g. HTTP headers.
	Templates(key string) (map[string]string, bool)
	// File returns a path, resolved against the config file's directory
	// when relative.
	File(key string) (string, bool)
	// Int returns an integer within [min, max].
	Int(key string, min, max int64) (int64, bool)
	// Bool returns true or false.
	Bool(key string) (bool, bool)
	// Duration returns a positive duration written like "30s".
	Duration(key string) (time.Duration, bool)
	// Strings returns a list of non-empty strings.
	Strings(key string) ([]string, bool)
	// Resolve joins a relative path to the config file's directory.
	Resolve(path string) string

	// Errorf records a problem at key's value (the block itself when key is
	// empty or absent).
	Errorf(key, format string, args ...any)
	// Warnf records a non-fatal finding at key.
	Warnf(key, format string, args ...any)
}
