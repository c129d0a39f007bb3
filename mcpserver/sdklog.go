package mcpserver

import (
	"context"
	"log/slog"
)

// sdkLogger is the logger handed to the go-sdk. The SDK logs routine events
// (a stateless request's session coming and going, three lines per call)
// at INFO; under load that is most of the log. They are the SDK's detail,
// not the server's, so every record the SDK emits is demoted to DEBUG and
// tagged with its origin; warnings and errors keep their level.
func sdkLogger(l *slog.Logger) *slog.Logger {
	return slog.New(demote{l.Handler()}).With("component", "go-sdk")
}

type demote struct{ h slog.Handler }

func (d demote) Enabled(ctx context.Context, lvl slog.Level) bool {
	return d.h.Enabled(ctx, demoted(lvl))
}

func (d demote) Handle(ctx context.Context, r slog.Record) error {
	r.Level = demoted(r.Level)
	return d.h.Handle(ctx, r)
}

func (d demote) WithAttrs(as []slog.Attr) slog.Handler { return demote{d.h.WithAttrs(as)} }
func (d demote) WithGroup(name string) slog.Handler    { return demote{d.h.WithGroup(name)} }

func demoted(lvl slog.Level) slog.Level {
	if lvl < slog.LevelWarn {
		return slog.LevelDebug
	}
	return lvl
}
