package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hushmcp/hush/source"
)

// Results show values as a user of psql would read them. pgx decodes a few
// built-in types into Go values that do not: a range into a struct (printed
// "{1 10 i e true}"), xml into bytes (base64 in a result), "char" into a
// byte (a number). textTypes are therefore registered on every connection
// with a text codec, so they arrive as PostgreSQL's own text ("[1,10)",
// "<a>x</a>", "x"); types pgx does not know arrive as text already. And pgx
// flattens a multi-dimensional array, so nestArray rebuilds its nesting.

// textTypes are the types read as text, each with its array type.
var textTypes = []struct {
	name          string
	oid, arrayOID uint32
}{
	{"int4range", pgtype.Int4rangeOID, pgtype.Int4rangeArrayOID},
	{"int8range", pgtype.Int8rangeOID, pgtype.Int8rangeArrayOID},
	{"numrange", pgtype.NumrangeOID, pgtype.NumrangeArrayOID},
	{"tsrange", pgtype.TsrangeOID, pgtype.TsrangeArrayOID},
	{"tstzrange", pgtype.TstzrangeOID, pgtype.TstzrangeArrayOID},
	{"daterange", pgtype.DaterangeOID, pgtype.DaterangeArrayOID},
	{"int4multirange", pgtype.Int4multirangeOID, pgtype.Int4multirangeArrayOID},
	{"int8multirange", pgtype.Int8multirangeOID, pgtype.Int8multirangeArrayOID},
	{"nummultirange", pgtype.NummultirangeOID, pgtype.NummultirangeArrayOID},
	{"tsmultirange", pgtype.TsmultirangeOID, pgtype.TsmultirangeArrayOID},
	{"tstzmultirange", pgtype.TstzmultirangeOID, pgtype.TstzmultirangeArrayOID},
	{"datemultirange", pgtype.DatemultirangeOID, pgtype.DatemultirangeArrayOID},
	{"xml", pgtype.XMLOID, pgtype.XMLArrayOID},
	{"char", pgtype.QCharOID, pgtype.QCharArrayOID},
}

// registerTextTypes is the pool's AfterConnect hook: it makes c read
// textTypes as text. It runs once per connection, not per call.
func registerTextTypes(_ context.Context, c *pgx.Conn) error {
	m := c.TypeMap()
	for _, tt := range textTypes {
		t := &pgtype.Type{Name: tt.name, OID: tt.oid, Codec: textOnlyCodec{}}
		m.RegisterType(t)
		m.RegisterType(&pgtype.Type{Name: "_" + tt.name, OID: tt.arrayOID, Codec: &pgtype.ArrayCodec{ElementType: t}})
	}
	return nil
}

// textOnlyCodec reads and writes a type in its text format only. A text
// codec would also accept the binary format, which for a range is not its
// text, and an array of it would then be read in binary.
type textOnlyCodec struct{ pgtype.TextCodec }

func (textOnlyCodec) FormatSupported(format int16) bool { return format == pgtype.TextFormatCode }

// convertRow turns the values pgx decoded from the current row of rows into
// the types source.Result promises.
func convertRow(rows pgx.Rows, vals []any, fields []pgconn.FieldDescription) []any {
	raw := rows.RawValues()
	row := make([]any, len(vals))
	for i, v := range vals {
		f := fields[i]
		if a, ok := v.([]any); ok && rows.Conn() != nil {
			v = nestArray(rows.Conn().TypeMap(), f, raw[i], a)
		}
		row[i] = pgValue(v, f.DataTypeOID == pgtype.DateOID || f.DataTypeOID == pgtype.DateArrayOID)
	}
	return row
}

// nestArray returns flat, what pgx decoded from an array column, nested by
// the array's dimensions when it has more than one. Only such arrays are
// decoded again.
func nestArray(m *pgtype.Map, f pgconn.FieldDescription, raw []byte, flat []any) []any {
	t, ok := m.TypeForOID(f.DataTypeOID)
	if !ok {
		return flat
	}
	if _, isArray := t.Codec.(*pgtype.ArrayCodec); !isArray || !multiDim(f.Format, raw) {
		return flat
	}
	var arr pgtype.Array[any]
	if err := m.Scan(f.DataTypeOID, f.Format, raw, &arr); err != nil || len(arr.Dims) < 2 {
		return flat
	}
	return nest(arr.Elements, arr.Dims)
}

// multiDim reports whether raw, an array value, may have more than one
// dimension: the binary form starts with the count, the text form with
// "{{" or with explicit bounds ("[1:2][1:2]={...}").
func multiDim(format int16, raw []byte) bool {
	if format == pgtype.BinaryFormatCode {
		return len(raw) >= 4 && int32(binary.BigEndian.Uint32(raw)) > 1
	}
	return bytes.HasPrefix(raw, []byte("{{")) || bytes.HasPrefix(raw, []byte("["))
}

// nest arranges elems, in row-major order, into nested slices of dims.
func nest(elems []any, dims []pgtype.ArrayDimension) []any {
	n := int(dims[0].Length)
	out := make([]any, n)
	if len(dims) == 1 {
		copy(out, elems)
		return out
	}
	step := len(elems) / max(n, 1)
	for i := range out {
		out[i] = nest(elems[i*step:(i+1)*step], dims[1:])
	}
	return out
}

// pgValue handles what pgx decodes to types that source.JSONValue cannot
// tell apart: a uuid is a [16]byte and a date a midnight time.Time.
func pgValue(v any, date bool) any {
	switch x := v.(type) {
	case [16]byte:
		return uuidString(x)
	case time.Time:
		if date {
			return x.Format(time.DateOnly)
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = pgValue(e, date)
		}
		return out
	}
	return source.JSONValue(v)
}

func uuidString(b [16]byte) string {
	var buf [36]byte
	hex.Encode(buf[0:8], b[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], b[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], b[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], b[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], b[10:])
	return string(buf[:])
}
