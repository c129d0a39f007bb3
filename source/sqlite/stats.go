package sqlite

import "github.com/hushmcp/hush/source"

var (
	_ source.PoolReporter = (*Source)(nil)
	_ source.SwapCounter  = (*Source)(nil)
)

// PoolStats reports both pools of the current generation together: the
// read-write pool (one connection) and the read-only one. A closed source
// reports zero.
func (s *Source) PoolStats() (size, inUse int) {
	l, err := s.live.Acquire()
	if err != nil {
		return 0, 0
	}
	defer l.Release()
	rw, ro := l.Value().rw.Stats(), l.Value().ro.Stats()
	return rw.OpenConnections + ro.OpenConnections, rw.InUse + ro.InUse
}

// Swaps counts pool swaps on rotation and the attempts that failed.
func (s *Source) Swaps() (ok, failed uint64) { return s.live.Swaps() }
