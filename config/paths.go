package config

import (
	"net/url"
	"path/filepath"
	"strings"
)

// fileRef turns a relative file reference (file:secrets/token, no "//")
// into an absolute file:// URL under the config's directory. Other
// references, and every reference when there is no directory (Parse), are
// returned unchanged.
func (d *decoder) fileRef(ref string) string {
	rel, ok := strings.CutPrefix(ref, "file:")
	if !ok || strings.HasPrefix(rel, "//") || rel == "" || d.base == "" {
		return ref
	}
	path, field, _ := strings.Cut(rel, "#")
	u := url.URL{Scheme: "file", Path: d.resolve(path), Fragment: field}
	return u.String()
}

// resolve returns path joined to the config's directory unless absolute.
func (d *decoder) resolve(path string) string {
	if filepath.IsAbs(path) || d.base == "" {
		return path
	}
	return filepath.Join(d.base, path)
}
