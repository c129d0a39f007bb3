package file_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/secret/file"
	"github.com/hushmcp/hush/secret/file/kubetest"
)

func TestFetchReturnsWholeFile(t *testing.T) {
	o, _ := watchOpener(t)
	path := filepath.Join(t.TempDir(), "pem")
	want := "-----BEGIN KEY-----\n" + canary("pem") + "\n-----END KEY-----\n"
	writeFile(t, path, want)
	d := openPath(t, o, path)
	ctx := context.Background()
	snap, err := d.Fetch(ctx)
	if err != nil || string(snap.Data) != want || snap.Version != "" {
		t.Errorf("fetch: err %v, value matches %t, version set %t; want the file byte for byte, no version",
			err, string(snap.Data) == want, snap.Version != "")
	}
}

func TestSizeLimit(t *testing.T) {
	o, _ := watchOpener(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "max"), strings.Repeat("a", file.MaxSize))
	writeFile(t, filepath.Join(dir, "over"), strings.Repeat("a", file.MaxSize+1))
	got, err := fetch(t, openPath(t, o, filepath.Join(dir, "max")))
	if err != nil || len(got) != file.MaxSize {
		t.Errorf("file of exactly MaxSize: %d bytes, err %v; want it whole", len(got), err)
	}
	_, err = fetch(t, openPath(t, o, filepath.Join(dir, "over")))
	if !errors.Is(err, driver.ErrTooLarge) || !strings.Contains(err.Error(), "over") {
		t.Errorf("file over MaxSize: %v; want too large naming the path", err)
	}
}

func TestSymlinkLoop(t *testing.T) {
	o, _ := watchOpener(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.Symlink(b, a); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(a, b); err != nil {
		t.Fatal(err)
	}
	_, err := fetch(t, openPath(t, o, a))
	if !errors.Is(err, driver.ErrInvalid) || !strings.Contains(err.Error(), "loop") {
		t.Errorf("got %v; want invalid mentioning the loop", err)
	}
}

func TestNotARegularFile(t *testing.T) {
	o, _ := watchOpener(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{dir: "directory", fifo: "pipe"} {
		_, err := fetch(t, openPath(t, o, path)) // a FIFO must not block
		if !errors.Is(err, driver.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("fetch %s: %v; want invalid mentioning %q", filepath.Base(path), err, want)
		}
	}
}

func TestParentNotADirectory(t *testing.T) {
	o, _ := watchOpener(t)
	parent := filepath.Join(t.TempDir(), "plain")
	writeFile(t, parent, "x")
	_, err := fetch(t, openPath(t, o, filepath.Join(parent, "token")))
	if !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("got %v; want not found", err)
	}
}

func TestCanceledFetch(t *testing.T) {
	o, _ := watchOpener(t)
	path := filepath.Join(t.TempDir(), "token")
	writeFile(t, path, canary("v"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := openPath(t, o, path).Fetch(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v; want canceled", err)
	}
}

func TestSubPathWarning(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the secret path
		warn  bool
	}{
		{"kubelet link", func(t *testing.T, dir string) string {
			return kubetest.NewMount(t, dir, map[string]string{"password": canary("k")}).Path("password")
		}, false},
		{"regular file beside ..data", func(t *testing.T, dir string) string {
			kubetest.NewMount(t, dir, map[string]string{"other": "x"})
			writeFile(t, filepath.Join(dir, "password"), canary("s"))
			return filepath.Join(dir, "password")
		}, true},
		{"link outside ..data", func(t *testing.T, dir string) string {
			kubetest.NewMount(t, dir, map[string]string{"other": "x"})
			writeFile(t, filepath.Join(dir, "real"), canary("s"))
			mustSymlink(t, "real", filepath.Join(dir, "password"))
			return filepath.Join(dir, "password")
		}, true},
		{"plain file", func(t *testing.T, dir string) string {
			writeFile(t, filepath.Join(dir, "password"), canary("p"))
			return filepath.Join(dir, "password")
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, logs := watchOpener(t)
			openPath(t, o, c.setup(t, t.TempDir()))
			if got := strings.Contains(logs.String(), "subPath mount: will never update"); got != c.warn {
				t.Errorf("subPath warning logged: %t, want %t; logs:\n%s", got, c.warn, logs)
			}
		})
	}
}

func TestInvalidReferences(t *testing.T) {
	cases := map[string]string{
		"file://relative/token":  "absolute path",
		"file:///":               "root directory",
		"file:///run/token?x=1":  "valid: none",
		"file://localhost/token": "absolute path",
	}
	for s, want := range cases {
		ref, err := secret.ParseRef(s)
		if err != nil {
			t.Fatalf("parse %s: %v", s, err)
		}
		_, err = (&file.Opener{}).OpenSecret(context.Background(), ref)
		if !errors.Is(err, driver.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("open %s: %v; want invalid mentioning %q", s, err, want)
		}
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
