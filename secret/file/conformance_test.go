package file_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/secret/drivertest"
	"github.com/hushmcp/hush/secret/file"
	"github.com/hushmcp/hush/secret/file/kubetest"
)

// plainHarness keeps each secret in a plain file, written atomically by
// rename. It forces errors by putting a directory where the file was.
type plainHarness struct {
	dir    string
	opener *file.Opener
	mu     sync.Mutex
	last   map[string][]byte // for Recover
}

func (h *plainHarness) path(name string) string { return filepath.Join(h.dir, name) }

func (h *plainHarness) Open(ctx context.Context, t testing.TB, name string) (driver.Driver, error) {
	return openRef(ctx, t, h.opener, h.path(name))
}

func (h *plainHarness) Set(t testing.TB, name string, value []byte) {
	h.mu.Lock()
	h.last[name] = value
	h.mu.Unlock()
	writeRename(t, h.path(name), string(value))
}

func (h *plainHarness) Delete(t testing.TB, name string) {
	if err := os.Remove(h.path(name)); err != nil {
		t.Fatal(err)
	}
}

func (h *plainHarness) Mutable() bool { return true }

func (h *plainHarness) Ref(name string) string { return "file://" + h.path(name) }

func (h *plainHarness) OpenRef(ctx context.Context, _ testing.TB, ref secret.Ref) (driver.Driver, error) {
	return h.opener.OpenSecret(ctx, ref)
}

func (h *plainHarness) BadRefs(marker string) []string { return badFileRefs(marker) }

// badFileRefs are references the file opener refuses: a host (often a
// misplaced credential), a relative path, the root directory.
func badFileRefs(marker string) []string {
	return []string{"file://" + marker + "/run/secret", "file://./" + marker, "file:///", "file://" + marker}
}

func (h *plainHarness) ForceError(t testing.TB, name string) {
	h.Delete(t, name)
	if err := os.Mkdir(h.path(name), 0o700); err != nil {
		t.Fatal(err)
	}
}

func (h *plainHarness) Recover(t testing.TB, name string) {
	if err := os.Remove(h.path(name)); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	v := h.last[name]
	h.mu.Unlock()
	h.Set(t, name, v)
}

// kubeHarness keeps each secret as the key "value" of its own simulated
// Kubernetes volume; Delete publishes a version without the key.
type kubeHarness struct {
	dir    string
	opener *file.Opener
	mu     sync.Mutex
	mounts map[string]*kubetest.Mount
}

func (h *kubeHarness) Open(ctx context.Context, t testing.TB, name string) (driver.Driver, error) {
	return openRef(ctx, t, h.opener, filepath.Join(h.dir, name, "value"))
}

func (h *kubeHarness) Set(t testing.TB, name string, value []byte) {
	h.publish(t, name, map[string]string{"value": string(value)})
}

func (h *kubeHarness) Delete(t testing.TB, name string) {
	h.publish(t, name, map[string]string{})
}

func (h *kubeHarness) publish(t testing.TB, name string, files map[string]string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if m := h.mounts[name]; m != nil {
		m.Update(files)
		return
	}
	h.mounts[name] = kubetest.NewMount(t, filepath.Join(h.dir, name), files)
}

func (h *kubeHarness) Mutable() bool { return true }

func (h *kubeHarness) Ref(name string) string { return "file://" + filepath.Join(h.dir, name, "value") }

func (h *kubeHarness) OpenRef(ctx context.Context, _ testing.TB, ref secret.Ref) (driver.Driver, error) {
	return h.opener.OpenSecret(ctx, ref)
}

func (h *kubeHarness) BadRefs(marker string) []string { return badFileRefs(marker) }

func openRef(ctx context.Context, t testing.TB, o *file.Opener, path string) (driver.Driver, error) {
	t.Helper()
	ref, err := secret.ParseRef("file://" + path)
	if err != nil {
		t.Fatalf("parse reference: %v", err)
	}
	return o.OpenSecret(ctx, ref)
}

func TestConformancePlainFiles(t *testing.T) {
	o, _ := watchOpener(t)
	drivertest.RunConformance(t, &plainHarness{dir: t.TempDir(), opener: o, last: map[string][]byte{}})
}

func TestConformanceKubernetesVolume(t *testing.T) {
	o, _ := watchOpener(t)
	drivertest.RunConformance(t, &kubeHarness{dir: t.TempDir(), opener: o, mounts: map[string]*kubetest.Mount{}})
}
