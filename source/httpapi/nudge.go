package httpapi

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/hushmcp/hush/source/webclient"
)

// An API key is often revoked at the provider a moment after the new one
// is stored, and a store may learn of the new value only at its next poll.
// So a 401 asks the store to re-read the source's secrets at once; when
// that brings new values, an idempotent request waits for the new client
// and is sent once more. Nothing else is retried: a 401 does not promise
// that a POST had no effect.
const (
	authRetryWait = 5 * time.Second // how long a refused call waits for the new client
	nudgeEvery    = 5 * time.Second // at most one re-read per source this often
)

// refresher is the optional ability of a store (*secret.Store has it) to
// re-fetch a secret at once.
type refresher interface {
	Refresh(ctx context.Context, name string) error
}

// Do sends req to the API on the current client and returns the response
// with its body already read (at most max_response_bytes): closing it is
// optional. req.URL must be a relative reference, a path and a query
// (already escaped), which is appended to the base URL; the source adds its
// own headers and query parameters, which win over req's. A non-2xx answer
// is a response, not an error. Errors wrap a driver code or a context error
// and never hold the URL. A method the source does not allow is refused
// before anything is sent.
func (s *Source) Do(req *http.Request) (*http.Response, error) {
	body, err := s.checkRequest(req)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		resp, c, replaced, err := s.sendCurrent(ctx, req, body)
		if err != nil || attempt > 0 || resp.StatusCode != http.StatusUnauthorized {
			return resp, err
		}
		if !s.nudge(ctx, c) || !webclient.Idempotent(req.Method) || !await(ctx, replaced) {
			return resp, nil
		}
	}
}

// sendCurrent sends on the current client and returns the client and the
// channel closed once a newer one is installed.
func (s *Source) sendCurrent(ctx context.Context, req *http.Request, body []byte) (*http.Response, *client, <-chan struct{}, error) {
	l, err := s.live.Acquire()
	if err != nil {
		return nil, nil, nil, s.errorf(err)
	}
	defer l.Release()
	resp, err := s.send(ctx, l.Value(), req.Method, req.URL, req.Header, body)
	if err != nil {
		return nil, nil, nil, s.errorf(err)
	}
	return resp, l.Value(), l.Replaced(), nil
}

// nudge re-reads the secrets, one re-read at a time and at most one per
// nudgeEvery, and reports whether they now expand to other values than c's.
func (s *Source) nudge(ctx context.Context, c *client) bool {
	r, ok := s.secrets.(refresher)
	if !ok || !s.nudging.TryLock() {
		return false
	}
	defer s.nudging.Unlock()
	if time.Since(s.lastNudge) < nudgeEvery {
		return false
	}
	s.lastNudge = time.Now()
	for _, name := range s.live.Names() {
		_ = r.Refresh(ctx, name) // the store records and reports its own failures
	}
	pin, err := s.secrets.Pin(s.live.Names()...)
	if err != nil {
		return false
	}
	defer pin.Release()
	e, err := s.spec.creds().Expand(pin)
	return err == nil && !slices.Equal(e.Values, c.values)
}

// await waits up to authRetryWait for a newer client.
func await(ctx context.Context, replaced <-chan struct{}) bool {
	ctx, cancel := context.WithTimeout(ctx, authRetryWait)
	defer cancel()
	select {
	case <-replaced:
		return true
	case <-ctx.Done():
		return false
	}
}
