package publish_test

import (
	"strings"
	"testing"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/boot"
	"github.com/hushmcp/hush/source/nats"
	"github.com/hushmcp/hush/tool/publish"
)

// kinds are the parts the binary ships plus the nats and publish kinds,
// registered the way internal/assembly registers them.
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

const decodeHead = `
secrets:
  NATS_PASSWORD: { from: "env://NATS_PASSWORD" }
  NATS_TOKEN: { from: "env://NATS_TOKEN" }
sources:
  bus: { kind: nats, url: "nats://app:${secret:NATS_PASSWORD}@127.0.0.1:4222" }
tools:
  t:
    kind: publish
    source: bus
    description: d
    parameters:
      - { name: region, type: string, required: true }
      - { name: n, type: number, required: true }
      - { name: opt, type: string }
`

func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct{ entry, want string }{
		{"    allowed_subjects: [a]\n", "tools.t.subject is required"},
		{"    subject: a\n", "tools.t.allowed_subjects is required"},
		{"    subject: orders.*\n    allowed_subjects: [orders.*]\n", "wildcards"},
		{"    subject: orders.{region}x\n    allowed_subjects: [orders.*]\n", "whole token"},
		{"    subject: orders.{nope}\n    allowed_subjects: [orders.*]\n", `parameter "nope", which is not declared`},
		{"    subject: orders.{n}\n    allowed_subjects: [orders.*]\n", `parameter "n" must be of type string or integer`},
		{"    subject: orders.{opt}\n    allowed_subjects: [orders.*]\n", `parameter "opt" must be required or have a default`},
		{"    subject: orders.{region}\n    allowed_subjects: [audit.>]\n", "can never match one of allowed_subjects"},
		{"    subject: orders.{region}\n    allowed_subjects: [\"a.>.b\"]\n", "'>' may only be the last token"},
		{"    subject: orders.{region}\n    allowed_subjects: []\n", "must list at least one subject"},
		{"    subject: orders.{region}\n    allowed_subjects: [orders.*]\n    payload: [nope]\n", `parameter "nope", which is not declared`},
		{"    subject: orders.{region}\n    allowed_subjects: [orders.*]\n    max_payload_bytes: 0\n", "max_payload_bytes"},
		{"    subject: orders.{region}\n    allowed_subjects: [orders.*]\n    stream: X\n", "stream"},
	} {
		_, err := config.Parse("hush.yaml", []byte(decodeHead+c.entry), kinds())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("entry:\n%s\nerror %v, want %q", c.entry, err, c.want)
		}
	}
	ok := "    subject: orders.{region}.created\n    allowed_subjects: [orders.eu.created, \"orders.*.created\"]\n    jetstream: true\n"
	cfg, err := config.Parse("hush.yaml", []byte(decodeHead+ok), kinds())
	if err != nil {
		t.Fatal(err)
	}
	pc := cfg.Tools[0].Config.(publish.Config)
	if !pc.JetStream || pc.MaxPayloadBytes != publish.DefaultMaxPayloadBytes || len(pc.Allowed) != 2 {
		t.Errorf("config %+v", pc)
	}
}

func TestSourceDecodeErrors(t *testing.T) {
	tail := "tools: {}\n"
	for src, want := range map[string]string{
		`{ kind: nats }`: "sources.bus.url is required",
		`{ kind: nats, url: "http://127.0.0.1:4222" }`:                                                                              "must start with nats:// or tls://",
		`{ kind: nats, url: "nats://127.0.0.1:4222", token: "canary-literal-NOT-REAL" }`:                                            "must come from a secret",
		`{ kind: nats, url: "nats://127.0.0.1:4222", user: app }`:                                                                   "user and password go together",
		`{ kind: nats, url: "nats://127.0.0.1:4222", token: "${secret:NATS_TOKEN}", password: "${secret:NATS_PASSWORD}", user: a }`: "choose one way to log in",
		`{ kind: nats, url: "nats://app:${secret:NATS_PASSWORD}@h:4222", token: "${secret:NATS_TOKEN}" }`:                           "choose one way to log in",
		`{ kind: nats, url: "nats://app:canary-literal-NOT-REAL@h:4222" }`:                                                          "",
	} {
		yaml := strings.Replace(decodeHead, `{ kind: nats, url: "nats://app:${secret:NATS_PASSWORD}@127.0.0.1:4222" }`, src, 1)
		yaml = yaml[:strings.Index(yaml, "tools:")] + tail
		_, err := config.Parse("hush.yaml", []byte(yaml), kinds())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", src, err, want)
			continue
		}
		if strings.Contains(err.Error(), "canary-literal") {
			t.Errorf("%s: the error repeats a literal credential", src)
		}
	}
}
