package main

import (
	"bufio"
	"context"
	"encoding/json"
	"github.com/hushmcp/hush/internal/testutil/leak"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lockedBuffer collects output written by the server's goroutines.
type lockedBuffer = leak.Buffer

// running is a hush serve started in-process by startServe.
type running struct {
	URL    string        // http://addr/mcp for the http transport
	Addr   string        // host:port
	Stderr *lockedBuffer // everything the server logged
	Stdout *lockedBuffer
	code   chan int
	cancel context.CancelFunc
}

// startServe runs `hush serve args...` in-process with an http transport on
// a free loopback port and waits until it is listening. The server is
// stopped (SIGTERM-like cancel) at cleanup and must exit 0.
func startServe(t testing.TB, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	r := &running{Stderr: &lockedBuffer{}, Stdout: &lockedBuffer{}, code: make(chan int, 1), cancel: cancel}
	args = append([]string{"serve", "--transport", "http", "--listen", "127.0.0.1:0"}, args...)
	go func() {
		r.code <- run(ctx, args, strings.NewReader(""), r.Stdout, io.MultiWriter(r.Stderr, pw))
		pw.Close()
	}()
	addr := waitServing(t, pr, r)
	go io.Copy(io.Discard, pr) // keep the pipe flowing after start-up
	r.Addr, r.URL = addr, "http://"+addr+"/mcp"
	t.Cleanup(func() {
		if code := r.Stop(); code != exitOK {
			t.Errorf("hush serve exited %d at shutdown", code)
		}
	})
	return r
}

// waitServing reads log lines until the "serving" line and returns its addr.
func waitServing(t testing.TB, logs io.Reader, r *running) string {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				found <- line.Addr
				return
			}
		}
		close(found)
	}()
	select {
	case addr, ok := <-found:
		if !ok {
			t.Fatalf("hush serve exited before listening (code %d); stderr:\n%s", <-r.code, r.Stderr.String())
		}
		return addr
	case <-time.After(60 * time.Second):
		t.Fatalf("hush serve did not start listening; stderr:\n%s", r.Stderr.String())
	}
	return ""
}

// Stop cancels the server like SIGTERM and returns its exit code.
func (r *running) Stop() int {
	r.cancel()
	select {
	case code := <-r.code:
		r.code <- code
		return code
	case <-time.After(30 * time.Second):
		return -1
	}
}

// runHush runs a short-lived command (check, version, failing serve) and
// returns its exit code, stdout and stderr.
func runHush(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errb lockedBuffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// copyQuickstart copies examples/quickstart (keeping its symlinked secrets
// mount) into a temp dir, so tests never touch the repository's copy.
func copyQuickstart(t testing.TB) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("..", "..", "examples", "quickstart")
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case rel == "data" && fi.IsDir():
			return filepath.SkipDir
		case fi.Mode()&os.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case fi.IsDir():
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy quickstart: %v", err)
	}
	return dst
}

// assertNoCanary fails when any raw or encoded form of a canary appears.
func assertNoCanary(t testing.TB, where, text string, canaries ...string) {
	t.Helper()
	leak.Check(t, where, text, canaries...)
}
