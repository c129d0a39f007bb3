package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
)

// printTable writes the results, Hush beside the floor it is read against.
func printTable(w io.Writer, rs []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "backend\tmode\tworkers\tserver\tcalls/s\tp50 µs\tp99 µs\tCPU µs/call\tRSS idle MB\tRSS after MB\terrors\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t%.1f\t%.1f\t%d\t\n", r.Backend, r.Mode, r.Workers, r.Server,
			r.CallsPerSec, r.P50us, r.P99us, r.CPUPerCallUs, r.RSSIdleMB, r.RSSAfterMB, r.Errors)
	}
	_ = tw.Flush()
	printRatios(w, rs)
}

// printRatios sets each Hush row against the floor row measured beside it.
func printRatios(w io.Writer, rs []Result) {
	fmt.Fprintln(w, "\nHush against the floor (same backend, mode and workers):")
	for i := 1; i < len(rs); i++ {
		f, h := rs[i-1], rs[i]
		if f.Server != "floor" || h.Server != "hush" {
			continue
		}
		fmt.Fprintf(w, "  %s %s %2d workers: calls/s %3.0f%% of floor, p50 +%.0f µs, p99 %.1f×, CPU/call %.1f×\n",
			h.Backend, h.Mode, h.Workers, 100*h.CallsPerSec/f.CallsPerSec, h.P50us-f.P50us, h.P99us/f.P99us, h.CPUPerCallUs/f.CPUPerCallUs)
	}
}

func writeJSON(path string, rs []Result) error {
	b, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
