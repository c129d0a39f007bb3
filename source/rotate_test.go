package source_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/source"
)

// attempts records when Apply ran, relative to start, under synctest's clock.
type attempts struct {
	start time.Time
	at    []time.Duration
	fail  int // Apply fails while len(at) <= fail
}

func (a *attempts) apply(context.Context) error {
	a.at = append(a.at, time.Since(a.start))
	if len(a.at) <= a.fail {
		return errors.New("rejected")
	}
	return nil
}

func TestRotatorBacksOffAndCaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		events := make(chan secret.Event, 1)
		a := &attempts{start: time.Now(), fail: 6}
		var failed int
		r := source.Rotator{Events: events, Apply: a.apply, Failed: func(error) { failed++ },
			Min: time.Second, Max: 5 * time.Second}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()

		events <- secret.Event{Name: "DB"}
		time.Sleep(time.Minute) // fake time: lets every retry run
		synctest.Wait()
		want := []time.Duration{0, 1, 3, 7, 12, 17, 22} // waits 1, 2, 4, 5 (capped), 5, 5
		for i := range want {
			want[i] *= time.Second
		}
		if !slices.Equal(a.at, want) {
			t.Fatalf("attempts at %v, want %v", a.at, want)
		}
		if failed != 6 {
			t.Fatalf("Failed called %d times, want 6", failed)
		}
		cancel()
		<-done
	})
}

func TestRotatorNewerEventRestartsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		events := make(chan secret.Event, 1)
		a := &attempts{start: time.Now(), fail: 3}
		r := source.Rotator{Events: events, Apply: a.apply, Failed: func(error) {},
			Min: time.Second, Max: time.Minute}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()

		events <- secret.Event{Name: "DB"}
		time.Sleep(2500 * time.Millisecond) // attempts at 0s, 1s; next due at 3s
		synctest.Wait()
		events <- secret.Event{Name: "DB"} // newer value: try now, backoff resets
		time.Sleep(10 * time.Second)
		synctest.Wait()
		want := []time.Duration{0, 1000, 2500, 3500}
		for i := range want {
			want[i] *= time.Millisecond
		}
		if !slices.Equal(a.at, want) {
			t.Fatalf("attempts at %v, want %v", a.at, want)
		}
		cancel()
		<-done
	})
}

func TestRotatorStopsOnCancelAndSurvivesClosedEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		events := make(chan secret.Event, 1)
		a := &attempts{start: time.Now(), fail: 1000}
		r := source.Rotator{Events: events, Apply: a.apply, Failed: func(error) {}}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()

		events <- secret.Event{Name: "DB"}
		synctest.Wait()
		close(events) // unsubscribed: retries continue on the timer
		time.Sleep(source.DefaultRetryMin + time.Millisecond)
		synctest.Wait()
		if len(a.at) != 2 {
			t.Fatalf("got %d attempts, want 2 (first and one retry)", len(a.at))
		}
		cancel()
		<-done // Run must return promptly once ctx ends
	})
}
