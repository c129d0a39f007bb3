package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestDebugListener(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, c := range []struct{ addr, want string }{
		{"0.0.0.0:0", "loopback"},
		{"10.0.0.1:6060", "loopback"},
		{"nonsense", "host:port"},
		{"127.0.0.1:8080", "differ"},
	} {
		if err := startDebug(t.Context(), c.addr, "127.0.0.1:8080", log); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.addr, err, c.want)
		}
	}
	if err := startDebug(t.Context(), "", "127.0.0.1:8080", log); err != nil {
		t.Errorf("off by default: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := startDebug(ctx, addr, "127.0.0.1:8080", log); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || len(b) == 0 {
		t.Errorf("pprof: %d", resp.StatusCode)
	}
}
