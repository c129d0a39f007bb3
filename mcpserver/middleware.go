package mcpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/tool"
)

const methodCallTool = "tools/call"

// callInfo carries what inner middleware learned about a call to the call
// log, which runs outermost.
type callInfo struct {
	panicked bool
	incident string
}

type callInfoKey struct{}

func infoFrom(ctx context.Context) *callInfo {
	info, _ := ctx.Value(callInfoKey{}).(*callInfo)
	return info
}

func (i *callInfo) setIncident(id string, panicked bool) {
	if i != nil {
		i.incident, i.panicked = id, panicked
	}
}

// callParams returns the params of a tools/call request, or nil.
func callParams(method string, req mcp.Request) *mcp.CallToolParamsRaw {
	if method != methodCallTool {
		return nil
	}
	p, _ := req.GetParams().(*mcp.CallToolParamsRaw)
	return p
}

// callLog writes one line per tools/call: tool, duration, outcome and the
// shape of the arguments (keys and JSON kinds, never values).
func (s *Server) callLog(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		p := callParams(method, req)
		if p == nil {
			return next(ctx, method, req)
		}
		info := &callInfo{}
		start := time.Now()
		res, err := next(context.WithValue(ctx, callInfoKey{}, info), method, req)
		level, outcome := outcomeOf(info, res, err)
		attrs := []slog.Attr{
			slog.String("tool", clipRedacted(s.deps.Redactor, p.Name, maxToolName)),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("outcome", outcome),
			slog.String("args", argShape(s.deps.Redactor, p.Arguments)),
		}
		if info.incident != "" {
			attrs = append(attrs, slog.String("incident", info.incident))
		}
		s.log.LogAttrs(ctx, level, "tool call", attrs...)
		return res, err
	}
}

func outcomeOf(info *callInfo, res mcp.Result, err error) (slog.Level, string) {
	switch r, _ := res.(*mcp.CallToolResult); {
	case info.panicked:
		return slog.LevelError, "panic"
	case err != nil:
		return slog.LevelWarn, "protocol_error"
	case r != nil && r.IsError:
		return slog.LevelInfo, "tool_error"
	}
	return slog.LevelInfo, "ok"
}

// recoverPanics turns a panic in any handler into an internal error naming
// an incident id. The panic value and stack are logged, never sent.
func (s *Server) recoverPanics(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (res mcp.Result, err error) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			id := newIncident()
			infoFrom(ctx).setIncident(id, true)
			s.log.Error("handler panic", "incident", id, "method", method,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			res, err = internalError(method, id)
		}()
		return next(ctx, method, req)
	}
}

// sanitise replaces unexpected tool errors (anything but a tool.UserError
// or a JSON-RPC error) with a generic message and an incident id, and logs
// the original server-side.
func (s *Server) sanitise(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		res, err := next(ctx, method, req)
		p := callParams(method, req)
		if p == nil {
			return res, err
		}
		var rpcErr *jsonrpc.Error
		switch r, _ := res.(*mcp.CallToolResult); {
		case err != nil && !errors.As(err, &rpcErr):
		case err == nil && r != nil && r.IsError && r.GetError() != nil && !tool.IsUser(r.GetError()):
			err = r.GetError()
		default:
			return res, err
		}
		id := newIncident()
		infoFrom(ctx).setIncident(id, false)
		s.log.Error("tool error", "incident", id, "tool", clipRedacted(s.deps.Redactor, p.Name, maxToolName), "error", err)
		return internalError(method, id)
	}
}

// internalError is what the client sees instead of an unexpected failure:
// a tool error result for tools/call, a JSON-RPC internal error otherwise.
func internalError(method, id string) (mcp.Result, error) {
	msg := fmt.Sprintf("internal error (incident %s)", id)
	if method == methodCallTool {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: msg}}, IsError: true}, nil
	}
	return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: msg}
}

func newIncident() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// bound gives every tools/call its configured deadline; handlers see it as
// ctx and stop their work when it passes.
func (s *Server) bound(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		p := callParams(method, req)
		if p == nil {
			return next(ctx, method, req)
		}
		d, ok := s.timeouts[p.Name]
		if !ok {
			d = s.cfg.CallTimeout
		}
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return next(ctx, method, req)
	}
}

// logLevels are the levels logging/setLevel accepts (RFC 5424 names, as
// the MCP schema lists them).
var logLevels = map[mcp.LoggingLevel]bool{"debug": true, "info": true, "notice": true, "warning": true,
	"error": true, "critical": true, "alert": true, "emergency": true}

// checkLogLevel answers Invalid Params for a logging/setLevel with a level
// outside the protocol's list: the go-sdk stores any string. Only those
// requests are answered here; every other passes unchanged.
func checkLogLevel(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if p, ok := req.GetParams().(*mcp.SetLoggingLevelParams); ok && method == "logging/setLevel" && !logLevels[p.Level] {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams,
				Message: "invalid params: level must be one of debug, info, notice, warning, error, critical, alert, emergency"}
		}
		return next(ctx, method, req)
	}
}
