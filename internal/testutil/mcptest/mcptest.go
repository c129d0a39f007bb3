// Package mcptest serves a loaded config the way hush serve does (boot,
// then mcpserver) and connects an MCP client to it over in-memory
// transports, for tests of parts seen from a client.
package mcptest

import (
	"log/slog"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/boot"
	"github.com/hushmcp/hush/mcpserver"
	"github.com/hushmcp/hush/redact"
)

// Serve starts cfg's secrets and sources, builds the server and returns a
// connected client session; everything closes at cleanup. log receives
// the server's log (nil: discarded). A start-up error fails the test with
// its text passed through clean (nil: as it is), so a test can hide what
// it planted.
func Serve(t testing.TB, cfg *config.Config, log *slog.Logger, clean func(string) string) *mcp.ClientSession {
	t.Helper()
	if clean == nil {
		clean = func(s string) string { return s }
	}
	red := redact.New(redact.Options{})
	rt, err := boot.Start(t.Context(), cfg, boot.Options{Redactor: red, Logger: log})
	t.Cleanup(func() { _ = rt.Close() })
	if err != nil {
		t.Fatal(clean(err.Error()))
	}
	srv, err := mcpserver.New(cfg, mcpserver.Deps{Store: rt.Store, Sources: rt.Sources, Redactor: red, Logger: log})
	if err != nil {
		t.Fatal(clean(err.Error()))
	}
	ct, st := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(t.Context(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil).Connect(t.Context(), ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}
