package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/redact"
)

// longSecret is longer than any clipped log field's bound, so clipping
// cuts it short.
const longSecret = "canary-long-0d4f7b2a19c8e365-NOT-REAL-SECRET-VALUE-XYZ"

func TestArgShape(t *testing.T) {
	many := map[string]int{}
	for i := range 25 {
		many[fmt.Sprintf("k%02d", i)] = i
	}
	manyJSON, _ := json.Marshal(many)
	for _, c := range []struct{ raw, want string }{
		{``, ``},
		{`{}`, ``},
		{` { } `, ``},
		{`{"title":"a","limit":2}`, `limit:number,title:string`},
		{`{"o":{"x":[1,"}"]},"a":[{"y":"]"}],"b":true,"f":false,"n":null,"neg":-1.5e3}`, `a:array,b:boolean,f:boolean,n:null,neg:number,o:object`},
		{"{\n\t\"s\" : \"with \\\"quotes\\\" and \\\\\" ,\r\n\"t\":1}", `s:string,t:number`},
		{`{"k\u00e9y":1,"tab\tkey":2}`, "kéy:number,tab\tkey:number"},
		{`{"a":1,"a":"x"}`, `a:string`},
		{`[1,2]`, `(array)`},
		{`"x"`, `(string)`},
		{`null`, `(null)`},
		{`{"a":`, `(invalid json)`},
		{`{"a":1 "b":2}`, `(invalid json)`},
		{`{"a" 1}`, `(invalid json)`},
		{string(manyJSON), strings.Join([]string{"k00:number", "k01:number", "k02:number", "k03:number", "k04:number",
			"k05:number", "k06:number", "k07:number", "k08:number", "k09:number", "k10:number", "k11:number", "k12:number",
			"k13:number", "k14:number", "k15:number", "k16:number", "k17:number", "k18:number", "k19:number", "...(25 keys)"}, ",")},
	} {
		if got := argShape(nil, json.RawMessage(c.raw)); got != c.want {
			t.Errorf("argShape(%q) = %q, want %q", c.raw, got, c.want)
		}
	}
}

// referenceShape is argShape by decoding everything: slower, plainly right.
func referenceShape(raw []byte) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil || fields == nil {
		return "not an object"
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range fields {
			if !yield(k) {
				return
			}
		}
	})
	var parts []string
	for i, k := range keys {
		if i == maxArgKeys {
			parts = append(parts, fmt.Sprintf("...(%d keys)", len(keys)))
			break
		}
		var v any
		_ = json.Unmarshal(fields[k], &v)
		kind := map[string]string{"map[string]interface {}": "object", "[]interface {}": "array", "string": "string",
			"float64": "number", "bool": "boolean", "<nil>": "null"}[fmt.Sprintf("%T", v)]
		parts = append(parts, clipRedacted(nil, k, maxArgKey)+":"+kind)
	}
	return strings.Join(parts, ",")
}

func FuzzArgShape(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":"x"}`, `{"z":[{"q":"]}"}],"y":{"\"":null}}`, `{"é":true,"a":1,"a":[]}`,
		`{"k":"\\","l":-0.5}`, `{"` + strings.Repeat("long", 12) + `":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		want := referenceShape([]byte(raw))
		if want == "not an object" || !json.Valid([]byte(raw)) {
			return
		}
		if got := argShape(nil, json.RawMessage(raw)); got != want {
			t.Errorf("argShape(%q) = %q, want %q", raw, got, want)
		}
	})
}

// A long key or tool name is redacted before it is clipped: a clipped
// secret is no exact match for the log's redactor any more.
func TestClippedFieldsAreRedactedFirst(t *testing.T) {
	r := newRedactor(longSecret)
	got := argShape(r, json.RawMessage(`{"`+longSecret+`":1,"x-`+longSecret+`-y":"v","`+longSecret[:20]+`":2}`))
	if sharesRun(got, longSecret[20:]) {
		t.Errorf("argShape kept part of a secret key: %q", scrubLong(got))
	}
	if want := "[REDACTED]:number"; !strings.Contains(got, want) {
		t.Errorf("argShape = %q, want it to hold %q", scrubLong(got), want)
	}
	if got := clipRedacted(r, longSecret+longSecret, maxToolName); got != "[REDACTED]" { // adjacent matches merge
		t.Errorf("clipRedacted = %q", scrubLong(got))
	}
	if got := clipRedacted(r, strings.Repeat("n", 70), maxToolName); got != strings.Repeat("n", 64)+"..." {
		t.Errorf("clipRedacted of a plain long name = %q", got)
	}
}

func scrubLong(s string) string { return strings.ReplaceAll(s, longSecret, "<secret>") }

// End to end: a call naming an unknown tool and a call with a long
// argument name, both secrets longer than the clip bounds, leave no part
// of the secret in the call log.
func TestCallLogClipsAfterRedacting(t *testing.T) {
	h := newHarness(t, func(_ *config.Config, d *Deps) {
		d.Redactor = redact.New(redact.Options{Values: append(d.Store.Known(), []byte(longSecret))})
	})
	cs := h.inMemory()
	res := callTool(t, cs, "find_note", map[string]any{"title": "x", longSecret: 1})
	if !res.IsError {
		t.Error("an unknown argument was accepted")
	}
	_, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: longSecret + longSecret, Arguments: map[string]any{}})
	if err == nil {
		t.Error("an unknown tool was called")
	}
	logs := h.logs.String()
	if !strings.Contains(logs, `"tool":"[REDACTED]"`) || !strings.Contains(logs, `[REDACTED]:number`) {
		t.Errorf("call log lacks the redacted fields:\n%s", scrubLong(logs))
	}
	if sharesRun(logs, longSecret) {
		t.Error("the log holds part of the secret")
	}
}
