package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

var topKeys = []string{"server", "secrets", "sources", "tools"}

// Load reads the file at path and parses it with Parse, using path as the
// file name in messages and in Config.Path. Relative file: references and
// the paths kinds read with section.Reader.File are resolved against the
// file's directory, so a config and the files beside it can move together.
func Load(path string, kinds Kinds) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return parse(path, filepath.Dir(abs), data, kinds)
}

// Parse decodes and checks data, the contents of a hush.yaml called name,
// against kinds (Sources and Tools are required). On success the Config has every default filled in, lists in file order,
// and non-fatal findings in Warnings. Otherwise it returns nil and
// errors.Join of one *Error per problem, sorted by position, each starting
// "name:line:col: ". Messages name keys, secrets and positions but never
// repeat a value from secrets:, a dsn or a token. Parse does no I/O and is
// safe for concurrent use.
func Parse(name string, data []byte, kinds Kinds) (*Config, error) {
	return parse(name, "", data, kinds)
}

func parse(name, base string, data []byte, kinds Kinds) (*Config, error) {
	if kinds.Sources == nil || kinds.Tools == nil {
		return nil, errors.New("config: no source or tool kinds registered")
	}
	d := &decoder{file: name, base: base, declared: map[string]*token.Token{}, kinds: kinds}
	body, ok := d.parseYAML(data)
	var cfg *Config
	if ok {
		cfg = d.decode(body)
	}
	if len(d.errs) > 0 {
		return nil, joined(d.errs)
	}
	cfg.Path, cfg.Kinds = name, kinds
	sortByPos(d.warns)
	for _, w := range d.warns {
		cfg.Warnings = append(cfg.Warnings, w.Error())
	}
	return cfg, nil
}

// syntaxError is what go-yaml's parser errors provide. Their Error method
// quotes the surrounding source lines, which may hold a credential, so only
// the message and the position are used.
type syntaxError interface {
	GetToken() *token.Token
	GetMessage() string
}

// parseYAML returns the body of the file's only document (nil when empty).
// Duplicate keys are allowed here so that decode reports all of them.
func (d *decoder) parseYAML(data []byte) (ast.Node, bool) {
	f, err := parseBytes(data)
	if err != nil {
		var se syntaxError
		if errors.As(err, &se) {
			d.errorf(se.GetToken(), "invalid YAML: %s", se.GetMessage())
		} else {
			d.errorf(nil, "invalid YAML: the parser could not read the file")
		}
		return nil, false
	}
	var body ast.Node
	for _, doc := range f.Docs {
		switch {
		case doc == nil || doc.Body == nil:
		case body != nil:
			d.errorf(at(doc.Body), "only one YAML document is allowed")
			return nil, false
		default:
			body = doc.Body
		}
	}
	return body, true
}

// parseBytes runs the YAML parser, turning a panic inside it into an error:
// go-yaml has had parser panics on malformed input, and a bad config file
// must produce a message, not a crash. Only the parser is guarded, so a bug
// in this package still panics where tests and fuzzing can see it.
func parseBytes(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, errors.New("yaml parser panicked")
		}
	}()
	return parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
}

func (d *decoder) decode(body ast.Node) *Config {
	blocks := d.blockSchemes()
	o := d.object(body, topLevel, at(body), append(slices.Clone(topKeys), blocks...))
	cfg := &Config{}
	cfg.Secrets = d.secrets(o.fields["secrets"].value)
	cfg.Providers = d.providers(o, blocks)
	cfg.Sources = d.sources(o.fields["sources"].value)
	cfg.Server = d.server(o.fields["server"].value, o.fields["server"].keyTk, cfg.Sources)
	cfg.Tools = d.tools(o.fields["tools"].value, cfg.Sources)
	d.crossCheck(cfg.Secrets)
	return cfg
}

// blockSchemes lists the providers that take a top-level block.
func (d *decoder) blockSchemes() []string {
	var out []string
	if d.kinds.Providers == nil {
		return nil
	}
	for _, scheme := range d.kinds.Providers.Schemes() {
		if _, ok := d.kinds.Providers.Configurer(scheme); ok && !slices.Contains(topKeys, scheme) {
			out = append(out, scheme)
		}
	}
	return out
}

// providers decodes each provider block present, through its provider.
func (d *decoder) providers(o object, schemes []string) map[string]any {
	out := map[string]any{}
	for _, scheme := range schemes {
		e, ok := o.get(scheme)
		if !ok {
			continue
		}
		c, _ := d.kinds.Providers.Configurer(scheme)
		block := d.object(e.value, scheme, e.keyTk, c.BlockKeys())
		out[scheme] = c.DecodeBlock(reader{d: d, o: block})
	}
	return out
}

func joined(errs []*Error) error {
	sortByPos(errs)
	list := make([]error, len(errs))
	for i, e := range errs {
		list[i] = e
	}
	return errors.Join(list...)
}
