package examples_test

import (
	"path/filepath"
	"testing"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/boot"
)

// The JWT examples (a PEM public key from a secret, and a JWKS URL) load
// with the binary's parts.
func TestJWTExamples(t *testing.T) {
	for _, name := range []string{"hush.yaml", "hush-jwks.yaml"} {
		cfg, err := config.Load(filepath.Join("..", "..", "examples", "jwt", name), boot.Kinds(nil))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cfg.Server.JWT == nil {
			t.Errorf("%s: no jwt block decoded", name)
		}
	}
}
