package file_test

import (
	"context"
	"github.com/hushmcp/hush/internal/testutil/leak"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/file"
)

// marker is part of every fake secret in these tests, so a leak check is
// one substring test.
const marker = "7f3a9c-NOT-REAL"

// deadline bounds event-driven waits; it matters only when something is
// broken.
const deadline = 10 * time.Second

func canary(tag string) string { return "canary-" + tag + "-" + marker }

// logBuffer collects output from several goroutines.
type logBuffer = leak.Buffer

// newLogger returns a debug logger into a buffer that the test checks for
// leaked values when it ends.
func newLogger(t testing.TB) (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	t.Cleanup(func() {
		if strings.Contains(buf.String(), marker) {
			t.Error("log output contains a secret value (withheld)")
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// watchOpener reacts only to file system events: its poll is too slow to
// matter during a test, so passing tests prove the watch works.
func watchOpener(t testing.TB) (*file.Opener, *logBuffer) {
	log, buf := newLogger(t)
	return &file.Opener{Logger: log, PollInterval: time.Hour, Debounce: 10 * time.Millisecond}, buf
}

func openPath(t testing.TB, o *file.Opener, path string) *file.Driver {
	t.Helper()
	ref, err := secret.ParseRef("file://" + path)
	if err != nil {
		t.Fatalf("parse reference: %v", err)
	}
	d, err := o.OpenSecret(context.Background(), ref)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d.(*file.Driver)
}

// fetch reads d with a deadline and fails the test if an error leaks a
// value.
func fetch(t testing.TB, d *file.Driver) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	snap, err := d.Fetch(ctx)
	if err != nil && strings.Contains(err.Error(), marker) {
		t.Error("error text contains a secret value (withheld)")
	}
	return string(snap.Data), err
}

func mustFetch(t testing.TB, d *file.Driver, want string) {
	t.Helper()
	got, err := fetch(t, d)
	if err != nil || got != want {
		t.Fatalf("fetch: err %v, value matches %t; want the expected value", err, got == want)
	}
}

// await receives change signals until the driver serves want.
func await(t testing.TB, d *file.Driver, want string) {
	t.Helper()
	awaitCond(t, d, "the new value", func() bool {
		got, err := fetch(t, d)
		return err == nil && got == want
	})
}

func awaitCond(t testing.TB, d *file.Driver, what string, ok func() bool) {
	t.Helper()
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	for {
		select {
		case _, open := <-d.Changes():
			if !open {
				t.Fatalf("changes closed while waiting for %s", what)
			}
			if ok() {
				return
			}
		case <-timer.C:
			t.Fatalf("no change signal followed by %s within %v", what, deadline)
		}
	}
}

// writeRename saves like an editor: write a temporary file, rename it over.
func writeRename(t testing.TB, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".swp")
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
