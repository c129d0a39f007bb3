package mcpserver

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// The SDK's routine INFO lines drop to DEBUG; its warnings stay warnings.
func TestSDKLoggerDemotesInfo(t *testing.T) {
	var buf bytes.Buffer
	l := sdkLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	l.Info("session created")
	if buf.Len() != 0 {
		t.Fatalf("an SDK INFO line reached an INFO log: %s", buf.String())
	}
	l.Warn("bad request")
	if out := buf.String(); !strings.Contains(out, `"level":"WARN"`) || !strings.Contains(out, `"component":"go-sdk"`) {
		t.Fatalf("SDK warning: %s", out)
	}
	buf.Reset()
	debug := sdkLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	debug.Info("session created")
	if !strings.Contains(buf.String(), `"level":"DEBUG"`) {
		t.Fatalf("at debug level the line is kept as DEBUG: %s", buf.String())
	}
}
