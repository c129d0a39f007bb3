package tool

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const canary = "canary-pw-7f3a9c-NOT-REAL"

func fptr(f float64) *float64 { return &f }

func testParams(t *testing.T) []param {
	t.Helper()
	ps, err := compileParams([]Param{
		{Name: "name", Type: "string", Required: true, Min: fptr(1), Max: fptr(10)},
		{Name: "limit", Type: "integer", Default: 10, Min: fptr(1), Max: fptr(100)},
		{Name: "score", Type: "number", Min: fptr(0), Max: fptr(1)},
		{Name: "active", Type: "boolean"},
		{Name: "plan", Type: "string", Enum: []any{"free", "pro"}},
	})
	if err != nil {
		t.Fatalf("compileParams: %v", err)
	}
	return ps
}

func TestBindArgsAcceptsAndOrders(t *testing.T) {
	ps := testParams(t)
	cases := []struct {
		args string
		want []any
	}{
		{`{"plan":"pro","active":true,"score":0.5,"limit":7,"name":"ann"}`, []any{"ann", int64(7), 0.5, true, "pro"}},
		{`{"name":"ann"}`, []any{"ann", int64(10), nil, nil, nil}},
		{`{"name":"ann","limit":null,"plan":null}`, []any{"ann", int64(10), nil, nil, nil}},
		{`{"name":"ann","limit":3.0}`, []any{"ann", int64(3), nil, nil, nil}},
		{`{"name":"ann","limit":1e2}`, []any{"ann", int64(100), nil, nil, nil}},
		{`{"name":"ann","score":1}`, []any{"ann", int64(10), 1.0, nil, nil}},
		{`{"name":"héllo wörl"}`, []any{"héllo wörl", int64(10), nil, nil, nil}}, // 10 characters, 12 bytes
	}
	for _, c := range cases {
		got, err := bindArgs(ps, json.RawMessage(c.args), DefaultMaxArgBytes)
		if err != nil {
			t.Errorf("%s: %v", c.args, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.args, got, c.want)
		}
	}
}

func TestBindArgsRejects(t *testing.T) {
	ps := testParams(t)
	cases := []struct{ args, want string }{
		{`{}`, `argument "name": missing (required)`},
		{`null`, `argument "name": missing (required)`},
		{`[1,2]`, `must be a JSON object, got an array`},
		{`"x"`, `must be a JSON object, got a string`},
		{`{"name":"a","bogus":1}`, `unknown argument "bogus" (valid: name, limit, score, active, plan)`},
		{`{"name":5}`, `argument "name": must be a string, got a number`},
		{`{"name":"a","limit":"5"}`, `argument "limit": must be an integer, got a string`},
		{`{"name":"a","limit":2.5}`, `argument "limit": must be an integer, got a fraction`},
		{`{"name":"a","limit":1e300}`, `argument "limit": integer out of range`},
		{`{"name":"a","limit":99999999999999999999}`, `argument "limit": integer out of range`},
		{`{"name":"a","limit":0}`, `argument "limit": value must be at least 1`},
		{`{"name":"a","limit":101}`, `argument "limit": value must be at most 100`},
		{`{"name":"a","score":1.5}`, `argument "score": value must be at most 1`},
		{`{"name":"a","active":"yes"}`, `argument "active": must be a boolean, got a string`},
		{`{"name":"a","plan":"gold"}`, `argument "plan": must be one of "free", "pro"`},
		{`{"name":""}`, `argument "name": length must be at least 1`},
		{`{"name":{"a":1}}`, `argument "name": must be a string, got an object`},
	}
	for _, c := range cases {
		_, err := bindArgs(ps, json.RawMessage(c.args), DefaultMaxArgBytes)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want it to contain %q", c.args, err, c.want)
		}
		if err != nil && !IsUser(err) {
			t.Errorf("%s: error is not a UserError", c.args)
		}
	}
}

func TestBindArgsListsEveryProblem(t *testing.T) {
	_, err := bindArgs(testParams(t), json.RawMessage(`{"limit":"x","plan":"gold"}`), DefaultMaxArgBytes)
	for _, want := range []string{`"name": missing`, `"limit": must be an integer`, `"plan": must be one of`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to mention %q", err, want)
		}
	}
}

func TestBindArgsNeverEchoesValues(t *testing.T) {
	ps := testParams(t)
	long := strings.Repeat(canary, 3)
	inputs := []string{
		`{"name":"` + long + `"}`,
		`{"name":"a","plan":"` + canary + `"}`,
		`{"name":"a","` + strings.Repeat("k", 100) + canary + `":1}`,
		`{"name":"a","limit":"` + canary + `"}`,
	}
	for _, in := range inputs {
		_, err := bindArgs(ps, json.RawMessage(in), DefaultMaxArgBytes)
		if err == nil {
			t.Fatalf("input %d accepted", len(in))
		}
		if strings.Contains(err.Error(), canary) {
			t.Errorf("error for a %d-byte input repeats a supplied value", len(in))
		}
	}
}

func TestBindArgsSizeLimit(t *testing.T) {
	big := `{"name":"` + strings.Repeat("x", DefaultMaxArgBytes) + `"}`
	_, err := bindArgs(testParams(t), json.RawMessage(big), DefaultMaxArgBytes)
	if err == nil || !strings.Contains(err.Error(), "over the limit of 65536") {
		t.Fatalf("got %v, want a size error", err)
	}
}

func TestCompileParamsRejectsBadDeclarations(t *testing.T) {
	cases := []struct {
		p    Param
		want string
	}{
		{Param{Name: "a", Type: "date"}, `unknown type "date"`},
		{Param{Name: "a", Type: "integer", Default: "x"}, "default: value is not of type integer"},
		{Param{Name: "a", Type: "integer", Default: 1.5}, "default: value is not of type integer"},
		{Param{Name: "a", Type: "string", Enum: []any{"x", 2}}, "enum: value is not of type string"},
		{Param{Name: "a", Type: "number", Min: fptr(2), Max: fptr(1)}, "min is greater than max"},
		{Param{Name: "a", Type: "integer", Default: 500, Max: fptr(100)}, "default value must be at most 100"},
	}
	for _, c := range cases {
		_, err := compileParams([]Param{c.p})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.p, err, c.want)
		}
	}
	_, err := compileParams([]Param{{Name: "a", Type: "string"}, {Name: "a", Type: "string"}})
	if err == nil || !strings.Contains(err.Error(), `parameter "a" declared twice`) {
		t.Errorf("duplicate: got %v", err)
	}
}
