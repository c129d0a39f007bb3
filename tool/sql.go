// Package tool builds MCP tools from configuration: the sql kind, which runs
// a declared statement with validated, positionally bound arguments, and the
// built-in health_check. Handlers report caller mistakes as UserError tool
// results and leave redaction, sanitising and logging to server middleware.
package tool

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/source"
)

// Defaults used when neither the tool nor Options set a value.
const (
	DefaultTimeout = 30 * time.Second
	DefaultMaxRows = 100
)

// Options are server-wide settings for tools.
type Options struct {
	Timeout     time.Duration // per-call timeout for tools that set none; 0: DefaultTimeout
	MaxArgBytes int           // limit on one call's raw arguments; 0: DefaultMaxArgBytes
}

// SQL builds the tool t of kind "sql" over src. The handler validates the
// arguments against t.Parameters before touching the database, binds them
// positionally in declaration order (never spliced into the statement), and
// runs t.Statement with t.ReadOnly, t.MaxRows (0: DefaultMaxRows) and a
// deadline (t.Timeout, else opts.Timeout). Its result carries the
// source.Result as structured content and a bounded text rendering. The
// handler is safe for concurrent use.
func SQL(t config.Tool, src source.SQL, opts Options) (*mcp.Tool, mcp.ToolHandler, error) {
	if t.Kind != "sql" {
		return nil, nil, fmt.Errorf("tool %q: kind %q is not sql", t.Name, t.Kind)
	}
	if t.Statement == "" || src == nil {
		return nil, nil, fmt.Errorf("tool %q: statement and source are required", t.Name)
	}
	ps, err := compileParams(t.Parameters)
	if err != nil {
		return nil, nil, fmt.Errorf("tool %q: %w", t.Name, err)
	}
	r := &sqlRunner{tool: t, params: ps, src: src, timeout: Timeout(t, opts), limit: opts.MaxArgBytes}
	if r.limit <= 0 {
		r.limit = DefaultMaxArgBytes
	}
	if r.tool.MaxRows <= 0 {
		r.tool.MaxRows = DefaultMaxRows
	}
	return sqlTool(t, ps), r.handle, nil
}

// Timeout is the per-call timeout of t under opts.
func Timeout(t config.Tool, opts Options) time.Duration {
	switch {
	case t.Timeout > 0:
		return t.Timeout
	case opts.Timeout > 0:
		return opts.Timeout
	}
	return DefaultTimeout
}

func sqlTool(t config.Tool, ps []param) *mcp.Tool {
	closed := false
	return &mcp.Tool{
		Name:         t.Name,
		Description:  t.Description,
		InputSchema:  inputSchema(ps),
		OutputSchema: outputSchema(),
		Annotations: &mcp.ToolAnnotations{
			ReadOnlyHint:  t.ReadOnly,
			OpenWorldHint: &closed,
		},
	}
}

type sqlRunner struct {
	tool    config.Tool
	params  []param
	src     source.SQL
	timeout time.Duration
	limit   int
}

func (r *sqlRunner) handle(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := bindArgs(r.params, req.Params.Arguments, r.limit)
	if err != nil {
		return errorResult(err), nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	res, err := r.src.Query(ctx, source.Query{
		SQL: r.tool.Statement, Args: args, ReadOnly: r.tool.ReadOnly, MaxRows: r.tool.MaxRows,
	})
	if err != nil {
		return errorResult(r.queryError(ctx, err)), nil
	}
	return resultOf(res), nil
}

// queryError turns a database error into a message for the caller. Driver
// messages (syntax, constraint, type errors) help the model correct itself;
// the server redacts them before they leave.
func (r *sqlRunner) queryError(ctx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return Userf("query timed out after %s", r.timeout)
	case errors.Is(ctx.Err(), context.Canceled):
		return Userf("query canceled")
	}
	return Userf("query failed: %w", err)
}

func resultOf(res *source.Result) *mcp.CallToolResult {
	if res == nil {
		res = &source.Result{}
	}
	if res.Columns == nil {
		res.Columns = []string{}
	}
	if res.Rows == nil {
		res.Rows = [][]any{}
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{&mcp.TextContent{Text: renderRows(res, maxTextBytes)}},
		StructuredContent: res,
	}
}
