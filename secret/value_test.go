package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

const valueCanary = "canary-val-3e8b41-NOT-REAL"

func canaryValue() Value {
	return NewValue([]byte(valueCanary), Meta{Source: "env", Version: "v1", FetchedAt: time.Unix(1700000000, 0)})
}

// assertRedacted fails if out lacks the placeholder or holds any fragment of
// the canary. out itself is never printed.
func assertRedacted(t *testing.T, what, out string) {
	t.Helper()
	if !strings.Contains(out, Placeholder) {
		t.Errorf("%s: output lacks %s", what, Placeholder)
	}
	assertNoFragment(t, valueCanary, 4, out)
}

func TestValueFormatting(t *testing.T) {
	v := canaryValue()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3v", "%-8s"} {
		assertRedacted(t, verb, fmt.Sprintf(verb, v))
	}
	assertRedacted(t, "pointer %v", fmt.Sprintf("%v", &v))
	assertRedacted(t, "Sprint", fmt.Sprint(v))
	assertRedacted(t, "Sprintln", fmt.Sprintln("value:", v))
	assertRedacted(t, "String", v.String())
	assertRedacted(t, "GoString", v.GoString())
	assertRedacted(t, "slice %v", fmt.Sprintf("%v", []Value{v}))
	assertRedacted(t, "map %#v", fmt.Sprintf("%#v", map[string]Value{"k": v}))
	type conf struct {
		Name string
		DSN  Value
	}
	assertRedacted(t, "struct %+v", fmt.Sprintf("%+v", conf{"db", v}))
	assertRedacted(t, "struct %#v", fmt.Sprintf("%#v", conf{"db", v}))
}

func TestValuePrintln(t *testing.T) {
	var buf bytes.Buffer
	if _, err := fmt.Fprintln(&buf, "dsn", canaryValue()); err != nil {
		t.Fatal(err)
	}
	assertRedacted(t, "Fprintln", buf.String())
}

func TestValueErrorWrapping(t *testing.T) {
	v := canaryValue()
	err := fmt.Errorf("connect with %v: %w", v, errors.New("refused"))
	assertRedacted(t, "fmt.Errorf", err.Error())
	err = fmt.Errorf("connect with %s", &v)
	assertRedacted(t, "fmt.Errorf pointer", err.Error())
}

func TestValueJSON(t *testing.T) {
	type conf struct {
		Name string `json:"name"`
		Key  Value  `json:"key"`
		Ptr  *Value `json:"ptr"`
	}
	v := canaryValue()
	out, err := json.Marshal(conf{Name: "api", Key: v, Ptr: &v})
	if err != nil {
		t.Fatal(err)
	}
	assertRedacted(t, "json.Marshal", string(out))
	if want := `{"name":"api","key":"[REDACTED]","ptr":"[REDACTED]"}`; string(out) != want {
		t.Errorf("json.Marshal = %s, want %s", out, want)
	}
	list, err := json.Marshal([]any{v, map[string]Value{"k": v}})
	if err != nil {
		t.Fatal(err)
	}
	assertRedacted(t, "json in any", string(list))
	text, err := v.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	assertRedacted(t, "MarshalText", string(text))
}

func TestValueRefusesDecoding(t *testing.T) {
	var c struct{ Key Value }
	err := json.Unmarshal([]byte(`{"Key":"`+valueCanary+`"}`), &c)
	if err == nil || !c.Key.IsZero() {
		t.Fatal("decoding into a Value succeeded; want an error and no value")
	}
	assertNoFragment(t, valueCanary, 4, err.Error())
	if err := c.Key.UnmarshalText([]byte(valueCanary)); err == nil {
		t.Error("UnmarshalText succeeded")
	}
}

func TestValueSlog(t *testing.T) {
	v := canaryValue()
	type conf struct{ DSN Value }
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		log := slog.New(h(&buf))
		log.Info("open", "dsn", v, "ptr", &v, slog.Any("conf", conf{v}), slog.Group("g", "inner", v))
		log.With("bound", v).Info("again")
		out := buf.String()
		if n := strings.Count(out, Placeholder); n < 5 {
			t.Errorf("%s handler: %d placeholders, want at least 5", name, n)
		}
		assertNoFragment(t, valueCanary, 4, out)
	}
}

func TestValueReveal(t *testing.T) {
	in := []byte(valueCanary)
	v := NewValue(in, Meta{Source: "file", Length: 999})
	in[0] = 'X' // NewValue must have copied
	if v.RevealString() != valueCanary {
		t.Error("NewValue did not copy its input")
	}
	got := v.Reveal()
	if string(got) != valueCanary {
		t.Error("Reveal does not return the bytes")
	}
	got[0] = 'Y' // Reveal must return a copy
	if v.RevealString() != valueCanary {
		t.Error("Reveal returned the internal buffer")
	}
	if v.Len() != len(valueCanary) || v.Meta().Length != len(valueCanary) || v.Meta().Source != "file" {
		t.Errorf("Len %d, Meta %+v; want length %d from the bytes", v.Len(), v.Meta(), len(valueCanary))
	}
	if v.IsZero() || !(Value{}).IsZero() {
		t.Error("IsZero wrong")
	}
}

func TestValueEqual(t *testing.T) {
	a := NewValue([]byte(valueCanary), Meta{Version: "1"})
	b := NewValue([]byte(valueCanary), Meta{Version: "2"})
	c := NewValue([]byte(valueCanary+"x"), Meta{})
	if !a.Equal(b) {
		t.Error("same bytes, different meta: not Equal")
	}
	if a.Equal(c) || c.Equal(a) || a.Equal(Value{}) {
		t.Error("different bytes: Equal")
	}
}

func TestFingerprint(t *testing.T) {
	a := Fingerprint([]byte(valueCanary))
	if a != Fingerprint([]byte(valueCanary)) {
		t.Error("Fingerprint not stable")
	}
	if a == Fingerprint([]byte(valueCanary+"x")) || a == Fingerprint(nil) {
		t.Error("different inputs share a fingerprint")
	}
	if len(a) != 12 || strings.Trim(a, "0123456789abcdef") != "" {
		t.Errorf("Fingerprint = %q, want 12 hex digits", a)
	}
	assertNoFragment(t, valueCanary, 4, a)
}

func TestFingerprintForSeparatesNames(t *testing.T) {
	v := []byte(valueCanary)
	if FingerprintFor("A", v) == FingerprintFor("B", v) {
		t.Error("same value under two names: same fingerprint")
	}
	if FingerprintFor("A", v) != FingerprintFor("A", v) {
		t.Error("FingerprintFor not stable")
	}
	// The name's length is part of the input: ("AB", "c...") and ("A", "Bc...") differ.
	if FingerprintFor("AB", v) == FingerprintFor("A", append([]byte("B"), v...)) {
		t.Error("name and value run together")
	}
}

func TestMetaAndEventPrintable(t *testing.T) {
	v := canaryValue()
	e := Event{Name: "DB", Old: Meta{Version: "a"}, New: v.Meta()}
	for _, out := range []string{e.String(), fmt.Sprintf("%+v", v.Meta()), fmt.Sprintf("%+v", e)} {
		assertNoFragment(t, valueCanary, 4, out)
	}
	if got, want := e.String(), "secret DB changed: version a -> v1 (26 chars)"; got != want {
		t.Errorf("Event.String() = %q, want %q", got, want)
	}
}
