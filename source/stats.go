package source

// Optional abilities a Source may have, found by type assertion. Metrics
// read them at scrape time; a source without them simply reports less.

// PoolReporter is a source that keeps a pool of connections and can tell
// its size. PoolStats describes the client currently serving (during a
// rotation the draining one is not counted), does no I/O and is safe for
// concurrent use.
type PoolReporter interface {
	// PoolStats returns the connections open and those in use by a call.
	PoolStats() (size, inUse int)
}

// SwapCounter is a source that swaps clients when its credentials rotate
// (one built on Live). Swaps is safe for concurrent use.
type SwapCounter interface {
	// Swaps returns, since the source opened, the clients swapped in and
	// the attempts that failed; a failing rotation is retried, and each
	// attempt counts.
	Swaps() (ok, failed uint64)
}
