package mcpserver

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hushmcp/hush/mcpserver/echoguard"
)

// retryAfter is the Retry-After value, in seconds, of a 503 sent when a
// limit is reached.
const retryAfter = 1

// admission refuses MCP requests beyond the concurrent request cap, and new
// sessions beyond the session cap, with 503 and Retry-After. A refused
// request costs no body read and no SDK work.
type admission struct {
	s        *Server
	slots    chan struct{}
	pending  atomic.Int64 // sessions being created, not yet counted by the SDK
	sessions int          // cap; 0: no cap (stateless mode has no sessions)
}

func (s *Server) newAdmission() *admission {
	a := &admission{s: s, slots: make(chan struct{}, s.cfg.MaxRequests)}
	if !s.cfg.Stateless {
		a.sessions = s.cfg.MaxSessions
	}
	return a
}

// wrap puts next behind the caps. GET requests are long-lived event streams,
// one per session at most, so the session cap bounds them and they take no
// request slot.
func (a *admission) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case a.slots <- struct{}{}:
			defer func() { <-a.slots }()
		default:
			refuse(w, "Service Unavailable: too many concurrent requests; retry shortly")
			return
		}
		if r.Method == http.MethodPost && r.Header.Get("Mcp-Session-Id") == "" && a.sessions > 0 {
			if !a.reserveSession() {
				refuse(w, "Service Unavailable: too many open sessions; retry later or close idle sessions")
				return
			}
			defer a.pending.Add(-1)
		}
		next.ServeHTTP(w, r)
	})
}

// reserveSession holds a place for a session about to be created. A
// session in creation is counted twice while its request runs, which errs
// on the side of the cap.
func (a *admission) reserveSession() bool {
	n := int(a.pending.Add(1))
	for range a.s.mcp.Sessions() {
		n++
	}
	if n > a.sessions {
		a.pending.Add(-1)
		return false
	}
	return true
}

// refuse answers 503 without reading the body, and closes the connection
// so that an unread, perhaps slow, body does not keep it busy.
func refuse(w http.ResponseWriter, text string) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	w.Header().Set("Connection", "close")
	echoguard.WritePlain(w, http.StatusServiceUnavailable, text)
}

// deadlines bounds the time to read a request body, so that a client
// trickling bytes cannot hold a connection and a request slot for long, and
// the time to answer a POST or DELETE, so that a client that stops reading
// its answer cannot either. The echo guard lifts the read deadline once the
// body is in: left in place it would cancel a long call when the server's
// background read of the connection hits it. Requests without a body get
// none, for the same reason, and GET event streams no write deadline.
func (s *Server) deadlines(next http.Handler) http.Handler {
	read := s.cfg.ReadTimeout
	answer := read + s.longestCall() + read
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if r.Body != nil && r.Body != http.NoBody {
			_ = rc.SetReadDeadline(time.Now().Add(read))
		}
		if r.Method != http.MethodGet {
			_ = rc.SetWriteDeadline(time.Now().Add(answer))
			// Without a server WriteTimeout net/http never resets it, and
			// the next request on the connection would inherit it.
			defer func() { _ = rc.SetWriteDeadline(time.Time{}) }()
		}
		next.ServeHTTP(w, r)
	})
}

// longestCall is the longest timeout of any tool.
func (s *Server) longestCall() time.Duration {
	d := s.cfg.CallTimeout
	for _, t := range s.timeouts {
		d = max(d, t)
	}
	return d
}
