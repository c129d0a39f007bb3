package main

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestMemoryLimitPrecedence(t *testing.T) {
	cases := []struct {
		flag   string
		env    bool
		config int64
		want   int64
		from   string
	}{
		{"", false, 0, defaultMemoryLimit, "default"},
		{"", false, 64 << 20, 64 << 20, "config"},
		{"", true, 64 << 20, 0, "GOMEMLIMIT"},
		{"1GiB", true, 64 << 20, 1 << 30, "flag"},
		{"off", false, 0, math.MaxInt64, "flag"},
	}
	for _, c := range cases {
		n, from, err := memoryLimit(c.flag, c.env, c.config)
		if err != nil || n != c.want || from != c.from {
			t.Errorf("memoryLimit(%q, %v, %d) = %d, %s, %v; want %d, %s", c.flag, c.env, c.config, n, from, err, c.want, c.from)
		}
	}
	if _, _, err := memoryLimit("lots", false, 0); err == nil || !strings.HasPrefix(err.Error(), "--memory-limit: ") {
		t.Errorf("bad flag: %v", err)
	}
}

// hush serve runs with a soft memory limit: GOGC=400 without one let RSS
// climb under sustained load.
func TestServeSetsMemoryLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "") // restored at cleanup; unset for the test
	_ = os.Unsetenv("GOMEMLIMIT")
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	debug.SetMemoryLimit(math.MaxInt64)
	dir := copyQuickstart(t)
	srv := startServe(t, "--config", filepath.Join(dir, "hush.yaml"))
	if got := debug.SetMemoryLimit(-1); got != defaultMemoryLimit {
		t.Errorf("memory limit while serving = %d, want %d", got, defaultMemoryLimit)
	}
	if !strings.Contains(srv.Stderr.String(), `"msg":"memory limit","limit":"256MiB","from":"default"`) {
		t.Errorf("the limit is not logged; stderr:\n%s", srv.Stderr.String())
	}
}

func TestServeRejectsBadMemoryLimitFlag(t *testing.T) {
	code, _, stderr := runHush(t, "serve", "--config", "none.yaml", "--memory-limit", "lots")
	if code != exitUsage || !strings.Contains(stderr, "--memory-limit: want a positive size") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
