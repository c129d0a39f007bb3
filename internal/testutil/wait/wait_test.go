package wait

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestUntilReturnsOnceTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	Until(t, "three polls", 10*time.Second, func() bool { return n.Add(1) == 3 })
	if n.Load() != 3 {
		t.Errorf("polled %d times, want 3", n.Load())
	}
}

func TestUntilFailsAfterTheTimeout(t *testing.T) {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Until(r, "never", 20*time.Millisecond, func() bool { return false })
	}()
	<-done
	if !r.failed {
		t.Error("Until returned without failing")
	}
}

// recorder notes Fatalf instead of ending the test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(string, ...any) {
	r.failed = true
	runtime.Goexit()
}
