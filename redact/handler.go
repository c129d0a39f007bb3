package redact

import (
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
)

// NewHandler returns a slog.Handler that redacts every record before h sees
// it: the message, attribute keys and values, groups recursively, and the
// attributes bound with WithAttrs. Strings are redacted directly. Other
// values are resolved (LogValuer) and rendered the ways handlers render
// them (fmt %+v, and for non-scalars encoding/json, MarshalText and an
// error's text); if redaction changes any rendering, the value is replaced
// by its redacted %+v text.
//
// Bound attributes are kept unformatted and redacted at each Handle, so
// they are scrubbed with the values known at logging time, not at binding
// time; h therefore only ever sees Handle, never WithAttrs or WithGroup,
// and groups reach it as group attributes. Safe for concurrent use when h
// is.
//
// NewHandler protects the structure of records; NewWriter protects bytes.
// A handler that writes something NewHandler cannot see (its own
// ReplaceAttr output, source file names) is covered only by the writer, so
// for full protection combine both:
//
//	h := redact.NewHandler(slog.NewJSONHandler(redact.NewWriter(os.Stderr, r), nil), r)
func NewHandler(h slog.Handler, r *Redactor) slog.Handler {
	return &handler{inner: h, r: r}
}

type handler struct {
	inner slog.Handler
	r     *Redactor
	goas  []groupOrAttrs // WithGroup and WithAttrs calls, oldest first
}

// groupOrAttrs is one WithGroup (group set) or WithAttrs call.
type groupOrAttrs struct {
	group string
	attrs []slog.Attr
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	return h.with(groupOrAttrs{attrs: slices.Clone(as)})
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(groupOrAttrs{group: name})
}

func (h *handler) with(g groupOrAttrs) *handler {
	h2 := *h
	h2.goas = append(slices.Clip(h.goas), g)
	return &h2
}

// Handle rebuilds the record with redacted contents, nesting record and
// bound attributes in their groups as the inner handler would have.
func (h *handler) Handle(ctx context.Context, rec slog.Record) error {
	m := h.r.matcher()
	attrs := make([]slog.Attr, 0, rec.NumAttrs())
	rec.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, redactAttr(m, a))
		return true
	})
	for i := len(h.goas) - 1; i >= 0; i-- {
		g := h.goas[i]
		if g.group != "" {
			if len(attrs) > 0 {
				attrs = []slog.Attr{{Key: m.redactString(g.group), Value: slog.GroupValue(attrs...)}}
			}
			continue
		}
		bound := make([]slog.Attr, 0, len(g.attrs)+len(attrs))
		for _, a := range g.attrs {
			bound = append(bound, redactAttr(m, a))
		}
		attrs = append(bound, attrs...)
	}
	out := slog.NewRecord(rec.Time, rec.Level, m.redactString(rec.Message), rec.PC)
	out.AddAttrs(attrs...)
	return h.inner.Handle(ctx, out)
}

func redactAttr(m *matcher, a slog.Attr) slog.Attr {
	a.Key = m.redactString(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if s := v.String(); m.redactString(s) != s {
			v = slog.StringValue(m.redactString(s))
		}
	case slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i, ga := range g {
			out[i] = redactAttr(m, ga)
		}
		v = slog.GroupValue(out...)
	case slog.KindAny:
		v = redactAny(m, v)
	default:
		if s := v.String(); m.redactString(s) != s {
			v = slog.StringValue(m.redactString(s))
		}
	}
	a.Value = v
	return a
}

// redactAny replaces v by its redacted %+v text (a []byte by its redacted
// string) if any rendering a handler might use carries something to redact.
func redactAny(m *matcher, v slog.Value) slog.Value {
	x := v.Any()
	text := fmt.Sprintf("%+v", x)
	if b, ok := x.([]byte); ok {
		text = string(b) // as the text handler prints it
	}
	if changed(m, text) || anyRenderingChanged(m, x) {
		return slog.StringValue(m.redactString(text))
	}
	return v
}

func anyRenderingChanged(m *matcher, x any) bool {
	switch t := x.(type) {
	case error:
		return changed(m, t.Error())
	case []byte:
		return changed(m, string(t)) || jsonChanged(m, t)
	case encoding.TextMarshaler:
		if b, err := t.MarshalText(); err == nil && changed(m, string(b)) {
			return true
		}
	}
	return jsonChanged(m, x)
}

func jsonChanged(m *matcher, x any) bool {
	b, err := json.Marshal(x)
	return err == nil && changed(m, string(b))
}

func changed(m *matcher, s string) bool { return m.redactString(s) != s }
