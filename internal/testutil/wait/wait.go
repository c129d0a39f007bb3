// Package wait polls for a condition in tests that watch real I/O (files,
// sockets, other processes), where testing/synctest's fake clock cannot
// help because the goroutines involved block outside the bubble.
package wait

import (
	"testing"
	"time"
)

// Until polls cond every few milliseconds until it holds, and fails t with
// what it waited for when timeout passes first.
func Until(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}
