package awssm_test

import (
	"os"
	"strings"
	"testing"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/assembly"
	"github.com/hushmcp/hush/secret/awssm"
)

// TestDocExamples parses every hush.yaml example of docs/awssm.md, so the
// documentation cannot drift from what the config accepts.
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/awssm.md")
	if err != nil {
		t.Fatal(err)
	}
	mux := assembly.Providers(nil)
	if _, ok := mux.Configurer("awssm"); !ok {
		mux.Register("awssm", &awssm.Opener{})
	}
	kinds := config.Kinds{Sources: assembly.Sources(), Tools: assembly.Tools(), Providers: mux}
	n := 0
	for i, block := range yamlBlocks(string(doc)) {
		if strings.Contains(block, "apiVersion:") {
			continue // a Kubernetes manifest
		}
		if !strings.Contains(block, "secrets:") {
			block += "secrets:\n  X: { from: \"awssm://x\" }\n"
		}
		if _, err := config.Parse("awssm.md", []byte(block), kinds); err != nil {
			t.Errorf("example %d does not parse: %v", i, err)
		}
		n++
	}
	if n < 4 {
		t.Errorf("found %d hush.yaml examples, want at least 4", n)
	}
}

func yamlBlocks(doc string) []string {
	var out []string
	for _, part := range strings.Split(doc, "```yaml\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		out = append(out, block)
	}
	return out
}
