package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/hushmcp/hush/internal/boot"
)

// Exit codes, stable for scripts and CI pipelines.
const (
	exitOK      = 0
	exitFailure = 1 // unexpected runtime failure
	exitUsage   = 2 // bad command line
	exitConfig  = 3 // the config file is wrong
	exitSecrets = 4 // a secret is missing or invalid
	exitSources = 5 // a source cannot be opened or pinged
)

const usage = `hush: an MCP server that gives AI agents tools over your data and never leaks a credential.

Usage:
  hush serve   --config FILE   start the server (stdio or streamable HTTP, as configured)
  hush check   --config FILE   resolve and validate secrets, ping sources, print a report; no listener
  hush version                 print the version

Run 'hush COMMAND --help' for a command's flags.

Exit codes: 0 ok, 1 runtime failure, 2 usage, 3 config error, 4 secret error, 5 source error.
Docs: README.md and docs/ in the source tree.
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdin, stdout, stderr)
	case "check":
		return check(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "hush %s\n", version())
		return exitOK
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "hush: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// parseFlags parses fs, printing help to stdout on -h and errors to stderr.
// It returns an exit code and false when the command should not go on.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (int, bool) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK, false
	case err != nil:
		fmt.Fprintf(stderr, "hush %s: %v (see hush %s --help)\n", fs.Name(), err, fs.Name())
		return exitUsage, false
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "hush %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage, false
	}
	return exitOK, true
}

// exitCode maps a start-up error to its exit code.
func exitCode(err error) int {
	var be *boot.Error
	if !errors.As(err, &be) {
		return exitFailure
	}
	switch be.Stage {
	case boot.StageSecrets:
		return exitSecrets
	case boot.StageSources:
		return exitSources
	}
	return exitFailure
}
