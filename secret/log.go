package secret

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// logSummary writes one presence line per secret: name, source, status and
// length, never the value; for a from: list, the reference that served.
func (s *Store) logSummary() {
	now := time.Now()
	for _, e := range s.entries {
		h := s.healthOf(e, now)
		attrs := []any{"secret", h.Name, "source", h.Source, "status", presence(h)}
		if h.Served != "" {
			attrs = append(attrs, "served", h.Served) // which of the from: list
		}
		if h.Version != "" {
			attrs = append(attrs, "version", h.Version)
		}
		if !h.ExpiresAt.IsZero() {
			attrs = append(attrs, "expires", h.ExpiresAt.UTC().Format(time.RFC3339))
		}
		level := slog.LevelInfo
		if h.Status != StatusOK && !(h.Status == StatusMissing && e.decl.Rules.Optional) {
			level = slog.LevelWarn
		}
		s.opts.Logger.Log(context.Background(), level, "secret", attrs...)
		if h.Status == StatusOK && ShortForRedaction(e.current().b) {
			s.opts.Logger.Warn("secret too short to redact from output", "secret", h.Name)
		}
	}
}

// presence renders "set(52 chars)" for a held value, else the status.
func presence(h Health) string {
	if h.Status == StatusOK || h.Status == StatusDegraded {
		return fmt.Sprintf("set(%d chars)", h.Length)
	}
	return string(h.Status)
}

func (s *Store) logRotation(ev Event) {
	if ev.Old.Version == "" {
		return // first value: the summary line reports it
	}
	s.opts.Logger.Info("secret rotated", "secret", ev.Name, "source", ev.New.Source,
		"length", ev.New.Length, "version", ev.New.Version)
}
