package mcpserver

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
)

// eachTransport runs fn against one client per transport: in-memory, and
// streamable HTTP on loopback, both stateful and stateless.
func eachTransport(t *testing.T, adjust func(*config.Config, *Deps), fn func(t *testing.T, h *harness, cs *mcp.ClientSession)) {
	t.Run("memory", func(t *testing.T) {
		h := newHarness(t, adjust)
		fn(t, h, h.inMemory())
	})
	for _, stateless := range []bool{false, true} {
		name := map[bool]string{false: "http", true: "http-stateless"}[stateless]
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, func(c *config.Config, d *Deps) {
				c.Server.Stateless = stateless
				if adjust != nil {
					adjust(c, d)
				}
			})
			cs, err := h.overHTTP(h.httpServer(), canaryToken)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			fn(t, h, cs)
		})
	}
}

func callTool(t *testing.T, cs *mcp.ClientSession, name string, args any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	return res
}

func TestListTools(t *testing.T) {
	eachTransport(t, nil, func(t *testing.T, h *harness, cs *mcp.ClientSession) {
		res, err := cs.ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		tools := map[string]*mcp.Tool{}
		for _, tl := range res.Tools {
			tools[tl.Name] = tl
		}
		for _, name := range []string{"find_note", "echo", "note_path", "add_note", "health_check"} {
			if tools[name] == nil {
				t.Fatalf("tool %s not listed (got %d tools)", name, len(res.Tools))
			}
		}
		got, _ := json.Marshal(tools["find_note"].InputSchema)
		want := `{"additionalProperties":false,"properties":{"limit":{"default":10,"maximum":50,"type":"integer"},` +
			`"title":{"description":"title","type":"string"}},"required":["title"],"type":"object"}`
		if string(got) != want {
			t.Errorf("find_note schema:\n got %s\nwant %s", got, want)
		}
		if a := tools["find_note"].Annotations; a == nil || !a.ReadOnlyHint {
			t.Errorf("find_note annotations = %+v", a)
		}
		if tools["find_note"].OutputSchema == nil {
			t.Error("find_note has no output schema")
		}
	})
}

func TestCallSQLTool(t *testing.T) {
	eachTransport(t, nil, func(t *testing.T, h *harness, cs *mcp.ClientSession) {
		res := callTool(t, cs, "find_note", map[string]any{"title": "hello"})
		if res.IsError {
			t.Fatalf("tool error: %s", resultText(res))
		}
		want := `{"columns":["id","title","body"],"rows":[[1,"hello","world"],[2,"hello","again"]],"truncated":false}`
		if got := structured(t, res); got != want {
			t.Errorf("structured:\n got %s\nwant %s", got, want)
		}
		text := `{"id":1,"title":"hello","body":"world"}` + "\n" + `{"id":2,"title":"hello","body":"again"}` + "\n(2 rows)"
		if got := resultText(res); got != text {
			t.Errorf("text = %q", got)
		}
		res = callTool(t, cs, "find_note", map[string]any{"title": "hello", "limit": 1})
		if got := structured(t, res); !strings.Contains(got, `"rows":[[1,"hello","world"]]`) {
			t.Errorf("limit 1: %s", got)
		}
	})
}

func TestBadCalls(t *testing.T) {
	eachTransport(t, nil, func(t *testing.T, h *harness, cs *mcp.ClientSession) {
		_, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "no_such_tool", Arguments: map[string]any{}})
		// Over HTTP a protocol error never quotes the request (see echo.go);
		// in memory the name comes back, redacted.
		want := `unknown tool "no_such_tool"`
		if strings.Contains(t.Name(), "/http") {
			want = `unknown tool`
		}
		if err == nil || !strings.Contains(err.Error(), want) || want == `unknown tool` && strings.Contains(err.Error(), "no_such_tool") {
			t.Errorf("unknown tool: got %v, want %q", err, want)
		}
		cases := []struct {
			args any
			want string
		}{
			{map[string]any{"title": 5}, `argument "title": must be a string, got a number`},
			{map[string]any{"title": "x", "limit": 1.5}, `argument "limit": must be an integer, got a fraction`},
			{map[string]any{"title": "x", "limit": 51}, `argument "limit": value must be at most 50`},
			{map[string]any{}, `argument "title": missing (required)`},
			{map[string]any{"title": "x", "extra": true}, `unknown argument "extra"`},
			{map[string]any{"title": strings.Repeat("x", 70<<10)}, "bytes, over the limit of 65536"},
		}
		for _, c := range cases {
			res := callTool(t, cs, "find_note", c.args)
			if !res.IsError || !strings.Contains(resultText(res), c.want) {
				t.Errorf("args %.60v: got %q, want %q", c.args, resultText(res), c.want)
			}
		}
	})
}

func TestInjectionIsData(t *testing.T) {
	eachTransport(t, nil, func(t *testing.T, h *harness, cs *mcp.ClientSession) {
		for _, s := range []string{"x' OR '1'='1", "'; DROP TABLE notes; --", `"); DELETE FROM notes; --`} {
			res := callTool(t, cs, "echo", map[string]any{"v": s})
			want, _ := json.Marshal(map[string]any{"columns": []string{"v"}, "rows": [][]string{{s}}, "truncated": false})
			if got := structured(t, res); got != string(want) {
				t.Errorf("echo %q: got %s", s, got)
			}
			res = callTool(t, cs, "find_note", map[string]any{"title": s})
			if got := structured(t, res); !strings.Contains(got, `"rows":[]`) {
				t.Errorf("find_note %q matched rows: %s", s, got)
			}
		}
		res := callTool(t, cs, "find_note", map[string]any{"title": "hello"})
		if !strings.Contains(structured(t, res), `"world"`) {
			t.Error("table damaged by injection attempts")
		}
	})
}

func TestReadOnlyToolCannotWrite(t *testing.T) {
	h := newHarness(t, nil)
	cs := h.inMemory()
	res := callTool(t, cs, "add_note", map[string]any{"title": "new"})
	if !res.IsError || !strings.HasPrefix(resultText(res), "query failed: ") {
		t.Errorf("write through a read-only tool: %q", resultText(res))
	}
}

func TestRedactsSecretsInResultsAndErrors(t *testing.T) {
	eachTransport(t, nil, func(t *testing.T, h *harness, cs *mcp.ClientSession) {
		res := callTool(t, cs, "find_note", map[string]any{"title": "leak"})
		if res.IsError {
			t.Fatalf("tool error: %s", resultText(res))
		}
		if !strings.Contains(resultText(res), "[REDACTED]") || !strings.Contains(structured(t, res), "[REDACTED]") {
			t.Errorf("secret row not redacted: text %q, structured %s", resultText(res), structured(t, res))
		}
		res = callTool(t, cs, "note_path", map[string]any{"id": 3})
		if !res.IsError || !strings.Contains(resultText(res), "[REDACTED]") {
			t.Errorf("driver error not redacted or not reported: %q", resultText(res))
		}
	})
}

var incidentRE = regexp.MustCompile(`^internal error \(incident ([0-9a-f]{12})\)$`)

func TestPanicBecomesIncident(t *testing.T) {
	eachTransport(t, withFaults, func(t *testing.T, h *harness, cs *mcp.ClientSession) {
		res := callTool(t, cs, "explode", map[string]any{})
		m := incidentRE.FindStringSubmatch(resultText(res))
		if !res.IsError || m == nil {
			t.Fatalf("panic result = %q", resultText(res))
		}
		if strings.Contains(h.seen.String(), "goroutine") || strings.Contains(h.seen.String(), "boom") {
			t.Error("panic details reached the client")
		}
		logs := h.logs.String()
		for _, want := range []string{`"msg":"handler panic"`, `"incident":"` + m[1] + `"`, `boom`, `goroutine `, `"outcome":"panic"`} {
			if !strings.Contains(logs, want) {
				t.Errorf("log lacks %s", want)
			}
		}
		// The server keeps serving after a panic.
		if res := callTool(t, cs, "echo", map[string]any{"v": "still here"}); res.IsError {
			t.Errorf("after panic: %q", resultText(res))
		}
	})
}

func TestUnexpectedErrorBecomesIncident(t *testing.T) {
	h := newHarness(t, nil)
	addInternalTools(h.srv)
	cs := h.inMemory()
	for _, name := range []string{"internal_result", "internal_return"} {
		res := callTool(t, cs, name, map[string]any{})
		m := incidentRE.FindStringSubmatch(resultText(res))
		if !res.IsError || m == nil {
			t.Fatalf("%s: result = %q", name, resultText(res))
		}
		if logs := h.logs.String(); !strings.Contains(logs, `"incident":"`+m[1]+`"`) || !strings.Contains(logs, "pool exhausted") {
			t.Errorf("%s: incident not logged with its cause", name)
		}
	}
	if strings.Contains(h.seen.String(), "pool exhausted") {
		t.Error("internal error text reached the client")
	}
}
