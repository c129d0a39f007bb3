package secret

import "encoding/json"

// Field returns the top-level field of a JSON object value, as
// ${secret:NAME#field} reads it: strings without their quotes, other JSON
// values compact. It carries v's metadata (same version). Errors name the
// field, never a value, and wrap driver.ErrNotFound or driver.ErrInvalid.
func (v Value) Field(field string) (Value, error) {
	b, err := SelectField(v.b, field)
	if err != nil {
		return Value{}, err
	}
	return Value{b: b, meta: v.meta}, nil
}

// withFields adds to vals the top-level fields of every JSON object among
// them: a consumer that takes ${secret:DB#password} emits the field alone,
// which is not a substring the whole document would match.
func withFields(vals [][]byte) [][]byte {
	out := vals
	for _, b := range vals {
		if len(b) == 0 || b[0] != '{' {
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(b, &obj) != nil {
			continue
		}
		for _, raw := range obj {
			if len(raw) == 0 || string(raw) == "null" {
				continue
			}
			if f, err := fieldBytes(raw); err == nil {
				out = append(out, f)
			}
		}
	}
	return out
}
