package secret_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

// openLeased opens a store over l with one secret K polled every minute.
func openLeased(t *testing.T, l *leased) *secret.Store {
	t.Helper()
	m := secret.NewMux()
	m.Register("mem", secret.OpenerFunc(func(context.Context, secret.Ref) (driver.Driver, error) { return l, nil }))
	s, err := secret.Open(context.Background(), []secret.Decl{{Name: "K", From: "mem://k"}},
		secret.Options{Mux: m, PollInterval: time.Minute})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func (l *leased) fetchTimes() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Time(nil), l.fetches...)
}

func (l *leased) setErr(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.err = err
}

// gaps returns the delays between consecutive fetches.
func gaps(ts []time.Time) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(ts); i++ {
		out = append(out, ts[i].Sub(ts[i-1]))
	}
	return out
}

// A non-watching driver polled every minute would catch an hour's lease,
// so the lease here is a day and polling is a day too: only the lease
// schedule can explain a refresh before expiry.
func TestLeaseRefreshedAtTwoThirds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLeased(canaryKey, "lease-1")
		l.ttl = 24 * time.Hour
		m := secret.NewMux()
		m.Register("mem", secret.OpenerFunc(func(context.Context, secret.Ref) (driver.Driver, error) { return l, nil }))
		s, err := secret.Open(context.Background(), []secret.Decl{{Name: "K", From: "mem://k"}},
			secret.Options{Mux: m, PollInterval: 48 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		start := time.Now()
		for range 4 * 24 * 6 { // four days in ten-minute steps
			time.Sleep(10 * time.Minute)
			synctest.Wait()
			if h := s.Health()[0]; h.Status != secret.StatusOK {
				t.Fatalf("status %s after %v: the lease was not refreshed in time", h.Status, time.Since(start))
			}
		}
		for i, g := range gaps(l.fetchTimes()) {
			// 2/3 of 24h less up to a tenth: between 13.6h and 16h.
			if g < 13*time.Hour+36*time.Minute || g > 16*time.Hour {
				t.Errorf("refresh %d came %v after the previous one, want 13.6h to 16h", i+1, g)
			}
		}
		if n := len(l.fetchTimes()); n < 6 || n > 8 {
			t.Errorf("%d fetches in four days of a day-long lease, want 6 to 8", n)
		}
	})
}

// A failing provider is retried with growing delays that stay bounded by
// the poll interval and never fall below the first retry delay, and the
// lease is renewed as soon as the provider recovers.
func TestLeaseRefreshBacksOffAndRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLeased(canaryKey, "lease-1")
		l.ttl = time.Hour
		s := openLeased(t, l)
		time.Sleep(30*time.Minute + time.Second)
		synctest.Wait()
		l.setErr(driver.ErrUnavailable)
		from := len(l.fetchTimes())
		time.Sleep(30 * time.Minute)
		synctest.Wait()
		failing := l.fetchTimes()[from:]
		for i, g := range gaps(failing) {
			if g < 200*time.Millisecond || g > time.Minute {
				t.Errorf("retry %d after %v, want between 0.2s and the 1m poll interval", i+1, g)
			}
		}
		if n := len(failing); n < 8 || n > 40 {
			t.Errorf("%d retries in 30 minutes, want bounded backoff (8 to 40)", n)
		}
		if h := s.Health()[0]; h.Status != secret.StatusDegraded || h.LastError != "unavailable" {
			t.Errorf("health while the provider fails = %s/%s, want degraded/unavailable", h.Status, h.LastError)
		}
		l.setErr(nil)
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		if h := s.Health()[0]; h.Status != secret.StatusOK || !h.ExpiresAt.After(time.Now().Add(50*time.Minute)) {
			t.Errorf("after recovery: status %s, lease ends in %v; want ok and renewed", h.Status, time.Until(h.ExpiresAt))
		}
	})
}

// A provider that keeps handing back a lease that is already over is read
// with growing delays, not in a tight loop.
func TestExpiredLeaseIsNotReadInATightLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLeased(canaryKey, "lease-1")
		l.expires = time.Now().Add(-time.Minute)
		s := openLeased(t, l)
		time.Sleep(time.Hour)
		synctest.Wait()
		ts := l.fetchTimes()
		if n := len(ts); n > 75 {
			t.Errorf("%d fetches of an expired lease in an hour, want at most about one a minute", n)
		}
		for i, g := range gaps(ts) {
			if g < 200*time.Millisecond {
				t.Errorf("fetch %d only %v after the previous one", i+1, g)
			}
		}
		if h := s.Health()[0]; h.Status != secret.StatusExpired {
			t.Errorf("status = %s, want expired", h.Status)
		}
	})
}

// A lease that is renewed (same value and version, later expiry) moves the
// reported expiry without a change event.
func TestRenewedLeaseMovesExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLeased(canaryKey, "lease-1")
		l.ttl = time.Hour
		s := openLeased(t, l)
		events, cancel := s.Subscribe("K")
		defer cancel()
		first := s.Health()[0].ExpiresAt
		time.Sleep(45 * time.Minute)
		synctest.Wait()
		if got := s.Health()[0].ExpiresAt; !got.After(first) {
			t.Errorf("expiry did not move after a renewal (moved by %v)", got.Sub(first))
		}
		select {
		case ev := <-events:
			t.Errorf("renewal published a change event: %v", ev)
		default:
		}
	})
}

// Without polling to fall back on, a failing refresh is retried before the
// lease runs out, and then with delays that grow instead of a loop.
func TestFailingLeaseRefreshRetriesBeforeExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLeased(canaryKey, "lease-1")
		l.ttl = time.Hour
		m := secret.NewMux()
		m.Register("mem", secret.OpenerFunc(func(context.Context, secret.Ref) (driver.Driver, error) { return l, nil }))
		s, err := secret.Open(context.Background(), []secret.Decl{{Name: "K", From: "mem://k"}},
			secret.Options{Mux: m, PollInterval: 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		expires := s.Health()[0].ExpiresAt
		l.setErr(driver.ErrUnavailable)
		time.Sleep(3 * time.Hour)
		synctest.Wait()
		ts := l.fetchTimes()[1:]
		late := 0
		for _, at := range ts {
			if at.Before(expires) && at.After(expires.Add(-6*time.Minute)) {
				late++
			}
		}
		if late == 0 {
			t.Error("no retry in the last tenth of the lease")
		}
		if len(ts) > 40 {
			t.Errorf("%d fetches in three hours, want a bounded number", len(ts))
		}
		for i, g := range gaps(ts) {
			if g < 200*time.Millisecond {
				t.Errorf("retry %d only %v after the previous one", i+1, g)
			}
		}
	})
}
