package file_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/secret/file"
	"github.com/hushmcp/hush/secret/file/kubetest"
)

func TestKubeletRotation(t *testing.T) {
	o, _ := watchOpener(t)
	m := kubetest.NewMount(t, filepath.Join(t.TempDir(), "db"),
		map[string]string{"password": canary("gen0"), "username": "app"})
	d := openPath(t, o, m.Path("password"))
	mustFetch(t, d, canary("gen0"))
	for gen := 1; gen <= 5; gen++ {
		want := canary(fmt.Sprintf("gen%d", gen))
		m.Update(map[string]string{"password": want, "username": "app"})
		await(t, d, want)
	}
}

func TestKubeletKeyRemovedAndRestored(t *testing.T) {
	o, _ := watchOpener(t)
	m := kubetest.NewMount(t, filepath.Join(t.TempDir(), "db"), map[string]string{"password": canary("a")})
	d := openPath(t, o, m.Path("password"))
	m.Update(map[string]string{"other": "x"})
	awaitCond(t, d, "not found", func() bool {
		_, err := fetch(t, d)
		return errors.Is(err, driver.ErrNotFound)
	})
	m.Update(map[string]string{"password": canary("b")})
	await(t, d, canary("b"))
}

func TestEditorRenameSave(t *testing.T) {
	o, _ := watchOpener(t)
	path := filepath.Join(t.TempDir(), "token")
	writeFile(t, path, canary("v1"))
	d := openPath(t, o, path)
	mustFetch(t, d, canary("v1"))
	for _, v := range []string{"v2", "v3"} {
		writeRename(t, path, canary(v))
		await(t, d, canary(v))
	}
}

func TestInPlaceWrite(t *testing.T) {
	o, _ := watchOpener(t)
	path := filepath.Join(t.TempDir(), "token")
	writeFile(t, path, canary("v1"))
	d := openPath(t, o, path)
	for _, v := range []string{"longer-v2-value", "v3"} {
		writeFile(t, path, canary(v)) // truncate and write: not atomic
		await(t, d, canary(v))
	}
}

func TestDeletedThenRecreated(t *testing.T) {
	o, _ := watchOpener(t)
	path := filepath.Join(t.TempDir(), "token")
	writeFile(t, path, canary("v1"))
	d := openPath(t, o, path)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	awaitCond(t, d, "not found", func() bool {
		_, err := fetch(t, d)
		return errors.Is(err, driver.ErrNotFound)
	})
	writeFile(t, path, canary("v2"))
	await(t, d, canary("v2"))
}

func TestFileCreatedAfterOpen(t *testing.T) {
	o, _ := watchOpener(t)
	path := filepath.Join(t.TempDir(), "later")
	d := openPath(t, o, path)
	if _, err := fetch(t, d); !errors.Is(err, driver.ErrNotFound) {
		t.Fatalf("fetch before the file exists: %v; want not found", err)
	}
	writeRename(t, path, canary("v1"))
	await(t, d, canary("v1"))
}

func TestWatchSetupFailureFallsBackToPolling(t *testing.T) {
	log, logs := newLogger(t)
	o := &file.Opener{Logger: log, PollInterval: 10 * time.Millisecond, Debounce: 10 * time.Millisecond}
	dir := filepath.Join(t.TempDir(), "not-yet")
	d := openPath(t, o, filepath.Join(dir, "token"))
	if !strings.Contains(logs.String(), "polling instead") {
		t.Fatalf("no warning about polling when the directory is missing; logs:\n%s", logs)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeRename(t, filepath.Join(dir, "token"), canary("v1"))
	await(t, d, canary("v1"))
}

func TestDirectoryRemovedAndRecreated(t *testing.T) {
	log, _ := newLogger(t)
	o := &file.Opener{Logger: log, PollInterval: 10 * time.Millisecond, Debounce: 10 * time.Millisecond}
	dir := filepath.Join(t.TempDir(), "vol")
	m := kubetest.NewMount(t, dir, map[string]string{"password": canary("v1")})
	d := openPath(t, o, m.Path("password"))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	awaitCond(t, d, "not found", func() bool {
		_, err := fetch(t, d)
		return errors.Is(err, driver.ErrNotFound)
	})
	m2 := kubetest.NewMount(t, dir, map[string]string{"password": canary("v2")})
	await(t, d, canary("v2"))
	m2.Update(map[string]string{"password": canary("v3")})
	await(t, d, canary("v3"))
}

func TestCloseEndsWatching(t *testing.T) {
	o, _ := watchOpener(t)
	path := filepath.Join(t.TempDir(), "token")
	writeFile(t, path, canary("v1"))
	d := openPath(t, o, path)
	if err := d.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	writeRename(t, path, canary("v2")) // no one may send on a closed channel
	for range d.Changes() {
	}
	if _, err := fetch(t, d); !errors.Is(err, driver.ErrClosed) {
		t.Errorf("fetch after close: %v; want closed", err)
	}
}
