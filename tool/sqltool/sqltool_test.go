package sqltool

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/tool"
)

// recorder is a source.SQL that records the queries it receives. It stands
// in for a database where the test is about what the tool sends.
type recorder struct {
	mu      sync.Mutex
	queries []source.Query
	result  *source.Result
	err     error
	block   bool // wait for ctx to end, as a slow query would
}

func (r *recorder) Query(ctx context.Context, q source.Query) (*source.Result, error) {
	r.mu.Lock()
	r.queries = append(r.queries, q)
	r.mu.Unlock()
	if r.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return r.result, r.err
}

func (r *recorder) Ping(context.Context) error { return nil }
func (r *recorder) State() source.State        { return source.State{Status: "ok"} }
func (r *recorder) Close() error               { return nil }

func (r *recorder) calls() []source.Query {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]source.Query(nil), r.queries...)
}

const findStatement = "SELECT id, name FROM customers WHERE email = ? AND plan = ?"

func findCustomer() tool.Spec {
	return tool.Spec{
		Name: "find_customer", Kind: "sql", Source: "main", Description: "Look up a customer.",
		Params: []tool.Param{
			{Name: "email", Type: "string", Description: "Customer e-mail", Required: true, Max: fptr(254)},
			{Name: "plan", Type: "string", Default: "free", Enum: []any{"free", "pro"}},
		},
		Timeout: time.Second,
		Config:  Config{Statement: findStatement, ReadOnly: true, MaxRows: 5},
	}
}

func fptr(f float64) *float64 { return &f }

// SQL builds s over src, as the server does.
func SQL(s tool.Spec, src source.Source, opts tool.Options) (*mcp.Tool, mcp.ToolHandler, error) {
	return Build(s, src, opts)
}

type Options = tool.Options

var IsUser = tool.IsUser

func call(t *testing.T, h mcp.ToolHandler, args string) *mcp.CallToolResult {
	t.Helper()
	req := &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: "x", Arguments: json.RawMessage(args)}}
	res, err := h(context.Background(), req)
	if err != nil {
		t.Fatalf("handler returned a protocol error: %v", err)
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

func TestSQLToolSchema(t *testing.T) {
	tl, _, err := SQL(findCustomer(), &recorder{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(tl.InputSchema)
	want := `{"type":"object","properties":{"email":{"type":"string","description":"Customer e-mail","maxLength":254},` +
		`"plan":{"type":"string","default":"free","enum":["free","pro"]}},"required":["email"],"additionalProperties":false}`
	if string(got) != want {
		t.Errorf("input schema:\n got %s\nwant %s", got, want)
	}
	if !tl.Annotations.ReadOnlyHint || tl.Name != "find_customer" || tl.Description != "Look up a customer." {
		t.Errorf("tool = %+v", tl)
	}
	out, _ := json.Marshal(tl.OutputSchema)
	if !strings.Contains(string(out), `"required":["columns","rows","truncated"]`) {
		t.Errorf("output schema %s", out)
	}
}

func TestSQLToolBindsPositionally(t *testing.T) {
	rec := &recorder{result: &source.Result{Columns: []string{"id", "name"}, Rows: [][]any{{int64(1), "Ann <a&b>"}}}}
	_, h, err := SQL(findCustomer(), rec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	inject := "x' OR '1'='1"
	res := call(t, h, `{"email":"`+inject+`"}`)
	if res.IsError {
		t.Fatalf("unexpected tool error: %s", text(res))
	}
	want := source.Query{SQL: findStatement, Args: []any{inject, "free"}, ReadOnly: true, MaxRows: 5, MaxBytes: DefaultMaxBytes}
	if got := rec.calls(); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("queries = %#v, want %#v", got, want)
	}
	if res.StructuredContent != rec.result {
		t.Errorf("structured content is not the source result")
	}
	if got := text(res); got != "{\"id\":1,\"name\":\"Ann <a&b>\"}\n(1 row)" {
		t.Errorf("text = %q", got)
	}
}

func TestSQLToolValidatesBeforeQuerying(t *testing.T) {
	rec := &recorder{}
	_, h, _ := SQL(findCustomer(), rec, Options{})
	for _, args := range []string{`{}`, `{"email":5}`, `{"email":"a","plan":"gold"}`, `{"email":"a","x":1}`} {
		res := call(t, h, args)
		if !res.IsError || !IsUser(res.GetError()) {
			t.Errorf("%s: want a user error result, got %+v", args, res)
		}
	}
	if n := len(rec.calls()); n != 0 {
		t.Errorf("database touched %d times by invalid calls", n)
	}
}

func TestSQLToolReportsQueryErrors(t *testing.T) {
	_, h, _ := SQL(findCustomer(), &recorder{err: errors.New("no such table: customers")}, Options{})
	res := call(t, h, `{"email":"a"}`)
	if !res.IsError || text(res) != "query failed: no such table: customers" || !IsUser(res.GetError()) {
		t.Errorf("got %q (user error %v)", text(res), IsUser(res.GetError()))
	}
}

func TestSQLToolTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tl := findCustomer()
		tl.Timeout = 0
		_, h, _ := SQL(tl, &recorder{block: true}, Options{Timeout: 3 * time.Second})
		res := call(t, h, `{"email":"a"}`)
		if !res.IsError || text(res) != "query timed out after 3s" {
			t.Errorf("got %q", text(res))
		}
	})
}

func TestSQLToolDefaultsAndEmptyResult(t *testing.T) {
	tl := findCustomer()
	tl.Config = Config{Statement: findStatement, ReadOnly: true}
	rec := &recorder{result: &source.Result{}}
	_, h, _ := SQL(tl, rec, Options{})
	res := call(t, h, `{"email":"a"}`)
	if got := rec.calls()[0].MaxRows; got != DefaultMaxRows {
		t.Errorf("MaxRows = %d, want %d", got, DefaultMaxRows)
	}
	b, _ := json.Marshal(res.StructuredContent)
	if string(b) != `{"columns":[],"rows":[],"truncated":false}` || text(res) != "(0 rows)" {
		t.Errorf("structured %s, text %q", b, text(res))
	}
}

func TestSQLRejectsBadTools(t *testing.T) {
	bad := findCustomer()
	bad.Config = Config{}
	if _, _, err := SQL(bad, &recorder{}, Options{}); err == nil {
		t.Error("a tool without a statement was accepted")
	}
	bad = findCustomer()
	bad.Params = append(bad.Params, tool.Param{Name: "n", Type: "float"})
	if _, _, err := SQL(bad, &recorder{}, Options{}); err == nil || !strings.Contains(err.Error(), `parameter "n"`) {
		t.Errorf("bad parameter: %v", err)
	}
}

func TestRenderRowsIsBounded(t *testing.T) {
	res := &source.Result{Columns: []string{"v"}, Truncated: true}
	for range 100 {
		res.Rows = append(res.Rows, []any{strings.Repeat("x", 100)})
	}
	got := renderRows(res, 1000)
	if len(got) > 1100 || !strings.Contains(got, "(100 rows; more rows exist than max_rows or max_bytes allow; text shows the first 9") {
		t.Errorf("text (%d bytes) ends %q", len(got), got[len(got)-90:])
	}
}
