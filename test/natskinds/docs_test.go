package natskinds_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hushmcp/hush/config"
)

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// The config in docs/nats.md loads as written.
func TestDocExampleParses(t *testing.T) {
	const doc = "../../docs/nats.md"
	text, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	blocks := yamlBlock.FindAllStringSubmatch(string(text), -1)
	if len(blocks) == 0 {
		t.Fatalf("%s: no yaml example", doc)
	}
	for _, b := range blocks {
		if _, err := config.Parse(doc, []byte(b[1]), kinds()); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
}

// A publish tool over a source that does not publish is refused at load,
// and so is another kind's tool over a nats source.
func TestCapabilitiesCheckedAtLoad(t *testing.T) {
	_, err := config.Parse("t.yaml", []byte(`
secrets:
  R: { from: env://R }
  N: { from: env://N }
sources:
  cache: { kind: redis, url: "redis://:${secret:R}@127.0.0.1:6379/0" }
  bus: { kind: nats, url: "nats://127.0.0.1:4222", token: "${secret:N}" }
tools:
  announce: { kind: publish, source: cache, description: d, subject: a.b, allowed_subjects: [a.b] }
  read_bus: { kind: redis, source: bus, description: d, operation: get, key: "k", prefixes: [k] }
`), kinds())
	for _, want := range []string{
		`source "cache" is a redis source; tool kind publish needs one that provides publish`,
		`source "bus" is a nats source; tool kind redis needs one that provides key-value`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}
