package postgres_test

import (
	"testing"
	"time"

	"github.com/hushmcp/hush/source"
)

// PoolStats reports the current pool at full size (MinConns = MaxConns);
// Swaps counts a refused password as a failed attempt and the good one
// that follows as a swap.
func TestPoolStatsAndSwaps(t *testing.T) {
	e := newEnv(t)
	s := e.open(t, 2)
	var _ source.PoolReporter = s
	eventually(t, "a full pool", func() bool { size, _ := s.PoolStats(); return size == 2 })
	if _, inUse := s.PoolStats(); inUse != 0 {
		t.Errorf("in use with no call: %d", inUse)
	}
	if ok, failed := s.Swaps(); ok != 0 || failed != 0 {
		t.Fatalf("swaps before any rotation: %d, %d", ok, failed)
	}

	e.changePassword("v2")
	wrong := canary(e.role + "-wrong")
	e.used = append(e.used, wrong)
	e.publish(wrong)
	eventually(t, "a failed swap", func() bool { _, failed := s.Swaps(); return failed > 0 })
	e.publish(e.password)
	waitSwap(t, s, time.Time{})
	if ok, _ := s.Swaps(); ok != 1 {
		t.Errorf("swaps after one rotation: %d", ok)
	}
	s.Close()
	if size, inUse := s.PoolStats(); size != 0 || inUse != 0 {
		t.Errorf("closed source reports %d, %d", size, inUse)
	}
}
