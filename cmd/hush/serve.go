package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/boot"
	"github.com/hushmcp/hush/mcpserver"
	"github.com/hushmcp/hush/metrics"
	"github.com/hushmcp/hush/redact"
)

// serveFlags are the flags shared by serve and check.
type serveFlags struct {
	config    string
	logLevel  string
	logFormat string
	transport string
	listen    string
	memLimit  string
	debug     string
}

func (f *serveFlags) register(fs *flag.FlagSet, listener bool) {
	fs.StringVar(&f.config, "config", "hush.yaml", "path to the `file` with server, secrets, sources and tools")
	fs.StringVar(&f.logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.StringVar(&f.logFormat, "log-format", "json", "log `format` on stderr: json or text")
	if listener {
		fs.StringVar(&f.transport, "transport", "", "override server.transport: stdio or http")
		fs.StringVar(&f.listen, "listen", "", "override server.listen (http), e.g. 127.0.0.1:8080")
		fs.StringVar(&f.memLimit, "memory-limit", "", "soft memory `limit` such as 256MiB, or off; "+
			"overrides GOMEMLIMIT and server.memory_limit (default 256MiB)")
		fs.StringVar(&f.debug, "debug-listen", "", "serve Go's profiler (/debug/pprof/) on this loopback `address`, "+
			"apart from the MCP port; off by default")
	}
}

const serveHelp = `Usage: hush serve --config FILE [flags]

Loads the config, resolves and validates every secret, opens and pings every source,
registers the tools and only then starts listening. Logs go to stderr as JSON;
with the stdio transport stdout carries only the MCP protocol.

Flags:
`

// command is what serve and check share: their flags, and a stderr and a
// logger that both pass the redactor.
type command struct {
	flags  serveFlags
	red    *redact.Redactor
	errw   *redact.Writer
	logger *slog.Logger
}

// newCommand parses the flags of subcommand name. It returns false, with
// the exit code, when the command should not go on (help, bad flags). The
// caller closes errw.
func newCommand(name, help string, listener bool, args []string, stdout, stderr io.Writer) (*command, int, bool) {
	c := &command{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c.flags.register(fs, listener)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), help)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return nil, code, false
	}
	c.red = redact.New(redact.Options{})
	c.errw = redact.NewWriter(stderr, c.red)
	logger, err := newLogger(c.errw, c.flags.logLevel, c.flags.logFormat)
	if err != nil {
		fmt.Fprintf(c.errw, "hush %s: %v\n", name, err)
		c.errw.Close()
		return nil, exitUsage, false
	}
	c.logger = logger
	return c, exitOK, true
}

func serve(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	c, code, ok := newCommand("serve", serveHelp, true, args, stdout, stderr)
	if !ok {
		return code
	}
	defer c.errw.Close()
	defer recoverTo(c.errw, &code)
	if _, _, err := memoryLimit(c.flags.memLimit, false, 0); err != nil {
		fmt.Fprintf(c.errw, "hush serve: %v (see hush serve --help)\n", err)
		return exitUsage
	}
	red, logger := c.red, c.logger
	rt, code := start(ctx, c.flags, red, logger, c.errw)
	if rt == nil || code != exitOK {
		return code
	}
	defer rt.Close()
	_ = applyMemoryLimit(c.flags.memLimit, rt.Config, logger) // the flag was checked above
	if err := startDebug(ctx, c.flags.debug, rt.Config.Server.Listen, logger); err != nil {
		fmt.Fprintf(c.errw, "hush serve: %v\n", err)
		return exitUsage
	}
	met, stopMetrics, err := startMetrics(ctx, rt, logger)
	if err != nil { // a busy metrics port, or OTEL_* variables this build cannot follow
		fmt.Fprintf(c.errw, "hush serve: %v\n", err)
		return exitFailure
	}
	defer stopMetrics()
	srv, err := mcpserver.New(rt.Config, mcpserver.Deps{
		Store: rt.Store, Sources: rt.Sources, Redactor: red, Logger: logger, LogRedacted: true,
		Stdin: stdin, Stdout: stdout, Version: version(), Metrics: met,
	})
	if err != nil {
		logger.Error("register tools", "error", err)
		return exitConfig
	}
	if err := srv.Run(ctx); err != nil {
		logger.Error("serve", "error", err)
		return exitFailure
	}
	logger.Info("stopped")
	return exitOK
}

// startMetrics builds the metrics when they are served or traces are
// asked for. They are served unless server.metrics_listen is off, or left
// at its default with the stdio transport; on their own listener, without
// auth, when metrics_listen names one. Traces follow the standard OTEL_*
// variables (metrics.TracerFromEnv). stop ends the listener, waits for it,
// closes the metrics and flushes the traces; it is never nil.
func startMetrics(ctx context.Context, rt *boot.Runtime, log *slog.Logger) (*metrics.Metrics, func(), error) {
	tp, stopTracing, err := startTracing(ctx, log)
	if err != nil {
		return nil, func() {}, err
	}
	sc := rt.Config.Server
	served := sc.MetricsListen != config.MetricsOff && (sc.MetricsListen != "" || sc.Transport == config.TransportHTTP)
	if !served && tp == nil {
		return nil, func() {}, nil
	}
	m := metrics.New(metrics.Options{Store: rt.Store, Sources: rt.Sources, Version: version(), Tracer: tp})
	stop := func() { m.Close(); stopTracing() }
	if sc.MetricsListen == "" || sc.MetricsListen == config.MetricsOff {
		return m, stop, nil
	}
	ln, err := net.Listen("tcp", sc.MetricsListen)
	if err != nil {
		stop()
		return nil, func() {}, fmt.Errorf("server.metrics_listen: %w", err)
	}
	// The listener outlives the signal: it serves through the drain and the
	// grace, and stop ends it once the MCP listener has closed.
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := m.Serve(ctx, ln); err != nil {
			log.Error("metrics listener", "error", err)
		}
	})
	log.Info("metrics listener", "addr", ln.Addr().String(), "serves", "/metrics")
	return m, func() { cancel(); wg.Wait(); stop() }, nil
}

// traceFlushTimeout bounds the flush of spans at shutdown.
const traceFlushTimeout = 5 * time.Second

// startTracing builds the tracer provider the OTEL_* variables ask for;
// nil when they ask for none. stop flushes and shuts it down.
func startTracing(ctx context.Context, log *slog.Logger) (trace.TracerProvider, func(), error) {
	tp, err := metrics.TracerFromEnv(ctx, os.Getenv, version(), log)
	if err != nil || tp == nil {
		return nil, func() {}, err
	}
	log.Info("tracing", "exporter", "otlp")
	return tp, func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), traceFlushTimeout)
		defer cancel()
		if err := tp.Shutdown(sctx); err != nil {
			log.Warn("trace flush", "error", err)
		}
	}, nil
}

// start loads the config and runs boot.Start, reporting every problem on w.
// It returns a Runtime only when start-up succeeded.
func start(ctx context.Context, f serveFlags, red *redact.Redactor, logger *slog.Logger, w io.Writer) (*boot.Runtime, int) {
	cfg, err := loadConfig(f, w, logger)
	if err != nil {
		return nil, exitConfig
	}
	for _, warn := range cfg.Warnings {
		logger.Warn("config", "warning", warn)
	}
	rt, err := boot.Start(ctx, cfg, boot.Options{Logger: logger, Redactor: red})
	if err != nil {
		reportProblems(w, err)
		rt.Close()
		return nil, exitCode(err)
	}
	return rt, exitOK
}

// loadConfig loads the file against the parts the binary ships; logger
// is what the secret providers log through.
func loadConfig(f serveFlags, w io.Writer, logger *slog.Logger) (*config.Config, error) {
	cfg, err := config.Load(f.config, boot.Kinds(logger))
	if err != nil {
		reportProblems(w, err)
		return nil, err
	}
	if f.transport != "" {
		if err := config.CheckTransport(f.transport); err != nil {
			err = fmt.Errorf("--transport: %w", err)
			reportProblems(w, err)
			return nil, err
		}
		cfg.Server.Transport = f.transport
	}
	if f.listen != "" {
		cfg.Server.Listen = f.listen
	}
	return cfg, nil
}

// reportProblems prints one line per joined error, so every problem of a
// stage is visible at once.
func reportProblems(w io.Writer, err error) {
	for _, e := range flatten(err) {
		fmt.Fprintf(w, "hush: %v\n", e)
	}
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	if w, ok := err.(interface{ Unwrap() error }); ok {
		if _, isBoot := err.(*boot.Error); isBoot {
			return flatten(w.Unwrap())
		}
	}
	return []error{err}
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: unknown level %q (valid: debug, info, warn, error)", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: unknown format %q (valid: json, text)", format)
}

// recoverTo turns a panic on the command's goroutine into a redacted report
// on w and exit code 1, instead of Go's raw crash output, which could carry
// a secret. Handler panics never get here: the MCP middleware recovers them.
func recoverTo(w io.Writer, code *int) {
	if r := recover(); r != nil {
		fmt.Fprintf(w, "hush: internal error: %v\n", r)
		*code = exitFailure
	}
}
