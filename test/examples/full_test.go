// Package examples_test parses the configs under examples/ with the
// binary's kinds, so that an example never drifts from what Hush accepts.
package examples_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/boot"
	"github.com/hushmcp/hush/source/nats"
	"github.com/hushmcp/hush/tool/publish"
)

// kinds are the binary's parts, plus the nats and publish kinds when the
// binary does not register them yet.
func kinds() config.Kinds {
	k := boot.Kinds(nil)
	if _, ok := k.Sources.Lookup(nats.KindName); !ok {
		k.Sources.Register(nats.Kind)
	}
	if _, ok := k.Tools.Lookup(publish.KindName); !ok {
		k.Tools.Register(publish.Kind)
	}
	return k
}

// examples/full loads, uses every kind beyond SQL, and takes every secret
// from a file beside it that holds a fake value.
func TestFullExample(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "full", "hush.yaml")
	cfg, err := config.Load(path, kinds())
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	var sourceKinds, toolKinds []string
	for _, s := range cfg.Sources {
		sourceKinds = append(sourceKinds, s.Kind)
	}
	for _, tl := range cfg.Tools {
		toolKinds = append(toolKinds, tl.Kind)
	}
	for _, k := range []string{"sqlite", "redis", "http", "webhook", "nats"} {
		if !slices.Contains(sourceKinds, k) {
			t.Errorf("no %s source (sources: %v)", k, sourceKinds)
		}
	}
	for _, k := range []string{"sql", "redis", "http", "notify", "publish"} {
		if !slices.Contains(toolKinds, k) {
			t.Errorf("no %s tool (tools: %v)", k, toolKinds)
		}
	}
	for _, d := range cfg.Secrets {
		file, ok := strings.CutPrefix(d.From, "file:")
		if !ok {
			t.Errorf("secret %s is not read from a file beside the config", d.Name)
			continue
		}
		if !filepath.IsAbs(file) {
			file = filepath.Join(filepath.Dir(path), file)
		}
		b, err := os.ReadFile(filepath.FromSlash(strings.TrimPrefix(file, "//")))
		if err != nil {
			t.Errorf("secret %s: %v", d.Name, err)
			continue
		}
		if !strings.HasPrefix(string(b), "fake-") {
			t.Errorf("secret %s: the example's file must hold a fake value starting with fake-", d.Name)
		}
	}
}
