package tool

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/google/jsonschema-go/jsonschema"
)

// param is a declared parameter with its default and enum converted to the
// canonical Go type of its JSON type: string, int64, float64 or bool.
type param struct {
	Param
	def  any
	enum []any
}

// Params are a tool's compiled parameters: they bind a call's arguments
// and describe them as a JSON Schema.
type Params struct{ list []param }

// CompileParams checks the declarations and converts their typed values.
func CompileParams(decls []Param) (Params, error) {
	ps, err := compileParams(decls)
	return Params{list: ps}, err
}

// Bind validates a call's raw arguments (at most limit bytes) and returns
// their values in declaration order, defaults filled in. Its errors are
// UserErrors that never repeat a value.
func (p Params) Bind(raw json.RawMessage, limit int) ([]any, error) {
	return bindArgs(p.list, raw, limit)
}

// Schema is the JSON Schema (2020-12) of the arguments.
func (p Params) Schema() *jsonschema.Schema { return inputSchema(p.list) }

// compileParams checks the declarations and converts their typed values.
func compileParams(decls []Param) ([]param, error) {
	ps := make([]param, 0, len(decls))
	seen := map[string]bool{}
	for _, d := range decls {
		if d.Name == "" {
			return nil, fmt.Errorf("parameter without a name")
		}
		if seen[d.Name] {
			return nil, fmt.Errorf("parameter %q declared twice", d.Name)
		}
		seen[d.Name] = true
		p, err := compileParam(d)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", d.Name, err)
		}
		ps = append(ps, p)
	}
	return ps, nil
}

func compileParam(d Param) (param, error) {
	p, problems := d.compile()
	if len(problems) > 0 {
		return p, errors.New(problems[0].Msg)
	}
	return p, nil
}

// Problem is one thing wrong with a parameter declaration, at one of its
// keys. It never holds a supplied value.
type Problem struct {
	Key string // where it is: "type", "min", "enum" or "default"
	Msg string // e.g. "min is greater than max"
}

// Check reports everything wrong with p: an unknown type, min above max,
// an enum value or a default not of the type, a default outside the enum
// or the bounds. These rules live here only; config reports the problems
// at their positions in the file.
func (d Param) Check() []Problem {
	_, problems := d.compile()
	return problems
}

func (d Param) compile() (param, []Problem) {
	p := param{Param: d}
	if _, ok := jsonTypes[d.Type]; !ok {
		return p, []Problem{{"type", fmt.Sprintf("unknown type %q (valid: string, integer, number, boolean)", d.Type)}}
	}
	var problems []Problem
	if d.Min != nil && d.Max != nil && *d.Min > *d.Max {
		problems = append(problems, Problem{"min", "min is greater than max"})
	}
	for _, e := range d.Enum {
		v, err := canonical(d.Type, e)
		if err != nil {
			problems = append(problems, Problem{"enum", "enum: " + err.Error()})
			break
		}
		p.enum = append(p.enum, v)
	}
	if d.Default == nil {
		return p, problems
	}
	v, err := canonical(d.Type, d.Default)
	switch {
	case err != nil:
		problems = append(problems, Problem{"default", "default: " + err.Error()})
	case p.check(v) != "":
		problems = append(problems, Problem{"default", "default " + p.check(v)})
	default:
		p.def = v
	}
	return p, problems
}

// jsonTypes maps a parameter type to the JSON value kind it accepts.
var jsonTypes = map[string]string{
	"string": "string", "integer": "number", "number": "number", "boolean": "boolean",
}

// canonical converts a config value to the canonical Go type for typ.
func canonical(typ string, v any) (any, error) {
	switch typ {
	case "string":
		if s, ok := v.(string); ok {
			return s, nil
		}
	case "boolean":
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case "number":
		if f, ok := toFloat(v); ok {
			return f, nil
		}
	case "integer":
		if f, ok := toFloat(v); ok && f == math.Trunc(f) && math.Abs(f) <= maxExactInt {
			return int64(f), nil
		}
		if i, ok := v.(int64); ok {
			return i, nil
		}
	}
	return nil, fmt.Errorf("value is not of type %s", typ)
}

// maxExactInt is the largest integer a float64 holds exactly (2^53).
const maxExactInt = 1 << 53

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case uint32:
		return float64(n), true
	case float32:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// inputSchema is the JSON Schema (2020-12) of a tool's arguments.
func inputSchema(ps []param) *jsonschema.Schema {
	s := &jsonschema.Schema{
		Type:                 "object",
		Properties:           map[string]*jsonschema.Schema{},
		AdditionalProperties: &jsonschema.Schema{Not: &jsonschema.Schema{}},
	}
	for _, p := range ps {
		s.Properties[p.Name] = p.schema()
		s.PropertyOrder = append(s.PropertyOrder, p.Name)
		if p.Required {
			s.Required = append(s.Required, p.Name)
		}
	}
	return s
}

func (p param) schema() *jsonschema.Schema {
	s := &jsonschema.Schema{Type: p.Type, Description: p.Description, Enum: p.enum}
	if p.def != nil {
		s.Default, _ = json.Marshal(p.def)
	}
	if p.Type == "string" {
		s.MinLength = intBound(p.Min, math.Ceil)
		s.MaxLength = intBound(p.Max, math.Floor)
	} else if p.Type == "integer" || p.Type == "number" {
		s.Minimum, s.Maximum = p.Min, p.Max
	}
	return s
}

func intBound(f *float64, round func(float64) float64) *int {
	if f == nil {
		return nil
	}
	n := int(round(*f))
	return &n
}
