package postgres

import "github.com/hushmcp/hush/source"

var (
	_ source.PoolReporter = (*Source)(nil)
	_ source.SwapCounter  = (*Source)(nil)
)

// PoolStats reports the current pool: connections open and acquired by a
// call. A closed source reports zero.
func (s *Source) PoolStats() (size, inUse int) {
	l, err := s.live.Acquire()
	if err != nil {
		return 0, 0
	}
	defer l.Release()
	st := l.Value().Stat()
	return int(st.TotalConns()), int(st.AcquiredConns())
}

// Swaps counts pool swaps on rotation and the attempts that failed.
func (s *Source) Swaps() (ok, failed uint64) { return s.live.Swaps() }
