package redistool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/tool"
)

// Build makes the tool s over src, which must be a source.KV. The handler
// validates the arguments and builds the key before touching Redis.
func Build(s tool.Spec, src source.Source, opts tool.Options) (*mcp.Tool, mcp.ToolHandler, error) {
	cfg, ok := s.Config.(Config)
	if !ok {
		return nil, nil, fmt.Errorf("tool %q: no redis tool config", s.Name)
	}
	if err := checkConfig(s.Name, cfg); err != nil {
		return nil, nil, err
	}
	kv, ok := src.(source.KV)
	if !ok {
		return nil, nil, fmt.Errorf("tool %q: source %q is not a key-value source", s.Name, s.Source)
	}
	ps, err := tool.CompileParams(s.Params)
	if err != nil {
		return nil, nil, fmt.Errorf("tool %q: %w", s.Name, err)
	}
	if cfg.MaxTTL < cfg.TTL {
		cfg.MaxTTL = cfg.TTL
	}
	if cfg.MaxValueBytes <= 0 {
		cfg.MaxValueBytes = DefaultMaxValueBytes
	}
	r := &runner{cfg: cfg, params: ps, names: paramNames(s.Params), kv: kv,
		timeout: tool.Timeout(s, opts), limit: opts.ArgLimit()}
	return mcpTool(s, cfg, ps), r.handle, nil
}

func paramNames(ps []tool.Param) []string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return names
}

func mcpTool(s tool.Spec, cfg Config, ps tool.Params) *mcp.Tool {
	closed := false
	destructive := cfg.Operation == "set" || cfg.Operation == "del"
	return &mcp.Tool{
		Name:        s.Name,
		Description: s.Description,
		InputSchema: ps.Schema(),
		Annotations: &mcp.ToolAnnotations{
			ReadOnlyHint:    IsRead(cfg.Operation),
			DestructiveHint: &destructive,
			IdempotentHint:  cfg.Operation != "incr",
			OpenWorldHint:   &closed,
		},
	}
}

type runner struct {
	cfg     Config
	params  tool.Params
	names   []string // parameter names in declaration order, as Bind returns values
	kv      source.KV
	timeout time.Duration
	limit   int
}

// call is one validated operation.
type call struct {
	key, field, value string
	ttl               time.Duration
}

func (r *runner) handle(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	vals, err := r.params.Bind(req.Params.Arguments, r.limit)
	if err != nil {
		return tool.ErrorResult(err), nil
	}
	c, err := r.prepare(r.byName(vals))
	if err != nil {
		return tool.ErrorResult(err), nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	out, err := r.run(ctx, c)
	if err != nil {
		return tool.ErrorResult(r.callError(ctx, err)), nil
	}
	return result(out), nil
}

func (r *runner) byName(vals []any) map[string]any {
	m := make(map[string]any, len(vals))
	for i, v := range vals {
		m[r.names[i]] = v
	}
	return m
}

// prepare builds the key (confined to the prefixes), field, value and ttl.
func (r *runner) prepare(args map[string]any) (call, error) {
	var c call
	var err error
	if c.key, err = r.cfg.Key.fill(args, true); err != nil {
		return c, err
	}
	if err := r.confine(c.key); err != nil {
		return c, err
	}
	switch r.cfg.Operation {
	case "hget":
		c.field, err = r.cfg.Field.fill(args, true)
		if err == nil && len(c.field) > MaxKeyBytes {
			err = tool.Userf("the hash field is %d bytes, over the limit of %d", len(c.field), MaxKeyBytes)
		}
	case "set":
		c.value, c.ttl, err = r.setArgs(args)
	}
	return c, err
}

// confine refuses a key outside every prefix, or too long. The message
// names neither the key nor the prefixes' fill.
func (r *runner) confine(key string) error {
	if len(key) > MaxKeyBytes {
		return tool.Userf("the key is %d bytes, over the limit of %d", len(key), MaxKeyBytes)
	}
	if !slices.ContainsFunc(r.cfg.Prefixes, func(p string) bool { return strings.HasPrefix(key, p) }) {
		return tool.Userf("the key is outside the prefixes this tool may use")
	}
	return nil
}

func (r *runner) setArgs(args map[string]any) (string, time.Duration, error) {
	v, err := r.cfg.Value.fill(args, false)
	if err != nil {
		return "", 0, err
	}
	if int64(len(v)) > r.cfg.MaxValueBytes {
		return "", 0, tool.Userf("the value is %d bytes, over the limit of %d", len(v), r.cfg.MaxValueBytes)
	}
	ttl := r.cfg.TTL
	if n, ok := args[r.cfg.TTLParameter].(int64); ok && r.cfg.TTLParameter != "" {
		if n < 1 || time.Duration(n) > r.cfg.MaxTTL/time.Second {
			return "", 0, tool.Userf("invalid arguments: argument %q: must be between 1 and %d seconds",
				r.cfg.TTLParameter, int64(r.cfg.MaxTTL/time.Second))
		}
		ttl = time.Duration(n) * time.Second
	}
	return v, ttl, nil
}

// run performs the operation and returns the structured result.
func (r *runner) run(ctx context.Context, c call) (map[string]any, error) {
	out := map[string]any{"key": c.key}
	var err error
	switch r.cfg.Operation {
	case "get":
		err = r.get(ctx, c, out)
	case "hget":
		err = r.hget(ctx, c, out)
	case "hgetall":
		var m map[string]string
		m, err = r.kv.HGetAll(ctx, c.key, r.cfg.MaxValueBytes)
		out["fields"] = m
	case "exists":
		out["exists"], err = r.kv.Exists(ctx, c.key)
	case "del":
		out["deleted"], err = r.kv.Del(ctx, c.key)
	case "incr":
		out["value"], err = r.kv.Incr(ctx, c.key)
	case "set":
		err = r.kv.Set(ctx, c.key, c.value, c.ttl)
		out["stored"], out["ttl_seconds"] = err == nil, c.ttl.Seconds()
	}
	return out, err
}

func (r *runner) get(ctx context.Context, c call, out map[string]any) error {
	v, found, err := r.kv.Get(ctx, c.key, r.cfg.MaxValueBytes)
	out["found"], out["value"] = found, nilIfAbsent(v, found)
	return err
}

func (r *runner) hget(ctx context.Context, c call, out map[string]any) error {
	v, found, err := r.kv.HGet(ctx, c.key, c.field, r.cfg.MaxValueBytes)
	out["field"], out["found"], out["value"] = c.field, found, nilIfAbsent(v, found)
	return err
}

func nilIfAbsent(v string, found bool) any {
	if !found {
		return nil
	}
	return v
}

// callError turns a source error into what the caller may read: limits,
// timeouts and Redis's refusals (wrong type, not an integer) are theirs to
// act on; anything else (credentials, network) stays on the server.
func (r *runner) callError(ctx context.Context, err error) error {
	var tooLarge *source.TooLargeError
	var serverErr *source.ServerError
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return tool.Userf("redis call timed out after %s", r.timeout)
	case errors.Is(ctx.Err(), context.Canceled):
		return tool.Userf("redis call canceled")
	case errors.As(err, &tooLarge):
		return tool.Userf("the stored %s", tooLarge.Error())
	case errors.As(err, &serverErr):
		return tool.Userf("redis refused the command: %s", serverErr.Msg)
	}
	return err
}

// result is the structured content plus the same JSON as text.
func result(out map[string]any) *mcp.CallToolResult {
	text, err := json.Marshal(out)
	if err != nil {
		text = []byte(`{"error":"result not encodable"}`)
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(text)}}, StructuredContent: out}
}
