package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"github.com/hushmcp/hush/tool"
	"github.com/hushmcp/hush/tool/sqltool"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/source"
)

// panicky is a source whose Query panics: a fault a real driver cannot be
// made to produce on demand. The panic value holds a canary, which must be
// redacted from the log and never reach the client.
type panicky struct{}

func (panicky) Query(context.Context, source.Query) (*source.Result, error) {
	panic(fmt.Sprintf("boom: driver state corrupt near %s", canaryDB))
}
func (panicky) Ping(context.Context) error { return nil }
func (panicky) State() source.State        { return source.State{Status: "ok"} }
func (panicky) Close() error               { return nil }

// gate is a source whose Query holds until released or until ctx ends,
// standing in for a slow statement.
type gate struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGate() *gate { return &gate{entered: make(chan struct{}), release: make(chan struct{})} }

func (g *gate) Query(ctx context.Context, q source.Query) (*source.Result, error) {
	g.once.Do(func() { close(g.entered) })
	select {
	case <-g.release:
		return &source.Result{Columns: []string{"done"}, Rows: [][]any{{true}}}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
func (g *gate) Ping(context.Context) error { return nil }
func (g *gate) State() source.State        { return source.State{Status: "ok"} }
func (g *gate) Close() error               { return nil }

// withFaults adds the source "faulty" and the tool "explode" that uses it.
func withFaults(c *config.Config, d *Deps) {
	d.Sources["faulty"] = panicky{}
	c.Tools = append(c.Tools, tool.Spec{Name: "explode", Kind: "sql", Source: "faulty",
		Description: "Always panics.", Config: sqltool.Config{Statement: "SELECT 1"}})
}

// withGate adds the source "slow" and the tool "wait" over g.
func withGate(g *gate) func(*config.Config, *Deps) {
	return func(c *config.Config, d *Deps) {
		d.Sources["slow"] = g
		c.Tools = append(c.Tools, tool.Spec{Name: "wait", Kind: "sql", Source: "slow",
			Description: "Waits.", Config: sqltool.Config{Statement: "SELECT 1"}})
	}
}

// addInternalTools registers, through the exported SDK server, tools that
// fail in ways no configured tool does: a result carrying a non-user error
// and a plain error return.
func addInternalTools(s *Server) {
	schema := &jsonschema.Schema{Type: "object"}
	s.MCP().AddTool(&mcp.Tool{Name: "internal_result", InputSchema: schema},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			res := &mcp.CallToolResult{}
			res.SetError(errors.New("pool exhausted: dial 10.0.0.7"))
			return res, nil
		})
	s.MCP().AddTool(&mcp.Tool{Name: "internal_return", InputSchema: schema},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return nil, errors.New("pool exhausted: dial 10.0.0.7")
		})
}
