// Command hush is an MCP server that gives AI agents tools over databases
// and never leaks a credential. See hush --help.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// defaultGCPercent trades memory for latency: the go-sdk allocates tens of
// kilobytes of short-lived decode buffers per call, and at the default of
// 100 garbage collection takes a third of the CPU under load. The live heap
// is small, so 400 costs a few megabytes. GOGC in the environment wins.
const defaultGCPercent = 400

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
