package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/hushmcp/hush/secret/driver"
)

const (
	// maxReads bounds readStable; with readPause it gives an in-place
	// writer about a tenth of a second to finish before we give up.
	maxReads  = 5
	readPause = 25 * time.Millisecond
)

// readStable reads path until two consecutive reads return the same bytes,
// so that a value caught half-way through an in-place write is not
// returned. Reads that keep disagreeing end in driver.ErrUnavailable.
func readStable(ctx context.Context, path string) ([]byte, error) {
	prev, err := readOnce(ctx, path)
	if err != nil {
		return nil, err
	}
	for i := 1; i < maxReads; i++ {
		cur, err := readOnce(ctx, path)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(prev, cur) {
			return cur, nil
		}
		prev = cur
		if err := pause(ctx, readPause); err != nil {
			return nil, fmt.Errorf("file %q: %w", path, err)
		}
	}
	return nil, fmt.Errorf("file %q: content still changing after %d reads: %w", path, maxReads, driver.ErrUnavailable)
}

func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readOnce reads a regular file of at most MaxSize bytes. The size is
// enforced while reading, so a file that grows after a stat is still cut
// off. O_NONBLOCK keeps a FIFO at path from blocking the open.
func readOnce(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("file %q: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, classify(path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, classify(path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("file %q: %s, not a regular file: %w", path, kind(fi.Mode()), driver.ErrInvalid)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, classify(path, err)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("file %q: larger than %d bytes: %w", path, MaxSize, driver.ErrTooLarge)
	}
	return b, nil
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "is a directory"
	case m&fs.ModeNamedPipe != 0:
		return "is a named pipe"
	case m&fs.ModeSocket != 0:
		return "is a socket"
	case m&fs.ModeDevice != 0:
		return "is a device"
	}
	return "is special"
}

// classify maps an operating system error to one driver code. The result
// names the path and the OS reason, which never include file content.
func classify(path string, err error) error {
	var errno syscall.Errno
	errors.As(err, &errno)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("file %q: %w", path, driver.ErrNotFound)
	case errno == syscall.ENOTDIR:
		return fmt.Errorf("file %q: a parent is not a directory: %w", path, driver.ErrNotFound)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("file %q: %w", path, driver.ErrPermission)
	case errno == syscall.ELOOP:
		return fmt.Errorf("file %q: symlink loop (too many levels of symbolic links): %w", path, driver.ErrInvalid)
	case errno == syscall.ENAMETOOLONG:
		return fmt.Errorf("file %q: name too long: %w", path, driver.ErrInvalid)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is already in our message
	}
	return fmt.Errorf("file %q: %w: %w", path, err, driver.ErrUnavailable)
}
