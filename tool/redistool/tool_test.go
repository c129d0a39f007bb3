package redistool_test

import (
	"strings"
	"testing"
	"time"
)

const toolsYAML = `
secrets:
  REDIS_URL: { from: "file:redis-url" }
sources:
  cache: { kind: redis, url: "${secret:REDIS_URL}", pool_size: 2 }
tools:
  get_session:
    kind: redis
    source: cache
    description: Read a session.
    operation: get
    key: "session:{user_id}"
    prefixes: ["session:"]
    max_value_bytes: 64
    parameters: [{ name: user_id, type: string, required: true }]
  put_session:
    kind: redis
    source: cache
    description: Store a session.
    operation: set
    read_only: false
    key: "session:{user_id}"
    value: "{data}"
    prefixes: ["session:"]
    ttl: 10m
    ttl_parameter: ttl
    max_ttl: 1h
    max_value_bytes: 100
    parameters:
      - { name: user_id, type: string, required: true }
      - { name: data, type: string, required: true }
      - { name: ttl, type: integer }
  drop_session:
    kind: redis
    source: cache
    description: Delete a session.
    operation: del
    read_only: false
    key: "session:{user_id}"
    prefixes: ["session:"]
    parameters: [{ name: user_id, type: string, required: true }]
  has_session:
    kind: redis
    source: cache
    description: Does a session exist?
    operation: exists
    key: "session:{user_id}"
    prefixes: ["session:"]
    parameters: [{ name: user_id, type: string, required: true }]
  count_visit:
    kind: redis
    source: cache
    description: Count a page visit.
    operation: incr
    read_only: false
    key: "visits:{page}"
    prefixes: ["visits:"]
    parameters: [{ name: page, type: integer, required: true }]
  profile_field:
    kind: redis
    source: cache
    description: One field of a profile.
    operation: hget
    key: "profile:{user_id}"
    field: "{field}"
    prefixes: ["profile:"]
    parameters:
      - { name: user_id, type: string, required: true }
      - { name: field, type: string, required: true, enum: [name, plan] }
  profile:
    kind: redis
    source: cache
    description: A whole profile.
    operation: hgetall
    key: "profile:{user_id}"
    prefixes: ["profile:"]
    parameters: [{ name: user_id, type: string, required: true }]
  get_any:
    kind: redis
    source: cache
    description: Read a key of some namespace.
    operation: get
    key: "{ns}:{id}"
    prefixes: ["session:"]
    parameters:
      - { name: ns, type: string, required: true }
      - { name: id, type: string, required: true }
`

func TestOperationsOverMCP(t *testing.T) {
	s := start(t, toolsYAML)
	if got := s.ok(t, "get_session", map[string]any{"user_id": "u1"}); got["found"] != false || got["value"] != nil {
		t.Errorf("get of a missing session = %v", got)
	}
	got := s.ok(t, "put_session", map[string]any{"user_id": "u1", "data": `{"cart":[1,2]}`})
	if got["stored"] != true || got["ttl_seconds"] != float64(600) || got["key"] != "session:u1" {
		t.Errorf("set = %v", got)
	}
	if ttl := srv.Admin().TTL(t.Context(), "session:u1").Val(); ttl <= 9*time.Minute || ttl > 10*time.Minute {
		t.Errorf("stored with ttl %v, want the configured 10m", ttl)
	}
	if got := s.ok(t, "get_session", map[string]any{"user_id": "u1"}); got["value"] != `{"cart":[1,2]}` {
		t.Errorf("get = %v", got)
	}
	if got := s.ok(t, "has_session", map[string]any{"user_id": "u1"}); got["exists"] != true {
		t.Errorf("exists = %v", got)
	}
	if got := s.ok(t, "drop_session", map[string]any{"user_id": "u1"}); got["deleted"] != true {
		t.Errorf("del = %v", got)
	}
	if got := s.ok(t, "has_session", map[string]any{"user_id": "u1"}); got["exists"] != false {
		t.Errorf("exists after del = %v", got)
	}
	srv.Admin().Del(t.Context(), "visits:7")
	for want := 1.0; want <= 2; want++ {
		if got := s.ok(t, "count_visit", map[string]any{"page": 7}); got["value"] != want {
			t.Errorf("incr = %v, want %v", got, want)
		}
	}
	checkHashTools(t, s)
}

func checkHashTools(t *testing.T, s *server) {
	srv.Admin().HSet(t.Context(), "profile:ada", "name", "Ada", "plan", "pro")
	if got := s.ok(t, "profile_field", map[string]any{"user_id": "ada", "field": "plan"}); got["value"] != "pro" {
		t.Errorf("hget = %v", got)
	}
	got := s.ok(t, "profile", map[string]any{"user_id": "ada"})
	if f, _ := got["fields"].(map[string]any); f["name"] != "Ada" || f["plan"] != "pro" {
		t.Errorf("hgetall = %v", got)
	}
	s.refused(t, "profile_field", map[string]any{"user_id": "ada", "field": "password"}, "must be one of")
}

// Parameters that would change the key's structure are refused before
// Redis is reached, by name and never by value.
func TestKeyInjectionRefused(t *testing.T) {
	s := start(t, toolsYAML)
	before := srv.Admin().DBSize(t.Context()).Val()
	for _, bad := range []string{
		"*", "u1*", "u1:admin", "../u1", "u1\r\nFLUSHALL", "u 1", "{tag}", "u1?", "[a-z]", "",
		strings.Repeat("a", 300), "u1\x00", "u1\t", "ü:1",
	} {
		s.refused(t, "put_session", map[string]any{"user_id": bad, "data": "x"}, `argument "user_id"`, bad)
		s.refused(t, "get_session", map[string]any{"user_id": bad}, `argument "user_id"`, bad)
	}
	if after := srv.Admin().DBSize(t.Context()).Val(); after != before {
		t.Errorf("refused calls changed the database: %d keys before, %d after", before, after)
	}
	if got := s.ok(t, "get_session", map[string]any{"user_id": "ada.lovelace+test@example-1_x"}); got["key"] != "session:ada.lovelace+test@example-1_x" {
		t.Errorf("an ordinary e-mail-like id was not accepted as it is: %v", got)
	}
}

// A filled key outside the declared prefixes is refused.
func TestPrefixConfinement(t *testing.T) {
	s := start(t, toolsYAML)
	srv.Admin().Set(t.Context(), "session:p1", "in", time.Minute)
	srv.Admin().Set(t.Context(), "admin:p1", "out", time.Minute)
	if got := s.ok(t, "get_any", map[string]any{"ns": "session", "id": "p1"}); got["value"] != "in" {
		t.Errorf("get inside the prefix = %v", got)
	}
	s.refused(t, "get_any", map[string]any{"ns": "admin", "id": "p1"}, "outside the prefixes", "admin:p1")
	s.refused(t, "get_any", map[string]any{"ns": "sessionx", "id": "p1"}, "outside the prefixes")
}

// The TTL a caller asks for is capped; without one the configured TTL holds.
func TestTTLCap(t *testing.T) {
	s := start(t, toolsYAML)
	got := s.ok(t, "put_session", map[string]any{"user_id": "t1", "data": "x", "ttl": 3600})
	if got["ttl_seconds"] != float64(3600) {
		t.Errorf("set with ttl 3600 = %v", got)
	}
	if ttl := srv.Admin().TTL(t.Context(), "session:t1").Val(); ttl <= 59*time.Minute {
		t.Errorf("stored ttl %v, want 1h", ttl)
	}
	s.refused(t, "put_session", map[string]any{"user_id": "t2", "data": "x", "ttl": 3601}, "between 1 and 3600 seconds")
	s.refused(t, "put_session", map[string]any{"user_id": "t2", "data": "x", "ttl": 0}, "between 1 and 3600 seconds")
	s.refused(t, "put_session", map[string]any{"user_id": "t2", "data": "x", "ttl": -5}, "between 1 and 3600 seconds")
	if n := srv.Admin().Exists(t.Context(), "session:t2").Val(); n != 0 {
		t.Error("a refused set stored its value")
	}
}

// Values over max_value_bytes are refused on the way in and not returned
// on the way out, with sizes only.
func TestValueLimits(t *testing.T) {
	s := start(t, toolsYAML)
	big := strings.Repeat("v", 101)
	s.refused(t, "put_session", map[string]any{"user_id": "v1", "data": big}, "101 bytes, over the limit of 100", big)
	if n := srv.Admin().Exists(t.Context(), "session:v1").Val(); n != 0 {
		t.Error("an oversized value was stored")
	}
	s.ok(t, "put_session", map[string]any{"user_id": "v2", "data": strings.Repeat("w", 100)})
	s.refused(t, "get_session", map[string]any{"user_id": "v2"}, "over the limit of 64", strings.Repeat("w", 20))
	srv.Admin().HSet(t.Context(), "session:h", "a", "b")
	s.refused(t, "get_session", map[string]any{"user_id": "h"}, "WRONGTYPE")
}
