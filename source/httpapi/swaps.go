package httpapi

import "github.com/hushmcp/hush/source"

var _ source.SwapCounter = (*Source)(nil)

// Swaps counts client swaps on rotation and the attempts that failed.
func (s *Source) Swaps() (ok, failed uint64) { return s.live.Swaps() }
