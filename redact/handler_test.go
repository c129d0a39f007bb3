package redact

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

const handlerCanary = "canary-handler-7f3a9c-NOT-REAL"

type creds struct{ User, Pass string }

type lazy string

func (l lazy) LogValue() slog.Value { return slog.StringValue(string(l)) }

func newTestLogger(r *Redactor) (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	return slog.New(NewHandler(h, r)), &buf
}

func TestHandlerRedactsEverything(t *testing.T) {
	r := New(Options{Values: [][]byte{[]byte(handlerCanary), []byte("31415926535")}})
	log, buf := newTestLogger(r)
	log = log.With("bound", handlerCanary).WithGroup("req").With("inner", handlerCanary)
	log.Info("connect with "+handlerCanary,
		"str", handlerCanary,
		handlerCanary, "as key",
		slog.Group("g", "deep", handlerCanary, slog.Group("h", "deeper", handlerCanary)),
		"valuer", lazy(handlerCanary),
		"err", fmt.Errorf("dial: %w", errors.New("auth "+handlerCanary)),
		"struct", creds{"bob", handlerCanary},
		"bytes", []byte(handlerCanary),
		"num", int64(31415926535),
		"dsn", "postgres://app:canary-pw-2@db/x",
		"safe", 42,
	)
	got := buf.String()
	if strings.Contains(got, handlerCanary) || strings.Contains(got, "canary-pw-2") || strings.Contains(got, "31415926535") {
		t.Fatal("a value reached the JSON output unredacted")
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(got), &rec); err != nil {
		t.Fatalf("output is not one JSON object: %v", err)
	}
	want := map[string]any{
		"level": "INFO", "msg": "connect with [REDACTED]", "bound": "[REDACTED]",
		"req": map[string]any{
			"inner": "[REDACTED]", "str": "[REDACTED]", "[REDACTED]": "as key",
			"g":      map[string]any{"deep": "[REDACTED]", "h": map[string]any{"deeper": "[REDACTED]"}},
			"valuer": "[REDACTED]", "err": "dial: auth [REDACTED]", "struct": "{User:bob Pass:[REDACTED]}",
			"bytes": "[REDACTED]", "num": "[REDACTED]", "dsn": "postgres://[REDACTED]@db/x", "safe": float64(42),
		},
	}
	wantJSON, _ := json.Marshal(want)
	gotJSON, _ := json.Marshal(rec)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("record shape:\n got %s\nwant %s", gotJSON, wantJSON)
	}
}

// TestHandlerBoundAttrsUseCurrentValues binds an attribute before the value
// is known to the redactor, as a logger built at start-up would.
func TestHandlerBoundAttrsUseCurrentValues(t *testing.T) {
	r := New(Options{})
	log, buf := newTestLogger(r)
	log = log.With("conn", "token "+handlerCanary)
	r.Update([][]byte{[]byte(handlerCanary)})
	log.Info("x")
	if strings.Contains(buf.String(), handlerCanary) {
		t.Fatal("attribute bound before Update was not redacted")
	}
}

func TestHandlerKeepsOrdinaryRecords(t *testing.T) {
	r := New(Options{Values: [][]byte{[]byte(handlerCanary)}})
	var plain, red bytes.Buffer
	opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	logs := []*slog.Logger{
		slog.New(slog.NewTextHandler(&plain, opts)),
		slog.New(NewHandler(slog.NewTextHandler(&red, opts), r)),
	}
	for _, l := range logs {
		l = l.With("a", 1).WithGroup("g").With("b", "two")
		l.Info("hello", "c", 3*time.Second, slog.Group("empty"), "d", []string{"x"})
		l.WithGroup("unused").Info("no attrs")
	}
	if plain.String() != red.String() {
		t.Errorf("output differs without secrets:\nplain %q\n  red %q", plain.String(), red.String())
	}
}

func TestHandlerEnabled(t *testing.T) {
	h := NewHandler(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn}), New(Options{}))
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelError) {
		t.Error("Enabled does not follow the inner handler")
	}
}
