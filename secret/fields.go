package secret

import (
	"encoding/json"
	"regexp"
	"slices"
)

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

// withFields adds to vals the fields of JSON object values that a
// consumer may emit on their own: the fields placeholders take (used),
// and any whose name says it holds a credential. The whole document is
// not a substring of what a source prints when it uses one field. Other
// fields (an RDS document's engine, host, port, dbname) are descriptions,
// not secrets: redacting "postgres" everywhere would shred the output.
func withFields(vals [][]byte, used []string) [][]byte {
	out := vals
	for _, b := range vals {
		if len(b) == 0 || b[0] != '{' {
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(b, &obj) != nil {
			continue
		}
		for name, raw := range obj {
			if len(raw) == 0 || string(raw) == "null" || !(slices.Contains(used, name) || credentialName.MatchString(name)) {
				continue
			}
			if f, err := fieldBytes(raw); err == nil {
				out = append(out, f)
			}
		}
	}
	return out
}

// credentialName matches field names that hold a credential by name.
var credentialName = regexp.MustCompile(`(?i)pass|pwd|secret|token|key|cred|auth|private|signature|cookie|session`)
