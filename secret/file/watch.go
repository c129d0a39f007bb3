package file

import (
	"errors"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

// start sets up the watch, records the file's state and starts the loop.
// The state is taken after the watch exists and before OpenSecret returns,
// so every later change produces an event and differs from it, while the
// store's first Fetch (after OpenSecret) sees at least this state.
func (d *Driver) start() {
	d.ensureWatch()
	d.last = d.state()
	go d.run()
}

// run is the driver's only goroutine. It exits when Close cancels d.ctx,
// closing the watcher and then Changes.
func (d *Driver) run() {
	defer close(d.done)
	defer close(d.changes)
	defer d.closeWatcher()
	tick := time.NewTicker(d.poll)
	defer tick.Stop()
	settle := time.NewTimer(d.debounce)
	settle.Stop()
	defer settle.Stop()
	for {
		select {
		case <-d.ctx.Done():
			return
		case ev, ok := <-d.events():
			if !ok {
				d.dropWatcher()
			} else if d.relevant(ev) {
				settle.Reset(d.debounce)
			}
		case err, ok := <-d.errors():
			if !ok {
				d.dropWatcher()
			} else {
				d.watchError(err)
				settle.Reset(d.debounce)
			}
		case <-settle.C:
			d.check()
		case <-tick.C:
			d.check()
		}
	}
}

// events and errors return nil channels, which never receive, when there
// is no watcher.
func (d *Driver) events() <-chan fsnotify.Event {
	if d.w == nil {
		return nil
	}
	return d.w.Events
}

func (d *Driver) errors() <-chan error {
	if d.w == nil {
		return nil
	}
	return d.w.Errors
}

// relevant reports whether ev may change what the visible path reads:
// the file's own name (in-place writes, rename-over saves, deletes), the
// kubelet names ..data, ..data_tmp and ..<timestamp>, or the directory
// itself going away.
func (d *Driver) relevant(ev fsnotify.Event) bool {
	name := filepath.Base(ev.Name)
	return ev.Name == d.dir || name == d.base || strings.HasPrefix(name, "..")
}

func (d *Driver) watchError(err error) {
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		d.log.Warn("secret file watch lost events; re-reading")
		return
	}
	d.log.Warn("secret file watch error; re-reading", "error", err)
}

// check re-reads the file and signals when its state changed. It first
// restores a lost watch, so that a recreated directory is watched again.
func (d *Driver) check() {
	d.ensureWatch()
	st := d.state()
	if st == d.last || d.ctx.Err() != nil {
		return
	}
	d.last = st
	d.log.Debug("secret file changed")
	select {
	case d.changes <- struct{}{}:
	default: // a signal is already pending; the store will read the latest
	}
}

// state summarises what Fetch would return now: a keyed fingerprint of the
// content, or the error class. It never holds the value itself.
func (d *Driver) state() string {
	b, err := readStable(d.ctx, d.path)
	if err != nil {
		return "error:" + driver.Class(err)
	}
	return "value:" + secret.Fingerprint(b)
}

// ensureWatch makes sure the directory is watched, creating the watcher or
// re-adding the directory after it was removed. It logs once when watching
// stops working and once when it works again, not on every poll.
func (d *Driver) ensureWatch() {
	if d.w == nil {
		w, err := fsnotify.NewWatcher()
		if err != nil {
			d.setWatching(false, err)
			return
		}
		d.w = w
	}
	if len(d.w.WatchList()) > 0 {
		d.setWatching(true, nil)
		return
	}
	err := d.w.Add(d.dir)
	d.setWatching(err == nil, err)
}

func (d *Driver) setWatching(ok bool, err error) {
	if d.watchKnown && ok == d.watching {
		return
	}
	if ok {
		d.log.Debug("watching secret file directory", "dir", d.dir)
	} else {
		d.log.Warn("cannot watch secret file directory; polling instead",
			"dir", d.dir, "every", d.poll, "error", err)
	}
	d.watching, d.watchKnown = ok, true
}

// dropWatcher discards a watcher whose channels were closed under us (its
// reader failed), so the loop does not spin on them; the next poll creates
// a new one.
func (d *Driver) dropWatcher() {
	_ = d.w.Close()
	d.w = nil
	d.setWatching(false, errWatcherStopped)
}

var errWatcherStopped = errors.New("watcher stopped")

func (d *Driver) closeWatcher() {
	if d.w != nil {
		d.err = d.w.Close()
	}
}
