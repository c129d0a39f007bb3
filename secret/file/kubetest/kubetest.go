// Package kubetest reproduces, on a local directory, how kubelet publishes a
// Kubernetes Secret or ConfigMap volume (its AtomicWriter), so tests can
// mount and rotate secrets exactly as a cluster would, without one.
//
// A mount looks like this:
//
//	<dir>/..2026_11_26_01_02_03.123456789/password   real files
//	<dir>/..data -> ..2026_11_26_01_02_03.123456789
//	<dir>/password -> ..data/password                 visible names
package kubetest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	dataDir    = "..data"
	dataTmp    = "..data_tmp"
	fileMode   = 0o644 // kubelet's default defaultMode
	volumeMode = 0o755
)

// Mount is one simulated volume. Its methods report failures with
// t.Fatal, so call them from the test goroutine. Safe for concurrent use.
type Mount struct {
	t       testing.TB
	dir     string
	mu      sync.Mutex
	current string   // name of the live ..<timestamp> directory
	visible []string // visible names, sorted
}

// NewMount creates dir if needed and publishes files in it as the first
// version of a volume. File names must be plain names (no "/", not
// starting with ".."). The mount is left in place when the test ends;
// put it under t.TempDir.
func NewMount(t testing.TB, dir string, files map[string]string) *Mount {
	t.Helper()
	if err := os.MkdirAll(dir, volumeMode); err != nil {
		t.Fatalf("kubetest: create volume %s: %v", dir, err)
	}
	m := &Mount{t: t, dir: dir}
	m.Update(files)
	return m
}

// Dir is the volume directory.
func (m *Mount) Dir() string { return m.dir }

// Path is the visible path of the file called name.
func (m *Mount) Path(name string) string { return filepath.Join(m.dir, name) }

// Update publishes files as a new version, replacing the whole volume
// content, in kubelet's order:
//
//  1. create a new ..<timestamp> directory and write every file in it;
//  2. create the visible symlink name -> ..data/name for new names;
//  3. symlink ..data_tmp -> the new directory;
//  4. rename ..data_tmp over ..data (the atomic switch);
//  5. remove visible links of names no longer present;
//  6. remove the previous ..<timestamp> directory.
func (m *Mount) Update(files map[string]string) {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	names := m.names(files)
	ts := m.writeVersion(files)
	m.linkVisible(names)
	m.swapData(ts)
	m.removeStale(names)
	m.removeDir(m.current)
	m.current, m.visible = ts, names
}

func (m *Mount) names(files map[string]string) []string {
	m.t.Helper()
	names := make([]string, 0, len(files))
	for name := range files {
		if name == "" || strings.ContainsRune(name, '/') || strings.HasPrefix(name, "..") {
			m.t.Fatalf("kubetest: file name %q: want a plain name", name)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// writeVersion creates the timestamped directory the way kubelet does
// (MkdirTemp with a UTC timestamp prefix, then chmod) and writes the files.
func (m *Mount) writeVersion(files map[string]string) string {
	m.t.Helper()
	tsDir, err := os.MkdirTemp(m.dir, time.Now().UTC().Format("..2006_01_02_15_04_05."))
	m.check(err, "create version directory")
	m.check(os.Chmod(tsDir, volumeMode), "chmod version directory")
	for name, content := range files {
		p := filepath.Join(tsDir, name)
		m.check(os.WriteFile(p, []byte(content), fileMode), "write "+name)
		m.check(os.Chmod(p, fileMode), "chmod "+name)
	}
	return filepath.Base(tsDir)
}

func (m *Mount) linkVisible(names []string) {
	m.t.Helper()
	for _, name := range names {
		p := m.Path(name)
		if _, err := os.Lstat(p); err == nil {
			continue
		}
		m.check(os.Symlink(filepath.Join(dataDir, name), p), "link "+name)
	}
}

func (m *Mount) swapData(ts string) {
	m.t.Helper()
	tmp := filepath.Join(m.dir, dataTmp)
	m.check(os.Symlink(ts, tmp), "link "+dataTmp)
	m.check(os.Rename(tmp, filepath.Join(m.dir, dataDir)), "rename "+dataTmp)
}

func (m *Mount) removeStale(names []string) {
	m.t.Helper()
	for _, old := range m.visible {
		if !slices.Contains(names, old) {
			m.check(os.Remove(m.Path(old)), "remove stale link "+old)
		}
	}
}

func (m *Mount) removeDir(ts string) {
	m.t.Helper()
	if ts != "" {
		m.check(os.RemoveAll(filepath.Join(m.dir, ts)), "remove old version "+ts)
	}
}

// check fails the test on err. Messages name the step and path, never file
// content, since contents are secrets.
func (m *Mount) check(err error, step string) {
	m.t.Helper()
	if err != nil {
		m.t.Fatalf("kubetest: %s in %s: %v", step, m.dir, err)
	}
}
