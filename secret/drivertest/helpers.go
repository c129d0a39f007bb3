package drivertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret/driver"
)

// Deadline bounds every wait in the suite. It is generous because it only
// matters when a provider is broken; passing cases finish long before it.
const Deadline = 10 * time.Second

// canaryMarker appears in every value the suite stores, so a leak check
// needs only one substring test.
const canaryMarker = "7f3a9c-NOT-REAL"

func canary(tag string) []byte { return []byte("canary-" + tag + "-" + canaryMarker) }

// open opens name through h and closes the driver when the test ends.
func open(t *testing.T, h Harness, name string) driver.Driver {
	t.Helper()
	d, err := h.Open(context.Background(), t, name)
	if err != nil {
		checkNoLeak(t, err)
		t.Fatalf("open %s: %s", name, safe(err))
	}
	closeAtEnd(t, d)
	return d
}

func closeAtEnd(t *testing.T, d driver.Driver) {
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close: %s", safe(err))
		}
	})
}

// fetch calls Fetch with a deadline, so a hung provider fails the test.
func fetch(d driver.Driver) (driver.Snapshot, error) {
	ctx, cancel := context.WithTimeout(context.Background(), Deadline)
	defer cancel()
	return d.Fetch(ctx)
}

func mustFetch(t *testing.T, d driver.Driver) driver.Snapshot {
	t.Helper()
	snap, err := fetch(d)
	if err != nil {
		checkNoLeak(t, err)
		t.Fatalf("fetch: %s", safe(err))
	}
	return snap
}

// checkData compares without ever printing either side.
func checkData(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got %d bytes that differ from the %d bytes stored (values withheld)",
			what, len(got), len(want))
	}
}

func checkErrIs(t testing.TB, what string, err, target error) {
	t.Helper()
	checkNoLeak(t, err)
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %s, want one wrapping %q", what, safe(err), target)
	}
}

// safe renders err for a test message, withholding text that holds a value.
func safe(err error) string {
	if err != nil && strings.Contains(err.Error(), canaryMarker) {
		return "[error text withheld: it contains a secret value]"
	}
	return fmt.Sprint(err)
}

// checkNoLeak fails the test when err's text contains a stored value. The
// message names the leak without repeating it.
func checkNoLeak(t testing.TB, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), canaryMarker) {
		t.Errorf("error text contains a secret value (%d chars, withheld)", len(err.Error()))
	}
}

// mutable reports h.Mutable and logs why a case has nothing to check.
func mutable(t *testing.T, h Harness) bool {
	if !h.Mutable() {
		t.Log("provider values are fixed once opened: nothing to check")
	}
	return h.Mutable()
}

// awaitValue waits until d serves want. A watcher must signal first: the
// store only re-fetches a watcher after a signal. Other drivers must serve
// the new value on the next Fetch, since the store polls them.
func awaitValue(t *testing.T, d driver.Driver, want []byte) {
	t.Helper()
	awaitFetch(t, d, "new value", func(snap driver.Snapshot, err error) bool {
		return err == nil && bytes.Equal(snap.Data, want)
	})
}

// awaitErr is awaitValue for an error wrapping target.
func awaitErr(t *testing.T, d driver.Driver, target error) {
	t.Helper()
	awaitFetch(t, d, "error "+target.Error(), func(_ driver.Snapshot, err error) bool {
		return errors.Is(err, target)
	})
}

func awaitFetch(t *testing.T, d driver.Driver, what string, ok func(driver.Snapshot, error) bool) {
	t.Helper()
	check := func() bool {
		snap, err := fetch(d)
		checkNoLeak(t, err)
		return ok(snap, err)
	}
	w, isWatcher := d.(driver.Watcher)
	if !isWatcher {
		if !check() {
			t.Fatalf("fetch after change did not return the %s", what)
		}
		return
	}
	awaitSignal(t, w.Changes(), what, check)
}

// awaitSignal receives signals until check passes. Signals may be spurious
// or coalesced, so one signal is not required to carry the change.
func awaitSignal(t *testing.T, ch <-chan struct{}, what string, check func() bool) {
	t.Helper()
	timer := time.NewTimer(Deadline)
	defer timer.Stop()
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				t.Fatalf("changes channel closed while waiting for the %s", what)
			}
			if check() {
				return
			}
		case <-timer.C:
			t.Fatalf("no change signal followed by the %s within %v", what, Deadline)
		}
	}
}

// awaitClosed drains ch until it is closed.
func awaitClosed(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	timer := time.NewTimer(Deadline)
	defer timer.Stop()
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timer.C:
			t.Fatalf("changes channel still open %v after Close", Deadline)
		}
	}
}

// eventually polls cond until it holds or Deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	timer := time.NewTimer(Deadline)
	defer timer.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-timer.C:
			t.Fatalf("%s: not within %v", what, Deadline)
		}
	}
}
