package main

import (
	"path/filepath"
	"testing"
)

// BenchmarkStartupToReady measures `hush serve` on the quickstart (a file
// secret, SQLite, three tools) from the command line to a listening HTTP
// server, then a graceful stop.
func BenchmarkStartupToReady(b *testing.B) {
	dir := copyQuickstart(b)
	cfg := filepath.Join(dir, "hush.yaml")
	startServe(b, "--config", cfg).Stop() // create the demo database once
	b.ResetTimer()
	for b.Loop() {
		srv := startServe(b, "--config", cfg)
		b.StopTimer()
		if code := srv.Stop(); code != exitOK {
			b.Fatalf("exit %d", code)
		}
		b.StartTimer()
	}
}
