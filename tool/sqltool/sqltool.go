// Package sqltool is the sql tool kind: it runs one declared statement on a
// SQL source with validated, positionally bound arguments (never spliced
// into the statement), in a read-only transaction unless the tool says
// otherwise, and returns the rows as structured content plus a bounded text
// rendering.
package sqltool

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/tool"
)

// KindName is the value of kind: for SQL tools.
const KindName = "sql"

// Limits on max_rows and max_bytes. A result is for a model to read: a
// megabyte is already far more than a context holds, and the cap bounds
// the server's memory per call.
const (
	DefaultMaxRows  = 100
	MaxMaxRows      = 10000
	DefaultMaxBytes = 1 << 20
	MaxMaxBytes     = 16 << 20
)

// Config is a sql tool's own keys.
type Config struct {
	Statement string
	ReadOnly  bool // default true
	MaxRows   int  // default DefaultMaxRows
	MaxBytes  int  // the rows' size as JSON; default DefaultMaxBytes
}

// Kind is the sql tool kind, for registration.
var Kind = tool.Kind{
	Name:   KindName,
	Needs:  source.CapSQL,
	Keys:   []string{"statement", "read_only", "max_rows", "max_bytes"},
	Decode: decode,
	Build:  Build,
}

func decode(r section.Reader, c tool.Context) any {
	cfg := Config{ReadOnly: true, MaxRows: DefaultMaxRows, MaxBytes: DefaultMaxBytes}
	if r.Require("statement") {
		cfg.Statement, _ = r.String("statement")
	}
	if b, ok := r.Bool("read_only"); ok {
		cfg.ReadOnly = b
	}
	if n, ok := r.Int("max_rows", 1, MaxMaxRows); ok {
		cfg.MaxRows = int(n)
	}
	if n, ok := r.Int("max_bytes", 1024, MaxMaxBytes); ok {
		cfg.MaxBytes = int(n)
	}
	if cfg.Statement != "" && c.ParamsOK {
		checkPlaceholders(r, cfg.Statement, len(c.Params), c.Source)
	}
	return cfg
}

// checkPlaceholders compares the statement's placeholders, counted by the
// source's dialect, with the declared parameters.
func checkPlaceholders(r section.Reader, stmt string, params int, src any) {
	d, ok := src.(source.Dialect)
	if !ok {
		return // unknown source, or one config already refused
	}
	n, err := d.Placeholders(stmt)
	if err != nil {
		r.Errorf("statement", "%s.statement: %v", r.Path(), err)
		return
	}
	if n != params {
		r.Errorf("statement", "%s.statement: the statement has %s but %s declared", r.Path(),
			plural(n, "placeholder"), plural(params, "parameter"))
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Build makes the tool s over src, which must be a source.SQL. The handler
// validates the arguments before touching the database, binds them
// positionally in declaration order, and runs the statement with the
// tool's read_only, max_rows and deadline.
func Build(s tool.Spec, src source.Source, opts tool.Options) (*mcp.Tool, mcp.ToolHandler, error) {
	cfg, ok := s.Config.(Config)
	if !ok || cfg.Statement == "" {
		return nil, nil, fmt.Errorf("tool %q: a statement is required", s.Name)
	}
	db, ok := src.(source.SQL)
	if !ok {
		return nil, nil, fmt.Errorf("tool %q: source %q does not run SQL", s.Name, s.Source)
	}
	ps, err := tool.CompileParams(s.Params)
	if err != nil {
		return nil, nil, fmt.Errorf("tool %q: %w", s.Name, err)
	}
	if cfg.MaxRows <= 0 {
		cfg.MaxRows = DefaultMaxRows
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	r := &runner{cfg: cfg, params: ps, src: db, timeout: tool.Timeout(s, opts), limit: opts.ArgLimit()}
	return mcpTool(s, cfg, ps), r.handle, nil
}

func mcpTool(s tool.Spec, cfg Config, ps tool.Params) *mcp.Tool {
	closed := false
	return &mcp.Tool{
		Name:         s.Name,
		Description:  s.Description,
		InputSchema:  ps.Schema(),
		OutputSchema: outputSchema(),
		Annotations: &mcp.ToolAnnotations{
			ReadOnlyHint:  cfg.ReadOnly,
			OpenWorldHint: &closed,
		},
	}
}

type runner struct {
	cfg     Config
	params  tool.Params
	src     source.SQL
	timeout time.Duration
	limit   int
}

func (r *runner) handle(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := r.params.Bind(req.Params.Arguments, r.limit)
	if err != nil {
		return tool.ErrorResult(err), nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	res, err := r.src.Query(ctx, source.Query{
		SQL: r.cfg.Statement, Args: args, ReadOnly: r.cfg.ReadOnly, MaxRows: r.cfg.MaxRows, MaxBytes: r.cfg.MaxBytes,
	})
	if err != nil {
		return tool.ErrorResult(r.queryError(ctx, err)), nil
	}
	return resultOf(res), nil
}

// queryError turns a database error into a message for the caller. Driver
// messages (syntax, constraint, type errors) help the model correct itself;
// the server redacts them before they leave.
func (r *runner) queryError(ctx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return tool.Userf("query timed out after %s", r.timeout)
	case errors.Is(ctx.Err(), context.Canceled):
		return tool.Userf("query canceled")
	}
	return tool.Userf("query failed: %w", err)
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

// outputSchema describes source.Result, the structured content of a SQL tool.
func outputSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		Type: "object",
		Properties: map[string]*jsonschema.Schema{
			"columns":   {Type: "array", Items: &jsonschema.Schema{Type: "string"}},
			"rows":      {Type: "array", Items: &jsonschema.Schema{Type: "array"}},
			"truncated": {Type: "boolean", Description: "more rows existed than max_rows or max_bytes allowed"},
		},
		PropertyOrder: []string{"columns", "rows", "truncated"},
		Required:      []string{"columns", "rows", "truncated"},
	}
}
