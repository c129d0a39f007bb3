package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// Every shipped config is valid: the examples, and the one inside the
// Kubernetes ConfigMap.
func TestShippedConfigsParse(t *testing.T) {
	paths, _ := filepath.Glob("../examples/*/hush.yaml")
	if len(paths) < 2 {
		t.Fatalf("found %d example configs", len(paths))
	}
	for _, p := range paths {
		if _, err := Load(p, testKinds); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := Parse("configmap hush.yaml", []byte(configMapConfig(t)), testKinds); err != nil {
		t.Errorf("deploy/kubernetes ConfigMap: %v", err)
	}
}

func configMapConfig(t *testing.T) string {
	b, err := os.ReadFile("../deploy/kubernetes/hush.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(b), "\n---\n") {
		var cm struct {
			Kind string
			Data map[string]string
		}
		if err := yaml.Unmarshal([]byte(doc), &cm); err != nil {
			t.Fatalf("manifest: %v", err)
		}
		if cm.Kind == "ConfigMap" {
			return cm.Data["hush.yaml"]
		}
	}
	t.Fatal("no ConfigMap in deploy/kubernetes/hush.yaml")
	return ""
}
