package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The benchmark re-executes its own binary as the floor server; under go
// test that binary is the test binary, so it must serve the floor too.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-floor" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// The short mode runs every backend and mode for a moment: it proves the
// benchmark still runs and reports, without judging any number.
func TestShortRun(t *testing.T) {
	var out, log bytes.Buffer
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	code := run(t.Context(), []string{"-duration", "300ms", "-warmup", "100ms", "-workers", "1,2", "-json", jsonPath}, &out, &log)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, log.String())
	}
	var rows []Result
	b, err := os.ReadFile(jsonPath)
	if err == nil {
		err = json.Unmarshal(b, &rows)
	}
	if err != nil || len(rows) != 16 {
		t.Fatalf("JSON report: %d rows, err %v", len(rows), err)
	}
	for _, r := range rows {
		if r.Errors > 0 || r.Calls == 0 {
			t.Errorf("%s %s %s %d workers: %d calls, %d failed", r.Server, r.Backend, r.Mode, r.Workers, r.Calls, r.Errors)
		}
	}
	table := out.String()
	for _, want := range []string{"postgres", "sqlite", "session", "stateless", "floor", "hush", "calls/s", "of floor"} {
		if !strings.Contains(table, want) {
			t.Errorf("the report lacks %q:\n%s", want, table)
		}
	}
	t.Logf("\n%s", table)
}

func TestFlags(t *testing.T) {
	var log bytes.Buffer
	for _, args := range [][]string{{"-workers", "0"}, {"-backends", "mysql"}, {"-modes", "sse"}, {"-nope"}} {
		if code := run(t.Context(), args, &log, &log); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
