package httptool_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/assembly"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/httpapi"
	"github.com/hushmcp/hush/source/httpapi/httpapitest"
	"github.com/hushmcp/hush/source/sourcetest"
	"github.com/hushmcp/hush/tool"
	"github.com/hushmcp/hush/tool/httptool"
)

const key = "canary-tool-api-key-NOT-REAL"

var _ httptool.API = (*httpapi.Source)(nil)

// fixture is a real http source over a test API, and a way to build tools
// on it from YAML, decoded by config like the server does.
type fixture struct {
	api *httpapitest.API
	src *httpapi.Source
}

func newFixture(t *testing.T, edit func(*httpapi.Spec)) *fixture {
	t.Helper()
	api := httpapitest.New(t, key)
	s := httpapi.Spec{
		Name: "search", BaseURL: api.URL, Origin: "http://" + api.Listener.Addr().String(),
		Headers: map[string]string{"Authorization": "Bearer ${secret:" + sourcetest.CredSecret + "}"},
		Timeout: 5 * time.Second, HealthPath: "/health",
	}
	if edit != nil {
		edit(&s)
	}
	secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: key})
	src, err := httpapi.Open(t.Context(), s, source.Env{Name: "search", Secrets: secrets})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = src.Close() })
	return &fixture{api: api, src: src}
}

func kinds() config.Kinds {
	return config.Kinds{
		Sources:   source.NewRegistry(httpapi.Kind),
		Tools:     tool.NewRegistry(httptool.Kind),
		Providers: assembly.Providers(nil),
	}
}

// parseTool decodes one tool entry over an http source.
func parseTool(entry string) (*config.Config, error) {
	return config.Parse("t.yaml", []byte(`
secrets:
  KEY: { from: env://KEY }
sources:
  search: { kind: http, base_url: "https://api.example.com", headers: { Authorization: "Bearer ${secret:KEY}" }, methods: [GET, POST] }
tools:
  t:
    kind: http
    source: search
    description: d
`+entry), kinds())
}

func (f *fixture) build(t *testing.T, entry string) mcp.ToolHandler {
	t.Helper()
	cfg, err := parseTool(entry)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	_, h, err := httptool.Build(cfg.Tools[0], f.src, tool.Options{})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return h
}

func call(t *testing.T, h mcp.ToolHandler, args string) *mcp.CallToolResult {
	t.Helper()
	req := &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: "t", Arguments: json.RawMessage(args)}}
	res, err := h(t.Context(), req)
	if err != nil {
		t.Fatalf("handler error: %v", err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// echoed decodes what the test API saw.
func echoed(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	if res.IsError {
		t.Fatalf("tool error: %s", text(res))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(text(res)), &m); err != nil {
		t.Fatalf("echo: %v", err)
	}
	return m
}

const echoTool = `
    path: /echo/items/{id}
    query: { q: "{query}", limit: "{limit}", fixed: yes }
    parameters:
      - { name: id, type: string, required: true }
      - { name: query, type: string }
      - { name: limit, type: integer }
`

// Each value stands as one escaped path segment or one query value; an
// absent optional parameter leaves its query parameter out.
func TestPathAndQueryFromParams(t *testing.T) {
	f := newFixture(t, nil)
	h := f.build(t, echoTool)
	m := echoed(t, call(t, h, `{"id":"a b?c#d%e;f","query":"x&y=z #"}`))
	if m["path"] != "/echo/items/a%20b%3Fc%23d%25e%3Bf" {
		t.Errorf("path = %v", m["path"])
	}
	if m["query"] != "fixed=yes&q=x%26y%3Dz+%23" {
		t.Errorf("query = %v", m["query"])
	}
	m = echoed(t, call(t, h, `{"id":"7","limit":3}`))
	if m["path"] != "/echo/items/7" || m["query"] != "fixed=yes&limit=3" {
		t.Errorf("path %v query %v", m["path"], m["query"])
	}
}

// Values that would leave their path segment are tool errors, and nothing
// reaches the API.
func TestHostilePathValues(t *testing.T) {
	f := newFixture(t, nil)
	h := f.build(t, echoTool)
	before := f.api.Total()
	for _, v := range []string{"a/b", "..", ".", "../admin", `a\b`, "%2e%2e", "a%2Fb", "a%252Fb", "%5C", "x\r\ny", "x\x00", "",
		strings.Repeat("x", httptool.MaxURLBytes)} {
		arg, _ := json.Marshal(map[string]string{"id": v})
		res := call(t, h, string(arg))
		if !res.IsError {
			t.Errorf("%q: no error", v)
			continue
		}
		if len(v) > 3 && strings.Contains(text(res), v) {
			t.Errorf("%q: the error repeats the value", v)
		}
		if !tool.IsUser(res.GetError()) {
			t.Errorf("%q: not a user error: %v", v, res.GetError())
		}
	}
	if n := f.api.Total() - before; n != 0 {
		t.Errorf("%d refused requests reached the API", n)
	}
}

func TestJSONBody(t *testing.T) {
	f := newFixture(t, nil)
	h := f.build(t, `
    method: POST
    path: /echo
    body: [name, count, urgent]
    parameters:
      - { name: name, type: string, required: true }
      - { name: count, type: integer }
      - { name: urgent, type: boolean, default: false }
`)
	m := echoed(t, call(t, h, `{"name":"a \"quoted\" }{ name","count":2}`))
	var body map[string]any
	if err := json.Unmarshal([]byte(m["body"].(string)), &body); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if body["name"] != `a "quoted" }{ name` || body["count"] != float64(2) || body["urgent"] != false || m["method"] != "POST" {
		t.Errorf("body = %v", body)
	}
	if ct := m["headers"].(map[string]any)["Content-Type"]; ct == nil || ct.([]any)[0] != "application/json" {
		t.Errorf("content type = %v", ct)
	}
}

func TestAnswers(t *testing.T) {
	f := newFixture(t, func(s *httpapi.Spec) { s.MaxBytes = 1000 })
	cases := []struct {
		path, want string
		structured bool
		isErr      bool
	}{
		{"/health", `{"ok":true}`, true, false},
		{"/big?n=5", `"xxx"`, true, false},
		{"/text", "plain words", false, false},
		{"/status/404", "the API answered 404 Not Found", false, true},
		{"/status/500", "the API answered 500 Internal Server Error", false, true},
		{"/big?n=5000", "larger than the source allows", false, true},
		{"/redirect?to=http://192.0.2.1/x", "redirect to another origin refused", false, true},
	}
	for _, c := range cases {
		path, query, _ := strings.Cut(c.path, "?")
		entry := "    path: " + path + "\n"
		if query != "" {
			k, v, _ := strings.Cut(query, "=")
			entry += "    query: { " + k + ": \"" + v + "\" }\n"
		}
		res := call(t, f.build(t, entry), `{}`)
		if res.IsError != c.isErr || !strings.Contains(text(res), c.want) || (res.StructuredContent != nil) != c.structured {
			t.Errorf("%s: error %v structured %v text %q", c.path, res.IsError, res.StructuredContent != nil, text(res))
		}
	}
}

// error_body shows the start of the API's error answer.
func TestErrorBody(t *testing.T) {
	f := newFixture(t, nil)
	res := call(t, f.build(t, "    path: /status/400\n    error_body: true\n"), `{}`)
	if !res.IsError || !strings.Contains(text(res), `"error":"status 400"`) {
		t.Errorf("text %q", text(res))
	}
}

func TestTimeout(t *testing.T) {
	f := newFixture(t, nil)
	res := call(t, f.build(t, "    path: /slow\n    timeout: 100ms\n"), `{}`)
	if !res.IsError || !strings.Contains(text(res), "did not answer within 100ms") {
		t.Errorf("text %q", text(res))
	}
}

func TestAnnotations(t *testing.T) {
	f := newFixture(t, nil)
	for method, readOnly := range map[string]bool{"GET": true, "POST": false} {
		cfg, err := parseTool("    method: " + method + "\n")
		if err != nil {
			t.Fatal(err)
		}
		mt, _, err := httptool.Build(cfg.Tools[0], f.src, tool.Options{})
		if err != nil {
			t.Fatal(err)
		}
		a := mt.Annotations
		if a.ReadOnlyHint != readOnly || a.OpenWorldHint == nil || !*a.OpenWorldHint {
			t.Errorf("%s: annotations %+v", method, a)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	cases := []struct{ entry, want string }{
		{"    method: DELETE\n", "the source does not allow DELETE"},
		{"    method: CONNECT\n", "method"},
		{"    path: items/{id}\n    parameters: [{name: id, type: string, required: true}]\n", "must start with a single /"},
		{"    path: /items/{id}\n    parameters: [{name: id, type: string}]\n", "must be required or have a default"},
		{"    path: /items/{nope}\n", "{nope} is not a declared parameter"},
		{"    path: /items/{id\n", "{ without }"},
		{"    path: /a/../b\n", ". or .. segments"},
		{"    path: /a?b=1\n", "only URL path characters"},
		{"    body: [x]\n    parameters: [{name: x, type: string}]\n", "a GET request has no body"},
		{"    method: POST\n    body: [y]\n", `"y" is not a declared parameter`},
		{"    query: { k: \"${secret:KEY}\" }\n", "secrets belong in the source"},
	}
	for _, c := range cases {
		_, err := parseTool(c.entry)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.entry, err, c.want)
		}
	}
	cfg, err := parseTool("    path: /x\n    parameters: [{name: unused, type: string}]\n")
	if err != nil || len(cfg.Warnings) == 0 || !strings.Contains(strings.Join(cfg.Warnings, "\n"), `parameter "unused" is not used`) {
		t.Errorf("unused parameter: err %v warnings %v", err, cfg.Warnings)
	}
}

// A query value is escaped whatever it holds, but the URL stays bounded.
func TestLongQueryRefused(t *testing.T) {
	f := newFixture(t, nil)
	h := f.build(t, echoTool)
	before := f.api.Total()
	arg, _ := json.Marshal(map[string]string{"id": "x", "query": strings.Repeat("é", httptool.MaxURLBytes/4)})
	if res := call(t, h, string(arg)); !res.IsError || !strings.Contains(text(res), "over the limit of 8192") {
		t.Errorf("long query: %s", text(res))
	}
	if f.api.Total() != before {
		t.Error("the request was sent")
	}
	m := echoed(t, call(t, h, `{"id":"x","query":"line\r\nX-Evil: 1"}`))
	if m["query"] != "fixed=yes&q=line%0D%0AX-Evil%3A+1" || m["headers"].(map[string]any)["X-Evil"] != nil {
		t.Errorf("CR/LF in a query value: %v", m["query"])
	}
}
