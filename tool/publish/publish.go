// Package publish is the publish tool kind: it publishes one JSON message,
// built only from the tool's typed parameters, to a subject built from a
// template whose placeholder tokens are filled from parameters and which
// must match one of the tool's allowed subjects; optionally to JetStream,
// waiting for the stream's acknowledgement. Nothing is sent when an
// argument, the subject or the size is refused. The tool changes the world
// outside (a message is sent) but destroys nothing, and its annotations
// say so.
package publish

import (
	"slices"

	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/tool"
)

// KindName is the value of kind: for publish tools.
const KindName = "publish"

// Limits on the message body.
const (
	DefaultMaxPayloadBytes = 64 << 10
	MaxMaxPayloadBytes     = 8 << 20
)

// Config is a publish tool's own keys.
type Config struct {
	Subject         Subject
	Allowed         []Pattern
	AllowedText     []string
	Payload         []string // parameters sent in the body; nil: every parameter with a value
	JetStream       bool
	MaxPayloadBytes int
}

// Kind is the publish tool kind, for registration.
var Kind = tool.Kind{
	Name:   KindName,
	Needs:  source.CapPublish,
	Keys:   []string{"subject", "allowed_subjects", "payload", "jetstream", "max_payload_bytes"},
	Decode: decode,
	Build:  Build,
}

func decode(r section.Reader, c tool.Context) any {
	cfg := Config{MaxPayloadBytes: DefaultMaxPayloadBytes}
	r.Require("subject", "allowed_subjects")
	d := decoder{r: r, c: c, cfg: &cfg}
	d.subject()
	d.allowed()
	if list, ok := r.Strings("payload"); ok {
		cfg.Payload = list
		for _, name := range list {
			d.checkParam("payload", name, false)
		}
	}
	cfg.JetStream, _ = r.Bool("jetstream")
	if n, ok := r.Int("max_payload_bytes", 1, MaxMaxPayloadBytes); ok {
		cfg.MaxPayloadBytes = int(n)
	}
	return cfg
}

type decoder struct {
	r   section.Reader
	c   tool.Context
	cfg *Config
}

func (d decoder) subject() {
	text, ok := d.r.String("subject")
	if !ok {
		return
	}
	s, err := ParseSubject(text)
	if err != nil {
		d.r.Errorf("subject", "%s.subject %v", d.r.Path(), err)
		return
	}
	d.cfg.Subject = s
	for _, name := range s.Params() {
		d.checkParam("subject", name, true)
	}
}

func (d decoder) allowed() {
	list, ok := d.r.Strings("allowed_subjects")
	if !ok {
		return
	}
	if len(list) == 0 {
		d.r.Errorf("allowed_subjects", "%s.allowed_subjects must list at least one subject", d.r.Path())
	}
	for _, text := range list {
		p, err := ParsePattern(text)
		if err != nil {
			d.r.Errorf("allowed_subjects", "%s.allowed_subjects: %q %v", d.r.Path(), text, err)
			continue
		}
		d.cfg.Allowed, d.cfg.AllowedText = append(d.cfg.Allowed, p), append(d.cfg.AllowedText, text)
	}
	if d.cfg.Subject.Text != "" && len(d.cfg.Allowed) > 0 &&
		!slices.ContainsFunc(d.cfg.Allowed, d.cfg.Subject.reachable) {
		d.r.Errorf("subject", "%s.subject can never match one of allowed_subjects", d.r.Path())
	}
}

// checkParam refuses an undeclared parameter; in the subject, one that is
// not a string or an integer, or may be absent.
func (d decoder) checkParam(key, name string, inSubject bool) {
	if !d.c.ParamsOK {
		return
	}
	i := slices.IndexFunc(d.c.Params, func(p tool.Param) bool { return p.Name == name })
	if i < 0 {
		d.r.Errorf(key, "%s.%s names parameter %q, which is not declared", d.r.Path(), key, name)
		return
	}
	p := d.c.Params[i]
	if !inSubject {
		return
	}
	if p.Type != "string" && p.Type != "integer" {
		d.r.Errorf(key, "%s.%s: parameter %q must be of type string or integer", d.r.Path(), key, name)
	}
	if !p.Required && p.Default == nil {
		d.r.Errorf(key, "%s.%s: parameter %q must be required or have a default", d.r.Path(), key, name)
	}
}
