package file

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fsnotify/fsnotify"
)

// These tests drive check directly on a driver whose loop is not running,
// so they can assert that nothing was signalled without waiting for time
// to pass.

func newStoppedDriver(t *testing.T, content string) *Driver {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDriver(path, (&Opener{}).withDefaults())
	d.last = d.state()
	t.Cleanup(func() {
		d.cancel()
		d.closeWatcher()
	})
	return d
}

func signalled(d *Driver) bool {
	select {
	case <-d.changes:
		return true
	default:
		return false
	}
}

func TestCheckSignalsOnlyOnChange(t *testing.T) {
	d := newStoppedDriver(t, "canary-a-7f3a9c-NOT-REAL")
	now := []byte("canary-a-7f3a9c-NOT-REAL")
	if err := os.WriteFile(d.path, now, 0o600); err != nil { // same bytes, new mtime
		t.Fatal(err)
	}
	if err := os.Chmod(d.path, 0o640); err != nil {
		t.Fatal(err)
	}
	d.check()
	if signalled(d) {
		t.Error("signal after a rewrite with identical content; want none")
	}
	if err := os.WriteFile(d.path, []byte("canary-b-7f3a9c-NOT-REAL"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.check()
	if !signalled(d) {
		t.Error("no signal after the content changed")
	}
	d.check()
	if signalled(d) {
		t.Error("second signal for the same change; want one")
	}
}

func TestCheckSignalsErrorTransitions(t *testing.T) {
	d := newStoppedDriver(t, "canary-a-7f3a9c-NOT-REAL")
	if err := os.Remove(d.path); err != nil {
		t.Fatal(err)
	}
	d.check()
	if !signalled(d) {
		t.Error("no signal after the file was removed")
	}
	d.check()
	if signalled(d) {
		t.Error("repeated signal while the file stays missing")
	}
}

func TestCheckNeverBlocks(t *testing.T) {
	d := newStoppedDriver(t, "v0")
	for i := range 3 { // nobody receives: the buffer of one must absorb it
		if err := os.WriteFile(d.path, []byte{byte('a' + i)}, 0o600); err != nil {
			t.Fatal(err)
		}
		d.check()
	}
	if !signalled(d) || signalled(d) {
		t.Error("want exactly one pending signal after three unread changes")
	}
}

func TestRelevantEvents(t *testing.T) {
	d := newDriver("/vol/db/password", (&Opener{}).withDefaults())
	defer d.cancel()
	cases := map[string]bool{
		"/vol/db/password":                       true,
		"/vol/db/..data":                         true,
		"/vol/db/..data_tmp":                     true,
		"/vol/db/..2026_11_26_01_02_03.12345678": true,
		"/vol/db":                                true,
		"/vol/db/username":                       false,
		"/vol/db/.password.swp":                  false,
	}
	for name, want := range cases {
		if got := d.relevant(fsnotify.Event{Name: name, Op: fsnotify.Create}); got != want {
			t.Errorf("relevant(%s) = %t, want %t", name, got, want)
		}
	}
}
