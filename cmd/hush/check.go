package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/hushmcp/hush/internal/boot"
	"github.com/hushmcp/hush/redact"
	"github.com/hushmcp/hush/secret"
)

const checkHelp = `Usage: hush check --config FILE [flags]

Resolves and validates every secret and pings every source, then prints a report
(names, states and lengths only) and exits non-zero on any problem. Opens no listener:
use it in CI pipelines and init containers.

Flags:
`

func check(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	c, code, ok := newCommand("check", checkHelp, false, args, stdout, stderr)
	if !ok {
		return code
	}
	errw, outw := c.errw, redact.NewWriter(stdout, c.red)
	defer errw.Close()
	defer outw.Close()
	defer recoverTo(errw, &code)
	red, logger := c.red, c.logger
	cfg, err := loadConfig(c.flags, errw, logger)
	if err != nil {
		return exitConfig
	}
	rt, err := boot.Start(ctx, cfg, boot.Options{Logger: logger, Redactor: red})
	defer rt.Close()
	report(ctx, outw, rt)
	if err != nil {
		reportProblems(errw, err)
		return exitCode(err)
	}
	return exitOK
}

// report prints the secrets and sources tables.
func report(ctx context.Context, w io.Writer, rt *boot.Runtime) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	defer tw.Flush()
	fmt.Fprintln(tw, "SECRET\tSOURCE\tSTATUS\tLENGTH\tVERSION\tEXPIRES\tERROR")
	if rt.Store != nil {
		for _, h := range rt.Store.Health() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", h.Name, h.Source, h.Status, h.Length,
				dash(h.Version), expires(h), dash(h.LastError))
		}
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "SOURCE\tKIND\tSTATUS\tLATENCY\tERROR")
	for _, sc := range rt.Config.Sources {
		src, ok := rt.Sources[sc.Name]
		if !ok {
			fmt.Fprintf(tw, "%s\t%s\tfailed\t-\tnot opened\n", sc.Name, sc.Kind)
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		t0 := time.Now()
		err := src.Ping(pctx)
		cancel()
		status, errText := "ok", "-"
		if err != nil {
			status, errText = "failed", err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", sc.Name, sc.Kind, status, time.Since(t0).Round(10*time.Microsecond), errText)
	}
}

func expires(h secret.Health) string {
	if h.ExpiresAt.IsZero() {
		return "-"
	}
	return h.ExpiresAt.UTC().Format(time.RFC3339)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
