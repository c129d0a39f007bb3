package config

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWithDefaultsFillsZeroFieldsOnly(t *testing.T) {
	d := Server{}.WithDefaults()
	base := DefaultServer()
	if d.Name != base.Name || d.Listen != base.Listen || d.CallTimeout != base.CallTimeout || d.MaxBodyBytes != base.MaxBodyBytes {
		t.Errorf("WithDefaults disagrees with DefaultServer: %+v vs %+v", d, base)
	}
	if d.SessionTimeout <= 0 || d.ReadTimeout <= 0 || d.MaxSessions <= 0 || d.MaxRequests <= 0 || d.MaxConnections <= 0 {
		t.Errorf("a resource limit has no default: %+v", d)
	}
	if d.MemoryLimit != 0 || d.AuthToken != "" || d.Stateless || d.SSE {
		t.Errorf("WithDefaults set a field that has no server default: %+v", d)
	}
	set := Server{Name: "n", Transport: TransportHTTP, Listen: "[::1]:1", Path: "/p", CallTimeout: time.Second,
		ShutdownGrace: time.Second, MaxBodyBytes: 1, SessionTimeout: time.Second, MaxSessions: 1, MaxRequests: 1,
		MaxConnections: 1, ReadTimeout: time.Second, MemoryLimit: 1}
	if got := set.WithDefaults(); !reflect.DeepEqual(got, set) {
		t.Errorf("WithDefaults changed set fields: %+v", got)
	}
	if got := (Server{CallTimeout: -time.Second, MaxSessions: -1}).WithDefaults(); !reflect.DeepEqual(got, d) {
		t.Errorf("negative values were kept: %+v", got)
	}
}

// docDefault matches a row of the server table: key and default.
var docDefault = regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| `([^`]+)` \\|")

// The server table in docs/configuration.md states the defaults
// WithDefaults applies: decoding the documented values gives them back.
func TestDocumentedServerDefaults(t *testing.T) {
	doc, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(doc), "\n## server\n")
	section, _, _ = strings.Cut(section, "\n#")
	lines := []string{"server:"}
	var keys []string
	for _, m := range docDefault.FindAllStringSubmatch(section, -1) {
		keys = append(keys, m[1])
		if m[1] != "memory_limit" { // the binary's default, not the server's
			lines = append(lines, "  "+m[1]+": "+m[2])
		}
	}
	for _, k := range serverKeys {
		if k != "auth_token" && k != "jwt" && !slices.Contains(keys, k) {
			t.Errorf("server.%s has no documented default", k)
		}
	}
	if got, want := mustParse(t, y(lines...)).Server, (Server{}).WithDefaults(); !reflect.DeepEqual(got, want) {
		t.Errorf("documented defaults:\n%+v\nWithDefaults:\n%+v", got, want)
	}
}
