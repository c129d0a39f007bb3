// Package extension_test proves that a new source kind and tool kind arrive
// as one package each and one registration: this file defines both, adds
// them to the parts the binary ships, and serves a tool through them over
// MCP without an edit anywhere else.
package extension_test

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/hushmcp/hush/internal/testutil/mcptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/internal/assembly"
	"github.com/hushmcp/hush/internal/boot"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/cred"
	"github.com/hushmcp/hush/tool"
)

const canaryKey = "canary-shelf-key-91e2-NOT-REAL"

// shelf is a throwaway source kind: a fixed set of books, opened only with
// the right key (its credential), which it takes from a template.
type shelfSpec struct {
	Key   string
	Books map[string]string
}

type shelf struct {
	live *source.Live[*shelfClient]
}

type shelfClient struct{ books map[string]string }

var shelfKind = source.Kind{
	Name:     "shelf",
	Provides: []source.Capability{source.CapKV},
	Keys:     []string{"key", "books"},
	Decode: func(r section.Reader) any {
		var s shelfSpec
		if r.Require("key") {
			s.Key, _ = r.Template("key")
		}
		list, _ := r.Strings("books")
		s.Books = map[string]string{}
		for _, b := range list {
			id, title, _ := strings.Cut(b, "=")
			s.Books[id] = title
		}
		return s
	},
	Open: func(ctx context.Context, spec any, env source.Env) (source.Source, error) {
		s := spec.(shelfSpec)
		live, err := source.OpenLive(ctx, source.LiveConfig[*shelfClient]{
			Name: env.Name, Kind: "shelf", Secrets: env.Secrets, Log: env.Log,
			Creds: cred.Set{cred.New(s.Key, cred.Raw)},
			Connect: func(_ context.Context, c cred.Expanded) (*shelfClient, error) {
				if c.Values[0] != canaryKey {
					return nil, errors.New("wrong key")
				}
				return &shelfClient{books: s.Books}, nil
			},
			Close: func(*shelfClient) {},
		})
		if err != nil {
			return nil, err
		}
		return &shelf{live: live}, nil
	},
}

func (s *shelf) Ping(context.Context) error {
	l, err := s.live.Acquire()
	if err != nil {
		return err
	}
	l.Release()
	return nil
}
func (s *shelf) State() source.State { return s.live.State() }
func (s *shelf) Close() error        { s.live.Close(); return nil }

func (s *shelf) get(id string) (string, bool, error) {
	l, err := s.live.Acquire()
	if err != nil {
		return "", false, err
	}
	defer l.Release()
	title, ok := l.Value().books[id]
	return title, ok, nil
}

// lookup is a throwaway tool kind over any key-value source.
var lookupKind = tool.Kind{
	Name:  "lookup",
	Needs: source.CapKV,
	Keys:  []string{"not_found"},
	Decode: func(r section.Reader, c tool.Context) any {
		msg, ok := r.String("not_found")
		if !ok {
			msg = "no such book"
		}
		return msg
	},
	Build: func(s tool.Spec, src source.Source, opts tool.Options) (*mcp.Tool, mcp.ToolHandler, error) {
		ps, err := tool.CompileParams(s.Params)
		if err != nil {
			return nil, nil, err
		}
		sh := src.(*shelf)
		notFound := s.Config.(string)
		h := func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			args, err := ps.Bind(req.Params.Arguments, opts.ArgLimit())
			if err != nil {
				return tool.ErrorResult(err), nil
			}
			title, ok, err := sh.get(args[0].(string))
			switch {
			case err != nil:
				return tool.ErrorResult(err), nil
			case !ok:
				return tool.ErrorResult(tool.Userf("%s", notFound)), nil
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: title}}}, nil
		}
		return &mcp.Tool{Name: s.Name, Description: s.Description, InputSchema: ps.Schema()}, h, nil
	},
}

const hushYAML = `
secrets:
  SHELF_KEY: { from: "file:shelf-key" }
sources:
  library: { kind: shelf, key: "${secret:SHELF_KEY}", books: ["1=Dune", "2=Solaris"] }
tools:
  find_book:
    kind: lookup
    source: library
    description: Find a book by id.
    parameters: [{ name: id, type: string, required: true }]
    not_found: That book is not on the shelf.
`

func TestNewKindsServeOverMCP(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "shelf-key"), canaryKey)
	write(t, filepath.Join(dir, "hush.yaml"), hushYAML)
	kinds := boot.Kinds(nil)
	kinds.Sources.Register(shelfKind)
	kinds.Tools.Register(lookupKind)
	cfg, err := config.Load(filepath.Join(dir, "hush.yaml"), kinds)
	if err != nil {
		t.Fatal(err)
	}
	cs := serve(t, cfg)
	if got := callText(t, cs, "find_book", `{"id":"2"}`); got != "Solaris" {
		t.Errorf("find_book 2 = %q", got)
	}
	if got := callText(t, cs, "find_book", `{"id":"9"}`); got != "That book is not on the shelf." {
		t.Errorf("find_book 9 = %q", got)
	}
	health := callText(t, cs, "health_check", `{}`)
	if !strings.Contains(health, "source library: ping ok") || !strings.Contains(health, "secret SHELF_KEY (file): ok") ||
		strings.Contains(health, canaryKey) {
		t.Errorf("health_check does not report the new source by name only: %s", health)
	}
}

// A tool kind that needs a capability the source lacks is refused at load.
func TestCapabilityCheckedAtLoad(t *testing.T) {
	kinds := config.Kinds{Sources: assembly.Sources(), Tools: assembly.Tools(), Providers: assembly.Providers(nil)}
	kinds.Tools.Register(lookupKind)
	_, err := config.Parse("t.yaml", []byte(`
secrets:
  DB: { from: "env://DB" }
sources:
  db: { kind: postgres, dsn: "${secret:DB}" }
tools:
  find_book: { kind: lookup, source: db, description: d }
`), kinds)
	if err == nil || !strings.Contains(err.Error(), `source "db" is a postgres source; tool kind lookup needs one that provides key-value`) {
		t.Fatalf("err = %v", err)
	}
}

func serve(t *testing.T, cfg *config.Config) *mcp.ClientSession {
	t.Helper()
	return mcptest.Serve(t, cfg, nil, nil)
}

func callText(t *testing.T, cs *mcp.ClientSession, name, args string) string {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: name, Arguments: json.RawMessage(args)})
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
