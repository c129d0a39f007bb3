package sqltool

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/hushmcp/hush/source"
)

// maxTextBytes bounds the text rendering of a result; the structured content
// always holds every returned row.
const maxTextBytes = 32 << 10

// renderRows writes one JSON object per row, keys in column order, followed
// by a summary line. Rows that would push the text past limit are left out
// and counted in the summary.
func renderRows(res *source.Result, limit int) string {
	var b bytes.Buffer
	shown := 0
	for _, row := range res.Rows {
		line := rowLine(res.Columns, row)
		if b.Len()+len(line) > limit {
			break
		}
		b.Write(line)
		shown++
	}
	b.WriteString(summary(len(res.Rows), shown, res.Truncated))
	return b.String()
}

func rowLine(cols []string, row []any) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, v := range row {
		if i > 0 {
			b.WriteByte(',')
		}
		name := fmt.Sprintf("col%d", i+1)
		if i < len(cols) {
			name = cols[i]
		}
		writeJSON(&b, name)
		b.WriteByte(':')
		writeJSON(&b, v)
	}
	b.WriteString("}\n")
	return b.Bytes()
}

func summary(rows, shown int, truncated bool) string {
	s := fmt.Sprintf("(%d rows", rows)
	if rows == 1 {
		s = "(1 row"
	}
	if truncated {
		s += "; more rows exist than max_rows or max_bytes allow"
	}
	if shown < rows {
		s += fmt.Sprintf("; text shows the first %d, structured content has all", shown)
	}
	return s + ")"
}

// writeJSON appends v as compact JSON without HTML escaping, which keeps
// the text readable.
func writeJSON(b *bytes.Buffer, v any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		b.WriteString(`"<unprintable>"`)
		return
	}
	b.Truncate(b.Len() - 1) // Encode ends with a newline
}
