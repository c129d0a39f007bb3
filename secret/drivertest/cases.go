package drivertest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/hushmcp/hush/secret/driver"
)

func testMissing(t *testing.T, h Harness) {
	d, err := h.Open(context.Background(), t, "DT_MISSING")
	if err != nil {
		checkErrIs(t, "open", err, driver.ErrNotFound)
		return
	}
	closeAtEnd(t, d)
	_, err = fetch(d)
	checkErrIs(t, "fetch", err, driver.ErrNotFound)
}

func testRoundTrip(t *testing.T, h Harness) {
	want := canary("roundtrip")
	h.Set(t, "DT_ROUNDTRIP", want)
	d := open(t, h, "DT_ROUNDTRIP")
	got := mustFetch(t, d)
	checkData(t, "first fetch", got.Data, want)
	// The caller owns the returned bytes: scribbling on them must not
	// change what the next Fetch returns.
	for i := range got.Data {
		got.Data[i] = 'x'
	}
	checkData(t, "second fetch", mustFetch(t, d).Data, want)
}

func testJSONDocument(t *testing.T, h Harness) {
	doc := []byte("{\n  \"username\": \"app\",\n  \"password\": \"" + string(canary("json")) +
		"\",\n  \"port\": 5432,\n  \"opts\": {\"ssl\": true}\n}\n")
	if !json.Valid(doc) {
		t.Fatal("test document is not valid JSON")
	}
	h.Set(t, "DT_JSON", doc)
	d := open(t, h, "DT_JSON")
	// Field selection is the store's job: the provider returns the
	// document byte for byte, whitespace included.
	checkData(t, "json document", mustFetch(t, d).Data, doc)
}

func testCanceledContext(t *testing.T, h Harness) {
	h.Set(t, "DT_CANCELED", canary("canceled"))
	d := open(t, h, "DT_CANCELED")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := d.Fetch(ctx)
	checkErrIs(t, "fetch with canceled context", err, context.Canceled)
}

func testUpdate(t *testing.T, h Harness) {
	if !mutable(t, h) {
		return
	}
	h.Set(t, "DT_UPDATE", canary("update-v1"))
	d := open(t, h, "DT_UPDATE")
	if s, ok := d.(driver.Static); ok && s.Static() {
		t.Fatal("driver reports Static but the harness says secrets change after open")
	}
	checkData(t, "initial fetch", mustFetch(t, d).Data, canary("update-v1"))
	for _, v := range []string{"update-v2", "update-v3"} {
		h.Set(t, "DT_UPDATE", canary(v))
		awaitValue(t, d, canary(v))
	}
}

func testDelete(t *testing.T, h Harness) {
	if !mutable(t, h) {
		return
	}
	h.Set(t, "DT_DELETE", canary("delete"))
	d := open(t, h, "DT_DELETE")
	checkData(t, "before delete", mustFetch(t, d).Data, canary("delete"))
	h.Delete(t, "DT_DELETE")
	awaitErr(t, d, driver.ErrNotFound)
}

func testErrorThenRecovery(t *testing.T, h Harness) {
	f, ok := h.(ErrorForcer)
	if !ok {
		t.Log("harness cannot force errors: nothing to check")
		return
	}
	if !mutable(t, h) {
		return
	}
	want := canary("recover")
	h.Set(t, "DT_RECOVER", want)
	d := open(t, h, "DT_RECOVER")
	checkData(t, "before error", mustFetch(t, d).Data, want)
	f.ForceError(t, "DT_RECOVER")
	eventually(t, "fetch fails while broken", func() bool {
		_, err := fetch(d)
		checkNoLeak(t, err)
		return err != nil && !errors.Is(err, driver.ErrClosed)
	})
	f.Recover(t, "DT_RECOVER")
	eventually(t, "fetch recovers", func() bool {
		snap, err := fetch(d)
		checkNoLeak(t, err)
		return err == nil && string(snap.Data) == string(want)
	})
}

func testClose(t *testing.T, h Harness) {
	h.Set(t, "DT_CLOSE", canary("close"))
	d, err := h.Open(context.Background(), t, "DT_CLOSE")
	if err != nil {
		t.Fatalf("open: %s", safe(err))
	}
	mustFetch(t, d)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := d.Close(); err != nil {
				t.Errorf("close: %s", safe(err))
			}
		})
	}
	wg.Wait()
	if err := d.Close(); err != nil {
		t.Errorf("close again: %s", safe(err))
	}
	_, err = fetch(d)
	checkErrIs(t, "fetch after close", err, driver.ErrClosed)
	if w, ok := d.(driver.Watcher); ok {
		awaitClosed(t, w.Changes())
	}
}

func testConcurrentFetch(t *testing.T, h Harness) {
	want := canary("concurrent")
	h.Set(t, "DT_CONCURRENT", want)
	d := open(t, h, "DT_CONCURRENT")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				snap, err := fetch(d)
				if err != nil {
					checkNoLeak(t, err)
					t.Errorf("concurrent fetch: %s", safe(err))
					return
				}
				checkData(t, "concurrent fetch", snap.Data, want)
			}
		})
	}
	wg.Wait()
}

func testFetchDuringClose(t *testing.T, h Harness) {
	want := canary("during-close")
	h.Set(t, "DT_DURING_CLOSE", want)
	d := open(t, h, "DT_DURING_CLOSE")
	started, closed := make(chan struct{}, 4), make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { fetchUntilClosed(t, d, want, started, closed) })
	}
	for range 4 {
		<-started
	}
	if err := d.Close(); err != nil {
		t.Errorf("close: %s", safe(err))
	}
	close(closed)
	wg.Wait()
}

// fetchUntilClosed fetches until the driver reports ErrClosed or closed is
// closed (Close has returned); every result before must be the whole value
// and every Fetch after Close returned must fail with ErrClosed. It signals
// started after its first fetch.
func fetchUntilClosed(t *testing.T, d driver.Driver, want []byte, started chan<- struct{}, closed <-chan struct{}) {
	for i := 0; ; i++ {
		afterClose := isClosed(closed)
		snap, err := fetch(d)
		if i == 0 {
			started <- struct{}{}
		}
		switch {
		case errors.Is(err, driver.ErrClosed):
			return
		case afterClose:
			checkErrIs(t, "fetch after close returned", err, driver.ErrClosed)
			return
		case err != nil:
			checkNoLeak(t, err)
			t.Errorf("fetch during close: %s", safe(err))
			return
		}
		checkData(t, "fetch during close", snap.Data, want)
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
