package source_test

import (
	"encoding/json"
	"math"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/hushmcp/hush/source"
)

type level int

func TestJSONValue(t *testing.T) {
	ts := time.Date(2026, 11, 26, 10, 2, 3, 500_000_000, time.FixedZone("CET", 3600))
	s := "x"
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"nil", nil, nil},
		{"string", "héllo", "héllo"},
		{"bool", true, true},
		{"int16", int16(-7), int64(-7)},
		{"int32", int32(7), int64(7)},
		{"uint32", uint32(7), int64(7)},
		{"uint64 max", uint64(math.MaxUint64), "18446744073709551615"},
		{"float32", float32(1.5), 1.5},
		{"NaN", math.NaN(), "NaN"},
		{"+Inf", math.Inf(1), "+Inf"},
		{"bytes", []byte{0, 1, 0xff}, "AAH/"},
		{"time", ts, "2026-11-26T10:02:03.5+01:00"},
		{"slice", []any{int32(1), []byte("a")}, []any{int64(1), "YQ=="}},
		{"map", map[string]any{"a": float32(2)}, map[string]any{"a": 2.0}},
		{"typed slice", []int32{1, 2}, []any{int64(1), int64(2)}},
		{"stringer", netip.MustParseAddr("10.0.0.1"), "10.0.0.1"},
		{"named int", level(3), int64(3)},
		{"pointer", &s, "x"},
		{"nil pointer", (*string)(nil), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := source.JSONValue(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("JSONValue(%#v) = %#v, want %#v", tt.in, got, tt.want)
			}
			if _, err := json.Marshal(got); err != nil {
				t.Fatalf("result does not marshal: %v", err)
			}
		})
	}
}
