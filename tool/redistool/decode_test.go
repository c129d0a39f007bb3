package redistool_test

import (
	"strings"
	"testing"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/tool/redistool"
)

const decodeHead = `
secrets:
  REDIS_URL: { from: "env://REDIS_URL" }
sources:
  cache: { kind: redis, url: "${secret:REDIS_URL}" }
tools:
  t:
    kind: redis
    source: cache
    description: d
    parameters:
      - { name: id, type: string, required: true }
      - { name: n, type: number, required: true }
      - { name: opt, type: string }
      - { name: secs, type: integer }
`

func parse(t *testing.T, entry string) (*config.Config, error) {
	t.Helper()
	return config.Parse("hush.yaml", []byte(decodeHead+entry), kinds())
}

// Every problem of a redis tool entry is reported at its key, at once.
func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct{ entry, want string }{
		{"    operation: get\n", "tools.t.key is required"},
		{"    operation: incr\n    prefixes: [\"s:\"]\n", "tools.t.operation: incr writes"},
		{"    operation: get\n    key: \"s:{id}\"\n", "tools.t.prefixes is required"},
		{"    operation: scan\n    key: \"s:{id}\"\n    prefixes: [\"s:\"]\n", "operation"},
		{"    operation: set\n    key: \"s:{id}\"\n    value: \"{id}\"\n    ttl: 1m\n    prefixes: [\"s:\"]\n",
			"tools.t.operation: set writes; set read_only: false to allow it"},
		{"    operation: set\n    read_only: false\n    key: \"s:{id}\"\n    value: \"{id}\"\n    prefixes: [\"s:\"]\n",
			"tools.t.ttl is required"},
		{"    operation: set\n    read_only: false\n    key: \"s:{id}\"\n    value: \"{id}\"\n    ttl: 800h\n    prefixes: [\"s:\"]\n",
			"tools.t.ttl must be at most 720h0m0s"},
		{"    operation: set\n    read_only: false\n    key: \"s:{id}\"\n    value: \"{id}\"\n    ttl: 1h\n    max_ttl: 1m\n    prefixes: [\"s:\"]\n",
			"tools.t.max_ttl must be at least ttl"},
		{"    operation: set\n    read_only: false\n    key: \"s:{id}\"\n    value: \"{id}\"\n    ttl: 1h\n    ttl_parameter: id\n    prefixes: [\"s:\"]\n",
			`tools.t.ttl_parameter: parameter "id" must be of type integer`},
		{"    operation: get\n    key: \"s:{nope}\"\n    prefixes: [\"s:\"]\n", `tools.t.key names parameter "nope", which is not declared`},
		{"    operation: get\n    key: \"s:{n}\"\n    prefixes: [\"s:\"]\n", `parameter "n" must be of type string or integer`},
		{"    operation: get\n    key: \"s:{opt}\"\n    prefixes: [\"s:\"]\n", `parameter "opt" must be required or have a default`},
		{"    operation: get\n    key: \"s:{id\"\n    prefixes: [\"s:\"]\n", "tools.t.key has an unclosed {"},
		{"    operation: get\n    key: \"other:{id}\"\n    prefixes: [\"s:\"]\n", "tools.t.key: the key can never start with one of prefixes"},
		{"    operation: get\n    key: \"s:{id}\"\n    prefixes: []\n", "tools.t.prefixes must list at least one key prefix"},
		{"    operation: get\n    key: \"s:{id}\"\n    ttl: 1m\n    prefixes: [\"s:\"]\n", "tools.t.ttl applies to operation set only"},
		{"    operation: get\n    key: \"s:{id}\"\n    field: \"{id}\"\n    prefixes: [\"s:\"]\n", "tools.t.field applies to operation hget only"},
		{"    operation: hget\n    key: \"s:{id}\"\n    prefixes: [\"s:\"]\n", "tools.t.field is required"},
		{"    operation: get\n    key: \"s:{id}\"\n    prefixes: [\"s:\"]\n    max_value_bytes: 0\n", "max_value_bytes"},
		{"    operation: get\n    key: \"s:{id}\"\n    prefixes: [\"s:\"]\n    pattern: \"*\"\n", "pattern"},
	} {
		_, err := parse(t, c.entry)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("entry\n%s: error %v, want one containing %q", c.entry, err, c.want)
		}
	}
}

func TestDecodeValid(t *testing.T) {
	cfg, err := parse(t, `    operation: set
    read_only: false
    key: "s:{id}"
    value: "{{\"id\": \"{id}\", \"opt\": \"{opt}\"}}"
    ttl: 90s
    ttl_parameter: secs
    prefixes: ["s:", "t:"]
`)
	if err == nil || !strings.Contains(err.Error(), `tools.t.value: parameter "opt" must be required or have a default`) {
		t.Fatalf("an optional parameter in a value: %v", err)
	}
	cfg, err = parse(t, `    operation: set
    read_only: false
    key: "s:{id}"
    value: "{{\"id\": \"{id}\"}}"
    ttl: 90s
    ttl_parameter: secs
    prefixes: ["s:", "t:"]
`)
	if err != nil {
		t.Fatal(err)
	}
	rc := cfg.Tools[0].Config.(redistool.Config)
	if rc.Operation != "set" || rc.TTL.Seconds() != 90 || rc.MaxTTL != rc.TTL || rc.TTLParameter != "secs" ||
		rc.Value.Text != `{{"id": "{id}"}}` || len(rc.Prefixes) != 2 || rc.ReadOnly {
		t.Errorf("decoded %+v", rc)
	}
}

// A redis tool over a SQL source is refused at load, naming the kinds that
// would do.
func TestNeedsKeyValueSource(t *testing.T) {
	_, err := config.Parse("hush.yaml", []byte(`
secrets:
  DB: { from: "env://DB" }
sources:
  db: { kind: postgres, dsn: "${secret:DB}" }
tools:
  t: { kind: redis, source: db, description: d, operation: get, key: "s:x", prefixes: ["s:"] }
`), kinds())
	if err == nil || !strings.Contains(err.Error(), "needs one that provides key-value") || !strings.Contains(err.Error(), "redis") {
		t.Fatalf("err = %v", err)
	}
}

// The source's url is a credential template: a literal password is
// refused, and a written scheme must be redis or rediss.
func TestSourceDecode(t *testing.T) {
	for entry, want := range map[string]string{
		`{ kind: redis, url: "redis://app:hunter2-canary@h:6379/0" }`: "sources.cache.url",
		`{ kind: redis, url: "http://h:6379/${secret:R}" }`:           "sources.cache.url must start with redis:// or rediss://",
		`{ kind: redis, url: "${secret:R}", pool_size: 0 }`:           "sources.cache.pool_size",
		`{ kind: redis }`: "sources.cache.url is required",
	} {
		_, err := config.Parse("hush.yaml", []byte("secrets:\n  R: { from: \"env://R\" }\nsources:\n  cache: "+entry+"\n"), kinds())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", entry, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error repeats the literal password", entry)
		}
	}
}
