package webhook

import "time"

// SetClock makes sources opened from now on read the time from now.
func SetClock(now func() time.Time) (restore func()) {
	old := clock
	clock = now
	return func() { clock = old }
}
