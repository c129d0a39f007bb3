package natskinds_test

import (
	"log/slog"
	"testing"

	"github.com/hushmcp/hush/internal/testutil/leak"
)

type leakBuf struct{ leak.Buffer }

func (b *leakBuf) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(&b.Buffer, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func checkLeak(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	leak.Check(t, where, text, secrets...)
}
