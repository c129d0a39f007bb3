package mcpserver

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// healthReserve is how many connections past the connection cap are still
// accepted, for health checks only: an orchestrator must be able to tell a
// saturated server from a dead one.
const healthReserve = 64

// capListener bounds open connections. Up to max they are served as usual;
// the next healthReserve are marked overflow (only /healthz and /readyz
// answer on them); any more are closed at once, so that a flood neither
// exhausts file descriptors nor waits in the kernel's accept queue.
type capListener struct {
	net.Listener
	max  int64
	open atomic.Int64
}

func newCapListener(ln net.Listener, limit int) *capListener {
	return &capListener{Listener: ln, max: int64(limit)}
}

// Accept returns the next connection the cap lets in.
func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		n := l.open.Add(1)
		if n <= l.max+healthReserve {
			return &capConn{Conn: c, l: l, overflow: n > l.max}, nil
		}
		l.open.Add(-1)
		_ = c.Close()
	}
}

// capConn gives its place back when closed.
type capConn struct {
	net.Conn
	l        *capListener
	overflow bool
	once     sync.Once
}

func (c *capConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

type overflowKey struct{}

// markOverflow is the http.Server ConnContext: it records whether the
// connection is one of the health reserve.
func markOverflow(ctx context.Context, c net.Conn) context.Context {
	if cc, ok := c.(*capConn); ok && cc.overflow {
		return context.WithValue(ctx, overflowKey{}, true)
	}
	return ctx
}

// reserveGate serves only the health endpoints on reserve connections, and
// closes those connections after one answer to give the place back.
func (s *Server) reserveGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if over, _ := r.Context().Value(overflowKey{}).(bool); !over {
			next.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == s.cfg.Path {
			refuse(w, "Service Unavailable: too many open connections; retry shortly")
			return
		}
		w.Header().Set("Connection", "close")
		next.ServeHTTP(w, r)
	})
}
