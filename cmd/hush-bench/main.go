// Command hush-bench measures Hush as a client sees it: it builds the real
// hush binary, starts it as a separate process over real PostgreSQL (and
// SQLite), starts a floor server (a plain net/http handler answering the
// same JSON-RPC request with the same query, no MCP library) as another
// process, and drives both with the same raw-HTTP MCP client. It prints
// calls/s, p50, p99, server CPU per call and RSS for each, side by side, as
// a table and as JSON.
//
//	go run ./cmd/hush-bench                   full run (10 s per measurement)
//	go run ./cmd/hush-bench -duration 2s -workers 1,16 -json bench.json
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"
)

const usage = `usage: hush-bench [flags]

Builds cmd/hush, starts it and a floor server as separate processes over a
real PostgreSQL (from the test harness) and SQLite, and measures tool calls
from a raw-HTTP MCP client in this process.

flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command line.
type options struct {
	duration  time.Duration
	warmup    time.Duration
	workers   []int
	backends  []string
	modes     []string
	jsonOut   string
	floorAddr string // internal: run as the floor server
	floorDSN  string
	floorKind string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	var workers, backends, modes string
	fs := flag.NewFlagSet("hush-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per row")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured calls before each row")
	fs.StringVar(&workers, "workers", "1,16", "comma-separated worker counts")
	fs.StringVar(&backends, "backends", "postgres,sqlite", "comma-separated: postgres, sqlite")
	fs.StringVar(&modes, "modes", "session,stateless", "comma-separated: session (Mcp-Session-Id), stateless")
	fs.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file")
	fs.StringVar(&o.floorAddr, "floor", "", "internal: serve the floor on this address")
	fs.StringVar(&o.floorDSN, "floor-dsn", "", "internal: the floor's database")
	fs.StringVar(&o.floorKind, "floor-kind", "", "internal: postgres or sqlite")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, w := range strings.Split(workers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 1 {
			return o, fmt.Errorf("-workers: %q is not a positive number", w)
		}
		o.workers = append(o.workers, n)
	}
	o.backends = split(backends)
	o.modes = split(modes)
	for _, b := range o.backends {
		if b != "postgres" && b != "sqlite" {
			return o, fmt.Errorf("-backends: unknown backend %q (valid: postgres, sqlite)", b)
		}
	}
	for _, m := range o.modes {
		if m != "session" && m != "stateless" {
			return o, fmt.Errorf("-modes: unknown mode %q (valid: session, stateless)", m)
		}
	}
	return o, nil
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintln(stderr, "hush-bench:", err)
		return 2
	}
	if o.floorAddr != "" {
		if err := serveFloor(ctx, o.floorAddr, o.floorKind, o.floorDSN); err != nil {
			fmt.Fprintln(stderr, "hush-bench floor:", err)
			return 1
		}
		return 0
	}
	results, err := measureAll(ctx, o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "hush-bench:", err)
		return 1
	}
	printTable(stdout, results)
	if o.jsonOut != "" {
		if err := writeJSON(o.jsonOut, results); err != nil {
			fmt.Fprintln(stderr, "hush-bench:", err)
			return 1
		}
	}
	return 0
}
