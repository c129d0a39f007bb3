package redact

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

const writerCanary = "canary-writer-7f3a9c-NOT-REAL"

func newTestWriter(t *testing.T, vals ...string) (*Writer, *bytes.Buffer) {
	t.Helper()
	bs := make([][]byte, len(vals))
	for i, v := range vals {
		bs[i] = []byte(v)
	}
	var out bytes.Buffer
	return NewWriter(&out, New(Options{Values: bs})), &out
}

// writeAll writes each part, checking the reported length.
func writeAll(t *testing.T, w *Writer, parts ...string) {
	t.Helper()
	for i, p := range parts {
		n, err := w.Write([]byte(p))
		if err != nil || n != len(p) {
			t.Fatalf("write %d: n=%d err=%v, want n=%d", i, n, err, len(p))
		}
	}
}

// TestWriterSplitSecret splits a line holding the canary at every pair of
// positions, so the value crosses two and three Write calls.
func TestWriterSplitSecret(t *testing.T) {
	line := "msg=login token=" + writerCanary + " user=bob\n"
	want := "msg=login token=[REDACTED] user=bob\n"
	for i := 0; i <= len(line); i++ {
		for j := i; j <= len(line); j++ {
			w, out := newTestWriter(t, writerCanary)
			writeAll(t, w, line[:i], line[i:j], line[j:])
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if out.String() != want {
				t.Fatalf("split at %d and %d: output differs from the redacted line", i, j)
			}
		}
	}
}

func TestWriterHoldsPartialLineUntilNewline(t *testing.T) {
	w, out := newTestWriter(t, writerCanary)
	writeAll(t, w, "first line\nsecond ")
	if out.String() != "first line\n" {
		t.Fatalf("after a partial line, output is %q", out.String())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "first line\nsecond " {
		t.Fatalf("Flush did not write the partial line: %q", out.String())
	}
}

// TestWriterLongLine writes a line far over the partial-flush cap in small
// pieces with the canary at many offsets, including around each cut.
func TestWriterLongLine(t *testing.T) {
	filler := strings.Repeat("abcdefghij ", 20000) // 220 KB, no newline
	for _, at := range []int{0, 1, 30000, 65000, 65535, 65536, 65537, 66000, 100000, 150000, 219000} {
		line := filler[:at] + writerCanary + filler[at:] + "\n"
		want := filler[:at] + Placeholder + filler[at:] + "\n"
		for _, piece := range []int{1000, 4093, 70000} {
			w, out := newTestWriter(t, writerCanary)
			for p := line; len(p) > 0; p = p[min(piece, len(p)):] {
				writeAll(t, w, p[:min(piece, len(p))])
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if out.String() != want {
				t.Fatalf("canary at %d, pieces of %d: output differs from the redacted line", at, piece)
			}
		}
	}
}

// TestWriterLongLineStructural checks that a partial flush never separates
// a keyword from its value.
func TestWriterLongLineStructural(t *testing.T) {
	filler := strings.Repeat("x", 70000)
	for _, tail := range []string{
		" Authorization: Bearer tok-123456 end",
		" sent Bearer tok-123456-abcdefghij end",
		" password=canary-pw-2 end",
		" postgres://app:canary-pw-2@db/x end",
	} {
		for cut := 1; cut < len(tail); cut++ {
			w, out := newTestWriter(t)
			line := filler + tail + "\n"
			k := len(filler) + cut
			writeAll(t, w, line[:k], line[k:])
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out.String(), "canary-pw-2") || strings.Contains(out.String(), "tok-123456") {
				t.Fatalf("tail %d, split at %d: credential written out", len(tail), cut)
			}
		}
	}
}

// TestWriterBearerProse checks that prose about bearer tokens passes a
// Writer unchanged however it is split, while a token after it does not.
func TestWriterBearerProse(t *testing.T) {
	line := "401: no bearer token; retry with Bearer tok-123456-abcdefghij\n"
	want := "401: no bearer token; retry with Bearer [REDACTED]\n"
	for cut := 1; cut < len(line); cut++ {
		w, out := newTestWriter(t)
		writeAll(t, w, line[:cut], line[cut:])
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Fatalf("split at %d: output differs from %q", cut, want)
		}
	}
}

// TestWriterBearerByteByByte writes a bare bearer token one byte at a time
// through a Writer that flushes partial lines early and keeps a tail just
// long enough for the word "Bearer ", so only the match itself can hold
// the word and a token still shorter than minBearerToken together.
func TestWriterBearerByteByByte(t *testing.T) {
	w, out := newTestWriter(t)
	w.lineCap, w.ctxKeep = 8, 8
	line := "0123456789 sent Bearer tok-123456-abcdefghij end\n"
	for i := range len(line) {
		writeAll(t, w, line[i:i+1])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "tok-") {
		t.Fatal("part of the token was written out")
	}
}

// TestWriterPEMLineByLine writes a private key one line per Write, as a
// logger printing a file would.
func TestWriterPEMLineByLine(t *testing.T) {
	w, out := newTestWriter(t)
	block := "before\n" + pemBlock("RSA PRIVATE KEY", testPEMBody) + "\nafter\n"
	for line := range strings.Lines(block) {
		writeAll(t, w, line)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for line := range strings.Lines(testPEMBody) {
		if strings.Contains(got, strings.TrimSpace(line)) {
			t.Fatal("a line of the private key was written out")
		}
	}
	if !strings.HasPrefix(got, "before\n") || !strings.HasSuffix(got, "after\n") {
		t.Fatalf("lines around the key were not kept: %q", got)
	}
}

func TestWriterConcurrent(t *testing.T) {
	w, out := newTestWriter(t, writerCanary)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				fmt.Fprintf(w, "g=%d i=%d secret=%s done\n", g, i, writerCanary)
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8*200 {
		t.Fatalf("got %d lines, want %d", len(lines), 8*200)
	}
	for _, l := range lines {
		var g, i int
		if _, err := fmt.Sscanf(l, "g=%d i=%d secret=[REDACTED] done", &g, &i); err != nil {
			t.Fatalf("line mangled or unredacted: %v", err)
		}
	}
}

type failWriter struct{ n int }

var errDisk = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errDisk
}

func TestWriterErrorsAndClose(t *testing.T) {
	fw := &failWriter{}
	w := NewWriter(fw, New(Options{}))
	if _, err := w.Write([]byte("a\n")); !errors.Is(err, errDisk) {
		t.Fatalf("first write: err=%v, want %v", err, errDisk)
	}
	if _, err := w.Write([]byte("b\n")); !errors.Is(err, errDisk) || fw.n != 1 {
		t.Fatalf("error not sticky: err=%v, underlying writes=%d", err, fw.n)
	}
	if err := w.Close(); !errors.Is(err, errDisk) {
		t.Fatalf("Close: %v", err)
	}

	w2, out := newTestWriter(t)
	writeAll(t, w2, "tail without newline")
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w2.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if out.String() != "tail without newline" {
		t.Fatalf("Close did not flush: %q", out.String())
	}
	if _, err := w2.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after Close: %v", err)
	}
}

func TestWriterSeesUpdates(t *testing.T) {
	r := New(Options{})
	var out bytes.Buffer
	w := NewWriter(&out, r)
	r.Update([][]byte{[]byte(writerCanary)})
	fmt.Fprintf(w, "v=%s\n", writerCanary)
	if out.String() != "v=[REDACTED]\n" {
		t.Fatal("writer did not use the updated values")
	}
}
