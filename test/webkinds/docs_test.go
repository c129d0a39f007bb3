package webkinds_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/assembly"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/httpapi"
	"github.com/hushmcp/hush/source/webhook"
	"github.com/hushmcp/hush/tool"
	"github.com/hushmcp/hush/tool/httptool"
	"github.com/hushmcp/hush/tool/notify"
)

// kinds are the shipped parts plus the http and webhook kinds, registered
// here until internal/assembly registers them (then these are no-ops).
func kinds() config.Kinds {
	k := config.Kinds{Sources: assembly.Sources(), Tools: assembly.Tools(), Providers: assembly.Providers(nil)}
	for _, sk := range []source.Kind{httpapi.Kind, webhook.Kind} {
		if _, ok := k.Sources.Lookup(sk.Name); !ok {
			k.Sources.Register(sk)
		}
	}
	for _, tk := range []tool.Kind{httptool.Kind, notify.Kind} {
		if _, ok := k.Tools.Lookup(tk.Name); !ok {
			k.Tools.Register(tk)
		}
	}
	return k
}

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// The configs in the docs load as written.
func TestDocExamplesParse(t *testing.T) {
	for _, doc := range []string{"../../docs/http.md", "../../docs/webhook.md"} {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		blocks := yamlBlock.FindAllStringSubmatch(string(text), -1)
		if len(blocks) == 0 {
			t.Errorf("%s: no yaml example", doc)
		}
		for _, b := range blocks {
			if _, err := config.Parse(doc, []byte(b[1]), kinds()); err != nil {
				t.Errorf("%s: %v", doc, err)
			}
		}
	}
}

// A tool kind over a source of the wrong kind is refused at load, naming
// the kinds that would do.
func TestCapabilitiesCheckedAtLoad(t *testing.T) {
	_, err := config.Parse("t.yaml", []byte(`
secrets:
  K: { from: env://K }
  S: { from: env://S }
sources:
  api: { kind: http, base_url: "https://api.example.com", headers: { Authorization: "Bearer ${secret:K}" } }
  alerts: { kind: webhook, url: "https://hooks.example.com/x", secret: "${secret:S}" }
tools:
  call_hook: { kind: http, source: alerts, description: d }
  notify_api: { kind: notify, source: api, description: d }
`), kinds())
	for _, want := range []string{
		`source "alerts" is a webhook source; tool kind http needs one that provides http`,
		`source "api" is a http source; tool kind notify needs one that provides notify`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}
