package publish

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/tool"
)

// Build makes the tool s over src, which must be a source.Publisher. The
// handler builds and checks the subject and the body before anything is
// sent.
func Build(s tool.Spec, src source.Source, opts tool.Options) (*mcp.Tool, mcp.ToolHandler, error) {
	cfg, ok := s.Config.(Config)
	if !ok {
		return nil, nil, fmt.Errorf("tool %q: no publish tool config", s.Name)
	}
	if cfg.Subject.Text == "" || len(cfg.Allowed) == 0 {
		return nil, nil, fmt.Errorf("tool %q: a subject and allowed subjects are required", s.Name)
	}
	pub, ok := src.(source.Publisher)
	if !ok {
		return nil, nil, fmt.Errorf("tool %q: source %q does not publish messages", s.Name, s.Source)
	}
	ps, err := tool.CompileParams(s.Params)
	if err != nil {
		return nil, nil, fmt.Errorf("tool %q: %w", s.Name, err)
	}
	if cfg.MaxPayloadBytes <= 0 {
		cfg.MaxPayloadBytes = DefaultMaxPayloadBytes
	}
	r := &runner{cfg: cfg, params: ps, decls: s.Params, pub: pub, timeout: tool.Timeout(s, opts), limit: opts.ArgLimit()}
	return mcpTool(s, ps), r.handle, nil
}

func mcpTool(s tool.Spec, ps tool.Params) *mcp.Tool {
	no, yes := false, true
	return &mcp.Tool{
		Name:        s.Name,
		Description: s.Description,
		InputSchema: ps.Schema(),
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: false, DestructiveHint: &no, IdempotentHint: false, OpenWorldHint: &yes},
	}
}

type runner struct {
	cfg     Config
	params  tool.Params
	decls   []tool.Param
	pub     source.Publisher
	timeout time.Duration
	limit   int
}

func (r *runner) handle(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	vals, err := r.params.Bind(req.Params.Arguments, r.limit)
	if err != nil {
		return tool.ErrorResult(err), nil
	}
	m, err := r.message(r.byName(vals))
	if err != nil {
		return tool.ErrorResult(err), nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	ack, err := r.pub.Publish(ctx, m)
	if err != nil {
		return tool.ErrorResult(r.sendError(ctx, err)), nil
	}
	return r.result(m, ack), nil
}

func (r *runner) byName(vals []any) map[string]any {
	m := make(map[string]any, len(vals))
	for i, v := range vals {
		m[r.decls[i].Name] = v
	}
	return m
}

// message builds the subject (which must be allowed) and the body (which
// must fit). Errors never repeat a value.
func (r *runner) message(args map[string]any) (source.Message, error) {
	subject, err := r.cfg.Subject.fill(args)
	if err != nil {
		return source.Message{}, err
	}
	if !slices.ContainsFunc(r.cfg.Allowed, func(p Pattern) bool { return p.Match(subject) }) {
		return source.Message{}, tool.Userf("the subject is outside the subjects this tool may publish to")
	}
	body, err := json.Marshal(r.payload(args))
	if err != nil {
		return source.Message{}, fmt.Errorf("encode the message: %w", err)
	}
	if len(body) > r.cfg.MaxPayloadBytes {
		return source.Message{}, tool.Userf("the message is %d bytes, over the limit of %d", len(body), r.cfg.MaxPayloadBytes)
	}
	m := source.Message{Subject: subject, Data: body, JetStream: r.cfg.JetStream}
	if m.JetStream {
		m.MsgID = newID() // the stream keeps one copy if the source must send it again
	}
	return m, nil
}

// payload is the chosen parameters that have a value.
func (r *runner) payload(args map[string]any) map[string]any {
	out := map[string]any{}
	for name, v := range args {
		if v != nil && (r.cfg.Payload == nil || slices.Contains(r.cfg.Payload, name)) {
			out[name] = v
		}
	}
	return out
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// sendError turns a source error into what the caller may read: whether
// the message may have gone out is theirs to know; credential and network
// trouble stays on the server (an incident id).
func (r *runner) sendError(ctx context.Context, err error) error {
	const maybe = "; the message may or may not have been delivered"
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return tool.Userf("publish timed out after %s%s", r.timeout, maybe)
	case errors.Is(ctx.Err(), context.Canceled):
		return tool.Userf("publish canceled%s", maybe)
	case errors.Is(err, source.ErrUncertain):
		return tool.Userf("the connection dropped before the server confirmed the message; it may or may not have been delivered")
	case errors.Is(err, source.ErrNoStream):
		return tool.Userf("no JetStream stream takes this tool's subject; nothing was stored")
	case errors.Is(err, source.ErrTooLarge):
		return tool.Userf("the message is larger than the server accepts; nothing was sent")
	}
	return err
}

func (r *runner) result(m source.Message, ack source.Ack) *mcp.CallToolResult {
	out := map[string]any{"published": true, "subject": m.Subject, "bytes": len(m.Data)}
	text := fmt.Sprintf("published %d bytes to %s", len(m.Data), m.Subject)
	if m.JetStream {
		out["stream"], out["sequence"], out["duplicate"] = ack.Stream, ack.Sequence, ack.Duplicate
		text = fmt.Sprintf("%s; stored by stream %s as message %d", text, ack.Stream, ack.Sequence)
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}, StructuredContent: out}
}
