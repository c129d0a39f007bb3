package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/redis/go-redis/v9"
)

var routeOnce sync.Once

// routeDriverLogs sends go-redis's own messages (pool dial failures, say)
// to log instead of the process's stderr, where nothing would redact them.
// go-redis has one logger per process, so the first source opened sets it;
// the server gives every source the same logger.
func routeDriverLogs(log *slog.Logger) {
	routeOnce.Do(func() { redis.SetLogger(driverLog{log}) })
}

// driverLog adapts slog to go-redis's logging interface.
type driverLog struct{ log *slog.Logger }

func (d driverLog) Printf(ctx context.Context, format string, v ...any) {
	d.log.WarnContext(ctx, "redis client", "message", fmt.Sprintf(format, v...))
}
