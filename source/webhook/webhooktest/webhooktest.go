// Package webhooktest is a local webhook receiver for tests: it really
// verifies the HMAC signature under the keys it knows, refuses timestamps
// more than five minutes away from its clock and delivery ids it has seen,
// and records what it accepted.
package webhooktest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hushmcp/hush/source/webhook"
)

// Delivery is one accepted notification.
type Delivery struct {
	ID, Event  string
	Body       map[string]any
	Signatures int // how many v1 signatures the header carried
	Header     http.Header
	Raw        []byte
}

// Receiver is a running receiver. Events named "hold" are held until
// Release; events named "fail" get a 500.
type Receiver struct {
	*httptest.Server

	mu       sync.Mutex
	keys     [][]byte
	skew     time.Duration // added to the receiver's clock
	seen     map[string]bool
	accepted []Delivery
	refused  int
	holding  int
	released chan struct{}
}

// New starts a receiver that accepts keys; it stops at cleanup.
func New(t testing.TB, keys ...string) *Receiver {
	r := &Receiver{seen: map[string]bool{}, released: make(chan struct{})}
	r.SetKeys(keys...)
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(func() {
		r.Release()
		r.Close()
	})
	return r
}

// SetKeys replaces the keys the receiver verifies with.
func (r *Receiver) SetKeys(keys ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = nil
	for _, k := range keys {
		r.keys = append(r.keys, []byte(k))
	}
}

// Skew moves the receiver's clock, to test replays of old deliveries.
func (r *Receiver) Skew(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skew = d
}

// Accepted returns the accepted deliveries, in order.
func (r *Receiver) Accepted() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.accepted...)
}

// Refused counts refused requests.
func (r *Receiver) Refused() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused
}

// Holding counts held deliveries.
func (r *Receiver) Holding() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.holding
}

// Release lets every held delivery, now and later, finish. Idempotent.
func (r *Receiver) Release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.released:
	default:
		close(r.released)
	}
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil || req.Method != http.MethodPost {
		r.refuse(w, http.StatusBadRequest)
		return
	}
	d, code := r.check(req.Header, raw)
	if code != 0 {
		r.refuse(w, code)
		return
	}
	switch d.Event {
	case "hold":
		r.hold(req)
	case "fail":
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// check verifies a delivery and records it; a non-zero code refuses it.
func (r *Receiver) check(h http.Header, raw []byte) (Delivery, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := webhook.Verify(h, raw, r.keys, time.Now().Add(r.skew), webhook.DefaultTolerance)
	switch {
	case errors.Is(err, webhook.ErrNoSignature):
		return Delivery{}, http.StatusUnauthorized
	case err != nil:
		return Delivery{}, http.StatusBadRequest
	}
	d := Delivery{Header: h.Clone(), Raw: raw, ID: h.Get(webhook.HeaderDelivery), Event: h.Get(webhook.HeaderEvent)}
	if json.Unmarshal(raw, &d.Body) != nil || d.Body["id"] != d.ID || d.Body["event"] != d.Event {
		return Delivery{}, http.StatusBadRequest
	}
	if r.seen[d.ID] {
		return Delivery{}, http.StatusConflict // a replay within the window
	}
	r.seen[d.ID] = true
	d.Signatures = len(strings.Split(h.Get(webhook.HeaderSignature), ","))
	r.accepted = append(r.accepted, d)
	return d, 0
}

func (r *Receiver) refuse(w http.ResponseWriter, code int) {
	r.mu.Lock()
	r.refused++
	r.mu.Unlock()
	w.WriteHeader(code)
}

func (r *Receiver) hold(req *http.Request) {
	r.mu.Lock()
	r.holding++
	released := r.released
	r.mu.Unlock()
	select {
	case <-released:
	case <-req.Context().Done():
	}
	r.mu.Lock()
	r.holding--
	r.mu.Unlock()
}
