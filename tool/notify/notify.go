// Package notify is the notify tool kind: it sends one signed notification
// through a webhook source, built only from the tool's typed parameters
// (an optional text template and a data object), at most max_per_minute
// times a minute. The tool changes the world outside (a message is sent)
// but destroys nothing, and its annotations say so.
package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/tool"
	"github.com/hushmcp/hush/tool/tmpl"
)

// KindName is the value of kind: for notify tools.
const KindName = "notify"

// Capability is what the tool's source must provide: signed notifications.
const Capability = source.CapNotify

// Limits on max_per_minute.
const (
	DefaultPerMinute = 10
	MaxPerMinute     = 6000
)

// Notifier is what the tool needs from its source. Deliver sends one
// notification whose JSON object holds fields plus the source's own "id",
// "event" and "sent_at", and returns the delivery id and the receiver's
// status; a non-2xx status is not an error.
type Notifier interface {
	source.Source
	Deliver(ctx context.Context, event string, fields map[string]any) (id string, status int, err error)
}

// Config is a notify tool's own keys.
type Config struct {
	Event     string        // the event name; default the tool's name
	Text      tmpl.Template // optional "text" of the message
	HasText   bool
	Fields    []string // parameters sent in "data"; nil: all
	PerMinute int
}

// Kind is the notify tool kind, for registration.
var Kind = tool.Kind{
	Name:   KindName,
	Needs:  Capability,
	Keys:   []string{"event", "text", "fields", "max_per_minute"},
	Decode: decode,
	Build:  Build,
}

var eventName = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

func decode(r section.Reader, c tool.Context) any {
	cfg := Config{PerMinute: DefaultPerMinute}
	if e, ok := r.String("event"); ok {
		if !eventName.MatchString(e) {
			r.Errorf("event", "%s.event: must match [A-Za-z0-9_.:-]{1,64}", r.Path())
		}
		cfg.Event = e
	}
	if s, ok := r.String("text"); ok {
		t, err := tmpl.Parse(s)
		if err != nil {
			r.Errorf("text", "%s.text: %v", r.Path(), err)
		}
		cfg.Text, cfg.HasText = t, err == nil
		checkNames(r, "text", t.Names(), c)
	}
	if list, ok := r.Strings("fields"); ok {
		cfg.Fields = list
		checkNames(r, "fields", list, c)
	}
	if n, ok := r.Int("max_per_minute", 1, MaxPerMinute); ok {
		cfg.PerMinute = int(n)
	}
	return cfg
}

func checkNames(r section.Reader, key string, names []string, c tool.Context) {
	if !c.ParamsOK {
		return
	}
	for _, n := range names {
		if !slices.ContainsFunc(c.Params, func(p tool.Param) bool { return p.Name == n }) {
			r.Errorf(key, "%s.%s: %q is not a declared parameter", r.Path(), key, n)
		}
	}
}

// Build makes the tool s over src, which must implement Notifier.
func Build(s tool.Spec, src source.Source, opts tool.Options) (*mcp.Tool, mcp.ToolHandler, error) {
	cfg, ok := s.Config.(Config)
	if !ok {
		return nil, nil, fmt.Errorf("tool %q: no notify configuration", s.Name)
	}
	n, ok := src.(Notifier)
	if !ok {
		return nil, nil, fmt.Errorf("tool %q: source %q does not send notifications", s.Name, s.Source)
	}
	ps, err := tool.CompileParams(s.Params)
	if err != nil {
		return nil, nil, fmt.Errorf("tool %q: %w", s.Name, err)
	}
	if cfg.Event == "" {
		cfg.Event = s.Name
	}
	if cfg.PerMinute <= 0 {
		cfg.PerMinute = DefaultPerMinute
	}
	r := &runner{cfg: cfg, params: ps, decls: s.Params, src: n, timeout: tool.Timeout(s, opts),
		limit: opts.ArgLimit(), rate: newLimiter(cfg.PerMinute, time.Now)}
	return mcpTool(s, ps), r.handle, nil
}

func mcpTool(s tool.Spec, ps tool.Params) *mcp.Tool {
	no, yes := false, true
	return &mcp.Tool{
		Name:        s.Name,
		Description: s.Description,
		InputSchema: ps.Schema(),
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: false, DestructiveHint: &no, OpenWorldHint: &yes},
	}
}

type runner struct {
	cfg     Config
	params  tool.Params
	decls   []tool.Param
	src     Notifier
	timeout time.Duration
	limit   int
	rate    *limiter
}

func (r *runner) handle(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	vals, err := r.params.Bind(req.Params.Arguments, r.limit)
	if err != nil {
		return tool.ErrorResult(err), nil
	}
	if wait, ok := r.rate.take(); !ok {
		return tool.ErrorResult(tool.Userf("rate limit: at most %d notifications a minute; the next is possible in %s",
			r.cfg.PerMinute, wait.Round(time.Second))), nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	id, code, err := r.src.Deliver(ctx, r.cfg.Event, r.message(vals))
	if err != nil {
		return tool.ErrorResult(r.sendError(ctx, err)), nil
	}
	if code < 200 || code > 299 {
		return tool.ErrorResult(tool.Userf("notification not delivered: the receiver answered %s", status(code))), nil
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf("notification delivered (id %s; the receiver answered %s)", id, status(code))}},
		StructuredContent: map[string]any{"delivered": true, "id": id, "status": code},
	}, nil
}

// message is the notification's fields: "text" from the template (an
// absent parameter reads as empty) and "data", the chosen parameters that
// have a value.
func (r *runner) message(vals []any) map[string]any {
	args, texts := map[string]any{}, map[string]any{}
	for i, d := range r.decls {
		args[d.Name], texts[d.Name] = vals[i], ""
		if vals[i] != nil {
			texts[d.Name] = vals[i]
		}
	}
	data := map[string]any{}
	for name, v := range args {
		if v != nil && (r.cfg.Fields == nil || slices.Contains(r.cfg.Fields, name)) {
			data[name] = v
		}
	}
	msg := map[string]any{"data": data}
	if r.cfg.HasText {
		msg["text"], _, _ = r.cfg.Text.Fill(texts, tmpl.Plain)
	}
	return msg
}

func (r *runner) sendError(ctx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return tool.Userf("notification not delivered: the receiver did not answer within %s", r.timeout)
	case errors.Is(ctx.Err(), context.Canceled):
		return tool.Userf("notification canceled")
	}
	return tool.Userf("notification not delivered: %w", err)
}

func status(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}
