package source

import (
	"database/sql/driver"
	"encoding/base64"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"
)

// JSONValue converts a value read from a database driver to the types
// Result promises: string, int64, float64, bool, nil, and []any or
// map[string]any of those. Times become RFC 3339 strings (with fractional
// seconds when present), bytes become standard base64, non-finite floats and
// out-of-range unsigned integers become strings, a driver.Valuer is converted
// through its Value, a fmt.Stringer through String. Anything else is printed
// with %v.
func JSONValue(v any) any {
	switch x := v.(type) {
	case nil, string, bool, int64:
		return x
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint:
		return uintValue(uint64(x))
	case uint64:
		return uintValue(x)
	case float32:
		return floatValue(float64(x))
	case float64:
		return floatValue(x)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case []any:
		return sliceValue(x)
	case map[string]any:
		return mapValue(x)
	}
	return otherValue(v)
}

func uintValue(u uint64) any {
	if u > math.MaxInt64 {
		return strconv.FormatUint(u, 10)
	}
	return int64(u)
}

// floatValue keeps finite floats; JSON has no NaN or infinity.
func floatValue(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return f
}

func sliceValue(xs []any) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = JSONValue(x)
	}
	return out
}

func mapValue(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, x := range m {
		out[k] = JSONValue(x)
	}
	return out
}

// otherValue handles driver-specific types by their standard interfaces,
// then typed slices and maps by reflection.
func otherValue(v any) any {
	if dv, ok := v.(driver.Valuer); ok {
		if inner, err := dv.Value(); err == nil && !sameType(inner, v) {
			return JSONValue(inner)
		}
	}
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uintValue(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return floatValue(rv.Float())
	case reflect.Bool:
		return rv.Bool()
	case reflect.String:
		return rv.String()
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = JSONValue(rv.Index(i).Interface())
		}
		return out
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			out := make(map[string]any, rv.Len())
			for it := rv.MapRange(); it.Next(); {
				out[it.Key().String()] = JSONValue(it.Value().Interface())
			}
			return out
		}
	case reflect.Pointer:
		if rv.IsNil() {
			return nil
		}
		return JSONValue(rv.Elem().Interface())
	}
	return fmt.Sprintf("%v", v)
}

// sameType guards against a Valuer returning itself, which would recurse.
func sameType(a, b any) bool { return reflect.TypeOf(a) == reflect.TypeOf(b) }

// ValueSize estimates the bytes v takes as JSON: exact for strings
// (before escaping), a fixed few for scalars, the sum for lists and
// objects. It bounds results, not wire formats, so close is enough.
func ValueSize(v any) int {
	switch x := v.(type) {
	case nil, bool:
		return 5
	case int64, float64:
		return 20
	case string:
		return len(x) + 2
	case []any:
		n := 2
		for _, e := range x {
			n += ValueSize(e) + 1
		}
		return n
	case map[string]any:
		n := 2
		for k, e := range x {
			n += len(k) + 3 + ValueSize(e) + 1
		}
		return n
	}
	return len(fmt.Sprint(v)) + 2
}
