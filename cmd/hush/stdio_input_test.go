package main

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/internal/testutil/wait"
)

// `printf 'hello\n' | hush serve --transport stdio` used to exit 1. Bad
// lines now get JSON-RPC errors, good ones answers, and EOF exits 0.
func TestServeStdioSurvivesBadLines(t *testing.T) {
	dir := copyQuickstart(t)
	in := strings.Join([]string{
		"hello",
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},` +
			`"clientInfo":{"name":"t","version":"0"}}}`,
		`{"jsonrpc":"2.0","id":2.5,"method":"ping"}`,
	}, "\n") + "\n"
	var stdout, stderr lockedBuffer
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"serve", "--config", filepath.Join(dir, "hush.yaml"), "--transport", "stdio"},
			pr, &stdout, &stderr)
	}()
	_, _ = io.WriteString(pw, in)
	// Input that ends closes the session, as a client quitting does; the
	// answers to the complete lines are awaited first.
	wait.Until(t, "three answers", 30*time.Second, func() bool { return strings.Count(stdout.String(), "\n") >= 3 })
	_, _ = io.WriteString(pw, `{"jsonrpc":"2.0","id":3,`) // unterminated, then EOF
	_ = pw.Close()
	if code := <-done; code != exitOK {
		t.Errorf("exit %d, want 0; stderr:\n%s", code, stderr.String())
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var m struct {
			ID    json.RawMessage
			Error *struct{ Code int }
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("stdout carries a non-JSON line: %.200q", line)
		}
		if m.Error != nil {
			got = append(got, string(m.ID)+":"+strconv.Itoa(m.Error.Code))
		} else {
			got = append(got, string(m.ID)+":ok")
		}
	}
	slices.Sort(got) // the filter's answers and the SDK's are not ordered
	if want := "1:ok 2.5:-32600 null:-32700 null:-32700"; strings.Join(got, " ") != want {
		t.Errorf("answers = %q, want %q", strings.Join(got, " "), want)
	}
}
