package main

import (
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime/debug"

	"github.com/hushmcp/hush/config"
)

// defaultMemoryLimit pairs with defaultGCPercent: GOGC=400 alone lets the
// heap grow to five times the live heap between collections, and under
// sustained load RSS reached 280-450 MB. With a soft limit the collector
// runs early when the heap nears it, so a busy server stays near a
// predictable footprint while a quiet one keeps the cheap GOGC setting.
const defaultMemoryLimit = 256 << 20

// memoryLimit picks the soft memory limit and where it came from: the
// --memory-limit flag, then GOMEMLIMIT (which the runtime has already
// applied), then server.memory_limit, then the default. A zero limit means
// "leave the runtime's setting alone".
func memoryLimit(flagValue string, envSet bool, fromConfig int64) (int64, string, error) {
	switch {
	case flagValue != "":
		n, err := config.ParseMemoryLimit(flagValue)
		if err != nil {
			return 0, "", fmt.Errorf("--memory-limit: %w", err)
		}
		return n, "flag", nil
	case envSet:
		return 0, "GOMEMLIMIT", nil
	case fromConfig != 0:
		return fromConfig, "config", nil
	}
	return defaultMemoryLimit, "default", nil
}

// applyMemoryLimit sets the limit memoryLimit picks and logs it.
func applyMemoryLimit(flagValue string, cfg *config.Config, logger *slog.Logger) error {
	_, envSet := os.LookupEnv("GOMEMLIMIT")
	n, from, err := memoryLimit(flagValue, envSet, cfg.Server.MemoryLimit)
	if err != nil {
		return err
	}
	if n != 0 {
		debug.SetMemoryLimit(n)
	}
	logger.Info("memory limit", "limit", limitText(debug.SetMemoryLimit(-1)), "from", from)
	return nil
}

func limitText(n int64) string {
	if n == math.MaxInt64 {
		return "off"
	}
	return fmt.Sprintf("%dMiB", n>>20)
}
