package awssm

import (
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/aws/smithy-go/logging"
)

// The SDK's log lines reach Hush's logger as JSON, warnings as warnings.
func TestSDKLogger(t *testing.T) {
	var buf syncBuffer
	l := sdkLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	l.Logf(logging.Warn, "falling back to %s", "IMDSv1")
	l.Logf(logging.Debug, "request %d", 1)
	dec := json.NewDecoder(&buf.b)
	for _, want := range []struct{ level, detail string }{{"WARN", "falling back to IMDSv1"}, {"DEBUG", "request 1"}} {
		var line struct{ Level, Msg, Detail string }
		if err := dec.Decode(&line); err != nil {
			t.Fatal(err)
		}
		if line.Level != want.level || line.Msg != "aws sdk" || line.Detail != want.detail {
			t.Errorf("logged %+v, want %s %q", line, want.level, want.detail)
		}
	}
}
