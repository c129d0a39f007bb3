// Package httptool is the http tool kind: one declared request to an HTTP
// API source. The method is fixed by the config; the path and query are
// templates whose {placeholders} are filled only from typed, validated
// parameters (a path value is escaped as one segment and may not climb out
// of it); a body is a JSON object built from parameters. A JSON answer
// becomes structured content, any other text stays text, and a non-2xx
// answer is a tool error. Whatever the API echoes back (a key in a URL, a
// header, a body) passes the server's redaction like every other result.
package httptool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/tool"
	"github.com/hushmcp/hush/tool/tmpl"
)

// KindName is the value of kind: for HTTP tools.
const KindName = "http"

// MaxURLBytes bounds a request's path and query: very long parameters are
// refused here rather than by a server that may log or truncate them.
const MaxURLBytes = 8 << 10

// errorExcerpt is how much of a non-2xx body error_body shows.
const errorExcerpt = 1 << 10

// API is what the tool needs from its source: a source providing
// source.CapHTTP. Do sends a request whose URL is a relative reference
// (path and query, escaped) to the API and returns the response with its
// body read and capped. The http source kind implements it.
type API interface {
	source.Source
	Do(req *http.Request) (*http.Response, error)
}

// Kind is the http tool kind, for registration.
var Kind = tool.Kind{
	Name:   KindName,
	Needs:  source.CapHTTP,
	Keys:   []string{"method", "path", "query", "body", "error_body"},
	Decode: decode,
	Build:  Build,
}

// Build makes the tool s over src, which must implement API.
func Build(s tool.Spec, src source.Source, opts tool.Options) (*mcp.Tool, mcp.ToolHandler, error) {
	cfg, ok := s.Config.(Config)
	if !ok {
		return nil, nil, fmt.Errorf("tool %q: no http configuration", s.Name)
	}
	api, ok := src.(API)
	if !ok {
		return nil, nil, fmt.Errorf("tool %q: source %q does not serve HTTP requests", s.Name, s.Source)
	}
	ps, err := tool.CompileParams(s.Params)
	if err != nil {
		return nil, nil, fmt.Errorf("tool %q: %w", s.Name, err)
	}
	r := &runner{cfg: cfg, params: ps, decls: s.Params, api: api, timeout: tool.Timeout(s, opts), limit: opts.ArgLimit()}
	return mcpTool(s, cfg, ps), r.handle, nil
}

func mcpTool(s tool.Spec, cfg Config, ps tool.Params) *mcp.Tool {
	open := true
	return &mcp.Tool{
		Name:        s.Name,
		Description: s.Description,
		InputSchema: ps.Schema(),
		Annotations: &mcp.ToolAnnotations{
			ReadOnlyHint:   cfg.Method == http.MethodGet,
			IdempotentHint: cfg.Method != http.MethodPost && cfg.Method != http.MethodPatch,
			OpenWorldHint:  &open,
		},
	}
}

type runner struct {
	cfg     Config
	params  tool.Params
	decls   []tool.Param
	api     API
	timeout time.Duration
	limit   int
}

func (r *runner) handle(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	vals, err := r.params.Bind(req.Params.Arguments, r.limit)
	if err != nil {
		return tool.ErrorResult(err), nil
	}
	args := make(map[string]any, len(vals))
	for i, d := range r.decls {
		args[d.Name] = vals[i]
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	hreq, err := r.request(ctx, args)
	if err != nil {
		return tool.ErrorResult(err), nil
	}
	resp, err := r.api.Do(hreq)
	if err != nil {
		return tool.ErrorResult(r.sendError(ctx, err)), nil
	}
	return r.result(resp), nil
}

// request builds the request from bound arguments; nothing is sent when
// any argument cannot stand where the templates put it.
func (r *runner) request(ctx context.Context, args map[string]any) (*http.Request, error) {
	ref, err := r.target(args)
	if err != nil {
		return nil, err
	}
	body, err := r.body(args)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, r.cfg.Method, ref.String(), bytes.NewReader(body))
	if err != nil {
		return nil, tool.Userf("the arguments do not make a valid request")
	}
	if body == nil {
		req.Body = http.NoBody
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, text/*;q=0.9, */*;q=0.5")
	return req, nil
}

// target fills the path and query templates.
func (r *runner) target(args map[string]any) (*url.URL, error) {
	path, _, err := r.cfg.Path.Fill(args, segment)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for name, t := range r.cfg.Query {
		v, ok, _ := t.Fill(args, tmpl.Plain)
		if ok {
			q.Set(name, v)
		}
	}
	ref, err := url.Parse(path)
	if err != nil {
		return nil, tool.Userf("the arguments do not make a valid URL path")
	}
	ref.RawQuery = q.Encode()
	if n := len(ref.String()); n > MaxURLBytes {
		return nil, tool.Userf("the request URL would be %d bytes, over the limit of %d", n, MaxURLBytes)
	}
	return ref, nil
}

// body is the JSON object of the body parameters that have a value; nil
// when the tool sends no body.
func (r *runner) body(args map[string]any) ([]byte, error) {
	if len(r.cfg.Body) == 0 {
		return nil, nil
	}
	obj := map[string]any{}
	for _, n := range r.cfg.Body {
		if v := args[n]; v != nil {
			obj[n] = v
		}
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, tool.Userf("the arguments do not make a JSON body")
	}
	return b, nil
}

// segment escapes v as one path segment. It refuses what could move the
// request elsewhere on the server: a slash or backslash, raw or percent-
// encoded any number of times (some servers and proxies decode twice), a .
// or .. segment, an empty segment, and control characters. Messages name
// the parameter only.
func segment(name, v string) (string, error) {
	if v == "" {
		return "", tool.Userf("argument %q: must not be empty: it is part of the URL path", name)
	}
	// Decode as leniently as any server might, until nothing changes: each
	// round shortens the text, so the loop ends.
	for form, prev := v, ""; form != prev; form, prev = unescape(form), form {
		if strings.ContainsAny(form, `/\`) {
			return "", tool.Userf("argument %q: must not hold / or \\, plain or percent-encoded: it is one URL path segment", name)
		}
		if form == "." || form == ".." {
			return "", tool.Userf("argument %q: must not be . or .., plain or percent-encoded: it is one URL path segment", name)
		}
		if strings.ContainsFunc(form, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
			return "", tool.Userf("argument %q: must not hold control characters such as CR or LF, plain or percent-encoded", name)
		}
	}
	return url.PathEscape(v), nil
}

// unescape decodes every valid %XX in s and keeps anything else as it is,
// as lenient servers do.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// sendError words a failed request for the model. Source errors hold no
// URL; the server redacts them anyway.
func (r *runner) sendError(ctx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return tool.Userf("the API did not answer within %s", r.timeout)
	case errors.Is(ctx.Err(), context.Canceled):
		return tool.Userf("request canceled")
	case errors.Is(err, driver.ErrTooLarge):
		return tool.Userf("the API's answer is larger than the source allows (max_response_bytes)")
	}
	return tool.Userf("request failed: %w", err)
}

// result turns an answer into a tool result.
func (r *runner) result(resp *http.Response) *mcp.CallToolResult {
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	body, code := b.Bytes(), resp.StatusCode
	if code < 200 || code > 299 {
		return tool.ErrorResult(r.statusError(code, body))
	}
	switch {
	case len(body) == 0:
		return textResult(fmt.Sprintf("the API answered %s with no body", status(code)))
	case isJSON(resp.Header.Get("Content-Type")) && json.Valid(body):
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(body)}}, StructuredContent: structured(body)}
	case !utf8.Valid(body):
		return textResult(fmt.Sprintf("the API answered %s with %d bytes of binary content (%s)",
			status(code), len(body), resp.Header.Get("Content-Type")))
	}
	return textResult(string(body))
}

func (r *runner) statusError(code int, body []byte) error {
	msg := "the API answered " + status(code)
	if code == http.StatusUnauthorized || code == http.StatusForbidden {
		msg += ": the source's credential was refused"
	}
	if r.cfg.ErrorBody && utf8.Valid(body) && len(body) > 0 {
		msg += ": " + excerpt(string(body), errorExcerpt)
	}
	return tool.Userf("%s", msg)
}

// structured is the JSON answer as structured content, which MCP requires
// to be an object: anything else is wrapped as {"result": ...}.
func structured(body []byte) any {
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '{' {
		return json.RawMessage(trimmed)
	}
	return map[string]json.RawMessage{"result": json.RawMessage(bytes.TrimSpace(body))}
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

func textResult(s string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
}

func status(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}

func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
