package metrics

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/tool"
)

// UnknownTool is the tool label of a call naming a tool that is not
// configured: the name a client sends is never a label value.
const UnknownTool = "(unknown)"

// The outcomes of a tool call.
const (
	OutcomeOK          = "ok"                // a result without IsError
	OutcomeToolError   = "tool_error"        // a result with IsError: the tool or its source failed
	OutcomeInvalidArgs = "invalid_arguments" // refused by the tool's argument check, before any source was used
	OutcomeTimeout     = "timeout"           // an error once the call's deadline had passed
	OutcomePanic       = "panic"             // the handler panicked
	OutcomeRefused     = "refused"           // not run: refused by a middleware (a missing scope), or a JSON-RPC error (unknown tool, bad params)
)

var outcomes = []string{OutcomeOK, OutcomeToolError, OutcomeInvalidArgs, OutcomeTimeout, OutcomePanic, OutcomeRefused}

// Middleware returns the two halves of the call metrics, for tools/call
// requests (other methods pass untouched): outer counts each call by tool
// and outcome and observes its latency; inner classifies the handler's own
// answer. tools are the names that may appear as labels, each counted
// from zero at once.
//
// Register outer first (outermost, before any middleware that may refuse
// a call) and inner last (innermost, after the per-call deadline), in one
// AddReceivingMiddleware call. inner sees the handler's result before
// errors are sanitised, the deadline that bounded the call, and a panic,
// which it records and lets through to the recovering middleware. A call
// answered before inner ran (refused by a middleware, such as a missing
// scope) is counted as refused.
func (m *Metrics) Middleware(tools []string) (outer, inner mcp.Middleware) {
	known := make(map[string]bool, len(tools))
	for _, t := range tools {
		known[t] = true
		for _, o := range outcomes {
			m.calls.WithLabelValues(t, o)
		}
		m.latency.WithLabelValues(t)
	}
	return m.outerHalf(known), innerHalf
}

// outerHalf counts, times and traces each call; a call innerHalf never
// saw is refused.
func (m *Metrics) outerHalf(known map[string]bool) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			p := callParams(method, req)
			if p == nil {
				return next(ctx, method, req)
			}
			name := p.Name
			if !known[name] {
				name = UnknownTool
			}
			rec := &callRecord{}
			start := time.Now()
			ctx, span := m.startCall(ctx, req, name)
			res, err := next(context.WithValue(ctx, recordKey{}, rec), method, req)
			outcome := rec.outcome
			if outcome == "" {
				outcome = OutcomeRefused
			}
			endCall(span, outcome)
			m.calls.WithLabelValues(name, outcome).Inc()
			m.latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
			return res, err
		}
	}
}

// innerHalf records the handler's outcome for outerHalf.
func innerHalf(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (res mcp.Result, err error) {
		rec, _ := ctx.Value(recordKey{}).(*callRecord)
		if rec == nil || callParams(method, req) == nil {
			return next(ctx, method, req)
		}
		returned := false
		defer func() {
			// Not recovering: the deferred call sees only that next
			// never returned.
			rec.outcome = OutcomePanic
			if returned {
				rec.outcome = Outcome(ctx, res, err)
			}
		}()
		res, err = next(ctx, method, req)
		returned = true
		return res, err
	}
}

// callRecord carries inner's verdict to outer.
type callRecord struct{ outcome string }

type recordKey struct{}

func callParams(method string, req mcp.Request) *mcp.CallToolParamsRaw {
	if method != "tools/call" {
		return nil
	}
	p, _ := req.GetParams().(*mcp.CallToolParamsRaw)
	return p
}

// Outcome classifies a tools/call answer; ctx is the call's context, with
// its deadline. It never looks at argument values, only at the kind of
// error and the fixed prefix of the argument check's message.
func Outcome(ctx context.Context, res mcp.Result, err error) string {
	r, _ := res.(*mcp.CallToolResult)
	failed := err != nil || (r != nil && r.IsError)
	var rpcErr *jsonrpc.Error
	switch {
	case !failed:
		return OutcomeOK
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return OutcomeTimeout
	case errors.As(err, &rpcErr):
		return OutcomeRefused
	case err != nil:
		return OutcomeToolError
	case invalidArgs(r.GetError()):
		return OutcomeInvalidArgs
	}
	return OutcomeToolError
}

// invalidArgs reports a caller mistake found by the tool's argument check
// (tool.Params.Bind): a UserError whose text starts "invalid arguments".
func invalidArgs(err error) bool {
	return err != nil && tool.IsUser(err) && strings.HasPrefix(err.Error(), "invalid arguments")
}
